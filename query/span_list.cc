#include "query/span_list.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <queue>
#include <variant>

#include "query/internal/span_matcher.h"
#include "storage/span_store.h"

namespace roost::query {
namespace {

constexpr int64_t kHourNanos = int64_t{3600} * 1'000'000'000;
constexpr std::string_view kCursorPrefix = "v1";
constexpr size_t kCursorBytes = 8 + 16 + 8;

// A span's listing position.
struct ListKey {
  int64_t start = 0;
  std::array<uint8_t, 16> trace{};
  std::array<uint8_t, 8> span{};
};

// True when `a` is listed before `b`: newer start first, then trace id, then span id ascending.
bool Before(const ListKey& a, const ListKey& b) {
  if (a.start != b.start) return a.start > b.start;
  if (a.trace != b.trace) return a.trace < b.trace;
  return a.span < b.span;
}

ListKey KeyAt(const ColumnView& v, size_t r) {
  ListKey k;
  k.start = v.start[r];
  std::memcpy(k.trace.data(), v.trace_id + 16 * r, 16);
  std::memcpy(k.span.data(), v.span_id + 8 * r, 8);
  return k;
}

std::string EncodeCursor(const ListKey& k) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<uint8_t, kCursorBytes> raw{};
  const auto start = static_cast<uint64_t>(k.start);
  for (int i = 0; i < 8; ++i) raw[i] = static_cast<uint8_t>(start >> (56 - 8 * i));
  std::memcpy(raw.data() + 8, k.trace.data(), 16);
  std::memcpy(raw.data() + 24, k.span.data(), 8);
  std::string out(kCursorPrefix);
  for (uint8_t b : raw) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

Result<ListKey> DecodeCursor(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("bad parameter cursor: '" + std::string(text.substr(0, 80)) +
                                   "' is not a cursor this server returned");
  };
  if (text.size() != kCursorPrefix.size() + 2 * kCursorBytes || !text.starts_with(kCursorPrefix)) {
    return bad();
  }
  std::array<uint8_t, kCursorBytes> raw{};
  for (size_t i = 0; i < kCursorBytes; ++i) {
    const int hi = HexDigit(text[kCursorPrefix.size() + 2 * i]);
    const int lo = HexDigit(text[kCursorPrefix.size() + 2 * i + 1]);
    if (hi < 0 || lo < 0) return bad();
    raw[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  uint64_t start = 0;
  for (int i = 0; i < 8; ++i) start = start << 8 | raw[i];
  ListKey k;
  k.start = static_cast<int64_t>(start);
  std::memcpy(k.trace.data(), raw.data() + 8, 16);
  std::memcpy(k.span.data(), raw.data() + 24, 8);
  return k;
}

Status Validate(const SpanListRequest& request) {
  if (request.limit < 1 || request.limit > kMaxSpanListLimit) {
    return Status::InvalidArgument("bad parameter limit: " + std::to_string(request.limit) +
                                   " is outside 1.." + std::to_string(kMaxSpanListLimit));
  }
  if (request.trace_ids.size() > kMaxSpanListIds) {
    return Status::InvalidArgument("bad parameter trace_id: more than " +
                                   std::to_string(kMaxSpanListIds) + " ids");
  }
  if (request.span_ids.size() > kMaxSpanListIds) {
    return Status::InvalidArgument("bad parameter span_id: more than " +
                                   std::to_string(kMaxSpanListIds) + " ids");
  }
  if (request.attributes.size() > kMaxSpanListAttributes) {
    return Status::InvalidArgument("bad parameter attribute: more than " +
                                   std::to_string(kMaxSpanListAttributes) + " filters");
  }
  return Status::OK();
}

bool AttributesMatch(const Span& span, const SpanListRequest& request) {
  return query::AttributesMatch(span, request.attributes) &&
         query::AttributesMatch(span, request.filter.attributes) &&
         (!request.span_filter || request.span_filter(span));
}

// The any-of sets (kinds, names, statuses), on the columns.
class SetFilter {
 public:
  // Resolves the names to dictionary ids; unknown names are dropped.
  static Result<SetFilter> Make(const SpanStore& store, const SpanListRequest& r) {
    SetFilter f;
    for (SpanKind k : r.kinds) f.kinds_.push_back(static_cast<uint8_t>(k));
    for (StatusCode c : r.statuses) f.statuses_.push_back(static_cast<uint8_t>(c));
    f.any_names_ = r.names.empty();
    for (const std::string& n : r.names) {
      Result<uint32_t> id = store.DictionaryId(DictKind::kName, n);
      if (id.ok()) {
        f.names_.push_back(*id);
      } else if (!id.status().IsNotFound()) {
        return id.status();
      }
    }
    std::sort(f.names_.begin(), f.names_.end());
    return f;
  }

  // True when no span can match (only unknown names listed).
  bool MatchesNothing() const { return !any_names_ && names_.empty(); }

  void AddColumns(ColumnSet& c) const {
    if (!kinds_.empty()) c.Add(Column::kKind);
    if (!statuses_.empty()) c.Add(Column::kStatus);
    if (!any_names_) c.Add(Column::kName);
  }

  bool Matches(const ColumnView& v, size_t r) const {
    if (!kinds_.empty() && std::find(kinds_.begin(), kinds_.end(), v.kind[r]) == kinds_.end()) {
      return false;
    }
    if (!statuses_.empty() &&
        std::find(statuses_.begin(), statuses_.end(), v.status[r]) == statuses_.end()) {
      return false;
    }
    return any_names_ || std::binary_search(names_.begin(), names_.end(), v.name[r]);
  }

 private:
  std::vector<uint8_t> kinds_;
  std::vector<uint8_t> statuses_;
  std::vector<uint32_t> names_;
  bool any_names_ = true;
};

// The id and parent filters, on the columns.
class IdFilter {
 public:
  explicit IdFilter(const SpanListRequest& r) : parent_(r.parent), parent_id_(r.parent_span_id) {
    for (const TraceId& t : r.trace_ids) traces_.push_back(t.bytes);
    for (const SpanId& s : r.span_ids) spans_.push_back(s.bytes);
    std::sort(traces_.begin(), traces_.end());
    std::sort(spans_.begin(), spans_.end());
  }

  void AddColumns(ColumnSet& c) const {
    if (parent_ != ParentFilter::kAny) c.Add(Column::kParentSpanId);
  }

  bool Matches(const ColumnView& v, size_t r, const ListKey& k) const {
    if (!traces_.empty() && !std::binary_search(traces_.begin(), traces_.end(), k.trace)) {
      return false;
    }
    if (!spans_.empty() && !std::binary_search(spans_.begin(), spans_.end(), k.span)) {
      return false;
    }
    if (parent_ == ParentFilter::kAny) return true;
    std::array<uint8_t, 8> parent{};
    std::memcpy(parent.data(), v.parent_span_id + 8 * r, 8);
    if (parent_ == ParentFilter::kRootsOnly) return parent == std::array<uint8_t, 8>{};
    return parent == parent_id_.bytes;
  }

 private:
  ParentFilter parent_;
  SpanId parent_id_;
  std::vector<std::array<uint8_t, 16>> traces_;
  std::vector<std::array<uint8_t, 8>> spans_;
};

// The `capacity` first keys in listing order among those offered. Top is the last of them.
class TopKeys {
 public:
  explicit TopKeys(size_t capacity) : capacity_(capacity) {}

  bool full() const { return heap_.size() >= capacity_; }
  // Whether Offer(k) would keep k.
  bool Competes(const ListKey& k) const { return !full() || Before(k, heap_.top()); }
  void Offer(const ListKey& k) {
    if (!full()) {
      heap_.push(k);
    } else if (Before(k, heap_.top())) {
      heap_.pop();
      heap_.push(k);
    }
  }
  // The kept keys in listing order; empties this.
  std::vector<ListKey> Take() {
    std::vector<ListKey> out;
    while (!heap_.empty()) {
      out.push_back(heap_.top());
      heap_.pop();
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

 private:
  struct Cmp {
    bool operator()(const ListKey& a, const ListKey& b) const { return Before(a, b); }
  };
  size_t capacity_;
  std::priority_queue<ListKey, std::vector<ListKey>, Cmp> heap_;
};

// Everything one ListSpans call shares across its window scans.
struct Lister {
  const SpanStore& store;
  const SpanListRequest& request;
  const SpanMatcher& matcher;
  const SetFilter& sets;
  IdFilter ids;
  std::optional<ListKey> cursor;
  TopKeys top;

  // Offers the matching rows of [lo, hi) to `top`.
  Status ScanWindow(int64_t lo, int64_t hi) {
    ScanRequest scan;
    scan.project = request.filter.project;
    scan.from_unix_nano = lo;
    scan.to_unix_nano = hi;
    scan.columns = matcher.Columns();
    scan.columns.Add(Column::kTraceId);
    scan.columns.Add(Column::kSpanId);
    ids.AddColumns(scan.columns);
    sets.AddColumns(scan.columns);
    const bool read_records =
        !request.attributes.empty() || !request.filter.attributes.empty() || request.span_filter;
    std::vector<uint32_t> rows;
    std::vector<ListKey> keys;
    return store.Scan(scan, [&](const ColumnView& v) -> Status {
      rows.clear();
      keys.clear();
      for (size_t r = 0; r < v.rows; ++r) {
        const int64_t start = v.start[r];
        if (start < lo || start >= hi || !matcher.Matches(v, r)) continue;
        const ListKey k = KeyAt(v, r);
        if (cursor && !Before(*cursor, k)) continue;
        if (!top.Competes(k) || !ids.Matches(v, r, k) || !sets.Matches(v, r)) continue;
        if (!read_records) {
          top.Offer(k);
        } else {
          rows.push_back(static_cast<uint32_t>(r));
          keys.push_back(k);
        }
      }
      if (rows.empty()) return Status::OK();
      Result<std::vector<Span>> spans = store.ReadSpans(v, rows);
      if (!spans.ok()) return spans.status();
      for (size_t i = 0; i < rows.size(); ++i) {
        if (AttributesMatch((*spans)[i], request)) top.Offer(keys[i]);
      }
      return Status::OK();
    });
  }
};

// The whole spans behind `keys` (listing order kept); spans gone meanwhile are left out.
Result<std::vector<Span>> ReadPage(const SpanStore& store, const std::string& project,
                                   const std::vector<ListKey>& keys) {
  std::vector<std::optional<Span>> slots(keys.size());
  if (keys.empty()) return std::vector<Span>();
  ScanRequest scan;
  scan.project = project;
  scan.from_unix_nano = keys.back().start;
  scan.to_unix_nano = keys.front().start + 1;
  scan.columns = {Column::kStart, Column::kTraceId, Column::kSpanId};
  std::vector<uint32_t> rows;
  std::vector<size_t> slot_of;
  Status s = store.Scan(scan, [&](const ColumnView& v) -> Status {
    rows.clear();
    slot_of.clear();
    for (size_t r = 0; r < v.rows; ++r) {
      const int64_t start = v.start[r];
      if (start < scan.from_unix_nano || start >= scan.to_unix_nano) continue;
      const ListKey k = KeyAt(v, r);
      auto it = std::lower_bound(keys.begin(), keys.end(), k, Before);
      if (it == keys.end() || Before(k, *it)) continue;
      const size_t slot = static_cast<size_t>(it - keys.begin());
      if (slots[slot]) continue;
      rows.push_back(static_cast<uint32_t>(r));
      slot_of.push_back(slot);
    }
    if (rows.empty()) return Status::OK();
    Result<std::vector<Span>> spans = store.ReadSpans(v, rows);
    if (!spans.ok()) return spans.status();
    for (size_t i = 0; i < rows.size(); ++i) slots[slot_of[i]] = std::move((*spans)[i]);
    return Status::OK();
  });
  if (!s.ok()) return s;
  std::vector<Span> out;
  out.reserve(keys.size());
  for (std::optional<Span>& span : slots) {
    if (span) out.push_back(std::move(*span));
  }
  return out;
}

// The start range [lo, hi) worth scanning: the filter's, cut to the project's stored range and
// to the cursor. nullopt when empty or the project holds nothing.
Result<std::optional<std::pair<int64_t, int64_t>>> ScanBounds(const SpanStore& store,
                                                              const QueryFilter& f,
                                                              const std::optional<ListKey>& c) {
  using Bounds = std::optional<std::pair<int64_t, int64_t>>;
  Result<std::vector<ProjectSummary>> projects = store.ListProjects();
  if (!projects.ok()) return projects.status();
  for (const ProjectSummary& p : *projects) {
    if (p.name != f.project || p.span_count == 0) continue;
    const int64_t lo = std::max(f.from, p.first_start);
    int64_t hi = std::min(f.to, p.last_start + 1);
    if (c && c->start < std::numeric_limits<int64_t>::max()) hi = std::min(hi, c->start + 1);
    if (lo >= hi) return Bounds();
    return Bounds(std::make_pair(lo, hi));
  }
  return Bounds();
}

}  // namespace

Result<SpanListPage> ListSpans(const SpanStore& store, const SpanListRequest& request) {
  if (Status s = Validate(request); !s.ok()) return s;
  std::optional<ListKey> cursor;
  if (!request.cursor.empty()) {
    Result<ListKey> c = DecodeCursor(request.cursor);
    if (!c.ok()) return c.status();
    cursor = *c;
  }
  SpanListPage page;
  Result<SpanMatcher> matcher = SpanMatcher::Make(store, request.filter, GroupBy::kNone);
  if (!matcher.ok()) return matcher.status();
  if (matcher->MatchesNothing()) return page;
  Result<SetFilter> sets = SetFilter::Make(store, request);
  if (!sets.ok()) return sets.status();
  if (sets->MatchesNothing()) return page;
  Result<std::optional<std::pair<int64_t, int64_t>>> bounds =
      ScanBounds(store, request.filter, cursor);
  if (!bounds.ok()) return bounds.status();
  if (!*bounds) return page;
  const auto [lo_limit, hi_limit] = **bounds;

  // One more than a page, to know whether a next page exists. Windows go back in time; once a
  // window leaves `top` full, every older span sorts after all it holds.
  Lister lister{
      store, request, *matcher, *sets, IdFilter(request), cursor, TopKeys(request.limit + 1)};
  uint64_t width = kHourNanos;
  for (int64_t hi = hi_limit;;) {
    const bool last = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo_limit) <= width;
    const int64_t lo = last ? lo_limit : hi - static_cast<int64_t>(width);
    if (Status s = lister.ScanWindow(lo, hi); !s.ok()) return s;
    if (last || lister.top.full()) break;
    hi = lo;
    width = std::min<uint64_t>(width * 4, uint64_t{1} << 62);
  }

  std::vector<ListKey> keys = lister.top.Take();
  const bool more = keys.size() > request.limit;
  if (more) keys.resize(request.limit);
  Result<std::vector<Span>> spans = ReadPage(store, request.filter.project, keys);
  if (!spans.ok()) return spans.status();
  page.spans = std::move(*spans);
  if (more) page.next_cursor = EncodeCursor(keys.back());
  return page;
}

std::string SpanListCursor(const Span& span) {
  ListKey k;
  k.start = span.start_unix_nano;
  k.trace = span.trace_id.bytes;
  k.span = span.span_id.bytes;
  return EncodeCursor(k);
}

}  // namespace roost::query
