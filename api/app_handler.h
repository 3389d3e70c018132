#pragma once

#include <string>

#include "api/http_server.h"
#include "api/ops_handlers.h"
#include "api/trace_ingest_handler.h"
#include "storage/span_store.h"

namespace roost::api {

struct AppOptions {
  // When non-empty, every route but GET /healthz needs `Authorization: Bearer KEY` (or Phoenix's
  // `api_key: KEY` header).
  std::string api_key;
  IngestOptions ingest;
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
