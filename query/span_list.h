#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "query/query_types.h"
#include "storage/result.h"
#include "storage/span.h"

namespace roost {
class SpanStore;
}  // namespace roost

namespace roost::query {

// Which spans ListSpans keeps by their parent.
enum class ParentFilter {
  kAny,        // every span
  kRootsOnly,  // spans without a parent span id
  kChildOf,    // spans whose parent is SpanListRequest::parent_span_id
};

// Page sizes of ListSpans.
inline constexpr size_t kDefaultSpanListLimit = 100;
inline constexpr size_t kMaxSpanListLimit = 1000;
// Bounds on the lists a request may carry (trace ids, span ids, attribute filters).
inline constexpr size_t kMaxSpanListIds = 1000;
inline constexpr size_t kMaxSpanListAttributes = 32;

// One page request of ListSpans. Every set filter must match (AND); within `trace_ids` and
// within `span_ids` any listed id matches (OR). Empty lists match everything.
struct SpanListRequest {
  // Project, [from, to) on start, kind, name, model, status, as for the other queries.
  QueryFilter filter;
  std::vector<TraceId> trace_ids;
  std::vector<SpanId> span_ids;
  ParentFilter parent = ParentFilter::kAny;
  SpanId parent_span_id;  // with ParentFilter::kChildOf
  // key=value pairs matched against the stored attributes of each span (read from the records,
  // so slower than the column filters). A value matches a string attribute equal to it, a bool
  // spelled "true"/"false", an integer in decimal, a double whose shortest round-trip form
  // (std::to_chars) equals it, or an array with an element that matches so.
  std::vector<std::pair<std::string, std::string>> attributes;
  // Any-of sets on the columns (a span matches when its kind, name, status is one listed; AND
  // with every other filter); empty matches everything. Names the store never saw match
  // nothing. (Phoenix's repeatable span_kind, name and status_code parameters.)
  std::vector<SpanKind> kinds;
  std::vector<std::string> names;
  std::vector<StatusCode> statuses;
  // An extra test on each whole span, read from the records like `attributes`; empty: none.
  // Called from the calling thread only.
  std::function<bool(const Span&)> span_filter;
  // Spans per page, 1..kMaxSpanListLimit.
  size_t limit = kDefaultSpanListLimit;
  // Empty for the first page; else a SpanListPage::next_cursor from an earlier page of a request
  // with the same filters (a cursor carries only a position, not the filters).
  std::string cursor;
};

struct SpanListPage {
  // Whole spans (records read from storage), in listing order.
  std::vector<Span> spans;
  // Where the next page starts; nullopt when no span after this page existed when it was read.
  std::optional<std::string> next_cursor;
};

// Lists the spans matching `request`, newest first, one page at a time.
//
// Order: by start time descending, then trace id ascending, then span id ascending (bytes
// compared). (trace id, span id) is unique in a store and a stored span never changes, so this
// is a total order in which every span keeps its position forever. A cursor is the
// (start, trace id, span id) of the last span of a page, and the next page lists the spans
// strictly after that position.
//
// Guarantee while ingest continues (spans may arrive with any start time, older than the cursor
// position too): paging from the first page until next_cursor is null returns every span that
// matched the filters and was stored (its Write returned) before the first page was requested
// exactly once, and never returns a span twice. A span stored during the paging appears if and
// only if its position lies after the cursor of the page read after its Write returned (so
// never when it sorts before a position already passed). Spans removed by retention meanwhile
// are simply missing. Pages end when next_cursor is null; it is non-null only when at least one
// more matching span existed when the page was read, so the loop ends after at most
// (spans stored) / limit + 1 pages once ingest stops.
//
// Cost: reads the start, id and filter columns newest time window first (windows growing 4x
// from an hour), so the first pages touch only recent blocks; records are read only for the
// spans of the page (and, with attribute filters, for candidates passing the column filters).
//
// kInvalidArgument naming `limit` (outside 1..kMaxSpanListLimit), `cursor` (not one this
// function made), `trace_id`/`span_id` (more than kMaxSpanListIds) or `attribute` (more than
// kMaxSpanListAttributes). An unknown project, name or model, or an empty time range gives an
// empty page. Scan and record read errors (kCorruption, kIOError) are passed on. Thread-safe.
[[nodiscard]] Result<SpanListPage> ListSpans(const SpanStore& store,
                                             const SpanListRequest& request);

// The listing position of a span, as a cursor: ListSpans continues after it. Lets a caller
// resume after a span it got some other way.
[[nodiscard]] std::string SpanListCursor(const Span& span);

}  // namespace roost::query
