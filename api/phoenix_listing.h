#pragma once

#include <cstdint>
#include <string>

#include "api/http_types.h"

namespace roost {
class SpanStore;
}  // namespace roost

// The two listing routes of the Phoenix-compatible API, called by HandlePhoenixRead once the
// project is resolved (`project` its name, `project_id` its dictionary id).
namespace roost::api::phoenix {

// GET /v1/projects/{project_identifier}/traces with Phoenix's parameters start_time, end_time
// (on the trace's start), sort (start_time|latency_ms), order (asc|desc, default desc), limit
// (1..1000, default 100), cursor, include_spans, session_identifier (repeatable; session.id
// values or ProjectSession global ids). Traces are summed over their spans of the project;
// token counts over their LLM spans, as Phoenix does. A page is ordered by the sort key, then
// by trace id, in the same direction; the cursor names the first trace of the next page by
// (sort key, trace id), so a page never repeats one already listed unless its key moved
// because new spans of it arrived.
Response HandleTraces(const Request& request, const SpanStore& store, const std::string& project,
                      uint32_t project_id);

// GET /v1/projects/{project_identifier}/spans with Phoenix's parameters cursor, limit
// (1..1000, default 100), start_time (inclusive), end_time (exclusive), trace_id, span_id,
// name, span_kind, status_code (all repeatable), parent_id ("null" for roots) and attribute
// (repeatable `key:value`, value JSON-typed as Phoenix reads it). Spans newest first with a
// stable cursor (query::ListSpans).
Response HandleSpans(const Request& request, const SpanStore& store, const std::string& project,
                     uint32_t project_id);

}  // namespace roost::api::phoenix
