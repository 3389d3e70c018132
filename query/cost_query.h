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

struct CostRequest {
  QueryFilter filter;
  GroupBy group_by = GroupBy::kNone;
  std::string group_attribute;  // the attribute key for GroupBy::kAttribute
  // Bucket width in ns; buckets start at multiples of it since the Unix epoch. 0 = no buckets.
  int64_t step_nanos = 0;
};

// Token and cost sums of a set of spans.
struct CostFigures {
  uint64_t spans = 0;  // every span of the set, priced or not
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t total_tokens = 0;
  // Sum of the spans' `llm.cost.total`, in USD (spans without one add nothing).
  // TODO(roost): cost of spans without `llm.cost.total` is not computed yet (needs the pricing
  // tables: model prices, token-type details, unpriced_spans).
  double cost_usd = 0;
};

struct CostBucket {
  int64_t start_unix_nano = 0;
  CostFigures figures;
};

struct CostGroup {
  std::optional<std::string> key;  // null: spans lacking the group-by value, or GroupBy::kNone
  CostFigures figures;
  std::vector<CostBucket> buckets;  // with a step: the non-empty buckets in start order
};

struct CostResult {
  std::vector<CostGroup> groups;          // sorted by key, null key last
  CostFigures total;                      // over every group
  std::vector<CostBucket> total_buckets;  // with a step: the total per bucket
};

// Token and cost sums of the spans matching request.filter, grouped by request.group_by.
// Grouping, ordering and filtering as RunLatency (GroupBy::kNone gives exactly one group).
// kInvalidArgument when step_nanos < 0. Scan errors are passed on. Thread-safe.
[[nodiscard]] Result<CostResult> RunCost(const SpanStore& store, const CostRequest& request);

}  // namespace roost::query
