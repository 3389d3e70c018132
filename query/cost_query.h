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

class PricingTable;

// The built-in prices (PricingTable::BuiltIn()), built once; what RunCost uses without a table.
const PricingTable& BuiltInPricing();

struct CostRequest {
  QueryFilter filter;
  GroupBy group_by = GroupBy::kNone;
  std::string group_attribute;  // the attribute key for GroupBy::kAttribute
  // Bucket width in ns; buckets start at multiples of it since the Unix epoch. 0 = no buckets.
  int64_t step_nanos = 0;
  // Prices for spans without `llm.cost.total`; nullptr: BuiltInPricing(). Borrowed for the call.
  const PricingTable* pricing = nullptr;
};

// Token and cost sums of a set of spans.
struct CostFigures {
  uint64_t spans = 0;  // every span of the set, priced or not
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t total_tokens = 0;
  // Sum of the spans' costs in USD: `llm.cost.total` when a span carries one; otherwise, for an
  // LLM span naming a model, its tokens at the model's prices (SpanCostUsd); otherwise 0.
  // Summed exactly in integer nano-USD (each span's computed cost rounded to a nano-USD).
  double cost_usd = 0;
  // LLM spans that name a model the pricing table has no price for and carry no
  // `llm.cost.total` (each counts 0 in cost_usd).
  uint64_t unpriced_spans = 0;
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
// A span's computed cost follows Phoenix: only spans of kind LLM with a model name are priced
// (as Phoenix's should_calculate_span_cost), each from its own token counts. Prices are
// resolved once per distinct model of the query (cached by model dictionary id), not per row.
// kInvalidArgument when step_nanos < 0. Scan errors are passed on. Thread-safe.
[[nodiscard]] Result<CostResult> RunCost(const SpanStore& store, const CostRequest& request);

}  // namespace roost::query
