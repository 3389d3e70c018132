#include "tools/roost/ingest_bench.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "ingest/export_response.h"
#include "ingest/json_encoder.h"
#include "ingest/protobuf_encoder.h"
#include "storage/dd_sketch.h"
#include "tools/roost/gzip_compress.h"
#include "tools/workload/span_generator.h"

namespace roost::cli {
namespace {

using Clock = std::chrono::steady_clock;

// In --duration mode the generator is renewed (with the next id salt) after this many spans, so
// the traffic stays within its one-day period however long the run.
constexpr uint64_t kSpansPerGenerator = 1'000'000;
// At most this many error messages are kept.
constexpr size_t kMaxErrorSamples = 5;
// Characters of a failed answer's body kept in its error message.
constexpr size_t kMaxErrorBodyChars = 200;

struct PreparedRequest {
  std::string body;
  size_t spans = 0;
  bool copy = false;                  // a template's copy under new ids
  std::vector<AcknowledgedSpan> ids;  // with keep_acknowledged_ids
};

// Requests prepared ahead, bounded by their bytes (one request over the bound is let in when the
// buffer is empty). One producer, many consumers. Thread-safe.
class RequestBuffer {
 public:
  explicit RequestBuffer(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Blocks while full; false once Close() was called (the request is dropped).
  bool Push(PreparedRequest request) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return closed_ || bytes_ == 0 || bytes_ < max_bytes_; });
    if (closed_) return false;
    bytes_ += request.body.size();
    requests_.push_back(std::move(request));
    changed_.notify_all();
    return true;
  }

  // The next request; nullopt when closed, or when finished and drained.
  std::optional<PreparedRequest> Pop() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return closed_ || finished_ || !requests_.empty(); });
    if (closed_ || requests_.empty()) return std::nullopt;
    PreparedRequest r = std::move(requests_.front());
    requests_.pop_front();
    bytes_ -= r.body.size();
    not_full_.notify_one();
    return r;
  }

  // Blocks until the buffer is full or the producer finished.
  void WaitFilled() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return closed_ || finished_ || bytes_ >= max_bytes_; });
  }

  // The producer has no more requests.
  void Finish() {
    std::lock_guard lock(mu_);
    finished_ = true;
    changed_.notify_all();
  }

  // Stops both sides: Push returns false, Pop nullopt.
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    changed_.notify_all();
    not_full_.notify_all();
  }

 private:
  const size_t max_bytes_;
  std::mutex mu_;
  std::condition_variable changed_;       // a request arrived, or finished/closed
  std::condition_variable not_full_;      // a request left, or closed
  std::deque<PreparedRequest> requests_;  // guarded by mu_
  size_t bytes_ = 0;                      // guarded by mu_
  bool finished_ = false;                 // guarded by mu_
  bool closed_ = false;                   // guarded by mu_
};

// Spans from workload::SpanGenerator rounds: one day of traffic each, ids salted by the round.
class FreshSpans {
 public:
  explicit FreshSpans(const IngestBenchOptions& options) {
    g_.seed = options.seed;
    g_.days = 1.0;
    g_.end_unix_nano = options.end_unix_nano;
    if (!options.project.empty()) g_.project = options.project;
    g_.id_salt = options.id_salt;
  }

  // The next `n` spans (n > 0); a new round generates min(`budget`, kSpansPerGenerator) spans.
  void Next(size_t n, uint64_t budget, std::vector<Span>* spans) {
    spans->clear();
    if (generator_ && generator_->Next(n, spans) > 0) return;
    if (generator_) ++g_.id_salt;
    g_.total_spans = std::clamp<uint64_t>(budget, 1, kSpansPerGenerator);
    generator_ = std::make_unique<workload::SpanGenerator>(g_);
    generator_->Next(n, spans);
  }

 private:
  workload::GeneratorOptions g_;
  std::unique_ptr<workload::SpanGenerator> generator_;
};

// Where a span's ids are in an encoded body; parent is npos for a root.
struct IdSlots {
  size_t trace = 0;
  size_t span = 0;
  size_t parent = std::string::npos;
};

// A span's ids, as a template holds them.
struct TemplateIds {
  TraceId trace;
  SpanId span;
  std::optional<SpanId> parent;
};

// An encoded request kept to be sent again under other ids.
struct RequestTemplate {
  std::string body;  // before any gzip
  std::vector<TemplateIds> ids;
  std::vector<IdSlots> slots;
};

