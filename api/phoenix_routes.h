#pragma once

#include <string_view>

#include "api/http_types.h"

namespace roost {
class SpanStore;
}  // namespace roost

namespace roost::api {

// The response header Phoenix clients read the server version from (MakeAppHandler sets it on
// every response).
inline constexpr std::string_view kPhoenixVersionHeader = "x-phoenix-server-version";

// True when `path` is one of the Phoenix REST API v1 read routes roost serves:
// GET /arize_phoenix_version, /v1/projects, /v1/projects/{project_identifier},
// /v1/projects/{project_identifier}/spans|traces|sessions and /v1/sessions/{session_identifier}.
bool IsPhoenixReadRoute(std::string_view path);

// Serves a request for which IsPhoenixReadRoute(request.path) holds, with the paths,
// parameters, envelopes ({"data": [...], "next_cursor": ...} or {"data": {...}}) and objects
// of Phoenix's REST API v1 (see api/phoenix_json.h and the README). Errors are JSON
// {"error": ...}: 400 naming a bad parameter (limit, cursor, start_time, sort, ...), 404 for an
// unknown project or session, 405 for methods other than GET, 500 when the store fails.
// Thread-safe (the store is).
Response HandlePhoenixRead(const Request& request, const SpanStore& store);

}  // namespace roost::api
