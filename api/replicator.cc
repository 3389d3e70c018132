#include "api/replicator.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <random>
#include <utility>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "api/http_types.h"
#include "ingest/export_response.h"

#include <sys/resource.h>

namespace roost::api {
namespace {

int64_t WallNowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// A response body fit for a log line and a dead-letter reason: printable, bounded.
std::string Excerpt(std::string_view body) {
  constexpr size_t kMax = 300;
  std::string out;
  for (char c : body.substr(0, kMax)) {
    out.push_back(std::isprint(static_cast<unsigned char>(c)) ? c : '.');
  }
  if (body.size() > kMax) out += "...";
  return out;
}

// Spans queued over the outbox's life (pending, delivered or dead-lettered): grows exactly as
// ingest commits spans.
uint64_t QueuedTotal(const OutboxStats& s) {
  return s.pending_spans + s.replicated_spans + s.dead_letter_spans;
}

bool IsAuthFailure(int status) { return status == 401 || status == 403; }
// 4xx answers that say "this batch, as it is, will never be taken": split it.
bool IsRefusal(int status) {
  return status >= 400 && status < 500 && !IsAuthFailure(status) && status != 408 && status != 429;
}

}  // namespace

std::string_view ReplicationStateName(ReplicationState state) {
  switch (state) {
    case ReplicationState::kDisabled:
      return "disabled";
    case ReplicationState::kOk:
      return "ok";
    case ReplicationState::kRetrying:
      return "retrying";
    case ReplicationState::kAuthFailed:
      return "auth_failed";
  }
  return "disabled";
}

ReplicationStatus DisabledReplicationStatus(const SpanStore& store) {
  const OutboxStats outbox = store.GetOutboxStats();
  ReplicationStatus s;
  s.state = ReplicationState::kDisabled;
  s.pending_spans = outbox.pending_spans;
  s.replicated_spans = outbox.replicated_spans;
  s.dead_letter_spans = outbox.dead_letter_spans;
  s.oldest_pending_unix_nano = outbox.oldest_pending_unix_nano;
  s.pending_spans_kept_past_retention = outbox.pending_spans_kept_past_retention;
  return s;
}

Result<HeaderList> ParseClientHeaders(std::string_view text) {
  HeaderList out;
  const std::string trimmed = Trim(text);
  if (trimmed.empty()) return out;
  if (trimmed.front() == '{') {
    nlohmann::json j = nlohmann::json::parse(trimmed, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return Status::InvalidArgument("PHOENIX_CLIENT_HEADERS: not a valid JSON object");
    }
    for (const auto& [k, v] : j.items()) {
      if (!v.is_string()) {
        return Status::InvalidArgument("PHOENIX_CLIENT_HEADERS: the value of '" + k +
                                       "' is not a string");
      }
      out.emplace_back(k, v.get<std::string>());
    }
    return out;
  }
  size_t start = 0;
  while (start <= trimmed.size()) {
    size_t comma = trimmed.find(',', start);
    if (comma == std::string::npos) comma = trimmed.size();
    const std::string_view item = std::string_view(trimmed).substr(start, comma - start);
    start = comma + 1;
    if (Trim(item).empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || Trim(item.substr(0, eq)).empty()) {
      return Status::InvalidArgument("PHOENIX_CLIENT_HEADERS: '" + Trim(item) +
                                     "' is not key=value");
    }
    out.emplace_back(PercentDecode(Trim(item.substr(0, eq)), false),
                     PercentDecode(Trim(item.substr(eq + 1)), false));
  }
  return out;
}

Result<std::unique_ptr<Replicator>> Replicator::Start(SpanStore& store, ReplicatorOptions options) {
  Result<OtlpEndpoint> endpoint = ParseOtlpEndpoint(options.endpoint);
  if (!endpoint.ok()) return endpoint.status();
  if (options.batch_spans == 0) return Status::InvalidArgument("replication batch size is 0");
  OtlpSenderOptions sender_options;
  sender_options.ca_file = options.ca_file;
  sender_options.connect_timeout = options.connect_timeout;
  sender_options.request_timeout = options.request_timeout;
  Result<std::unique_ptr<OtlpSender>> sender = OtlpSender::Create(*endpoint, sender_options);
  if (!sender.ok()) return sender.status();
  std::unique_ptr<Replicator> r(new Replicator(store, std::move(options), std::move(*sender)));
  r->thread_ = std::thread([p = r.get()] { p->Run(); });
  return r;
}

Replicator::Replicator(SpanStore& store, ReplicatorOptions options,
                       std::unique_ptr<OtlpSender> sender)
    : store_(store),
      options_(std::move(options)),
      sender_(std::move(sender)),
      encoder_(options_.gzip_level),
      api_key_(options_.api_key),
      headers_(options_.headers) {}

Replicator::~Replicator() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  sender_->Cancel();
  if (thread_.joinable()) thread_.join();
}

