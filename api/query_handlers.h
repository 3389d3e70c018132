#pragma once

#include "api/http_types.h"

namespace roost {
class SpanStore;
}  // namespace roost

namespace roost::query {
class PricingTable;
}  // namespace roost::query

namespace roost::api {

// GET /api/v1/latency: latency percentiles (query::RunLatency) for the parameters of
// ParseQueryParams; body as LatencyJson. 400 {"error"} naming a bad parameter, 500 when the store
// fails. Blocks for the scan (run on a worker thread). Thread-safe; `store` is borrowed.
Response HandleLatency(const Request& request, const SpanStore& store);

// GET /api/v1/cost: token and cost sums (query::RunCost) with `pricing` (nullptr: built-in
// prices, borrowed); body as CostJson. Errors as HandleLatency.
Response HandleCost(const Request& request, const SpanStore& store,
                    const query::PricingTable* pricing = nullptr);

}  // namespace roost::api
