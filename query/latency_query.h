#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "query/query_types.h"
#include "storage/result.h"

namespace roost {
class SpanStore;
}  // namespace roost

namespace roost::query {

struct LatencyRequest {
  QueryFilter filter;
  GroupBy group_by = GroupBy::kNone;
  std::string group_attribute;  // the attribute key for GroupBy::kAttribute
  // Answer quantiles from DDSketches (relative error at most 1%, in fact 0.5%) instead of
  // exact selection: blocks wholly inside the range are read from their rollups (time in
  // proportion to blocks, not spans) when the filter and grouping allow (no attribute filter,
  // grouping by none, model, name, kind or project); other rows are added to the sketches.
  // count, error_count and max_ms stay exact; mean_ms is exact up to floating-point rounding.
  bool approx = false;
  // Each in [0, 1]: 0 is the minimum, 1 the maximum.
  std::vector<double> quantiles = {0.5, 0.9, 0.99};
  // Bucket width in ns; buckets start at multiples of it since the Unix epoch. 0 = no buckets.
  int64_t step_nanos = 0;
};

// One time bucket of a group: the spans of the group that start in
// [start_unix_nano, start_unix_nano + step).
struct LatencyBucket {
  int64_t start_unix_nano = 0;
  uint64_t count = 0;
  std::vector<double> quantiles_ms;  // one per requested quantile
};

struct LatencyGroup {
  std::optional<std::string> key;  // null: spans lacking the group-by value, or GroupBy::kNone
  uint64_t count = 0;
  uint64_t error_count = 0;  // spans with StatusCode::kError
  double mean_ms = 0;        // 0 when count is 0
  double max_ms = 0;         // 0 when count is 0
  // One per requested quantile, in request order, exact (numpy 'linear') or from sketches with
  // approx; NaN when count is 0.
  std::vector<double> quantiles_ms;
  // With a step: the non-empty buckets in start order. Empty without a step.
  std::vector<LatencyBucket> buckets;
};

// Latency figures (span durations, in milliseconds) of the spans matching request.filter,
// grouped by request.group_by, with groups sorted by key and the null key last. GroupBy::kNone
// always gives exactly one group, with count 0 when nothing matches; other groupings give no
// group for no spans. A name or model the store has never seen matches nothing.
//
// Reads only the columns the request needs, in one snapshot scanned in parallel on the
// QueryPool (one shard per core); with filter.all_projects, every project. kInvalidArgument when a
// quantile lies outside [0, 1] (or is NaN), step_nanos < 0, or kAttribute without an attribute key;
// an empty or inverted [from, to) is allowed and matches nothing. Scan errors (kCorruption,
// kIOError) are passed on. Thread-safe (the store is).
[[nodiscard]] Result<std::vector<LatencyGroup>> RunLatency(const SpanStore& store,
                                                           const LatencyRequest& request);

}  // namespace roost::query
