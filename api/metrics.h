#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace roost::api {

// Request counts by (route, status) and latency histograms by route, for GET /metrics. Routes
// are labelled by at most their first three path segments, and at most kMaxRoutes distinct
// labels are kept (the rest count as "other"), so a client cannot grow the registry.
// Thread-safe.
class Metrics {
 public:
  static constexpr size_t kMaxRoutes = 64;
  // Upper bounds (seconds) of the latency histogram buckets; +Inf is implied.
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};

  // The route label of a request path: "/api/v1/latency", "/v1/traces", "/api/v1/traces" for
  // "/api/v1/traces/abc/spans".
  static std::string RouteLabel(std::string_view path);

  void ObserveRequest(std::string_view path, int status, double seconds);

  // The request metrics in the Prometheus text format (version 0.0.4).
  std::string Render() const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};  // per bucket, not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // guarded by mu_
  std::map<std::string, Histogram> latency_;                  // guarded by mu_
};

}  // namespace roost::api
