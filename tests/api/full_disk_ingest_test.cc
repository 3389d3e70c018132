// Ingest through a real HttpServer + MakeAppHandler while the data dir's disk is full: RocksDB
// writes through a FullDiskFileSystem (real files in the test's temp dir) that refuses every data
// write while "full". A full disk is a 503 with Retry-After that stores nothing; reads and
// /healthz go on; once space is freed, the same request goes through without a restart.

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/api/test_export.h"
#include "tests/api/test_server.h"
#include "tests/api/test_spans.h"
#include "tests/storage/full_disk.h"

namespace roost::api {
namespace {

using nlohmann::json;
using testing::ClientResponse;
using testing::CountSpans;
using ::testing::HasSubstr;
using testing::MakeTrace;
using testing::SpanKey;
using testing::StoredKeys;
using testing::TestClient;
using testing::Wire;

// Bounds of the retry loop once space is freed (10 s in all): writes come back at the store's
// next attempt to resume RocksDB, StoreDb::kMaxResumeInterval (2 s) at most after the disk is
// freed.
constexpr int kMaxTries = 200;
constexpr auto kTryPause = std::chrono::milliseconds(50);
// Distinct from the default, to see that the configured value reaches the header.
constexpr int kRetryAfterSeconds = 7;

std::set<SpanKey> KeysOf(const std::vector<Span>& spans) {
  std::set<SpanKey> keys;
  for (const Span& s : spans) keys.insert({s.trace_id, s.span_id});
  return keys;
}

const char* NameOf(Wire wire) { return wire == Wire::kJson ? "json" : "protobuf"; }

class FullDiskIngestTest : public testing::ServerFixture {
 protected:
  void Start() {
    StoreOptions store = testing::SmallStoreOptions();
    store.file_system = disk_;
    AppOptions app;
    app.ingest.retry_after_seconds = kRetryAfterSeconds;
    StartServer(testing::SmallServerOptions(), app, store);
  }

  // Expects the answer of a request refused for a full disk: 503, Retry-After, a JSON
  // {"error"} naming the full disk.
  static void ExpectDiskFull(const ClientResponse& r, const std::string& what) {
    EXPECT_EQ(r.status, 503) << what << ": " << r.error << r.body;
    EXPECT_EQ(r.headers.count("retry-after"), 1u) << what;
    if (r.headers.count("retry-after") == 1) {
      EXPECT_EQ(r.headers.at("retry-after"), std::to_string(kRetryAfterSeconds)) << what;
    }
    json body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << what << ": " << r.body;
    ASSERT_TRUE(body.contains("error") && body["error"].is_string()) << what << ": " << r.body;
    EXPECT_THAT(body["error"].get<std::string>(), HasSubstr("disk is full")) << what;
  }

  // Sends `spans` until the answer is not a 503 (at most kMaxTries times, kTryPause apart) and
  // returns the last answer. Every answer but the last must be the full-disk 503.
  ClientResponse ResendUntilStored(TestClient& client, const std::vector<Span>& spans, Wire wire) {
    ClientResponse r;
    for (int attempt = 0; attempt < kMaxTries; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(kTryPause);
      r = testing::PostSpans(client, spans, wire);
      if (r.status != 503) break;
      ExpectDiskFull(r, std::string(NameOf(wire)) + " retry " + std::to_string(attempt));
    }
    return r;
  }

  // GET /api/v1/traces/{id}: the stored spans of the trace as JSON (status checked by callers).
  ClientResponse GetTrace(const TraceId& id) {
    return Client().Send("GET", "/api/v1/traces/" + id.ToHex());
  }