// An id as the body holds it: raw bytes in protobuf, lowercase hex in JSON.
template <typename Id>
std::string IdText(const Id& id, OtlpEncoding encoding) {
  if (encoding == OtlpEncoding::kJson) return id.ToHex();
  return std::string(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
}

// The body of `spans` as a template, or nullopt when some span's ids are not found where the
// encoders write them: within the span's message, the trace id just before the span id and the
// parent id just after it. (Spans are grouped by resource and scope in the body, in order within
// a group; span ids are unique.)
std::optional<RequestTemplate> MakeTemplate(const std::string& body, const std::vector<Span>& spans,
                                            OtlpEncoding encoding) {
  // Most bytes a message's other fields put between a span's ids.
  constexpr size_t kMaxGap = 64;
  RequestTemplate t;
  t.slots.reserve(spans.size());
  t.ids.reserve(spans.size());
  size_t cursor = 0;
  for (const Span& s : spans) {
    const std::string span_text = IdText(s.span_id, encoding);
    IdSlots slots;
    slots.span = body.find(span_text, cursor);
    if (slots.span == std::string::npos) slots.span = body.find(span_text);
    if (slots.span == std::string::npos) return std::nullopt;
    cursor = slots.span + span_text.size();
    const std::string trace_text = IdText(s.trace_id, encoding);
    slots.trace = body.rfind(trace_text, slots.span);
    if (slots.trace == std::string::npos ||
        slots.span - slots.trace > trace_text.size() + kMaxGap) {
      return std::nullopt;
    }
    if (s.parent_span_id) {
      slots.parent = body.find(IdText(*s.parent_span_id, encoding), cursor);
      if (slots.parent == std::string::npos ||
          slots.parent - cursor > kMaxGap + s.trace_state.size()) {
        return std::nullopt;
      }
    }
    t.ids.push_back({s.trace_id, s.span_id, s.parent_span_id});
    t.slots.push_back(slots);
  }
  t.body = body;
  return t;
}

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// `t`'s body with every id XORed with masks drawn from (salt, pass): trace ids with one 16-byte
// mask, span and parent ids with one 8-byte mask, so a parent still names its parent.
PreparedRequest Patch(const RequestTemplate& t, uint64_t salt, uint64_t pass, OtlpEncoding encoding,
                      bool keep_ids) {
  uint64_t state = salt ^ (pass * 0xd1b54a32d192ed03ULL);
  std::array<uint8_t, 16> trace_mask;
  std::array<uint8_t, 8> span_mask;
  for (size_t i = 0; i < 16; i += 8) {
    const uint64_t m = SplitMix64(&state);
    std::memcpy(trace_mask.data() + i, &m, 8);
  }
  const uint64_t m = SplitMix64(&state);
  std::memcpy(span_mask.data(), &m, 8);
  auto masked = [](auto id, const auto& mask) {
    for (size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] ^= mask[i];
    return id;
  };
  PreparedRequest r;
  r.body = t.body;
  r.spans = t.ids.size();
  if (keep_ids) r.ids.reserve(t.ids.size());
  auto put = [&](size_t at, const auto& id) {
    const std::string text = IdText(id, encoding);
    r.body.replace(at, text.size(), text);
  };
  for (size_t i = 0; i < t.ids.size(); ++i) {
    const TemplateIds& ids = t.ids[i];
    const TraceId trace = masked(ids.trace, trace_mask);
    const SpanId span = masked(ids.span, span_mask);
    put(t.slots[i].trace, trace);
    put(t.slots[i].span, span);
    if (ids.parent) put(t.slots[i].parent, masked(*ids.parent, span_mask));
    if (keep_ids) r.ids.push_back({trace, span});
  }
  return r;
}

// Generates, encodes and (optionally) compresses requests into `buffer` until the span budget is
// spent or the buffer is closed; after options.templates requests, copies of them under new ids
// (IngestBenchOptions::templates). Runs on its own thread.
void ProduceRequests(const IngestBenchOptions& options, RequestBuffer& buffer) {
  FreshSpans fresh(options);
  std::vector<RequestTemplate> templates;
  size_t made = 0;  // requests generated, templates or not
  uint64_t pass = 0;
  size_t next = 0;  // the template to copy next
  uint64_t remaining = options.spans > 0 ? options.spans : std::numeric_limits<uint64_t>::max();
  std::vector<Span> spans;
  // Every request consumes at least one span of the budget (or Close() ends the loop).
  while (remaining > 0) {
    PreparedRequest r;
    const bool copy =
        made >= options.templates && !templates.empty() && templates[next].ids.size() <= remaining;
    if (copy) {
      if (next == 0) ++pass;
      r = Patch(templates[next], options.id_salt, pass, options.encoding,
                options.keep_acknowledged_ids);
      r.copy = true;
      next = (next + 1) % templates.size();
    } else {
      fresh.Next(static_cast<size_t>(std::min<uint64_t>(remaining, options.batch)), remaining,
                 &spans);
      if (spans.empty()) break;
      r.spans = spans.size();
      r.body = options.encoding == OtlpEncoding::kJson ? ingest::EncodeJson(spans)
                                                       : ingest::EncodeProtobuf(spans);
      if (made++ < options.templates) {
        if (std::optional<RequestTemplate> t = MakeTemplate(r.body, spans, options.encoding)) {
          templates.push_back(std::move(*t));
        }
      }
      if (options.keep_acknowledged_ids) {
        r.ids.reserve(spans.size());
        for (const Span& s : spans) r.ids.push_back({s.trace_id, s.span_id});
      }
    }
    remaining -= r.spans;
    if (options.gzip) r.body = GzipCompress(r.body);
    if (!buffer.Push(std::move(r))) return;
  }
  buffer.Finish();
}

// Outcomes, overall and for the current interval. Thread-safe.
class BenchCounters {
 public:
  void AddSuccess(double latency_ms, size_t spans, bool copy, uint64_t rejected,
                  std::vector<AcknowledgedSpan>* ids) {
    std::lock_guard lock(mu_);
    if (copy) ++result_.copied_requests;
    const uint64_t acknowledged = spans - std::min<uint64_t>(spans, rejected);
    interval_latency_.Add(latency_ms);
    total_latency_.Add(latency_ms);
    interval_spans_ += acknowledged;
    result_.spans += acknowledged;
    result_.rejected_spans += rejected;
    ++result_.requests;
    // Only fully accepted requests: which spans a partial rejection refused is not said.
    if (rejected == 0 && !ids->empty()) {
      result_.acknowledged.insert(result_.acknowledged.end(), ids->begin(), ids->end());
    }
  }

  void AddError(const std::string& cause, const std::string& message) {
    std::lock_guard lock(mu_);
    ++interval_errors_;
    ++result_.errors;
    ++result_.errors_by_status[cause];
    if (result_.error_samples.size() < kMaxErrorSamples) result_.error_samples.push_back(message);
  }

  void AddRetry503() {
    std::lock_guard lock(mu_);
    ++interval_retries_;
    ++result_.retries_503;
  }

  // The interval since the last call, then starts a new one.
  IngestBenchInterval TakeInterval(double elapsed_seconds, double interval_seconds) {
    std::lock_guard lock(mu_);
    IngestBenchInterval out;
    out.elapsed_seconds = elapsed_seconds;
    out.spans = interval_spans_;
    out.spans_per_second =
        interval_seconds > 0 ? static_cast<double>(interval_spans_) / interval_seconds : 0;
    out.p50_ms = interval_latency_.Quantile(0.5);
    out.p99_ms = interval_latency_.Quantile(0.99);
    out.errors = interval_errors_;
    out.retries_503 = interval_retries_;
    interval_latency_ = DdSketch();
    interval_spans_ = interval_errors_ = interval_retries_ = 0;
    return out;
  }

  IngestBenchResult TakeResult(double seconds) {
    std::lock_guard lock(mu_);
    result_.seconds = seconds;
    result_.p50_ms = total_latency_.Quantile(0.5);
    result_.p99_ms = total_latency_.Quantile(0.99);
    return std::move(result_);
  }

 private:
  std::mutex mu_;
  IngestBenchResult result_;  // guarded by mu_ (all fields below too)
  DdSketch total_latency_;
  DdSketch interval_latency_;
  uint64_t interval_spans_ = 0;
  uint64_t interval_errors_ = 0;
  uint64_t interval_retries_ = 0;
};

HttpHeaders RequestHeaders(const IngestBenchOptions& options) {
  HttpHeaders headers;
  headers.emplace_back("Content-Type", options.encoding == OtlpEncoding::kJson
                                           ? "application/json"
                                           : "application/x-protobuf");
  if (options.gzip) headers.emplace_back("Content-Encoding", "gzip");
  if (!options.api_key.empty()) headers.emplace_back("Authorization", "Bearer " + options.api_key);
  if (!options.project.empty()) headers.emplace_back("x-project-name", options.project);
  return headers;
}

// Sends one prepared request, retrying 503s as the options allow, and counts the outcome.
void SendRequest(const IngestBenchOptions& options, const std::string& path,
                 const HttpHeaders& headers, OtlpHttpClient& client, PreparedRequest& request,
                 BenchCounters& counters) {
  for (int attempt = 0;; ++attempt) {
    const auto begin = Clock::now();
    Result<HttpReply> reply = client.Send("POST", path, request.body, headers);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - begin).count();
    if (!reply.ok()) {
      counters.AddError("connection", reply.status().message());
      return;
    }
    if (reply->status >= 200 && reply->status < 300) {
      const bool json = reply->content_type.find("json") != std::string::npos;
      counters.AddSuccess(ms, request.spans, request.copy, RejectedSpansOf(reply->body, json),
                          &request.ids);
      return;
    }
    if (reply->status == 503 && attempt < options.max_retries_503) {
      counters.AddRetry503();
      const auto wait = std::min<std::chrono::milliseconds>(
          options.max_retry_after, std::chrono::seconds(std::clamp<int64_t>(
                                       reply->retry_after_seconds.value_or(1), 0, int64_t{86400})));
      std::this_thread::sleep_for(wait);
      continue;
    }
    const std::string cause =
        reply->status == 503 ? "503 (retries exhausted)" : std::to_string(reply->status);
    counters.AddError(cause, "HTTP " + std::to_string(reply->status) + ": " +
                                 reply->body.substr(0, kMaxErrorBodyChars));
    return;
  }
}

}  // namespace

