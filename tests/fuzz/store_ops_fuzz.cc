#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

#include "storage/key_codec.h"
#include "storage/span_store.h"
#include "tests/fuzz/fuzz_targets.h"

namespace roost::fuzz {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kHour = keys::kBucketNanos;
constexpr std::chrono::hours kRetention{24};
// Spans fall in the 48 hours from 20 hours ago: the store, opened with a retention of 24 hours,
// keeps them all until a retention pass at a later "now" removes some.
const int64_t kBase = [] {
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return (now / kHour - 20) * kHour;
}();
const uint32_t kBaseBucket = static_cast<uint32_t>(kBase / kHour);

// Reads the input a byte at a time; zeros once it runs out.
class Bytes {
 public:
  explicit Bytes(std::string_view input) : input_(input) {}
  bool empty() const { return pos_ >= input_.size(); }
  uint8_t Next() { return pos_ < input_.size() ? static_cast<uint8_t>(input_[pos_++]) : 0; }

 private:
  std::string_view input_;
  size_t pos_ = 0;
};

using Key = std::pair<uint8_t, uint8_t>;  // (trace, span) as the input names them
struct Stored {
  std::string project;
  uint32_t bucket = 0;
};

// A span of trace `t`, span `s` (1-based in their ids), in hour `hour` from kBase; flags: bit 0
// makes it invalid (end before start), bit 1 picks the project, bits 2-3 the session.
Span MakeSpan(uint8_t t, uint8_t s, uint8_t hour, uint8_t flags) {
  Span span;
  span.trace_id.bytes[15] = static_cast<uint8_t>(t + 1);
  span.span_id.bytes[7] = static_cast<uint8_t>(s + 1);
  span.name = "step";
  span.kind = SpanKind::kLlm;
  span.project = flags & 2 ? "beta" : "alpha";
  if ((flags >> 2 & 3) != 0) span.session_id = "session-" + std::to_string(flags >> 2 & 3);
  span.model_name = "gpt-4o";
  span.start_unix_nano = kBase + hour * kHour + int64_t{s} * 1'000'000'000;
  span.end_unix_nano = flags & 1 ? span.start_unix_nano - 1 : span.start_unix_nano + 5'000'000;
  span.prompt_tokens = 10;
  span.completion_tokens = 5;
  span.total_tokens = 15;
  span.attributes.push_back({"input.value", std::string("question ") + std::to_string(t)});
  return span;
}

class Run {
 public:
  explicit Run(std::string dir) : dir_(std::move(dir)) {}

  std::string Open() {
    StoreOptions options;
    options.path = dir_;
    options.retention = kRetention;
    options.max_block_rows = 8;
    options.background_sealing = false;
    options.block_cache_bytes = size_t{1} << 20;
    options.column_cache_bytes = size_t{1} << 20;
    options.direct_writes = false;
    Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
    if (!store.ok()) return "open: " + store.status().ToString();
    store_ = std::move(*store);
    // An open takes its write cutoff from the clock (now - retention, below every span here), not
    // from the passes before it: a store reopened with a longer retention takes older spans
    // again. The passes here run at later "now"s than the clock's.
    cutoff_ = 0;
    return "";
  }
  void Close() { store_.reset(); }

  std::string Write(Bytes& in) {
    const size_t n = in.Next() % 8 + 1;
    std::vector<Span> batch;
    uint64_t stored = 0, duplicates = 0, rejected = 0;
    std::map<Key, Stored> added;
    for (size_t i = 0; i < n; ++i) {
      const uint8_t t = in.Next() % 6, s = in.Next() % 8, hour = in.Next() % 48, flags = in.Next();
      batch.push_back(MakeSpan(t, s, hour, flags));
      const uint32_t bucket = kBaseBucket + hour;
      if (flags & 1 || bucket < cutoff_) {
        ++rejected;
      } else if (model_.count({t, s}) || added.count({t, s})) {
        ++duplicates;
      } else {
        ++stored;
        added[{t, s}] = Stored{batch.back().project, bucket};
      }
    }
    const Result<WriteResult> r = store_->Write(std::move(batch));
    if (!r.ok()) return "write: " + r.status().ToString();
    if (r->stored != stored || r->duplicates != duplicates || r->rejected.size() != rejected) {
      return "write of " + std::to_string(n) + " spans: stored " + std::to_string(r->stored) +
             ", duplicates " + std::to_string(r->duplicates) + ", rejected " +
             std::to_string(r->rejected.size()) + "; expected " + std::to_string(stored) + ", " +
             std::to_string(duplicates) + ", " + std::to_string(rejected);
    }
    model_.merge(added);
    return "";
  }

