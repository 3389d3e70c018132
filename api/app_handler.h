#pragma once

#include <memory>
#include <string>

#include "api/http_server.h"
#include "api/ops_handlers.h"
#include "api/trace_ingest_handler.h"
#include "query/pricing.h"
#include "storage/span_store.h"

namespace roost::api {

struct AppOptions {
  // When non-empty, every route but GET /healthz needs `Authorization: Bearer KEY` (or Phoenix's
  // `api_key: KEY` header).
  std::string api_key;
  IngestOptions ingest;
  // Prices for /api/v1/cost (built-in plus `--pricing FILE`); nullptr: the built-in prices.
  std::shared_ptr<const query::PricingTable> pricing;
  // GET /api/v1/replication, /api/v1/replication/dead_letters and /metrics; with `ops.metrics`
  // set, every request is also counted and timed there (the pointees must outlive the handler).
  OpsDeps ops;
};

// The whole HTTP surface of `roost serve`: authentication, then routing. `store` must outlive
// the handler.
Handler MakeAppHandler(SpanStore& store, const AppOptions& options);

// True when `request` carries the key (constant-time comparison).
bool IsAuthorized(const Request& request, const std::string& api_key);

}  // namespace roost::api