Status ValidateIngestBenchOptions(const IngestBenchOptions& options) {
  if (options.concurrency < 1 || options.concurrency > 1024) {
    return Status::InvalidArgument("--concurrency must be in [1, 1024]");
  }
  if (options.batch < 1 || options.batch > 100000) {
    return Status::InvalidArgument("--batch must be in [1, 100000]");
  }
  if ((options.spans > 0) == (options.duration.count() > 0)) {
    return Status::InvalidArgument("give exactly one of --spans N or --duration SECONDS");
  }
  if (options.target.host.empty()) return Status::InvalidArgument("--target has no host");
  return Status::OK();
}

uint64_t RejectedSpansOf(std::string_view body, bool json) {
  if (body.empty()) return 0;
  if (json) {
    const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("partialSuccess")) return 0;
    const nlohmann::json& partial = doc["partialSuccess"];
    if (!partial.is_object() || !partial.contains("rejectedSpans")) return 0;
    const nlohmann::json& n = partial["rejectedSpans"];
    if (n.is_number_unsigned()) return n.get<uint64_t>();
    if (!n.is_string()) return 0;
    const std::string text = n.get<std::string>();
    uint64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
  }
  std::optional<ingest::PartialSuccess> partial = ingest::DecodeExportResponseProtobuf(body);
  return partial ? partial->rejected : 0;
}

