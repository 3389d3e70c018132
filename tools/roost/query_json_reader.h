#pragma once

#include <string>
#include <vector>

#include "query/cost_query.h"
#include "query/latency_query.h"
#include "storage/result.h"

namespace roost::cli {

// Reads a GET /api/v1/latency body (api::LatencyJson) back into groups, and the quantile keys in
// the order the body lists them, so that `roost query latency --server` prints the same table as
// with --data. kInvalidArgument when the body is not that shape.
[[nodiscard]] Result<std::vector<query::LatencyGroup>> ReadLatencyJson(
    const std::string& body, std::vector<std::string>* quantile_keys);

// Reads a GET /api/v1/cost body (api::CostJson) back. kInvalidArgument when not that shape.
[[nodiscard]] Result<query::CostResult> ReadCostJson(const std::string& body);

}  // namespace roost::cli
