#pragma once

#include <optional>

#include "api/http_types.h"

namespace roost::api {

// Serves the dashboard, built into the binary: GET / (and /index.html) is the page, GET
// /dashboard/NAME its scripts and styles. nullopt for any other path. The files are public (the
// page asks for the API key and sends it with its data requests); responses carry an ETag
// (If-None-Match answers 304) and a Content-Security-Policy that lets the page load and connect
// to this server only. Thread-safe.
std::optional<Response> HandleDashboardRoute(const Request& request);

}  // namespace roost::api
