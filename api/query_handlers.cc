#include "api/query_handlers.h"

#include "api/query_json.h"
#include "api/query_params.h"
#include "query/cost_query.h"
#include "query/latency_query.h"

namespace roost::api {
namespace {

// kInvalidArgument is the client's fault; anything else is the store's.
Response StatusResponse(const Status& status) {
  return ErrorResponse(status.IsInvalidArgument() ? 400 : 500, status.message());
}

}  // namespace

Response HandleLatency(const Request& request, const SpanStore& store) {
  Result<QueryParams> params = ParseQueryParams(request.query, store);
  if (!params.ok()) return StatusResponse(params.status());
  query::LatencyRequest q;
  q.filter = params->filter;
  q.group_by = params->group_by;
  q.group_attribute = params->group_attribute;
  q.approx = params->approx;
  q.quantiles = params->quantiles;
  q.step_nanos = params->step_nanos;
  Result<std::vector<query::LatencyGroup>> groups = query::RunLatency(store, q);
  if (!groups.ok()) return StatusResponse(groups.status());
  Response r;
  r.body = LatencyJson(*groups, params->quantile_keys, params->step_nanos > 0);
  return r;
}

Response HandleCost(const Request& request, const SpanStore& store,
                    const query::PricingTable* pricing) {
  Result<QueryParams> params = ParseQueryParams(request.query, store);
  if (!params.ok()) return StatusResponse(params.status());
  query::CostRequest q;
  q.filter = params->filter;
  q.group_by = params->group_by;
  q.group_attribute = params->group_attribute;
  q.step_nanos = params->step_nanos;
  q.pricing = pricing;
  Result<query::CostResult> result = query::RunCost(store, q);
  if (!result.ok()) return StatusResponse(result.status());
  Response r;
  r.body = CostJson(*result, params->step_nanos > 0);
  return r;
}

}  // namespace roost::api
