#include "query/trace_summary.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>
#include <unordered_map>

#include "storage/column_view.h"
#include "storage/span_store.h"

namespace roost::query {
namespace {

// Trace ids are random: their first 8 bytes are a fine hash.
struct TraceIdHash {
  size_t operator()(const TraceId& id) const {
    uint64_t h;
    std::memcpy(&h, id.bytes.data(), sizeof(h));
    return static_cast<size_t>(h);
  }
};

void AddSpan(TraceSummary* t, int64_t start, int64_t end, bool llm, uint64_t prompt,
             uint64_t completion) {
  if (t->span_count == 0 || start < t->start_unix_nano) t->start_unix_nano = start;
  if (t->span_count == 0 || end > t->end_unix_nano) t->end_unix_nano = end;
  ++t->span_count;
  if (llm) {
    t->llm_prompt_tokens += prompt;
    t->llm_completion_tokens += completion;
  }
}

}  // namespace

Result<std::vector<TraceSummary>> SummarizeTraces(const SpanStore& store,
                                                  std::string_view project) {
  std::unordered_map<TraceId, TraceSummary, TraceIdHash> traces;
  ScanRequest request;
  request.project = std::string(project);
  request.columns = {Column::kStart,   Column::kDuration,     Column::kKind,
                     Column::kSession, Column::kPromptTokens, Column::kCompletionTokens,
                     Column::kTraceId};
  Status s = store.Scan(request, [&](const ColumnView& v) {
    for (size_t r = 0; r < v.rows; ++r) {
      TraceId id;
      std::memcpy(id.bytes.data(), v.trace_id + 16 * r, 16);
      TraceSummary& t = traces[id];
      t.trace_id = id;
      const int64_t start = v.start[r];
      AddSpan(&t, start, start + v.duration[r], v.kind[r] == static_cast<uint8_t>(SpanKind::kLlm),
              v.prompt_tokens[r], v.completion_tokens[r]);
      const uint32_t session = v.session[r];
      if (session != 0 && (t.session == 0 || session < t.session)) t.session = session;
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  std::vector<TraceSummary> out;
  out.reserve(traces.size());
  for (auto& [id, t] : traces) out.push_back(t);
  return out;
}

TraceSummary SummarizeSpans(const std::vector<Span>& spans) {
  assert(!spans.empty());
  TraceSummary t;
  t.trace_id = spans.front().trace_id;
  for (const Span& s : spans) {
    AddSpan(&t, s.start_unix_nano, s.end_unix_nano, s.kind == SpanKind::kLlm,
            static_cast<uint64_t>(std::max<int64_t>(s.prompt_tokens, 0)),
            static_cast<uint64_t>(std::max<int64_t>(s.completion_tokens, 0)));
  }
  return t;
}

}  // namespace roost::query
