// `roost serve`: the OTLP ingest and query server on an embedded data dir.

#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "api/app_handler.h"
#include "api/http_server.h"
#include "api/metrics.h"
#include "api/replicator.h"
#include "storage/span_store.h"
#include "tools/roost/commands.h"
#include "tools/roost/pricing_flag.h"
#include "tools/roost/replication_flags.h"
#include "tools/roost/store_flags.h"

namespace roost::cli {
namespace {

struct ServeFlags {
  std::string data = "./roost-data";
  std::string listen = "127.0.0.1:6006";
  std::string api_key;
  std::string retention;
  std::string pricing;
  bool insecure = false;
  bool sync = false;
  size_t max_body = size_t{32} << 20;
  size_t max_decompressed = size_t{256} << 20;
  size_t max_decoding = size_t{1} << 30;
  size_t max_connections = 1024;
  size_t max_pending_body = size_t{256} << 20;
  ReplicationFlags replication;
};

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Splits "host:port" (IPv6 as "[::1]:6006").
void ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 >= listen.size()) {
    Fail("--listen must be HOST:PORT, got '" + listen + "'");
  }
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (*host == "localhost") *host = "127.0.0.1";
  const std::string p = listen.substr(colon + 1);
  if (p.find_first_not_of("0123456789") != std::string::npos || p.size() > 5 ||
      std::stoul(p) > 65535) {
    Fail("--listen port must be a number in [0, 65535], got '" + p + "'");
  }
  *port = static_cast<uint16_t>(std::stoul(p));
}

// Applies retention at start and then hourly until stopped.
class RetentionTimer {
 public:
  explicit RetentionTimer(SpanStore& store) : thread_([this, &store] { Run(store); }) {}
  ~RetentionTimer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Run(SpanStore& store) {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      Result<RetentionResult> r = store.ApplyRetention(now);
      if (!r.ok()) spdlog::error("retention: {}", r.status().ToString());
      lock.lock();
      cv_.wait_for(lock, std::chrono::hours(1), [&] { return stop_; });
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

// SIGHUP: the env file's Phoenix key and headers replace the replicator's (no restart).
void ReloadCredentials(const ServeFlags& f, api::Replicator* replicator) {
  if (f.replication.env_file.empty() || replicator == nullptr) {
    spdlog::warn("SIGHUP ignored: {}",
                 replicator == nullptr ? "replication is off" : "no --env-file to re-read");
    return;
  }
  Result<api::ReplicatorOptions> options = MakeReplicatorOptions(f.replication);
  if (!options.ok()) {
    spdlog::error("SIGHUP: keeping the current Phoenix credentials: {}",
                  options.status().message());
    return;
  }
  replicator->UpdateCredentials(options->api_key, options->headers);
  spdlog::info("SIGHUP: re-read {}; retrying replication with the new credentials",
               f.replication.env_file);
}

void RunServe(const ServeFlags& f) {
  api::ServerOptions server;
  ParseListen(f.listen, &server.host, &server.port);
  if (!IsLoopback(server.host) && f.api_key.empty() && !f.insecure) {
    Fail("refusing to listen on non-loopback address " + server.host +
         " without --api-key (pass --insecure to do it anyway)");
  }
  server.max_body_bytes = f.max_body;
  server.max_connections = f.max_connections;
  server.max_pending_body_bytes = f.max_pending_body;
  StoreOptions store_options;
  store_options.path = f.data;
  store_options.sync = f.sync;
  if (!f.retention.empty()) {
    Result<std::chrono::seconds> retention = ParseDuration(f.retention);
    if (!retention.ok()) Fail("--retention: " + retention.status().message());
    store_options.retention = *retention;
  }
  std::shared_ptr<const query::PricingTable> pricing = LoadPricingOrFail(f.pricing);
  Result<api::ReplicatorOptions> replication = MakeReplicatorOptions(f.replication);
  if (!replication.ok()) Fail(replication.status().message());
  // Replication on: every commit also queues its spans in the outbox, atomically.
  store_options.outbox = !replication->endpoint.empty();

  // Signals are taken synchronously by this thread; every thread started below inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(store_options);
  if (!store.ok()) Fail(store.status().ToString());
  std::unique_ptr<RetentionTimer> retention;
  if (store_options.retention.count() > 0) retention = std::make_unique<RetentionTimer>(**store);

  std::unique_ptr<api::Replicator> replicator;
  if (store_options.outbox) {
    Result<std::unique_ptr<api::Replicator>> started =
        api::Replicator::Start(**store, *replication);
    if (!started.ok()) Fail(started.status().message());
    replicator = std::move(*started);
  }
  api::Metrics metrics;
  api::AppOptions app;
  app.ops.replicator = replicator.get();
  app.ops.metrics = &metrics;
  app.api_key = f.api_key;
  app.ingest.max_decompressed_bytes = f.max_decompressed;
  app.ingest.max_decoding_bytes = f.max_decoding;
  app.pricing = pricing;
  Result<std::unique_ptr<api::HttpServer>> http =
      api::HttpServer::Start(server, api::MakeAppHandler(**store, app));
  if (!http.ok()) Fail(http.status().ToString());
  std::printf("roost listening on http://%s:%u (data dir %s%s)\n",
              server.host.find(':') != std::string::npos ? ("[" + server.host + "]").c_str()
                                                         : server.host.c_str(),
              static_cast<unsigned>((*http)->port()), f.data.c_str(),
              f.api_key.empty() ? "" : ", api key required");
  if (replicator) std::printf("replicating to %s\n", replication->endpoint.c_str());
  std::fflush(stdout);

  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) ReloadCredentials(f, replicator.get());
  spdlog::info("signal {}: stopping", sig);
  (*http)->Stop(std::chrono::seconds(10));
  replicator.reset();
  retention.reset();
  if (Status s = (*store)->Flush(); !s.ok()) spdlog::error("final seal: {}", s.ToString());
  store->reset();
  std::printf("roost stopped\n");
}

}  // namespace

