#include "tools/roost/acknowledged_span_check.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace roost::cli {
namespace {

constexpr size_t kMaxSamples = 5;
// Traces read back concurrently.
constexpr int kVerifyThreads = 2;
constexpr int kOpenAttempts = 5;
constexpr std::chrono::milliseconds kOpenRetryDelay{200};

bool SameSpan(const AcknowledgedSpan& a, const AcknowledgedSpan& b) {
  return a.trace_id == b.trace_id && a.span_id == b.span_id;
}

void AddSample(SpanVerification* v, const TraceId& trace, const SpanId& span, const char* what) {
  if (v->samples.size() >= kMaxSamples) return;
  v->samples.push_back("trace " + trace.ToHex() + ": span " + span.ToHex() + " " + what);
}

// Compares one trace: `expected` sorted by span id, `stored` as GetTrace returned it.
void CompareTrace(const TraceId& trace, const std::vector<SpanId>& expected,
                  std::vector<SpanId> stored, SpanVerification* v) {
  std::sort(stored.begin(), stored.end());
  stored.erase(std::unique(stored.begin(), stored.end()), stored.end());
  size_t i = 0;
  size_t j = 0;
  while (i < expected.size() || j < stored.size()) {
    if (j == stored.size() || (i < expected.size() && expected[i] < stored[j])) {
      ++v->missing;
      AddSample(v, trace, expected[i++], "missing");
    } else if (i == expected.size() || stored[j] < expected[i]) {
      ++v->unexpected;
      AddSample(v, trace, stored[j++], "stored but never acknowledged");
    } else {
      ++v->found;
      ++i;
      ++j;
    }
  }
}

// Verifies acknowledged[begin, end), which holds whole traces sorted by (trace, span).
Status VerifyRun(const SpanStore& store, const std::vector<AcknowledgedSpan>& acknowledged,
                 size_t begin, size_t end, SpanVerification* v) {
  std::vector<SpanId> expected;
  std::vector<SpanId> stored;
  while (begin < end) {
    const TraceId& trace = acknowledged[begin].trace_id;
    expected.clear();
    while (begin < end && acknowledged[begin].trace_id == trace) {
      expected.push_back(acknowledged[begin++].span_id);
    }
    ++v->traces;
    stored.clear();
    Result<std::vector<Span>> spans = store.GetTrace(trace);
    if (spans.ok()) {
      for (const Span& s : *spans) stored.push_back(s.span_id);
    } else if (!spans.status().IsNotFound()) {
      return Status::IOError("reading trace " + trace.ToHex() + ": " + spans.status().ToString());
    }
    CompareTrace(trace, expected, stored, v);
  }
  return Status::OK();
}

}  // namespace

Result<SpanVerification> VerifyAcknowledgedSpans(const SpanStore& store,
                                                 std::vector<AcknowledgedSpan> acknowledged) {
  std::sort(acknowledged.begin(), acknowledged.end(), [](const auto& a, const auto& b) {
    return a.trace_id != b.trace_id ? a.trace_id < b.trace_id : a.span_id < b.span_id;
  });
  acknowledged.erase(std::unique(acknowledged.begin(), acknowledged.end(), SameSpan),
                     acknowledged.end());
  // Cut into kVerifyThreads runs of whole traces, read concurrently (GetTrace is thread-safe).
  std::vector<size_t> cuts = {0};
  for (int t = 1; t < kVerifyThreads; ++t) {
    size_t cut = std::max(cuts.back(), acknowledged.size() * static_cast<size_t>(t) /
                                           static_cast<size_t>(kVerifyThreads));
    while (cut > 0 && cut < acknowledged.size() &&
           acknowledged[cut].trace_id == acknowledged[cut - 1].trace_id) {
      ++cut;
    }
    cuts.push_back(cut);
  }
  cuts.push_back(acknowledged.size());
  std::vector<SpanVerification> parts(cuts.size() - 1);
  std::vector<Status> errors(parts.size());
  std::vector<std::thread> threads;
  for (size_t p = 0; p < parts.size(); ++p) {
    threads.emplace_back(
        [&, p] { errors[p] = VerifyRun(store, acknowledged, cuts[p], cuts[p + 1], &parts[p]); });
  }
  for (std::thread& t : threads) t.join();
  SpanVerification v;
  v.acknowledged = acknowledged.size();
  for (size_t p = 0; p < parts.size(); ++p) {
    if (!errors[p].ok()) return errors[p];
    v.traces += parts[p].traces;
    v.found += parts[p].found;
    v.missing += parts[p].missing;
    v.unexpected += parts[p].unexpected;
    for (std::string& sample : parts[p].samples) {
      if (v.samples.size() < kMaxSamples) v.samples.push_back(std::move(sample));
    }
  }
  return v;
}

Result<SpanVerification> VerifyAcknowledgedSpansInDir(const std::string& data_dir,
                                                      std::vector<AcknowledgedSpan> acknowledged) {
  StoreOptions options;
  options.path = data_dir;
  options.read_only = true;
  options.background_sealing = false;
  Result<std::unique_ptr<SpanStore>> store = Status::Unavailable("not opened");
  for (int attempt = 0; attempt < kOpenAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(kOpenRetryDelay);
    store = SpanStore::Open(options);
    if (store.ok()) break;
  }
  if (!store.ok()) {
    return Status::IOError("opening " + data_dir + " read-only: " + store.status().ToString());
  }
  return VerifyAcknowledgedSpans(**store, std::move(acknowledged));
}

}  // namespace roost::cli
