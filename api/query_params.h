#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "query/query_types.h"
#include "storage/result.h"

namespace roost {
class SpanStore;
}  // namespace roost

namespace roost::api {

// The parameters shared by the query routes (/api/v1/latency, /api/v1/cost) and `roost query`,
// parsed and validated.
struct QueryParams {
  query::QueryFilter filter;
  query::GroupBy group_by = query::GroupBy::kNone;
  std::string group_attribute;  // KEY of group_by=attr:KEY
  bool approx = false;
  std::vector<double> quantiles = {0.5, 0.9, 0.99};
  // The `q` values as sent: the keys of "quantiles" in the JSON answer. Parallel to quantiles.
  std::vector<std::string> quantile_keys = {"0.5", "0.9", "0.99"};
  int64_t step_nanos = 0;  // 0: no buckets
};

// Limits on what a request may ask for.
inline constexpr size_t kMaxQuantiles = 32;
inline constexpr size_t kMaxAttributeFilters = 16;
inline constexpr int64_t kMaxStepSeconds = int64_t{366} * 24 * 3600 * 100;  // a century

// Parses the query parameters `project`, `from`, `to`, `kind`, `name`, `model`, `status`,
// `group_by`, `q`, `step`, `approx` and every `attr:KEY` (filter: attribute KEY equals the value)
// out of `params` (decoded name/value pairs; the first of a repeated name wins; other names are
// ignored; an empty value counts as absent). `from`/`to` are RFC 3339 or integer Unix epoch
// milliseconds. group_by is none, model, name, kind, session, project or attr:KEY. The project
// must be one `store` knows; group_by=project without a project covers every project.
//
// kInvalidArgument with a message naming the parameter for every bad value (and an unknown
// project); other codes when the store fails. Thread-safe (the store is).
[[nodiscard]] Result<QueryParams> ParseQueryParams(
    const std::vector<std::pair<std::string, std::string>>& params, const SpanStore& store);

// `from`/`to` alone: RFC 3339 or integer epoch milliseconds -> Unix ns. kInvalidArgument otherwise.
[[nodiscard]] Result<int64_t> ParseQueryTime(const std::string& text);

// `step` alone: "Ns", "Nm", "Nh" or "Nd" with N a positive integer -> ns, at most
// kMaxStepSeconds. kInvalidArgument otherwise.
[[nodiscard]] Result<int64_t> ParseStep(const std::string& text);

}  // namespace roost::api
