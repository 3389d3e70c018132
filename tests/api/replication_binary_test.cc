// Replication through the `roost serve` binary (ROOST_BINARY) to the Phoenix stand-in: kill -9
// in the middle of replication, and a key fixed with SIGHUP and --env-file.

#include <signal.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>  // before Boost 1.74 asio, whose awaitable.hpp needs std::exchange
#include <vector>

#include <boost/asio.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "storage/span_store.h"
#include "tests/api/test_client.h"
#include "tests/api/test_export.h"
#include "tests/api/test_phoenix_stand_in.h"
#include "tests/api/test_server.h"
#include "tests/api/test_spans.h"
#include "tests/api/test_subprocess.h"

#ifndef ROOST_BINARY
#error "ROOST_BINARY must name the roost executable"
#endif

namespace roost::api {
namespace {

using testing::FreePort;
using testing::PhoenixStandIn;
using testing::Subprocess;

constexpr std::chrono::seconds kBound{90};

class ReplicationBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::StandInOptions options;
    options.api_key = "right-key";
    std::string error;
    phoenix_ = PhoenixStandIn::Start(options, &error);
    ASSERT_NE(phoenix_, nullptr) << error;
  }

  // Starts `roost serve` replicating to the stand-in and waits for its listening line.
  std::unique_ptr<Subprocess> Serve(const std::vector<std::string>& extra) {
    port_ = FreePort();
    std::vector<std::string> argv = {ROOST_BINARY,
                                     "serve",
                                     "--data",
                                     dir_.path() + "/data",
                                     "--listen",
                                     "127.0.0.1:" + std::to_string(port_),
                                     "--phoenix-endpoint",
                                     phoenix_->url(),
                                     "--replication-batch",
                                     "100",
                                     "--replication-linger",
                                     "10ms",
                                     "--replication-max-backoff",
                                     "200ms"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string error;
    std::unique_ptr<Subprocess> p = Subprocess::Start(argv, &error);
    if (p == nullptr) {
      ADD_FAILURE() << error;
      return nullptr;
    }
    if (!p->WaitForLine("roost listening on", kBound)) {
      ADD_FAILURE() << "no listening line; stdout: " << p->out() << " stderr: " << p->err();
      return nullptr;
    }
    return p;
  }

  // POSTs `traces` traces of 50 spans; returns every span acknowledged with a 200.
  std::vector<Span> PostTraces(uint32_t first_trace, int traces) {
    testing::TestClient client(port_);
    std::vector<Span> acked;
    for (int t = 0; t < traces; ++t) {
      std::vector<Span> spans = testing::MakeTrace(first_trace + t, 50, "bin");
      testing::ClientResponse r = testing::PostSpans(client, spans, testing::Wire::kProtobuf);
      EXPECT_EQ(r.status, 200) << r.error << r.body;
      if (r.status == 200) acked.insert(acked.end(), spans.begin(), spans.end());
    }
    return acked;
  }

  nlohmann::json Replication() {
    testing::TestClient client(port_);
    testing::ClientResponse r = client.Send("GET", "/api/v1/replication");
    if (r.status != 200) return nlohmann::json::object();
    return nlohmann::json::parse(r.body, nullptr, false);
  }

  bool Delivered(const std::vector<Span>& spans) {
    std::set<std::pair<TraceId, SpanId>> want;
    for (const Span& s : spans) want.emplace(s.trace_id, s.span_id);
    return PhoenixStandIn::WaitFor(
        [&] {
          if (phoenix_->unique_received() != want) return false;
          nlohmann::json j = Replication();
          return j.is_object() && j.value("pending_spans", -1) == 0;
        },
        kBound);
  }

  testing::TempDir dir_;
  std::unique_ptr<PhoenixStandIn> phoenix_;
  uint16_t port_ = 0;
};

TEST_F(ReplicationBinaryTest, KillNineDuringReplicationLosesNothingAndRepeatsAtMostABatch) {
  phoenix_->SetDelay(std::chrono::milliseconds(200));  // a slow Phoenix: replication lags ingest
  std::unique_ptr<Subprocess> serve = Serve({"--phoenix-api-key", "right-key"});
  ASSERT_NE(serve, nullptr);
  const std::vector<Span> acked = PostTraces(1, 60);
  ASSERT_EQ(acked.size(), 3000u);
  ASSERT_TRUE(
      PhoenixStandIn::WaitFor([&] { return phoenix_->unique_received().size() >= 300; }, kBound));
  serve->Signal(SIGKILL);
  ASSERT_EQ(serve->Wait(kBound), 128 + SIGKILL);
  ASSERT_LT(phoenix_->unique_received().size(), acked.size()) << "replication finished too soon";

  phoenix_->SetDelay(std::chrono::milliseconds(0));
  serve = Serve({"--phoenix-api-key", "right-key"});
  ASSERT_NE(serve, nullptr);
  ASSERT_TRUE(Delivered(acked)) << phoenix_->unique_received().size() << " of " << acked.size();
  const size_t duplicates = phoenix_->received().size() - phoenix_->unique_received().size();
  EXPECT_LE(duplicates, phoenix_->largest_request());
  serve->Signal(SIGTERM);
  EXPECT_EQ(serve->Wait(kBound), 0) << serve->err();
}

TEST_F(ReplicationBinaryTest, SighupRereadsTheEnvFileAndTheBacklogDrains) {
  const std::string env = dir_.path() + "/phoenix.env";
  std::ofstream(env) << "# Phoenix credentials\nPHOENIX_API_KEY=wrong-key\n";
  // The slow retry is an hour: only the SIGHUP can make it deliver within the test.
  std::unique_ptr<Subprocess> serve = Serve({"--env-file", env, "--replication-auth-retry", "1h"});
  ASSERT_NE(serve, nullptr);
  const std::vector<Span> acked = PostTraces(100, 4);
  ASSERT_TRUE(PhoenixStandIn::WaitFor(
      [&] {
        nlohmann::json j = Replication();
        return j.is_object() && j.value("state", "") == "auth_failed" &&
               j.value("pending_spans", 0) == static_cast<int>(acked.size());
      },
      kBound))
      << Replication().dump();
  EXPECT_TRUE(phoenix_->unique_received().empty());

  std::ofstream(env) << "export PHOENIX_API_KEY=\"right-key\"\n";
  serve->Signal(SIGHUP);
  ASSERT_TRUE(Delivered(acked)) << Replication().dump();
  EXPECT_EQ(Replication().value("state", ""), "ok");
  serve->Signal(SIGTERM);
  EXPECT_EQ(serve->Wait(kBound), 0) << serve->err();
}

TEST_F(ReplicationBinaryTest, StatusReportsARunningServer) {
  std::unique_ptr<Subprocess> serve = Serve({"--phoenix-api-key", "right-key"});
  ASSERT_NE(serve, nullptr);
  const std::vector<Span> acked = PostTraces(200, 2);
  ASSERT_TRUE(Delivered(acked));
  std::string error;
  std::unique_ptr<Subprocess> status = Subprocess::Start(
      {ROOST_BINARY, "status", "--server", "http://127.0.0.1:" + std::to_string(port_)}, &error);
  ASSERT_NE(status, nullptr) << error;
  ASSERT_EQ(status->Wait(kBound), 0) << status->err();
  EXPECT_THAT(status->out(), ::testing::HasSubstr("replication:        ok"));
  EXPECT_THAT(status->out(),
              ::testing::HasSubstr("replicated spans:   " + std::to_string(acked.size())));
  EXPECT_THAT(status->out(),
              ::testing::HasSubstr("spans stored:       " + std::to_string(acked.size())));
  serve->Signal(SIGTERM);
  EXPECT_EQ(serve->Wait(kBound), 0) << serve->err();
}

// `roost replicate` re-sends exactly the stored spans whose start lies in [--from, --to), and
// `roost status --data` reads a data dir directly.
TEST_F(ReplicationBinaryTest, ReplicateResendsAStoredRange) {
  const std::string data = dir_.path() + "/data";
  std::vector<Span> spans = testing::MakeTrace(300, 40, "p1");
  std::vector<Span> more = testing::MakeTrace(301, 40, "p2");
  spans.insert(spans.end(), more.begin(), more.end());
  const int64_t base = spans.front().start_unix_nano;
  constexpr int64_t kMinute = int64_t{60} * 1'000'000'000;
  for (size_t i = 0; i < spans.size(); ++i) {
    const int64_t length = spans[i].end_unix_nano - spans[i].start_unix_nano;
    spans[i].start_unix_nano = base + static_cast<int64_t>(i) * kMinute;
    spans[i].end_unix_nano = spans[i].start_unix_nano + length;
  }
  {
    StoreOptions options = testing::SmallStoreOptions();
    options.path = data;
    Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Write(spans).ok());
  }
  // [minute 10, minute 50): spans 10..49, across both projects. Epoch milliseconds.
  const int64_t from_ms = (base + 10 * kMinute) / 1'000'000;
  const int64_t to_ms = (base + 50 * kMinute) / 1'000'000;
  std::string error;
  std::unique_ptr<Subprocess> replicate = Subprocess::Start(
      {ROOST_BINARY, "replicate", "--data", data, "--from", std::to_string(from_ms), "--to",
       std::to_string(to_ms), "--phoenix-endpoint", phoenix_->url(), "--phoenix-api-key",
       "right-key", "--replication-batch", "7"},
      &error);
  ASSERT_NE(replicate, nullptr) << error;
  ASSERT_EQ(replicate->Wait(kBound), 0) << replicate->err();
  EXPECT_THAT(replicate->out(), ::testing::HasSubstr("replicated 40 spans"));
  std::set<std::pair<TraceId, SpanId>> want;
  for (size_t i = 10; i < 50; ++i) want.emplace(spans[i].trace_id, spans[i].span_id);
  EXPECT_EQ(phoenix_->unique_received(), want);
  EXPECT_EQ(phoenix_->received().size(), want.size());

  std::unique_ptr<Subprocess> status =
      Subprocess::Start({ROOST_BINARY, "status", "--data", data, "--json"}, &error);
  ASSERT_NE(status, nullptr) << error;
  ASSERT_EQ(status->Wait(kBound), 0) << status->err();
  nlohmann::json j = nlohmann::json::parse(status->out(), nullptr, false);
  ASSERT_TRUE(j.is_object()) << status->out();
  EXPECT_EQ(j["pending_spans"], 0);  // written without replication: nothing queued

  // A wrong key stops the backfill with a message and a non-zero exit.
  std::unique_ptr<Subprocess> refused =
      Subprocess::Start({ROOST_BINARY, "replicate", "--data", data, "--phoenix-endpoint",
                         phoenix_->url(), "--phoenix-api-key", "wrong-key"},
                        &error);
  ASSERT_NE(refused, nullptr) << error;
  std::optional<int> code = refused->Wait(kBound);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_THAT(refused->err(), ::testing::HasSubstr("refused the key"));
}

}  // namespace
}  // namespace roost::api
