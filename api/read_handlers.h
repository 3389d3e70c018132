#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/http_types.h"
#include "query/span_list.h"
#include "storage/result.h"

namespace roost {
class SpanStore;
}  // namespace roost

namespace roost::query {
class PricingTable;
}  // namespace roost::query

namespace roost::api {

// roost's read routes. Each is a plain function of the request and the store; errors are JSON
// {"error"} naming the parameter: 400 for bad input (including an unknown `project`, which
// defaults to "default"), 404 for an unknown trace or session, 500 when the store fails. They
// block for the scan (run on a worker thread). Thread-safe; `store` is borrowed.

// GET /api/v1/projects (ReadJson's ProjectsJson).
Response HandleProjects(const Request& request, const SpanStore& store);

// GET /api/v1/sessions?project=&from=&to=&kind=&name=&model=&status=&limit= (SessionsJson):
// sessions by last activity; limit 1..query::kMaxSessionListLimit, default
// query::kDefaultSessionListLimit.
Response HandleSessions(const Request& request, const SpanStore& store,
                        const query::PricingTable* pricing = nullptr);

// GET /api/v1/sessions/{session_id}?project= (SessionJson): the session's spans in start order;
// 404 when the project holds no span of it.
Response HandleSession(const Request& request, const SpanStore& store,
                       const std::string& session_id);

// GET /api/v1/traces/{trace_id} (TraceJson): every span of the trace (any project) in start order;
// 400 naming trace_id when it is not 32 hex digits, 404 when no span of it is stored.
Response HandleTrace(const Request& request, const SpanStore& store, const std::string& trace_id);

// GET /api/v1/spans (SpanPageJson): query::ListSpans, newest first. Parameters: project, from, to,
// kind, name, model, status (as /api/v1/latency), limit (1..query::kMaxSpanListLimit, default
// query::kDefaultSpanListLimit), cursor (a next_cursor from an earlier page), trace_id and
// span_id (repeatable, hex), parent ("root" for roots only, or a parent span id), attribute
// (repeatable KEY=VALUE, matched against the span's attributes).
Response HandleSpans(const Request& request, const SpanStore& store);

// Routes the read routes above: nullopt when request.path is none of them, 405 (Allow: GET) for
// another method than GET. Path ids are taken percent-decoded, after the route prefix.
std::optional<Response> RouteRead(const Request& request, const SpanStore& store,
                                  const query::PricingTable* pricing = nullptr);

// Parses the parameters of GET /api/v1/spans into a ListSpans request. kInvalidArgument naming the
// parameter for bad values (the project must be one `store` knows).
[[nodiscard]] Result<query::SpanListRequest> ParseSpanListParams(
    const std::vector<std::pair<std::string, std::string>>& params, const SpanStore& store);

// Parses `limit` (absent or empty: `default_limit`): an integer in 1..max_limit, else
// kInvalidArgument naming limit.
[[nodiscard]] Result<size_t> ParseLimitParam(
    const std::vector<std::pair<std::string, std::string>>& params, size_t default_limit,
    size_t max_limit);

}  // namespace roost::api