  std::string Retention(Bytes& in) {
    const int64_t now = kBase + int64_t{in.Next() % 80} * kHour;
    const Result<RetentionResult> r = store_->ApplyRetention(now);
    if (!r.ok()) return "retention: " + r.status().ToString();
    cutoff_ = std::max(cutoff_, r->cutoff_bucket);
    std::erase_if(model_, [&](const auto& kv) { return kv.second.bucket < cutoff_; });
    return "";
  }

  std::string Flush() {
    const Status s = store_->Flush();
    return s.ok() ? "" : "flush: " + s.ToString();
  }

  // What the store holds is exactly the model: per-project counts, scans, and every trace.
  std::string Check(const std::string& after) {
    std::map<std::string, uint64_t> want;
    for (const auto& [key, stored] : model_) ++want[stored.project];
    const Result<std::vector<ProjectSummary>> projects = store_->ListProjects();
    if (!projects.ok()) return after + ": list projects: " + projects.status().ToString();
    std::map<std::string, uint64_t> listed;
    for (const ProjectSummary& p : *projects) {
      if (p.span_count > 0) listed[p.name] = p.span_count;
    }
    if (listed != want) return after + ": project counts differ from what was stored";
    for (const std::string project : {"alpha", "beta"}) {
      ScanRequest request;
      request.project = project;
      request.columns = {Column::kStart};
      uint64_t rows = 0;
      const Status s = store_->Scan(request, [&](const ColumnView& view) {
        rows += view.rows;
        return Status::OK();
      });
      if (!s.ok() && s.code() != Status::Code::kNotFound) return after + ": scan: " + s.ToString();
      if (rows != want[project]) {
        return after + ": scan of " + project + " finds " + std::to_string(rows) + " rows, " +
               std::to_string(want[project]) + " stored";
      }
    }
    for (uint8_t t = 0; t < 6; ++t) {
      std::set<uint8_t> spans;
      for (const auto& [key, stored] : model_) {
        if (key.first == t) spans.insert(key.second);
      }
      TraceId id;
      id.bytes[15] = static_cast<uint8_t>(t + 1);
      const Result<std::vector<Span>> trace = store_->GetTrace(id);
      if (!trace.ok() && trace.status().code() != Status::Code::kNotFound) {
        return after + ": get trace: " + trace.status().ToString();
      }
      std::set<uint8_t> got;
      if (trace.ok()) {
        for (const Span& span : *trace) got.insert(static_cast<uint8_t>(span.span_id.bytes[7] - 1));
        if (got.size() != trace->size()) return after + ": a trace lists a span twice";
      }
      if (got != spans)
        return after + ": trace " + std::to_string(t) + " differs from what was stored";
    }
    return "";
  }

 private:
  std::string dir_;
  std::unique_ptr<SpanStore> store_;
  std::map<Key, Stored> model_;
  uint32_t cutoff_ = 0;
};

}  // namespace

// Input: operations, one byte each (then their arguments): write a batch, flush, reopen, apply
// retention at some hour. After each, the store must hold exactly what the acknowledged writes
// and the retention passes leave.
std::string StoreOps(std::string_view input) {
  static const fs::path root = [] {
    spdlog::set_level(spdlog::level::warn);  // one line per retention pass and replay otherwise
    std::string dir = (fs::temp_directory_path() / "roost-fuzz-store-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) std::abort();
    return fs::path(dir);
  }();
  const fs::path dir = root / "data";
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  Run run(dir.string());
  std::string fault = run.Open();
  Bytes in(input);
  for (int step = 0; fault.empty() && step < 24 && !in.empty(); ++step) {
    const uint8_t op = in.Next() % 6;
    std::string what;
    switch (op) {
      case 0:
      case 1:
      case 2:
        what = "write";
        fault = run.Write(in);
        break;
      case 3:
        what = "flush";
        fault = run.Flush();
        break;
      case 4:
        what = "reopen";
        run.Close();
        fault = run.Open();
        break;
      default:
        what = "retention";
        fault = run.Retention(in);
        break;
    }
    if (fault.empty()) fault = run.Check("step " + std::to_string(step) + " (" + what + ")");
  }
  run.Close();
  fs::remove_all(dir, ignored);
  return fault;
}

}  // namespace roost::fuzz

ROOST_FUZZ_MAIN(roost::fuzz::StoreOps)
