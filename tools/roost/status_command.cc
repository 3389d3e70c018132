// `roost status`: replication and ingest figures of a running server (GET /api/v1/replication
// and /metrics), or of a data dir read directly.

#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "api/ops_handlers.h"
#include "api/replicator.h"
#include "storage/span_store.h"
#include "tools/roost/commands.h"
#include "tools/roost/otlp_http_client.h"
#include "tools/roost/store_flags.h"

namespace roost::cli {
namespace {

struct StatusFlags {
  std::string server = "http://127.0.0.1:6006";
  std::string api_key;
  std::string data;  // when set, read this data dir instead of asking a server
  bool json = false;
};

std::string Text(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// The value of an unlabelled or labelled sample in Prometheus text, or "-".
std::string MetricValue(const std::string& text, const std::string& series) {
  size_t pos = 0;
  while ((pos = text.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') {
      const size_t start = pos + series.size() + 1;
      return text.substr(start, text.find('\n', start) - start);
    }
    pos += series.size();
  }
  return "-";
}

void Print(const nlohmann::json& r, const std::string& metrics) {
  std::printf("replication:        %s\n", Text(r["state"]).c_str());
  std::printf("pending spans:      %s\n", Text(r["pending_spans"]).c_str());
  std::printf("replicated spans:   %s\n", Text(r["replicated_spans"]).c_str());
  std::printf("dead-letter spans:  %s\n", Text(r["dead_letter_spans"]).c_str());
  std::printf("oldest pending:     %s\n", Text(r["oldest_pending"]).c_str());
  std::printf("last success:       %s\n", Text(r["last_success"]).c_str());
  std::printf("last error:         %s\n", Text(r["last_error"]).c_str());
  if (r.contains("phoenix_rejected_spans")) {  // servers before 2026-12 lack it
    std::printf("phoenix rejected:   %s\n", Text(r["phoenix_rejected_spans"]).c_str());
    std::printf("last rejection:     %s\n", Text(r["last_phoenix_rejection"]).c_str());
  }
  if (metrics.empty()) return;
  std::printf("spans stored:       %s\n",
              MetricValue(metrics, "roost_ingest_spans_total{outcome=\"stored\"}").c_str());
  std::printf("spans duplicate:    %s\n",
              MetricValue(metrics, "roost_ingest_spans_total{outcome=\"duplicate\"}").c_str());
  std::printf("spans rejected:     %s\n",
              MetricValue(metrics, "roost_ingest_spans_total{outcome=\"rejected\"}").c_str());
  std::printf("store bytes:        %s\n",
              MetricValue(metrics, "roost_store_bytes{kind=\"all\"}").c_str());
}

void FromDataDir(const StatusFlags& f) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("roost-status"));
  StoreOptions options;
  options.path = f.data;
  options.read_only = true;
  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
  if (!store.ok()) Fail("cannot open " + f.data + " read-only: " + store.status().ToString());
  nlohmann::json r =
      nlohmann::json::parse(api::ReplicationStatusJson(api::DisabledReplicationStatus(**store)));
  // Read from disk, no replicator: the state is whatever the server's is.
  r["state"] = "unknown (data dir read directly)";
  if (f.json) {
    std::printf("%s\n", r.dump().c_str());
    return;
  }
  Print(r, api::RenderMetrics(**store, api::OpsDeps{}));
}

void FromServer(const StatusFlags& f) {
  Result<HttpUrl> url = ParseHttpUrl(f.server);
  if (!url.ok()) Fail("--server: " + url.status().message());
  OtlpHttpClient client(*url, HttpClientOptions{});
  HttpHeaders headers;
  if (!f.api_key.empty()) headers.emplace_back("Authorization", "Bearer " + f.api_key);
  Result<HttpReply> replication = client.Send("GET", "/api/v1/replication", "", headers);
  if (!replication.ok()) Fail(replication.status().message());
  if (replication->status != 200) {
    Fail("GET /api/v1/replication: HTTP " + std::to_string(replication->status) + ": " +
         replication->body);
  }
  nlohmann::json r = nlohmann::json::parse(replication->body, nullptr, false);
  if (r.is_discarded()) Fail("GET /api/v1/replication: not JSON: " + replication->body);
  if (f.json) {
    std::printf("%s\n", r.dump().c_str());
    return;
  }
  Result<HttpReply> metrics = client.Send("GET", "/metrics", "", headers);
  Print(r, metrics.ok() && metrics->status == 200 ? metrics->body : "");
}

}  // namespace

void AddStatusCommand(CLI::App& app) {
  auto f = std::make_shared<StatusFlags>();
  CLI::App* cmd = app.add_subcommand("status", "Show replication and ingest status");
  cmd->add_option("--server", f->server, "A running roost (http://HOST:PORT)")
      ->envname("ROOST_SERVER");
  cmd->add_option("--api-key", f->api_key, "The server's --api-key")->envname("ROOST_API_KEY");
  cmd->add_option("--data", f->data, "Read this data dir instead of asking a server");
  cmd->add_flag("--json", f->json, "Print GET /api/v1/replication's JSON");
  cmd->callback([f] { f->data.empty() ? FromServer(*f) : FromDataDir(*f); });
}

}  // namespace roost::cli
