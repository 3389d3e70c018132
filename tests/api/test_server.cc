#include "tests/api/test_server.h"

#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <vector>

namespace roost::api::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "roost_api_test.XXXXXX").string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  const char* made = mkdtemp(buffer.data());
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp failed: " << std::strerror(errno);
    return;
  }
  path_ = made;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ServerOptions SmallServerOptions() {
  ServerOptions options;
  options.port = 0;  // a free port: tests run in parallel
  options.io_threads = 2;
  options.worker_threads = 4;
  return options;
}

StoreOptions SmallStoreOptions() {
  StoreOptions options;
  options.block_cache_bytes = size_t{8} << 20;
  return options;
}

void ServerFixture::TearDown() { StopServer(); }

void ServerFixture::StartServer(ServerOptions server, AppOptions app, StoreOptions store) {
  ASSERT_FALSE(dir_.path().empty());
  store.path = dir_.path() + "/data";
  store_options_ = store;
  Result<std::unique_ptr<SpanStore>> opened = SpanStore::Open(store);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store_ = std::move(*opened);
  server.host = "127.0.0.1";
  server.port = 0;
  Result<std::unique_ptr<HttpServer>> started =
      HttpServer::Start(server, MakeAppHandler(*store_, app));
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  server_ = std::move(*started);
  ASSERT_NE(server_->port(), 0);
}

void ServerFixture::StopServer() {
  if (server_) server_->Stop(std::chrono::seconds(10));
  server_.reset();
  store_.reset();
}

void ServerFixture::ReopenStore() {
  ASSERT_EQ(server_, nullptr) << "stop the server first";
  store_.reset();
  Result<std::unique_ptr<SpanStore>> opened = SpanStore::Open(store_options_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store_ = std::move(*opened);
}

uint64_t CountSpans(const SpanStore& store, const std::string& project) {
  ScanRequest request;
  request.project = project;
  request.columns = {Column::kSpanHash};
  uint64_t rows = 0;
  Status s = store.Scan(request, [&](const ColumnView& view) {
    rows += view.rows;
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return rows;
}

std::set<SpanKey> StoredKeys(const SpanStore& store, const std::string& project) {
  ScanRequest request;
  request.project = project;
  request.columns = {Column::kTraceId, Column::kSpanId};
  std::set<SpanKey> keys;
  uint64_t rows = 0;
  Status s = store.Scan(request, [&](const ColumnView& view) {
    for (size_t r = 0; r < view.rows; ++r) {
      SpanKey key;
      std::memcpy(key.first.bytes.data(), view.trace_id + 16 * r, 16);
      std::memcpy(key.second.bytes.data(), view.span_id + 8 * r, 8);
      keys.insert(key);
    }
    rows += view.rows;
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(rows, keys.size()) << "the store holds duplicate spans";
  return keys;
}

uint64_t CountAllSpans(const SpanStore& store) {
  Result<std::vector<ProjectSummary>> projects = store.ListProjects();
  EXPECT_TRUE(projects.ok()) << projects.status().ToString();
  if (!projects.ok()) return 0;
  uint64_t total = 0;
  for (const ProjectSummary& p : *projects) total += CountSpans(store, p.name);
  return total;
}

}  // namespace roost::api::testing
