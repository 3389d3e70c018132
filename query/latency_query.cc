#include "query/latency_query.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>

#include "query/internal/flat_index.h"
#include "query/internal/span_matcher.h"
#include "query/quantile.h"
#include "storage/span_store.h"

namespace roost::query {
namespace {

constexpr double kNanosPerMilli = 1e6;

// What one group collects during the scan. Durations are kept (in ms) for exact quantiles;
// with a step, `bucket_of[i]` is the bucket slot of durations_ms[i].
struct GroupState {
  uint32_t key = 0;
  uint64_t error_count = 0;
  double sum_ms = 0;
  int64_t max_ns = 0;
  std::vector<double> durations_ms;
  std::vector<uint32_t> bucket_of;
  FlatIndex bucket_index;              // bucket start -> slot
  std::vector<int64_t> bucket_starts;  // slot -> bucket start
};

Status Validate(const LatencyRequest& request) {
  for (double q : request.quantiles) {
    if (!(q >= 0 && q <= 1)) {
      return Status::InvalidArgument("latency: quantile " + std::to_string(q) +
                                     " is outside [0, 1]");
    }
  }
  if (request.step_nanos < 0) {
    return Status::InvalidArgument("latency: step " + std::to_string(request.step_nanos) +
                                   " ns is negative");
  }
  return Status::OK();
}

// Scans the matching rows into `groups` (slot per group key in `group_index`).
Status Collect(const SpanStore& store, const LatencyRequest& request, const SpanMatcher& m,
               FlatIndex& group_index, std::vector<GroupState>& groups) {
  ScanRequest scan;
  scan.project = request.filter.project;
  scan.from_unix_nano = request.filter.from;
  scan.to_unix_nano = request.filter.to;
  scan.columns = m.Columns();
  scan.columns.Add(Column::kDuration);
  scan.columns.Add(Column::kStatus);
  const int64_t step = request.step_nanos;
  return store.Scan(scan, [&](const ColumnView& v) {
    for (size_t r = 0; r < v.rows; ++r) {
      if (!m.Matches(v, r)) continue;
      const uint32_t slot = group_index.SlotOf(m.KeyOf(v, r));
      if (slot == groups.size()) groups.emplace_back().key = m.KeyOf(v, r);
      GroupState& g = groups[slot];
      const int64_t ns = v.duration[r];
      const double ms = static_cast<double>(ns) / kNanosPerMilli;
      g.durations_ms.push_back(ms);
      g.sum_ms += ms;
      g.max_ns = std::max(g.max_ns, ns);
      if (v.status[r] == static_cast<uint8_t>(StatusCode::kError)) g.error_count++;
      if (step > 0) {
        const int64_t start = BucketStart(v.start[r], step);
        const uint32_t b = g.bucket_index.SlotOf(static_cast<uint64_t>(start));
        if (b == g.bucket_starts.size()) g.bucket_starts.push_back(start);
        g.bucket_of.push_back(b);
      }
    }
    return Status::OK();
  });
}

// Turns the collected durations of one group into its buckets: a counting sort by bucket slot
// into `scratch`, then exact quantiles over each bucket's slice.
std::vector<LatencyBucket> MakeBuckets(const GroupState& g, const std::vector<double>& qs,
                                       std::vector<double>& scratch) {
  const size_t slots = g.bucket_starts.size();
  std::vector<size_t> offset(slots + 1, 0);
  for (uint32_t slot : g.bucket_of) offset[slot + 1]++;
  for (size_t s = 0; s < slots; ++s) offset[s + 1] += offset[s];
  scratch.resize(g.durations_ms.size());
  std::vector<size_t> next(offset.begin(), offset.end() - 1);
  for (size_t i = 0; i < g.durations_ms.size(); ++i) {
    scratch[next[g.bucket_of[i]]++] = g.durations_ms[i];
  }
  std::vector<LatencyBucket> buckets(slots);
  for (size_t s = 0; s < slots; ++s) {
    LatencyBucket& b = buckets[s];
    b.start_unix_nano = g.bucket_starts[s];
    b.count = offset[s + 1] - offset[s];
    b.quantiles_ms = ExactQuantiles(std::span<double>(scratch.data() + offset[s], b.count), qs);
  }
  std::sort(buckets.begin(), buckets.end(), [](const LatencyBucket& a, const LatencyBucket& b) {
    return a.start_unix_nano < b.start_unix_nano;
  });
  return buckets;
}

LatencyGroup Finish(GroupState& g, const LatencyRequest& request, std::vector<double>& scratch) {
  LatencyGroup out;
  out.count = g.durations_ms.size();
  out.error_count = g.error_count;
  if (out.count > 0) {
    out.mean_ms = g.sum_ms / static_cast<double>(out.count);
    out.max_ms = static_cast<double>(g.max_ns) / kNanosPerMilli;
  }
  if (request.step_nanos > 0) out.buckets = MakeBuckets(g, request.quantiles, scratch);
  // Last: selection reorders durations_ms, which MakeBuckets reads in scan order.
  out.quantiles_ms = ExactQuantiles(g.durations_ms, request.quantiles);
  return out;
}

}  // namespace

Result<std::vector<LatencyGroup>> RunLatency(const SpanStore& store,
                                             const LatencyRequest& request) {
  if (Status s = Validate(request); !s.ok()) return s;
  Result<SpanMatcher> matcher = SpanMatcher::Make(store, request.filter, request.group_by);
  if (!matcher.ok()) return matcher.status();
  const SpanMatcher& m = *matcher;

  FlatIndex group_index;  // group key -> slot in `groups`
  std::vector<GroupState> groups;
  if (request.group_by == GroupBy::kNone) {
    group_index.SlotOf(0);
    groups.emplace_back();
  }
  if (!m.MatchesNothing()) {
    if (Status s = Collect(store, request, m, group_index, groups); !s.ok()) return s;
  }

  std::vector<LatencyGroup> out;
  out.reserve(groups.size());
  std::vector<double> scratch;
  for (GroupState& g : groups) {
    Result<std::optional<std::string>> key = m.KeyName(store, g.key);
    if (!key.ok()) return key.status();
    out.push_back(Finish(g, request, scratch));
    out.back().key = std::move(*key);
    g = GroupState();  // release the durations early
  }
  SortByKey(out);
  return out;
}

}  // namespace roost::query