  std::shared_ptr<roost::testing::FullDiskFileSystem> disk_ =
      std::make_shared<roost::testing::FullDiskFileSystem>();
};

TEST_F(FullDiskIngestTest, FullDiskIs503UntilSpaceIsFreed) {
  Start();
  const std::string project = "full-disk";
  const std::vector<Span> before = MakeTrace(1, 5, project);
  const std::vector<Span> during = MakeTrace(2, 7, project);
  TestClient client = Client();

  ClientResponse r = testing::PostSpans(client, before, Wire::kProtobuf);
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  ASSERT_EQ(CountSpans(store(), project), before.size());

  disk_->SetFull(true);
  // Several tries, spread over more than StoreDb::kResumeInterval, so that the store also asks
  // RocksDB to resume while the disk is still full: that must stay a 503 too.
  for (int attempt = 0; attempt < 10; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(kTryPause);
    ExpectDiskFull(testing::PostSpans(client, during, Wire::kProtobuf),
                   "while full, try " + std::to_string(attempt));
  }
  EXPECT_GT(disk_->refused(), 0u) << "the store never tried to write to the full disk";
  ClientResponse metrics = Client().Send("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.error << metrics.body;
  EXPECT_THAT(metrics.body, HasSubstr("\nroost_store_writes_stopped 1\n"));

  // Nothing of the refused request is stored; what was stored before still reads back.
  EXPECT_EQ(StoredKeys(store(), project), KeysOf(before));
  EXPECT_EQ(GetTrace(during.front().trace_id).status, 404);
  ClientResponse health = Client().Send("GET", "/healthz");
  EXPECT_EQ(health.status, 200) << health.error << health.body;
  ClientResponse read = GetTrace(before.front().trace_id);
  ASSERT_EQ(read.status, 200) << read.error << read.body;
  json trace = json::parse(read.body, nullptr, false);
  ASSERT_TRUE(trace.is_object()) << read.body;
  ASSERT_EQ(trace["spans"].size(), before.size()) << read.body;
  std::set<std::string> read_ids;
  for (const json& s : trace["spans"]) read_ids.insert(s["span_id"].get<std::string>());
  std::set<std::string> want_ids;
  for (const Span& s : before) want_ids.insert(s.span_id.ToHex());
  EXPECT_EQ(read_ids, want_ids);

  disk_->SetFull(false);
  r = ResendUntilStored(client, during, Wire::kProtobuf);
  ASSERT_EQ(r.status, 200) << "writes did not resume after the disk was freed: " << r.error
                           << r.body;
  EXPECT_EQ(testing::ParseExportResponse(r.body, Wire::kProtobuf).rejected_spans, 0);

  std::vector<Span> all = before;
  all.insert(all.end(), during.begin(), during.end());
  EXPECT_EQ(CountSpans(store(), project), all.size());
  EXPECT_EQ(StoredKeys(store(), project), KeysOf(all));
  Result<std::vector<Span>> stored = store().GetTrace(during.front().trace_id);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->size(), during.size());

  metrics = Client().Send("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.error << metrics.body;
  EXPECT_THAT(metrics.body, HasSubstr("\nroost_store_writes_stopped 0\n"));

  // Sealing (a write of its own) works again too, and changes no count.
  Status flushed = store().Flush();
  ASSERT_TRUE(flushed.ok()) << flushed.ToString();
  EXPECT_EQ(StoredKeys(store(), project), KeysOf(all));
}

TEST_F(FullDiskIngestTest, BothEncodingsAre503WhileFull) {
  Start();
  const std::vector<Span> proto_spans = MakeTrace(1, 4, "proto");
  const std::vector<Span> json_spans = MakeTrace(2, 6, "json");
  TestClient client = Client();

  disk_->SetFull(true);
  ExpectDiskFull(testing::PostSpans(client, proto_spans, Wire::kProtobuf), "protobuf");
  ExpectDiskFull(testing::PostSpans(client, json_spans, Wire::kJson), "json");
  EXPECT_GT(disk_->refused(), 0u);
  EXPECT_EQ(CountSpans(store(), "proto"), 0u);
  EXPECT_EQ(CountSpans(store(), "json"), 0u);

  disk_->SetFull(false);
  ClientResponse r = ResendUntilStored(client, proto_spans, Wire::kProtobuf);
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  r = ResendUntilStored(client, json_spans, Wire::kJson);
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(StoredKeys(store(), "proto"), KeysOf(proto_spans));
  EXPECT_EQ(StoredKeys(store(), "json"), KeysOf(json_spans));
}

}  // namespace
}  // namespace roost::api
