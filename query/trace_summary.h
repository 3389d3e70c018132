#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "storage/result.h"
#include "storage/span.h"

namespace roost {
class SpanStore;
}  // namespace roost

namespace roost::query {

// One trace of a project, summed over all of its spans in that project.
struct TraceSummary {
  TraceId trace_id;
  int64_t start_unix_nano = 0;  // earliest span start
  int64_t end_unix_nano = 0;    // latest span end
  uint64_t span_count = 0;
  // Token counts summed over the trace's LLM spans only (each span's own counts), as Phoenix
  // reports per-trace and per-session token totals.
  uint64_t llm_prompt_tokens = 0;
  uint64_t llm_completion_tokens = 0;
  // The session dictionary id of the trace (SpanStore::DictionaryString(DictKind::kSession)):
  // the smallest non-zero one among its spans; 0 when no span names a session.
  uint32_t session = 0;

  int64_t latency_nanos() const { return end_unix_nano - start_unix_nano; }
};

// Every trace with at least one span in `project`, in no particular order, read with one column
// scan of the project (start, duration, kind, session, token and trace-id columns; no records).
// Memory: one summary per trace. An unknown project gives an empty list. Scan errors
// (kCorruption, kIOError) are passed on. Thread-safe.
[[nodiscard]] Result<std::vector<TraceSummary>> SummarizeTraces(const SpanStore& store,
                                                                std::string_view project);

// The same summary for the spans of one trace, already read (e.g. with SpanStore::GetTrace).
// The session is left 0 (records carry session strings, not dictionary ids). REQUIRES: `spans`
// non-empty and all of one trace.
TraceSummary SummarizeSpans(const std::vector<Span>& spans);

}  // namespace roost::query