void AddServeCommand(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand("serve", "Accept OTLP traces and answer queries over HTTP");
  cmd->add_option("--data", f->data, "Data dir (created if missing)")->envname("ROOST_DATA");
  cmd->add_option("--listen", f->listen, "HOST:PORT to listen on")->envname("ROOST_LISTEN");
  cmd->add_option("--api-key", f->api_key, "Require this key (Authorization: Bearer KEY)")
      ->envname("ROOST_API_KEY");
  cmd->add_option("--retention", f->retention, "Keep this long, e.g. 30d (default: forever)")
      ->envname("ROOST_RETENTION");
  cmd->add_option("--pricing", f->pricing,
                  "Pricing file adding to or overriding the built-in model prices (roost's JSON "
                  "or Phoenix's cost manifest)")
      ->envname("ROOST_PRICING");
  cmd->add_flag("--insecure", f->insecure, "Allow a non-loopback address without an api key");
  cmd->add_flag("--sync", f->sync, "fsync every commit (power-loss safe acknowledgements)");
  cmd->add_option("--max-body", f->max_body, "Largest request body on the wire, bytes");
  cmd->add_option("--max-decompressed", f->max_decompressed,
                  "Largest request body after gzip/deflate, bytes");
  cmd->add_option("--max-decoding-memory", f->max_decoding,
                  "Memory for request bodies being decoded at once (inflated bodies and their "
                  "spans), bytes (beyond: 503 with Retry-After)");
  cmd->add_option("--max-connections", f->max_connections, "Concurrent connection cap");
  cmd->add_option("--max-pending-body", f->max_pending_body,
                  "Request bodies held in memory at once, bytes (beyond: 503 with Retry-After)");
  AddReplicationFlags(cmd, &f->replication);
  cmd->callback([f] { RunServe(*f); });
}

}  // namespace roost::cli
