#pragma once

#include <span>
#include <string_view>

namespace roost::api::internal {

// One file of the dashboard: its name under /dashboard/ and its bytes.
struct DashboardAsset {
  std::string_view name;          // "index.html", "dashboard.js", "uPlot.iife.min.js", ...
  std::string_view content_type;  // "text/javascript; charset=utf-8", ...
  std::string_view body;
};

// The dashboard's files (api/dashboard/ and its pinned uPlot), embedded into the binary at build
// time by api/embed_files.cmake. Static data; thread-safe.
std::span<const DashboardAsset> DashboardAssets();

}  // namespace roost::api::internal
