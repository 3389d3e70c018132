#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "api/app_handler.h"
#include "api/http_server.h"
#include "storage/span.h"
#include "storage/span_store.h"
#include "tests/api/test_client.h"

namespace roost::api::testing {

// A fresh directory under the test temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Server options for tests: a free port, few threads (the machine has two cores), the rest
// default.
ServerOptions SmallServerOptions();
// Store options for tests: a small block cache; `path` is filled in by ServerFixture.
StoreOptions SmallStoreOptions();

// (trace id, span id) of a span: what the store de-duplicates on.
using SpanKey = std::pair<TraceId, SpanId>;

// How many spans of `project` `store` holds, counted with Scan.
uint64_t CountSpans(const SpanStore& store, const std::string& project);
// The (trace id, span id) of every span of `project`, with Scan; fails the test on duplicates.
std::set<SpanKey> StoredKeys(const SpanStore& store, const std::string& project);
// The sum of CountSpans over every project the store lists.
uint64_t CountAllSpans(const SpanStore& store);

// A SpanStore in a fresh temp dir behind a real HttpServer on 127.0.0.1 (port 0: a free port),
// serving MakeAppHandler. Stopped and closed at teardown.
class ServerFixture : public ::testing::Test {
 protected:
  void TearDown() override;

  // Opens the store and starts the server (host and port are forced to 127.0.0.1:0).
  void StartServer(ServerOptions server = SmallServerOptions(), AppOptions app = {},
                   StoreOptions store = SmallStoreOptions());
  // Stops the server (letting in-flight requests finish), then closes the store.
  void StopServer();
  // Opens the store of the stopped server again (what a restart would see).
  void ReopenStore();

  uint16_t port() const { return server_->port(); }
  TestClient Client() const { return TestClient(port()); }
  SpanStore& store() { return *store_; }
  const std::string& data_dir() const { return store_options_.path; }
  HttpServer& server() { return *server_; }

 private:
  TempDir dir_;
  StoreOptions store_options_;
  std::unique_ptr<SpanStore> store_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace roost::api::testing
