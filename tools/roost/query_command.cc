// `roost query latency|cost`: the query API's answers straight from a data dir (read-only).
// Parameters are parsed and the JSON built by the same api/ functions as the HTTP routes, so
// `--json` prints exactly what GET /api/v1/latency or /api/v1/cost answers.

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "api/query_json.h"
#include "api/query_params.h"
#include "api/rfc3339.h"
#include "query/cost_query.h"
#include "query/latency_query.h"
#include "storage/span_store.h"
#include "tools/roost/api_source.h"
#include "tools/roost/commands.h"
#include "tools/roost/pricing_flag.h"
#include "tools/roost/query_json_reader.h"
#include "tools/roost/store_flags.h"

namespace roost::cli {
namespace {

struct QueryFlags {
  std::string data = "./roost-data";
  std::string server;   // --server: ask a running roost serve (GET of the API route) instead
  std::string api_key;  // --api-key: Bearer token for --server
  bool json = false;
  std::string pricing;  // cost only
  // (parameter name, value) as the HTTP query string would carry them; empty = absent.
  std::vector<std::pair<std::string, std::string>> params = {
      {"project", ""}, {"from", ""},     {"to", ""}, {"kind", ""}, {"name", ""},  {"model", ""},
      {"status", ""},  {"group_by", ""}, {"q", ""},  {"step", ""}, {"approx", ""}};
};

std::string KeyText(const std::optional<std::string>& key) { return key ? *key : "(null)"; }

std::unique_ptr<SpanStore> OpenReadOnly(const std::string& dir) {
  // stdout carries the answer (JSON with --json): the store's log lines go to stderr.
  if (spdlog::get("roost-query") == nullptr) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("roost-query"));
  }
  StoreOptions options;
  options.path = dir;
  options.read_only = true;
  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
  if (!store.ok()) Fail("cannot open " + dir + " read-only: " + store.status().ToString());
  return std::move(store).value();
}

void PrintQuantiles(const std::vector<double>& values) {
  for (double v : values) std::printf(" %12.3f", v);
  std::printf("\n");
}

void PrintLatency(const std::vector<query::LatencyGroup>& groups, const api::QueryParams& p) {
  std::printf("%-32s %10s %8s %12s %12s", "key", "count", "errors", "mean_ms", "max_ms");
  for (const std::string& k : p.quantile_keys) std::printf(" %12s", ("q" + k).c_str());
  std::printf("\n");
  for (const query::LatencyGroup& g : groups) {
    std::printf("%-32s %10llu %8llu %12.3f %12.3f", KeyText(g.key).c_str(),
                static_cast<unsigned long long>(g.count),
                static_cast<unsigned long long>(g.error_count), g.mean_ms, g.max_ms);
    PrintQuantiles(g.quantiles_ms);
    for (const query::LatencyBucket& b : g.buckets) {
      std::printf("  %-30s %10llu %8s %12s %12s", api::FormatRfc3339(b.start_unix_nano).c_str(),
                  static_cast<unsigned long long>(b.count), "", "", "");
      PrintQuantiles(b.quantiles_ms);
    }
  }
}

void PrintFigures(const std::string& label, const query::CostFigures& f) {
  std::printf("%-32s %10llu %14llu %14llu %14llu %14.6f %8llu\n", label.c_str(),
              static_cast<unsigned long long>(f.spans),
              static_cast<unsigned long long>(f.prompt_tokens),
              static_cast<unsigned long long>(f.completion_tokens),
              static_cast<unsigned long long>(f.total_tokens), f.cost_usd,
              static_cast<unsigned long long>(f.unpriced_spans));
}

void PrintCost(const query::CostResult& result) {
  std::printf("%-32s %10s %14s %14s %14s %14s %8s\n", "key", "spans", "prompt_tokens", "completion",
              "total_tokens", "cost_usd", "unpriced");
  for (const query::CostGroup& g : result.groups) {
    PrintFigures(KeyText(g.key), g.figures);
    for (const query::CostBucket& b : g.buckets) {
      PrintFigures("  " + api::FormatRfc3339(b.start_unix_nano), b.figures);
    }
  }
  PrintFigures("(total)", result.total);
}

// With --server: GETs `path` with the flags' parameters. Returns nullopt when the answer was
// printed (--json), else the body for the table.
std::optional<std::string> FetchFromServer(const QueryFlags& flags, const std::string& path) {
  const std::string body =
      FetchApiJson(ApiSource{flags.data, flags.server, flags.api_key}, path, flags.params);
  if (!flags.json) return body;
  std::printf("%s\n", body.c_str());
  return std::nullopt;
}

