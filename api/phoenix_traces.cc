#include <algorithm>
#include <charconv>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "api/phoenix_json.h"
#include "api/phoenix_listing.h"
#include "api/phoenix_params.h"
#include "query/trace_summary.h"
#include "storage/column_view.h"
#include "storage/span_store.h"

namespace roost::api::phoenix {
namespace {

using nlohmann::ordered_json;
using query::TraceSummary;

constexpr std::string_view kTraceCursorType = "TraceCursor";

// A position in a trace listing: the sort key and the trace id of the first trace of a page.
struct TracePosition {
  int64_t key = 0;
  TraceId trace_id;
  auto operator<=>(const TracePosition&) const = default;
};

int64_t SortKey(const TraceSummary& t, bool by_latency) {
  return by_latency ? t.latency_nanos() : t.start_unix_nano;
}

std::string EncodeCursor(const std::string& sort, const TracePosition& p) {
  return GlobalId(kTraceCursorType, sort + ":" + std::to_string(p.key) + ":" + p.trace_id.ToHex());
}

// nullopt unless `text` is a cursor EncodeCursor made for the same sort.
std::optional<TracePosition> DecodeCursor(const std::string& text, const std::string& sort) {
  auto gid = ParseGlobalId(text);
  if (!gid || gid->first != kTraceCursorType) return std::nullopt;
  const std::string& node = gid->second;
  const size_t a = node.find(':');
  const size_t b = a == std::string::npos ? a : node.find(':', a + 1);
  if (b == std::string::npos || node.substr(0, a) != sort) return std::nullopt;
  TracePosition p;
  const char* first = node.data() + a + 1;
  const char* last = node.data() + b;
  auto [ptr, ec] = std::from_chars(first, last, p.key);
  if (ec != std::errc() || ptr != last) return std::nullopt;
  Result<TraceId> id = TraceId::FromHex(std::string_view(node).substr(b + 1));
  if (!id.ok()) return std::nullopt;
  p.trace_id = *id;
  return p;
}

// The session dictionary ids that `identifiers` (session.id values or ProjectSession global
// ids of the project) name; unknown ones are left out.
std::set<uint32_t> SessionFilter(const SpanStore& store, uint32_t project_id,
                                 const std::vector<std::string>& identifiers) {
  std::set<uint32_t> out;
  for (const std::string& v : identifiers) {
    if (auto gid = ParseGlobalId(v); gid && gid->first == kSessionType) {
      std::optional<uint64_t> id = ParseDecimal(gid->second);
      if (id && (*id >> 32) == project_id) out.insert(static_cast<uint32_t>(*id & 0xffffffffu));
      continue;
    }
    Result<uint32_t> id = store.DictionaryId(DictKind::kSession, v);
    if (id.ok() && *id != 0) out.insert(*id);
  }
  return out;
}

// The spans of one trace in `project`, start order, as TraceSpanData objects.
Result<ordered_json> TraceSpans(const SpanStore& store, const TraceId& id,
                                const std::string& project) {
  ordered_json out = ordered_json::array();
  Result<std::vector<Span>> spans = store.GetTrace(id);
  if (!spans.ok()) {
    // Retention may have removed the trace since the scan: list it without spans.
    if (spans.status().IsNotFound()) return out;
    return spans.status();
  }
  for (const Span& s : *spans) {
    if (s.project == project) out.push_back(TraceSpanJson(s));
  }
  return out;
}

struct TraceParams {
  std::optional<int64_t> start;
  std::optional<int64_t> end;
  std::string sort;
  bool desc = true;
  size_t limit = kDefaultLimit;
  std::optional<TracePosition> cursor;
  bool include_spans = false;
  std::optional<std::vector<std::string>> sessions;
};

Result<TraceParams> ParseTraceParams(const Request& request) {
  TraceParams p;
  Result<std::optional<int64_t>> start = Time(request, "start_time");
  if (!start.ok()) return start.status();
  Result<std::optional<int64_t>> end = Time(request, "end_time");
  if (!end.ok()) return end.status();
  Result<std::string> sort = Choice(request, "sort", {"start_time", "latency_ms"}, "start_time");
  if (!sort.ok()) return sort.status();
  Result<std::string> order = Choice(request, "order", {"asc", "desc"}, "desc");
  if (!order.ok()) return order.status();
  Result<size_t> limit = Limit(request, kDefaultLimit, kMaxPageLimit);
  if (!limit.ok()) return limit.status();
  Result<bool> include_spans = Bool(request, "include_spans", false);
  if (!include_spans.ok()) return include_spans.status();
  Result<std::vector<std::string>> sessions = Values(request, "session_identifier");
  if (!sessions.ok()) return sessions.status();
  p.start = *start;
  p.end = *end;
  p.sort = *sort;
  p.desc = *order == "desc";
  p.limit = *limit;
  p.include_spans = *include_spans;
  if (!sessions->empty()) p.sessions = std::move(*sessions);
  if (std::optional<std::string> text = Value(request, "cursor"); text && !text->empty()) {
    p.cursor = DecodeCursor(*text, p.sort);
    if (!p.cursor) {
      return Status::InvalidArgument("cursor: not a trace cursor for sort=" + p.sort + ": '" +
                                     *text + "'");
    }
  }
  return p;
}

}  // namespace

Response HandleTraces(const Request& request, const SpanStore& store, const std::string& project,
                      uint32_t project_id) {
  Result<TraceParams> p = ParseTraceParams(request);
  if (!p.ok()) return StatusResponse(p.status());
  Result<std::vector<TraceSummary>> traces = query::SummarizeTraces(store, project);
  if (!traces.ok()) return StatusResponse(traces.status());
  std::optional<std::set<uint32_t>> sessions;
  if (p->sessions) sessions = SessionFilter(store, project_id, *p->sessions);
  const bool by_latency = p->sort == "latency_ms";
  std::vector<std::pair<TracePosition, const TraceSummary*>> rows;
  for (const TraceSummary& t : *traces) {
    if (p->start && t.start_unix_nano < *p->start) continue;
    if (p->end && t.start_unix_nano >= *p->end) continue;
    if (sessions && sessions->count(t.session) == 0) continue;
    TracePosition pos{SortKey(t, by_latency), t.trace_id};
    if (p->cursor && (p->desc ? pos > *p->cursor : pos < *p->cursor)) continue;
    rows.emplace_back(pos, &t);
  }
  // Only the page and the first row after it need ordering.
  const size_t wanted = std::min(rows.size(), p->limit + 1);
  auto less = [desc = p->desc](const auto& a, const auto& b) {
    return desc ? a.first > b.first : a.first < b.first;
  };
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(wanted), rows.end(),
                    less);
  ordered_json data = ordered_json::array();
  std::optional<std::string> next;
  for (size_t i = 0; i < wanted; ++i) {
    if (i == p->limit) {
      next = EncodeCursor(p->sort, rows[i].first);
      break;
    }
    std::optional<ordered_json> spans;
    if (p->include_spans) {
      Result<ordered_json> list = TraceSpans(store, rows[i].second->trace_id, project);
      if (!list.ok()) return StatusResponse(list.status());
      spans = std::move(*list);
    }
    data.push_back(TraceJson(*rows[i].second, project_id, std::move(spans)));
  }
  return PageResponse(std::move(data), next);
}

}  // namespace roost::api::phoenix