ReplicationStatus Replicator::GetStatus() const {
  ReplicationStatus s = DisabledReplicationStatus(store_);
  std::lock_guard lock(mu_);
  s.state = state_;
  s.last_error = last_error_;
  s.last_success_unix_nano = last_success_;
  s.requests_ok = requests_ok_;
  s.requests_failed = requests_failed_;
  s.spans_sent = spans_sent_;
  s.phoenix_rejected_spans = phoenix_rejected_;
  s.last_phoenix_rejection = last_rejection_;
  return s;
}

void Replicator::UpdateCredentials(std::string api_key, HeaderList headers) {
  {
    std::lock_guard lock(mu_);
    api_key_ = std::move(api_key);
    headers_ = std::move(headers);
    woken_ = true;
  }
  cv_.notify_all();
}

bool Replicator::Wait(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return stopping_ || woken_; });
  woken_ = false;
  return !stopping_;
}

std::chrono::milliseconds Replicator::NextBackoff() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  if (retry_after_ms_) {
    const auto d = std::min(std::chrono::milliseconds(*retry_after_ms_), options_.max_retry_after);
    retry_after_ms_.reset();
    ++failures_;
    return d;
  }
  const int shift = std::min(failures_, 20);
  ++failures_;
  const int64_t base =
      std::min<int64_t>(options_.min_backoff.count() << shift, options_.max_backoff.count());
  std::uniform_int_distribution<int64_t> jitter(base / 2, std::max<int64_t>(base, 1));
  return std::chrono::milliseconds(jitter(rng));
}

std::chrono::milliseconds Replicator::YieldPause(size_t spans, uint64_t queued_total_before,
                                                 std::chrono::steady_clock::duration took) const {
  if (options_.yield_factor <= 0) return std::chrono::milliseconds(0);
  const uint64_t arrived = QueuedTotal(store_.GetOutboxStats()) - queued_total_before;
  if (arrived * 8 < spans) return std::chrono::milliseconds(0);  // ingest is (nearly) idle
  const auto pause =
      std::chrono::duration_cast<std::chrono::milliseconds>(took) * options_.yield_factor;
  return std::min(pause, options_.max_yield);
}

void Replicator::NotePartialSuccess(std::string_view body, size_t sent) {
  std::optional<ingest::PartialSuccess> partial = ingest::DecodeExportResponseProtobuf(body);
  if (!partial || partial->rejected == 0) return;
  const uint64_t rejected = std::min<uint64_t>(partial->rejected, sent);
  std::string reason = "Phoenix kept " + std::to_string(sent - rejected) + " of " +
                       std::to_string(sent) + " spans of a batch and rejected " +
                       std::to_string(rejected);
  if (!partial->message.empty()) reason += ": " + partial->message;
  spdlog::warn("replication to {}: {}", sender_->endpoint().ToString(), reason);
  std::lock_guard lock(mu_);
  phoenix_rejected_ += rejected;
  last_rejection_ = std::move(reason);
}

void Replicator::SetState(ReplicationState state, const std::string& error) {
  std::lock_guard lock(mu_);
  const bool changed = state != state_;
  state_ = state;
  if (state == ReplicationState::kOk) {
    last_error_.reset();
  } else {
    last_error_ = error;
  }
  if (!changed) return;  // logged once per state change, not per attempt
  if (state == ReplicationState::kOk) {
    spdlog::info("replication to {}: ok", sender_->endpoint().ToString());
  } else {
    spdlog::warn("replication to {}: {} ({}); spans stay queued", sender_->endpoint().ToString(),
                 ReplicationStateName(state), error);
  }
}

Replicator::Outcome Replicator::Classify(const Result<OtlpReply>& reply, std::string* error) {
  if (!reply.ok()) {
    *error = reply.status().message();
    return Outcome::kRetry;
  }
  *error = "HTTP " + std::to_string(reply->status) + " from Phoenix: " + Excerpt(reply->body);
  if (IsAuthFailure(reply->status)) return Outcome::kAuthFailed;
  if (reply->retry_after_seconds) retry_after_ms_ = *reply->retry_after_seconds * 1000;
  return Outcome::kRetry;
}

Status Replicator::Prepare(uint64_t after_seq, Batch* batch) const {
  batch->body = {};
  if (Status s = store_.ReadOutbox(after_seq, options_.batch_spans, &batch->records); !s.ok()) {
    return s;
  }
  // Partial batches may wait for more spans: encoded when sent.
  if (batch->records.size >= options_.batch_spans) {
    batch->body = batch->encoder.Encode(batch->records.view());
  }
  return Status::OK();
}

