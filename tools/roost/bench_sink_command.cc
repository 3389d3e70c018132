// `roost bench sink`: a local OTLP/HTTP receiver that decodes and counts spans and stores
// nothing: the stand-in Phoenix for measuring replication throughput.

#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "api/app_handler.h"
#include "api/http_server.h"
#include "ingest/decompress.h"
#include "ingest/protobuf_decoder.h"
#include "tools/roost/commands.h"
#include "tools/roost/store_flags.h"

namespace roost::cli {
namespace {

struct SinkFlags {
  std::string listen = "127.0.0.1:7006";
  std::string api_key;
};

api::Response Count(const api::Request& request, const std::string& key,
                    std::atomic<uint64_t>* spans) {
  if (!key.empty() && !api::IsAuthorized(request, key)) return api::ErrorResponse(401, "key");
  Result<ingest::ContentEncoding> enc =
      ingest::ParseContentEncoding(request.Header("content-encoding"));
  if (!enc.ok()) return api::ErrorResponse(415, enc.status().message());
  Result<std::string> body = ingest::Decompress(request.body, *enc, size_t{1} << 30);
  if (!body.ok()) return api::ErrorResponse(400, body.status().message());
  Result<ingest::DecodedBatch> batch = ingest::DecodeProtobuf(*body, ingest::DecodeOptions());
  if (!batch.ok()) return api::ErrorResponse(400, batch.status().message());
  *spans += batch->spans.size();
  api::Response r;
  r.content_type = "application/x-protobuf";
  return r;
}

void RunSink(const SinkFlags& f) {
  api::ServerOptions server;
  const size_t colon = f.listen.rfind(':');
  if (colon == std::string::npos) Fail("--listen must be HOST:PORT");
  server.host = f.listen.substr(0, colon);
  server.port = static_cast<uint16_t>(std::stoul(f.listen.substr(colon + 1)));
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto spans = std::make_shared<std::atomic<uint64_t>>(0);
  Result<std::unique_ptr<api::HttpServer>> http = api::HttpServer::Start(
      server,
      [spans, key = f.api_key](const api::Request& r) { return Count(r, key, spans.get()); });
  if (!http.ok()) Fail(http.status().ToString());
  std::printf("sink listening on http://%s:%u\n", server.host.c_str(),
              static_cast<unsigned>((*http)->port()));
  std::fflush(stdout);
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::thread report([&] {
    uint64_t last = 0;
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, std::chrono::seconds(1), [&] { return stop; })) {
      const uint64_t now = spans->load();
      if (now != last) {
        std::printf("received %llu spans (%llu/s)\n", static_cast<unsigned long long>(now),
                    static_cast<unsigned long long>(now - last));
        std::fflush(stdout);
      }
      last = now;
    }
  });
  int sig = 0;
  sigwait(&signals, &sig);
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  cv.notify_all();
  report.join();
  (*http)->Stop(std::chrono::seconds(2));
  std::printf("received %llu spans in all\n", static_cast<unsigned long long>(spans->load()));
}

}  // namespace

void AddBenchSinkCommand(CLI::App& bench) {
  auto f = std::make_shared<SinkFlags>();
  CLI::App* cmd = bench.add_subcommand(
      "sink", "OTLP/HTTP receiver that decodes and counts spans (a stand-in Phoenix)");
  cmd->add_option("--listen", f->listen, "HOST:PORT to listen on");
  cmd->add_option("--api-key", f->api_key, "Require Authorization: Bearer KEY");
  cmd->callback([f] { RunSink(*f); });
}

}  // namespace roost::cli
