#include "query/session_query.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>
#include <utility>

#include "query/cost_query.h"
#include "query/internal/flat_index.h"
#include "query/internal/row_cost.h"
#include "query/internal/span_matcher.h"
#include "query/quantile.h"
#include "storage/span_store.h"

namespace roost::query {
namespace {

constexpr double kNanosPerMilli = 1e6;

struct SessionState {
  uint32_t session = 0;  // dictionary id
  SessionStats stats;
  int64_t cost_nanos = 0;  // exact, as RunCost sums it
  std::vector<double> durations_ms;
  std::unordered_set<uint64_t> traces;  // 64-bit digests of the trace ids
};

uint64_t TraceDigest(const uint8_t* id) {
  uint64_t a = 0;
  uint64_t b = 0;
  std::memcpy(&a, id, 8);
  std::memcpy(&b, id + 8, 8);
  return a ^ (b * 0x9E3779B97F4A7C15ULL);
}

void Add(const ColumnView& v, size_t r, PriceCache& prices, SessionState& s) {
  SessionStats& st = s.stats;
  const int64_t start = v.start[r];
  if (st.span_count == 0 || start < st.first_start) st.first_start = start;
  if (st.span_count == 0 || start > st.last_start) st.last_start = start;
  st.span_count++;
  st.prompt_tokens += v.prompt_tokens[r];
  st.completion_tokens += v.completion_tokens[r];
  st.total_tokens += v.total_tokens[r];
  s.cost_nanos += CostOfRow(v, r, prices).nanos;
  if (v.status[r] == static_cast<uint8_t>(StatusCode::kError)) st.error_count++;
  s.durations_ms.push_back(static_cast<double>(v.duration[r]) / kNanosPerMilli);
  s.traces.insert(TraceDigest(v.trace_id + 16 * r));
}

}  // namespace

Result<std::vector<SessionStats>> ListSessionStats(const SpanStore& store,
                                                   const SessionListRequest& request) {
  if (request.limit < 1 || request.limit > kMaxSessionListLimit) {
    return Status::InvalidArgument("bad parameter limit: " + std::to_string(request.limit) +
                                   " is outside 1.." + std::to_string(kMaxSessionListLimit));
  }
  Result<SpanMatcher> matcher = SpanMatcher::Make(store, request.filter, GroupBy::kSession);
  if (!matcher.ok()) return matcher.status();
  const SpanMatcher& m = *matcher;
  std::vector<SessionState> sessions;
  if (!m.MatchesNothing()) {
    FlatIndex index;  // session dictionary id -> slot in `sessions`
    ScanRequest scan;
    scan.project = request.filter.project;
    scan.from_unix_nano = request.filter.from;
    scan.to_unix_nano = request.filter.to;
    scan.columns = m.Columns();
    for (Column c : {Column::kDuration, Column::kStatus, Column::kTraceId}) scan.columns.Add(c);
    AddRowCostColumns(scan.columns);
    PriceCache prices(store, request.pricing != nullptr ? *request.pricing : BuiltInPricing());
    Status s = store.Scan(scan, [&](const ColumnView& v) {
      Status matched = m.ForEachMatch(store, v, [&](size_t r, uint32_t session) {
        if (session == 0) return;
        const uint32_t slot = index.SlotOf(session);
        if (slot == sessions.size()) sessions.emplace_back().session = session;
        Add(v, r, prices, sessions[slot]);
      });
      if (!matched.ok()) return matched;
      return prices.status();
    });
    if (!s.ok()) return s;
  }
  std::sort(sessions.begin(), sessions.end(), [](const SessionState& a, const SessionState& b) {
    return a.stats.last_start > b.stats.last_start;
  });
  // Ties on last_start are ordered by session id below, so keep every session tied with the last.
  size_t keep = std::min(request.limit, sessions.size());
  while (keep < sessions.size() &&
         sessions[keep].stats.last_start == sessions[keep - 1].stats.last_start) {
    ++keep;
  }
  std::vector<SessionStats> out;
  out.reserve(keep);
  static constexpr double kP50[] = {0.5};
  for (size_t i = 0; i < keep; ++i) {
    SessionState& st = sessions[i];
    Result<std::string> id = store.DictionaryString(DictKind::kSession, st.session);
    if (!id.ok()) return id.status();
    st.stats.session_id = std::move(*id);
    st.stats.trace_count = st.traces.size();
    st.stats.cost_usd = static_cast<double>(st.cost_nanos) / kNanosPerUsd;
    st.stats.p50_ms = ExactQuantiles(st.durations_ms, kP50)[0];
    out.push_back(std::move(st.stats));
  }
  std::sort(out.begin(), out.end(), [](const SessionStats& a, const SessionStats& b) {
    return a.last_start != b.last_start ? a.last_start > b.last_start : a.session_id < b.session_id;
  });
  if (out.size() > request.limit) out.resize(request.limit);
  return out;
}

}  // namespace roost::query