Result<IngestBenchResult> RunIngestBench(
    const IngestBenchOptions& options,
    const std::function<void(const IngestBenchInterval&)>& on_interval) {
  if (Status s = ValidateIngestBenchOptions(options); !s.ok()) return s;
  IngestBenchOptions opts = options;
  if (opts.end_unix_nano == 0) {
    opts.end_unix_nano = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  }
  std::vector<std::unique_ptr<OtlpHttpClient>> clients;
  for (int i = 0; i < opts.concurrency; ++i) {
    clients.push_back(std::make_unique<OtlpHttpClient>(opts.target, opts.http));
    if (Status s = clients.back()->Connect(); !s.ok()) return s;
  }
  RequestBuffer buffer(opts.max_prepared_bytes);
  std::thread producer([&] { ProduceRequests(opts, buffer); });
  buffer.WaitFilled();

  const std::string path = OtlpTracesPath(opts.target);
  const HttpHeaders headers = RequestHeaders(opts);
  BenchCounters counters;
  std::mutex done_mu;
  std::condition_variable done_cv;
  int running = opts.concurrency;  // guarded by done_mu
  const auto start = Clock::now();
  const auto deadline =
      opts.duration.count() > 0 ? start + opts.duration : Clock::time_point::max();
  std::vector<std::thread> senders;
  senders.reserve(static_cast<size_t>(opts.concurrency));
  for (int i = 0; i < opts.concurrency; ++i) {
    senders.emplace_back([&, i] {
      // Each pass sends one prepared request; the buffer runs dry or closes at the deadline.
      while (Clock::now() < deadline) {
        std::optional<PreparedRequest> request = buffer.Pop();
        if (!request) break;
        SendRequest(opts, path, headers, *clients[static_cast<size_t>(i)], *request, counters);
      }
      std::lock_guard lock(done_mu);
      --running;
      done_cv.notify_all();
    });
  }
  // Reports every second until all senders are done; closes the buffer at the deadline (so an
  // interval may end early there).
  {
    auto last = start;
    bool closed = false;
    std::unique_lock lock(done_mu);
    while (running > 0) {
      auto next = last + std::chrono::seconds(1);
      if (!closed) next = std::min(next, deadline);
      if (done_cv.wait_until(lock, next, [&] { return running == 0; })) break;
      const auto now = Clock::now();
      if (!closed && now >= deadline) {
        buffer.Close();
        closed = true;
      }
      lock.unlock();
      on_interval(counters.TakeInterval(std::chrono::duration<double>(now - start).count(),
                                        std::chrono::duration<double>(now - last).count()));
      last = now;
      lock.lock();
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  buffer.Close();
  for (std::thread& t : senders) t.join();
  producer.join();
  return counters.TakeResult(seconds);
}

}  // namespace roost::cli
