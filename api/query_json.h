#pragma once

#include <string>
#include <vector>

#include "query/cost_query.h"
#include "query/latency_query.h"

namespace roost::api {

// The body of GET /api/v1/latency (and `roost query latency --json`):
// {"groups":[{"key":STRING|null,"count","error_count","mean_ms","max_ms","quantiles":{Q:F}}]},
// each group with "buckets":[{"start":RFC3339,"count","quantiles"}] when `with_buckets`.
// `quantile_keys` (the q strings as sent) parallel each group's quantiles_ms; NaN is null.
std::string LatencyJson(const std::vector<query::LatencyGroup>& groups,
                        const std::vector<std::string>& quantile_keys, bool with_buckets);

// The body of GET /api/v1/cost (and `roost query cost --json`):
// {"groups":[{"key","spans","prompt_tokens","completion_tokens","total_tokens","cost_usd",
// "unpriced_spans"}],"total":{same fields}}, each group and the total with "buckets":[{"start",
// same fields}] when `with_buckets`.
std::string CostJson(const query::CostResult& result, bool with_buckets);

}  // namespace roost::api
