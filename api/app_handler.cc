#include "api/app_handler.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "api/dashboard_routes.h"
#include "api/metrics.h"
#include "api/phoenix_json.h"
#include "api/phoenix_routes.h"
#include "api/query_handlers.h"
#include "api/read_handlers.h"

namespace roost::api {
namespace {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

Response Unauthorized() {
  Response r = ErrorResponse(401, "missing or wrong API key: send Authorization: Bearer <key>");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

Response MethodNotAllowed(std::string_view allow) {
  Response r = ErrorResponse(405, "method not allowed; use " + std::string(allow));
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

}  // namespace

bool IsAuthorized(const Request& request, const std::string& api_key) {
  std::string_view auth = request.Header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() > kBearer.size() && auth.substr(0, kBearer.size()) == kBearer &&
      ConstantTimeEquals(auth.substr(kBearer.size()), api_key)) {
    return true;
  }
  std::string_view phoenix = request.Header("api_key");
  return !phoenix.empty() && ConstantTimeEquals(phoenix, api_key);
}

Handler MakeAppHandler(SpanStore& store, const AppOptions& options) {
  auto ingest = std::make_shared<TraceIngestHandler>(store, options.ingest);
  Handler routes = [ingest, options, &store](const Request& request) -> Response {
    if (request.path == "/healthz") {
      if (request.method != "GET" && request.method != "HEAD") return MethodNotAllowed("GET");
      Response r;
      // The dashboard learns here, without a key, whether to ask for one.
      r.body = options.api_key.empty() ? R"({"status":"ok","api_key_required":false})"
                                       : R"({"status":"ok","api_key_required":true})";
      return r;
    }
    // The page and its scripts are public; the data routes it calls are not.
    if (std::optional<Response> page = HandleDashboardRoute(request)) return std::move(*page);
    if (!options.api_key.empty() && !IsAuthorized(request, options.api_key)) {
      return Unauthorized();
    }
    if (std::optional<Response> ops = HandleOpsRoute(request, store, options.ops)) return *ops;
    if (request.path == "/v1/traces") {
      if (request.method != "POST") return MethodNotAllowed("POST");
      return ingest->Handle(request);
    }
    if (request.path == "/api/v1/latency") {
      if (request.method != "GET") return MethodNotAllowed("GET");
      return HandleLatency(request, store);
    }
    if (request.path == "/api/v1/cost") {
      if (request.method != "GET") return MethodNotAllowed("GET");
      return HandleCost(request, store, options.pricing.get());
    }
    if (std::optional<Response> r = RouteRead(request, store, options.pricing.get()))
      return std::move(*r);
    if (IsPhoenixReadRoute(request.path)) return HandlePhoenixRead(request, store);
    return ErrorResponse(404, "no route for " + request.method + " " + request.path);
  };
  // Phoenix clients learn the server version (and so which features they may use) from this
  // header on any response.
  Handler versioned = [routes = std::move(routes)](const Request& request) {
    Response r = routes(request);
    r.headers.emplace_back(std::string(kPhoenixVersionHeader),
                           std::string(phoenix::kServerVersion));
    return r;
  };
  if (options.ops.metrics == nullptr) return versioned;
  // Counted and timed here, around every route (the registry is only read by /metrics).
  Metrics* metrics = options.ops.metrics;
  return [versioned = std::move(versioned), metrics](const Request& request) -> Response {
    const auto start = std::chrono::steady_clock::now();
    Response response = versioned(request);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    metrics->ObserveRequest(request.path, response.status, took.count());
    return response;
  };
}

}  // namespace roost::api
