#include "api/metrics.h"

#include <cstdio>

namespace roost::api {
namespace {

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

}  // namespace

std::string Metrics::RouteLabel(std::string_view path) {
  std::string out;
  size_t pos = 0;
  for (int segment = 0; segment < 3 && pos < path.size(); ++segment) {
    if (path[pos] != '/') break;
    size_t next = path.find('/', pos + 1);
    if (next == std::string_view::npos) next = path.size();
    out.append(path.substr(pos, next - pos));
    pos = next;
  }
  if (out.empty()) out = "/";
  // Label values are quoted in the output: keep them to a safe alphabet.
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '_' || c == '-' || c == '.';
    if (!ok) c = '_';
  }
  return out;
}

void Metrics::ObserveRequest(std::string_view path, int status, double seconds) {
  std::string route = RouteLabel(path);
  std::lock_guard lock(mu_);
  if (latency_.find(route) == latency_.end() && latency_.size() >= kMaxRoutes) route = "other";
  requests_[{route, status}]++;
  Histogram& h = latency_[route];
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  if (b < kBuckets.size()) h.counts[b]++;
  h.count++;
  h.sum += seconds;
}

std::string Metrics::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP roost_http_requests_total HTTP requests answered, by route and status code.\n";
  out += "# TYPE roost_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out += "roost_http_requests_total{route=\"" + key.first + "\",code=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP roost_http_request_duration_seconds Time to handle a request, by route.\n";
  out += "# TYPE roost_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    const std::string label = "route=\"" + route + "\"";
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += h.counts[b];
      out += "roost_http_request_duration_seconds_bucket{" + label + ",le=\"" +
             Number(kBuckets[b]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "roost_http_request_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    out += "roost_http_request_duration_seconds_sum{" + label + "} " + Number(h.sum) + "\n";
    out += "roost_http_request_duration_seconds_count{" + label + "} " + std::to_string(h.count) +
           "\n";
  }
  return out;
}

}  // namespace roost::api