Replicator::Outcome Replicator::Deliver(std::span<const Span> spans, std::string_view body,
                                        std::vector<DeadLetter>* dead) {
  if (spans.empty()) return Outcome::kDelivered;
  if (body.empty()) body = encoder_.Encode(spans);
  if (body.empty()) {  // zlib failed (out of memory): never send an empty body, it would ack
    SetState(ReplicationState::kRetrying,
             "cannot encode a batch of " + std::to_string(spans.size()) + " spans");
    return Outcome::kRetry;
  }
  HeaderList headers = {{"Content-Type", "application/x-protobuf"}};
  if (encoder_.gzip()) headers.emplace_back("Content-Encoding", "gzip");
  {
    std::lock_guard lock(mu_);
    if (!api_key_.empty()) headers.emplace_back("Authorization", "Bearer " + api_key_);
    headers.insert(headers.end(), headers_.begin(), headers_.end());
  }
  Result<OtlpReply> reply = sender_->Post(body, headers);
  const bool success = reply.ok() && reply->status >= 200 && reply->status < 300;
  {
    std::lock_guard lock(mu_);
    ++(success ? requests_ok_ : requests_failed_);
    if (success) spans_sent_ += spans.size();
  }
  if (success) {
    NotePartialSuccess(reply->body, spans.size());
    return Outcome::kDelivered;
  }
  if (reply.ok() && IsRefusal(reply->status)) {
    if (spans.size() == 1) {
      const Span& s = spans.front();
      DeadLetter d{s.trace_id, s.span_id, s.project,
                   "HTTP " + std::to_string(reply->status) + ": " + Excerpt(reply->body),
                   WallNowNanos()};
      spdlog::warn("replication: Phoenix refused span {} of trace {} ({}); dead-lettered",
                   s.span_id.ToHex(), s.trace_id.ToHex(), d.reason);
      dead->push_back(std::move(d));
      return Outcome::kDelivered;
    }
    // Find the refused spans: each half is delivered or split again.
    const size_t half = spans.size() / 2;
    Outcome first = Deliver(spans.first(half), {}, dead);
    if (first != Outcome::kDelivered) return first;
    return Deliver(spans.subspan(half), {}, dead);
  }
  std::string error;
  const Outcome outcome = Classify(reply, &error);
  SetState(
      outcome == Outcome::kAuthFailed ? ReplicationState::kAuthFailed : ReplicationState::kRetrying,
      error);
  return outcome;
}

bool Replicator::Acknowledge(uint64_t last_seq, const std::vector<DeadLetter>& dead) {
  if (Status s = store_.AckOutbox(last_seq, dead); !s.ok()) {
    // The batch goes again (Phoenix ignores span ids it has).
    SetState(ReplicationState::kRetrying, "acknowledging the outbox: " + s.message());
    return false;
  }
  failures_ = 0;
  {
    std::lock_guard lock(mu_);
    last_success_ = WallNowNanos();
  }
  SetState(ReplicationState::kOk, "");
  return true;
}

void Replicator::Run() {
  // Replication is background work that a durable queue absorbs: under CPU pressure ingest and
  // queries go first. Linux nice values are per thread, and inherited by the prefetch threads.
  if (options_.nice > 0 && setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), options_.nice)) {
    spdlog::warn("replication: cannot lower the thread's priority; it runs at normal priority");
  }
  uint64_t cursor = store_.GetOutboxStats().cursor;
  bool lingered = false;
  auto batch = std::make_unique<Batch>(options_.gzip_level);
  auto ahead = std::make_unique<Batch>(options_.gzip_level);
  // The batch after the one on the wire, read and encoded into `ahead` meanwhile (the replicator
  // is otherwise idle while Phoenix decodes); used only when that one is delivered. Declared
  // after the batches: destroyed first, it waits for the read into `ahead` to end.
  std::future<Status> next;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    Status read;
    const auto read_start = std::chrono::steady_clock::now();
    if (next.valid()) {
      read = next.get();
      std::swap(batch, ahead);
    } else {
      read = Prepare(cursor, batch.get());
    }
    // What reading this batch cost the replicator (when read ahead: only what is left to wait).
    const auto prepare_time = std::chrono::steady_clock::now() - read_start;
    if (!read.ok()) {
      SetState(ReplicationState::kRetrying, "reading the outbox: " + read.message());
      if (!Wait(NextBackoff())) return;
      continue;
    }
    const size_t size = batch->records.size;
    if (size == 0 || (size < options_.batch_spans && !lingered)) {
      // Nothing yet, or a partial batch: give it the linger time to fill up.
      lingered = size != 0;
      if (!Wait(options_.linger)) return;
      continue;
    }
    lingered = false;
    next = std::async(std::launch::async, [this, seq = batch->records.last_seq, b = ahead.get()] {
      return Prepare(seq, b);
    });
    std::vector<DeadLetter> dead;
    const uint64_t queued_before = QueuedTotal(store_.GetOutboxStats());
    const auto started = std::chrono::steady_clock::now() - prepare_time;
    const Outcome outcome = Deliver(batch->records.view(), batch->body, &dead);
    const uint64_t last_seq = batch->records.last_seq;
    if (outcome == Outcome::kDelivered) {
      if (!Acknowledge(last_seq, dead)) {  // the batch goes again
        next.wait();
        next = {};
        if (!Wait(NextBackoff())) return;
        continue;
      }
      cursor = last_seq;
      const auto pause =
          YieldPause(size, queued_before, std::chrono::steady_clock::now() - started);
      if (pause.count() > 0 && !Wait(pause)) return;
      continue;
    }
    next.wait();
    next = {};
    const auto wait = outcome == Outcome::kAuthFailed ? options_.auth_retry : NextBackoff();
    if (!Wait(wait)) return;
  }
}

}  // namespace roost::api