void RunLatencyCommand(const QueryFlags& flags) {
  if (!flags.server.empty()) {
    std::optional<std::string> body = FetchFromServer(flags, "/api/v1/latency");
    if (!body) return;
    api::QueryParams p;
    Result<std::vector<query::LatencyGroup>> groups = ReadLatencyJson(*body, &p.quantile_keys);
    if (!groups.ok()) Fail(groups.status().message());
    PrintLatency(*groups, p);
    return;
  }
  std::unique_ptr<SpanStore> store = OpenReadOnly(flags.data);
  Result<api::QueryParams> p = api::ParseQueryParams(flags.params, *store);
  if (!p.ok()) Fail(p.status().message());
  query::LatencyRequest request;
  request.filter = p->filter;
  request.group_by = p->group_by;
  request.group_attribute = p->group_attribute;
  request.approx = p->approx;
  request.quantiles = p->quantiles;
  request.step_nanos = p->step_nanos;
  Result<std::vector<query::LatencyGroup>> groups = query::RunLatency(*store, request);
  if (!groups.ok()) Fail(groups.status().ToString());
  if (flags.json) {
    std::printf("%s\n", api::LatencyJson(*groups, p->quantile_keys, p->step_nanos > 0).c_str());
  } else {
    PrintLatency(*groups, *p);
  }
}

void RunCostCommand(const QueryFlags& flags) {
  if (!flags.server.empty()) {
    std::optional<std::string> body = FetchFromServer(flags, "/api/v1/cost");
    if (!body) return;
    Result<query::CostResult> result = ReadCostJson(*body);
    if (!result.ok()) Fail(result.status().message());
    PrintCost(*result);
    return;
  }
  std::shared_ptr<const query::PricingTable> pricing = LoadPricingOrFail(flags.pricing);
  std::unique_ptr<SpanStore> store = OpenReadOnly(flags.data);
  Result<api::QueryParams> p = api::ParseQueryParams(flags.params, *store);
  if (!p.ok()) Fail(p.status().message());
  query::CostRequest request;
  request.filter = p->filter;
  request.group_by = p->group_by;
  request.group_attribute = p->group_attribute;
  request.step_nanos = p->step_nanos;
  request.pricing = pricing.get();
  Result<query::CostResult> result = query::RunCost(*store, request);
  if (!result.ok()) Fail(result.status().ToString());
  if (flags.json) {
    std::printf("%s\n", api::CostJson(*result, p->step_nanos > 0).c_str());
  } else {
    PrintCost(*result);
  }
}

// The options every query subcommand takes, bound to `flags`.
void AddQueryFlags(CLI::App* cmd, QueryFlags* flags) {
  cmd->add_option("--data", flags->data, "Data dir (opened read-only)")->envname("ROOST_DATA");
  cmd->add_flag("--json", flags->json, "Print the HTTP API's JSON instead of a table");
  cmd->add_option("--server", flags->server, "Ask a running roost serve (http://HOST:PORT)");
  cmd->add_option("--api-key", flags->api_key, "API key for --server")->envname("ROOST_API_KEY");
  for (auto& [name, value] : flags->params) {
    std::string flag = "--" + name;
    for (char& c : flag) c = c == '_' ? '-' : c;
    cmd->add_option(flag, value, "As the HTTP parameter " + name);
  }
  cmd->add_option_function<std::vector<std::string>>(
      "--attr",
      [flags](const std::vector<std::string>& filters) {
        for (const std::string& f : filters) {
          const size_t eq = f.find('=');
          if (eq == std::string::npos || eq == 0) Fail("--attr wants KEY=VALUE, got '" + f + "'");
          flags->params.emplace_back("attr:" + f.substr(0, eq), f.substr(eq + 1));
        }
      },
      "Attribute filter KEY=VALUE (repeatable), as the HTTP parameter attr:KEY=VALUE");
}

}  // namespace

void AddQueryCommand(CLI::App& app) {
  CLI::App* query = app.add_subcommand(
      "query", "Query a data dir or a server: latency, cost, sessions, traces, spans");
  query->require_subcommand(1);
  auto latency_flags = std::make_shared<QueryFlags>();
  CLI::App* latency = query->add_subcommand("latency", "Latency percentiles (ms) per group");
  AddQueryFlags(latency, latency_flags.get());
  latency->callback([latency_flags] { RunLatencyCommand(*latency_flags); });
  auto cost_flags = std::make_shared<QueryFlags>();
  CLI::App* cost = query->add_subcommand("cost", "Token and cost sums per group");
  AddQueryFlags(cost, cost_flags.get());
  cost->add_option("--pricing", cost_flags->pricing,
                   "Pricing file adding to or overriding the built-in model prices")
      ->envname("ROOST_PRICING");
  cost->callback([cost_flags] { RunCostCommand(*cost_flags); });
  AddReadQueryCommands(query);
}

}  // namespace roost::cli
