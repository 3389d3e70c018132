#pragma once

#include <optional>
#include <string>

#include "api/http_types.h"
#include "api/replicator.h"
#include "storage/span_store.h"

namespace roost::api {

class Metrics;

// What the operations routes read. Either pointer may be null (replication off, no metrics).
struct OpsDeps {
  const Replicator* replicator = nullptr;
  Metrics* metrics = nullptr;  // requests are recorded here when set
};

// The replication status as GET /api/v1/replication answers it:
// {"state":"disabled|ok|retrying|auth_failed","pending_spans":N,"replicated_spans":N,
//  "dead_letter_spans":N,"last_error":STRING|null,"last_success":RFC3339|null,
//  "oldest_pending":RFC3339|null}
std::string ReplicationStatusJson(const ReplicationStatus& status);

// The /metrics body (Prometheus text): replication figures, ingest counters by outcome, store
// size, and the request metrics when `deps.metrics` is set.
std::string RenderMetrics(const SpanStore& store, const OpsDeps& deps);

// Handles GET /api/v1/replication, GET /api/v1/replication/dead_letters (?limit=N, default 100,
// at most 10000: {"dead_letters":[{"trace_id","span_id","project","reason","at"}],
// "total":N}) and GET /metrics; nullopt for any other path. Authentication is the caller's.
std::optional<Response> HandleOpsRoute(const Request& request, const SpanStore& store,
                                       const OpsDeps& deps);

}  // namespace roost::api
