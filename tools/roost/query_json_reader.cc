#include "tools/roost/query_json_reader.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "api/rfc3339.h"

namespace roost::cli {
namespace {

using json = nlohmann::ordered_json;

double Number(const json& v) {
  return v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

std::vector<double> Quantiles(const json& q) {
  std::vector<double> out;
  for (const auto& [k, v] : q.items()) out.push_back(Number(v));
  return out;
}

int64_t Start(const json& bucket) {
  Result<int64_t> t = api::ParseRfc3339(bucket.value("start", ""));
  return t.ok() ? *t : 0;
}

query::CostFigures Figures(const json& j) {
  query::CostFigures f;
  f.spans = j.value("spans", uint64_t{0});
  f.prompt_tokens = j.value("prompt_tokens", uint64_t{0});
  f.completion_tokens = j.value("completion_tokens", uint64_t{0});
  f.total_tokens = j.value("total_tokens", uint64_t{0});
  f.cost_usd = Number(j.value("cost_usd", json()));
  return f;
}

std::vector<query::CostBucket> CostBuckets(const json& j) {
  std::vector<query::CostBucket> out;
  for (const json& b : j.value("buckets", json::array())) {
    out.push_back({Start(b), Figures(b)});
  }
  return out;
}

}  // namespace

Result<std::vector<query::LatencyGroup>> ReadLatencyJson(const std::string& body,
                                                         std::vector<std::string>* quantile_keys) {
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("groups") || !j["groups"].is_array()) {
    return Status::InvalidArgument("not a latency answer: " + body.substr(0, 200));
  }
  quantile_keys->clear();
  std::vector<query::LatencyGroup> out;
  try {
    for (const json& g : j["groups"]) {
      query::LatencyGroup group;
      if (g.contains("key") && g["key"].is_string()) group.key = g["key"].get<std::string>();
      group.count = g.value("count", uint64_t{0});
      group.error_count = g.value("error_count", uint64_t{0});
      group.mean_ms = Number(g.value("mean_ms", json()));
      group.max_ms = Number(g.value("max_ms", json()));
      const json q = g.value("quantiles", json::object());
      if (quantile_keys->empty()) {
        for (const auto& [k, v] : q.items()) quantile_keys->push_back(k);
      }
      group.quantiles_ms = Quantiles(q);
      for (const json& b : g.value("buckets", json::array())) {
        group.buckets.push_back({Start(b), b.value("count", uint64_t{0}),
                                 Quantiles(b.value("quantiles", json::object()))});
      }
      out.push_back(std::move(group));
    }
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("not a latency answer: ") + e.what());
  }
  return out;
}

Result<query::CostResult> ReadCostJson(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("groups") || !j["groups"].is_array()) {
    return Status::InvalidArgument("not a cost answer: " + body.substr(0, 200));
  }
  query::CostResult out;
  try {
    for (const json& g : j["groups"]) {
      query::CostGroup group;
      if (g.contains("key") && g["key"].is_string()) group.key = g["key"].get<std::string>();
      group.figures = Figures(g);
      group.buckets = CostBuckets(g);
      out.groups.push_back(std::move(group));
    }
    const json total = j.value("total", json::object());
    out.total = Figures(total);
    out.total_buckets = CostBuckets(total);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("not a cost answer: ") + e.what());
  }
  return out;
}

}  // namespace roost::cli
