#include "api/dashboard_routes.h"

#include <functional>
#include <string>
#include <string_view>

#include "api/internal/dashboard_assets.h"

namespace roost::api {
namespace {

constexpr std::string_view kAssetPrefix = "/dashboard/";
// Everything from this server only: no CDN, font or telemetry request can leave the machine.
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const internal::DashboardAsset* FindAsset(std::string_view name) {
  for (const internal::DashboardAsset& asset : internal::DashboardAssets()) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

// A strong validator for the bytes, which only change with the binary.
std::string ETagOf(std::string_view body) {
  return "\"" + std::to_string(std::hash<std::string_view>{}(body)) + "\"";
}

}  // namespace

std::optional<Response> HandleDashboardRoute(const Request& request) {
  std::string_view name;
  if (request.path == "/" || request.path == "/index.html") {
    name = "index.html";
  } else if (std::string_view(request.path).starts_with(kAssetPrefix)) {
    name = std::string_view(request.path).substr(kAssetPrefix.size());
  } else {
    return std::nullopt;
  }
  if (request.method != "GET") {
    Response r = ErrorResponse(405, "method not allowed; use GET");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  const internal::DashboardAsset* asset = FindAsset(name);
  if (asset == nullptr) return ErrorResponse(404, "no dashboard file " + request.path);
  Response r;
  std::string etag = ETagOf(asset->body);
  if (request.Header("if-none-match") == etag) {
    r.status = 304;
  } else {
    r.body = asset->body;
  }
  r.content_type = asset->content_type;
  r.headers.emplace_back("ETag", std::move(etag));
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace roost::api
