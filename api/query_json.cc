#include "api/query_json.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "api/rfc3339.h"

namespace roost::api {
namespace {

using nlohmann::json;

json Number(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

json Key(const std::optional<std::string>& key) { return key ? json(*key) : json(nullptr); }

json Quantiles(const std::vector<double>& values, const std::vector<std::string>& keys) {
  json out = json::object();
  for (size_t i = 0; i < values.size() && i < keys.size(); ++i) out[keys[i]] = Number(values[i]);
  return out;
}

void AddFigures(const query::CostFigures& f, json* out) {
  (*out)["spans"] = f.spans;
  (*out)["prompt_tokens"] = f.prompt_tokens;
  (*out)["completion_tokens"] = f.completion_tokens;
  (*out)["total_tokens"] = f.total_tokens;
  (*out)["cost_usd"] = Number(f.cost_usd);
  (*out)["unpriced_spans"] = f.unpriced_spans;
}

json CostBuckets(const std::vector<query::CostBucket>& buckets) {
  json out = json::array();
  for (const query::CostBucket& b : buckets) {
    json j = {{"start", FormatRfc3339(b.start_unix_nano)}};
    AddFigures(b.figures, &j);
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

std::string LatencyJson(const std::vector<query::LatencyGroup>& groups,
                        const std::vector<std::string>& quantile_keys, bool with_buckets) {
  json out_groups = json::array();
  for (const query::LatencyGroup& g : groups) {
    json j = {{"key", Key(g.key)},
              {"count", g.count},
              {"error_count", g.error_count},
              {"mean_ms", Number(g.mean_ms)},
              {"max_ms", Number(g.max_ms)},
              {"quantiles", Quantiles(g.quantiles_ms, quantile_keys)}};
    if (with_buckets) {
      json buckets = json::array();
      for (const query::LatencyBucket& b : g.buckets) {
        buckets.push_back({{"start", FormatRfc3339(b.start_unix_nano)},
                           {"count", b.count},
                           {"quantiles", Quantiles(b.quantiles_ms, quantile_keys)}});
      }
      j["buckets"] = std::move(buckets);
    }
    out_groups.push_back(std::move(j));
  }
  return json{{"groups", std::move(out_groups)}}.dump();
}

std::string CostJson(const query::CostResult& result, bool with_buckets) {
  json out_groups = json::array();
  for (const query::CostGroup& g : result.groups) {
    json j = {{"key", Key(g.key)}};
    AddFigures(g.figures, &j);
    if (with_buckets) j["buckets"] = CostBuckets(g.buckets);
    out_groups.push_back(std::move(j));
  }
  json total = json::object();
  AddFigures(result.total, &total);
  if (with_buckets) total["buckets"] = CostBuckets(result.total_buckets);
  return json{{"groups", std::move(out_groups)}, {"total", std::move(total)}}.dump();
}

}  // namespace roost::api
