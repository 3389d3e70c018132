// Replication to Phoenix, in process: a real SpanStore with its outbox, the Replicator, and the
// Phoenix stand-in on 127.0.0.1 failing in the ways a real Phoenix does.

#include "api/replicator.h"

#include <chrono>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <utility>  // before Boost 1.74 asio, whose awaitable.hpp needs std::exchange
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/app_handler.h"
#include "api/http_server.h"
#include "api/metrics.h"
#include "api/ops_handlers.h"
#include "api/rfc3339.h"
#include "storage/span_store.h"
#include "tests/api/test_certs.h"
#include "tests/api/test_client.h"
#include "tests/api/test_export.h"
#include "tests/api/test_phoenix_stand_in.h"
#include "tests/api/test_server.h"
#include "tests/api/test_spans.h"

namespace roost::api {
namespace {

using ::testing::HasSubstr;
using testing::PhoenixStandIn;
using testing::StandInMode;
using SpanPair = std::pair<TraceId, SpanId>;

// Bound on every wait for the replicator (ASan builds on a busy machine are slow).
constexpr std::chrono::seconds kBound{60};

std::set<SpanPair> KeysOf(const std::vector<Span>& spans) {
  std::set<SpanPair> out;
  for (const Span& s : spans) out.emplace(s.trace_id, s.span_id);
  return out;
}

class ReplicatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_options_ = testing::SmallStoreOptions();
    store_options_.path = dir_.path() + "/data";
    store_options_.outbox = true;
    OpenStore();
  }
  void TearDown() override {
    server_.reset();
    replicator_.reset();
    store_.reset();
  }

  void OpenStore() {
    Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(store_options_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  // A stand-in expecting `key`; `tls` makes it https with a fresh private CA.
  void StartStandIn(const std::string& key, bool tls = false) {
    testing::StandInOptions options;
    options.api_key = key;
    if (tls) {
      pki_ = testing::MakeTestPki();
      options.cert_pem = pki_.server_cert_pem;
      options.key_pem = pki_.server_key_pem;
    }
    std::string error;
    phoenix_ = PhoenixStandIn::Start(options, &error);
    ASSERT_NE(phoenix_, nullptr) << error;
  }

  // Fast timings so that failures and recoveries take milliseconds.
  ReplicatorOptions FastOptions(const std::string& key) const {
    ReplicatorOptions o;
    o.endpoint = phoenix_->url();
    o.api_key = key;
    o.batch_spans = 100;
    o.linger = std::chrono::milliseconds(20);
    o.connect_timeout = std::chrono::seconds(5);
    o.request_timeout = std::chrono::milliseconds(700);
    o.min_backoff = std::chrono::milliseconds(10);
    o.max_backoff = std::chrono::milliseconds(200);
    o.auth_retry = std::chrono::milliseconds(200);
    return o;
  }

  void StartReplicator(const ReplicatorOptions& options) {
    Result<std::unique_ptr<Replicator>> r = Replicator::Start(*store_, options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    replicator_ = std::move(*r);
  }

  // Writes `spans` in commits of `per_commit`.
  void Write(const std::vector<Span>& spans, size_t per_commit = 40) {
    for (size_t i = 0; i < spans.size(); i += per_commit) {
      std::vector<Span> part(spans.begin() + i,
                             spans.begin() + std::min(spans.size(), i + per_commit));
      Result<WriteResult> r = store_->Write(std::move(part));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  }

  bool WaitForState(ReplicationState state) {
    return PhoenixStandIn::WaitFor([&] { return replicator_->GetStatus().state == state; }, kBound);
  }

  // Waits until the stand-in holds every span of `spans` and nothing is pending.
  bool WaitForDelivery(const std::vector<Span>& spans) {
    const std::set<SpanPair> want = KeysOf(spans);
    return PhoenixStandIn::WaitFor(
        [&] {
          return phoenix_->unique_received() == want && replicator_->GetStatus().pending_spans == 0;
        },
        kBound);
  }

  testing::TempDir dir_;
  StoreOptions store_options_;
  std::unique_ptr<SpanStore> store_;
  std::unique_ptr<PhoenixStandIn> phoenix_;
  std::unique_ptr<Replicator> replicator_;
  std::unique_ptr<HttpServer> server_;
  testing::TestPki pki_;
};

// Two projects: "alpha" named by the resource attribute, "beta" only as a client naming it with
// the x-project-name header leaves it (Span::project set, no resource attribute).
std::vector<Span> TwoProjects() {
  std::vector<Span> spans = testing::MakeTrace(1, 130, "alpha");
  std::vector<Span> beta = testing::MakeTrace(2, 90, "beta");
  for (Span& s : beta) {
    std::erase_if(s.resource_attributes,
                  [](const Attribute& a) { return a.key == "openinference.project.name"; });
  }
  spans.insert(spans.end(), beta.begin(), beta.end());
  return spans;
}

TEST_F(ReplicatorTest, DeliversExactlyTheStoredSpansUnderTheirProjects) {
  StartStandIn("key-1");
  const std::vector<Span> spans = TwoProjects();
  Write(spans);
  StartReplicator(FastOptions("key-1"));
  ASSERT_TRUE(WaitForDelivery(spans))
      << phoenix_->unique_received().size() << " of " << spans.size();
  // No span delivered twice when nothing failed, and each under the project roost gave it.
  std::vector<testing::ReceivedSpan> got = phoenix_->received();
  EXPECT_EQ(got.size(), spans.size());
  std::map<SpanPair, std::string> project;
  for (const Span& s : spans) project[{s.trace_id, s.span_id}] = s.project;
  for (const testing::ReceivedSpan& r : got) {
    const SpanPair key(r.trace_id, r.span_id);
    EXPECT_EQ(r.project, project[key]);
  }
  EXPECT_EQ(phoenix_->last_headers()["content-encoding"], "gzip");
  ReplicationStatus status = replicator_->GetStatus();
  EXPECT_EQ(status.state, ReplicationState::kOk);
  EXPECT_EQ(status.replicated_spans, spans.size());
  EXPECT_TRUE(status.last_success_unix_nano.has_value());
  EXPECT_FALSE(status.oldest_pending_unix_nano.has_value());
}

TEST_F(ReplicatorTest, GzipOffSendsPlainProtobuf) {
  StartStandIn("key-1");
  const std::vector<Span> spans = TwoProjects();
  Write(spans);
  ReplicatorOptions options = FastOptions("key-1");
  options.gzip_level = -1;
  StartReplicator(options);
  ASSERT_TRUE(WaitForDelivery(spans))
      << phoenix_->unique_received().size() << " of " << spans.size();
  EXPECT_EQ(phoenix_->received().size(), spans.size());
  EXPECT_EQ(phoenix_->last_headers().count("content-encoding"), 0u);
  EXPECT_EQ(phoenix_->last_headers()["content-type"], "application/x-protobuf");
}

TEST_F(ReplicatorTest, SendsClientHeadersFromBothFormats) {
  StartStandIn("");
  ReplicatorOptions options = FastOptions("");
  Result<HeaderList> python = ParseClientHeaders("x-tenant = acme , x-note=a%20b");
  ASSERT_TRUE(python.ok()) << python.status().ToString();
  Result<HeaderList> js = ParseClientHeaders(R"({"x-js":"yes"})");
  ASSERT_TRUE(js.ok()) << js.status().ToString();
  options.headers = *python;
  options.headers.insert(options.headers.end(), js->begin(), js->end());
  const std::vector<Span> spans = testing::MakeTrace(3, 10, "default");
  Write(spans);
  StartReplicator(options);
  ASSERT_TRUE(WaitForDelivery(spans));
  std::map<std::string, std::string> headers = phoenix_->last_headers();
  EXPECT_EQ(headers["x-tenant"], "acme");
  EXPECT_EQ(headers["x-note"], "a b");
  EXPECT_EQ(headers["x-js"], "yes");
  EXPECT_EQ(headers.count("authorization"), 0u);
  EXPECT_FALSE(ParseClientHeaders("novalue").ok());
  EXPECT_FALSE(ParseClientHeaders(R"({"k":1})").ok());
}

TEST_F(ReplicatorTest, WrongKeyIsAuthFailedWhileIngestAndQueriesGoOn) {
  StartStandIn("right-key");
  StartReplicator(FastOptions("wrong-key"));
  AppOptions app;
  app.ops.replicator = replicator_.get();
  Result<std::unique_ptr<HttpServer>> http =
      HttpServer::Start(testing::SmallServerOptions(), MakeAppHandler(*store_, app));
  ASSERT_TRUE(http.ok()) << http.status().ToString();
  server_ = std::move(*http);
  testing::TestClient client(server_->port());

  const std::vector<Span> first = testing::MakeTrace(10, 50, "default");
  ASSERT_EQ(testing::PostSpans(client, first, testing::Wire::kProtobuf).status, 200);
  ASSERT_TRUE(WaitForState(ReplicationState::kAuthFailed));
  const std::vector<Span> second = testing::MakeTrace(11, 30, "default");
  ASSERT_EQ(testing::PostSpans(client, second, testing::Wire::kProtobuf).status, 200);

  testing::ClientResponse r = client.Send("GET", "/api/v1/replication");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.rfind(R"({"state":"auth_failed","pending_spans":)", 0), 0u) << r.body;
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["state"], "auth_failed");
  EXPECT_EQ(j["pending_spans"], first.size() + second.size());
  EXPECT_EQ(j["replicated_spans"], 0);
  EXPECT_THAT(j["last_error"].get<std::string>(), HasSubstr("401"));
  EXPECT_TRUE(j["last_success"].is_null());
  EXPECT_TRUE(j["oldest_pending"].is_string());
  // Queries are unaffected.
  testing::ClientResponse latency = client.Send("GET", "/api/v1/latency?group_by=model");
  EXPECT_EQ(latency.status, 200) << latency.body;
  EXPECT_EQ(testing::CountSpans(*store_, "default"), first.size() + second.size());
  EXPECT_TRUE(phoenix_->unique_received().empty());

  // The key is fixed (what SIGHUP does): the backlog drains.
  replicator_->UpdateCredentials("right-key", {});
  std::vector<Span> all = first;
  all.insert(all.end(), second.begin(), second.end());
  ASSERT_TRUE(WaitForDelivery(all));
  r = client.Send("GET", "/api/v1/replication");
  j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["state"], "ok");
  EXPECT_EQ(j["pending_spans"], 0);
  EXPECT_EQ(j["replicated_spans"], all.size());
  EXPECT_TRUE(j["last_error"].is_null());
  EXPECT_TRUE(j["last_success"].is_string());
}

TEST_F(ReplicatorTest, RestartWithTheRightKeyDeliversTheBacklog) {
  StartStandIn("right-key");
  const std::vector<Span> spans = TwoProjects();
  Write(spans);
  StartReplicator(FastOptions("wrong-key"));
  ASSERT_TRUE(WaitForState(ReplicationState::kAuthFailed));
  replicator_.reset();
  store_.reset();
  OpenStore();
  EXPECT_EQ(store_->GetOutboxStats().pending_spans, spans.size());
  StartReplicator(FastOptions("right-key"));
  ASSERT_TRUE(WaitForDelivery(spans));
  EXPECT_EQ(phoenix_->received().size(), spans.size());
}

// Phoenix down in each way it can be: retrying, then everything arrives once it is back.
struct Outage {
  const char* name;
  StandInMode mode;
  int status;
};

class ReplicatorOutageTest : public ReplicatorTest, public ::testing::WithParamInterface<Outage> {};

TEST_P(ReplicatorOutageTest, RetriesThenDrainsWhenPhoenixIsBack) {
  StartStandIn("k");
  phoenix_->SetMode(GetParam().mode, GetParam().status);
  const std::vector<Span> spans = TwoProjects();
  Write(spans);
  StartReplicator(FastOptions("k"));
  ASSERT_TRUE(WaitForState(ReplicationState::kRetrying));
  ASSERT_TRUE(PhoenixStandIn::WaitFor([&] { return phoenix_->requests() >= 2; }, kBound));
  ReplicationStatus status = replicator_->GetStatus();
  EXPECT_TRUE(status.last_error.has_value());
  EXPECT_EQ(status.pending_spans, spans.size());
  EXPECT_TRUE(phoenix_->unique_received().empty());
  phoenix_->SetMode(StandInMode::kAccept);
  ASSERT_TRUE(WaitForDelivery(spans));
  EXPECT_EQ(replicator_->GetStatus().state, ReplicationState::kOk);
}

INSTANTIATE_TEST_SUITE_P(Outages, ReplicatorOutageTest,
                         ::testing::Values(Outage{"Status500", StandInMode::kStatus, 500},
                                           Outage{"QueueFull503", StandInMode::kStatus, 503},
                                           Outage{"StorageFull507", StandInMode::kStatus, 507},
                                           Outage{"TooMany429", StandInMode::kStatus, 429},
                                           Outage{"Hang", StandInMode::kHang, 0},
                                           Outage{"CloseConnection", StandInMode::kClose, 0}),
                         [](const ::testing::TestParamInfo<Outage>& p) {
                           return std::string(p.param.name);
                         });

TEST_F(ReplicatorTest, UnreachablePhoenixIsRetrying) {
  StartStandIn("k");
  ReplicatorOptions options = FastOptions("k");
  const uint16_t port = phoenix_->port();
  phoenix_.reset();  // nothing listens there any more
  options.endpoint = "http://127.0.0.1:" + std::to_string(port);
  Write(testing::MakeTrace(5, 10, "default"));
  StartReplicator(options);
  ASSERT_TRUE(WaitForState(ReplicationState::kRetrying));
  EXPECT_THAT(replicator_->GetStatus().last_error.value_or(""), HasSubstr("127.0.0.1"));
}

TEST_F(ReplicatorTest, HonoursRetryAfter) {
  StartStandIn("k");
  // One 429 asking for a 1 s pause, then accept. The backoff alone would retry after <= 10 ms.
  phoenix_->SetMode(StandInMode::kStatus, 429, /*retry_after_seconds=*/1, /*times=*/1);
  const std::vector<Span> spans = testing::MakeTrace(6, 20, "default");
  Write(spans);
  StartReplicator(FastOptions("k"));
  ASSERT_TRUE(WaitForDelivery(spans));
  std::vector<std::chrono::steady_clock::time_point> times = phoenix_->request_times();
  ASSERT_GE(times.size(), 2u);
  // A lower bound the replicator must wait: it cannot be met early, however slow the machine.
  EXPECT_GE(times[1] - times[0], std::chrono::milliseconds(950));
}

TEST_F(ReplicatorTest, PartialSuccessIsCountedAndNotRetried) {
  StartStandIn("k");
  phoenix_->PartiallyRejectSpansNamed("dropped");
  std::vector<Span> spans = TwoProjects();
  for (size_t i : {3u, 50u, 200u}) spans[i].name = "dropped";
  Write(spans);
  StartReplicator(FastOptions("k"));
  std::vector<Span> kept = spans;
  std::erase_if(kept, [](const Span& s) { return s.name == "dropped"; });
  ASSERT_EQ(kept.size(), spans.size() - 3);
  ASSERT_TRUE(WaitForDelivery(kept));  // and nothing pending
  ReplicationStatus status = replicator_->GetStatus();
  EXPECT_EQ(status.state, ReplicationState::kOk);
  EXPECT_EQ(status.phoenix_rejected_spans, 3u);
  // The last batch with a rejection (FastOptions sends batches of 100): "... and rejected 1: ...".
  EXPECT_THAT(status.last_phoenix_rejection.value_or(""), HasSubstr("and rejected 1"));
  EXPECT_THAT(status.last_phoenix_rejection.value_or(""), HasSubstr("span name 'dropped'"));
  // Per the OTLP spec a partial success is not retried: no span arrived twice.
  EXPECT_EQ(phoenix_->received().size(), kept.size());
  EXPECT_EQ(status.dead_letter_spans, 0u);
}

TEST_F(ReplicatorTest, PoisonSpanIsDeadLetteredAndTheRestDelivered) {
  StartStandIn("k");
  phoenix_->RefuseSpansNamed("poison");
  std::vector<Span> spans = TwoProjects();
  spans[77].name = "poison";
  Write(spans);
  StartReplicator(FastOptions("k"));
  std::vector<Span> good = spans;
  good.erase(good.begin() + 77);
  ASSERT_TRUE(WaitForDelivery(good));
  ReplicationStatus status = replicator_->GetStatus();
  EXPECT_EQ(status.dead_letter_spans, 1u);
  EXPECT_EQ(status.replicated_spans, good.size());
  EXPECT_EQ(status.state, ReplicationState::kOk);

  // Visible through the API, with the reason, and kept across a restart.
  replicator_.reset();
  store_.reset();
  OpenStore();
  Request request;
  request.method = "GET";
  request.path = "/api/v1/replication/dead_letters";
  std::optional<Response> r = HandleOpsRoute(request, *store_, OpsDeps{});
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200) << r->body;
  nlohmann::json j = nlohmann::json::parse(r->body);
  ASSERT_EQ(j["dead_letters"].size(), 1u);
  EXPECT_EQ(j["dead_letters"][0]["span_id"], spans[77].span_id.ToHex());
  EXPECT_EQ(j["dead_letters"][0]["trace_id"], spans[77].trace_id.ToHex());
  EXPECT_EQ(j["dead_letters"][0]["project"], "alpha");
  EXPECT_THAT(j["dead_letters"][0]["reason"].get<std::string>(), HasSubstr("400"));
  EXPECT_EQ(j["total"], 1);
}

TEST_F(ReplicatorTest, RoutesSayDisabledWithoutAnEndpointAndRefuseBadInput) {
  const std::vector<Span> spans = testing::MakeTrace(12, 15, "default");
  Write(spans);
  Request request;
  request.method = "GET";
  request.path = "/api/v1/replication";
  std::optional<Response> r = HandleOpsRoute(request, *store_, OpsDeps{});
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200);
  // The outbox was filled (StoreOptions::outbox) but nothing replicates: all of it is pending.
  EXPECT_EQ(r->body, R"({"state":"disabled","pending_spans":15,"replicated_spans":0,)"
                     R"("dead_letter_spans":0,"last_error":null,"last_success":null,)"
                     R"("oldest_pending":")" +
                         FormatRfc3339(spans.front().start_unix_nano) +
                         R"(","phoenix_rejected_spans":0,"last_phoenix_rejection":null})");
  request.method = "POST";
  r = HandleOpsRoute(request, *store_, OpsDeps{});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 405);
  request.method = "GET";
  request.path = "/api/v1/replication/dead_letters";
  request.query = {{"limit", "abc"}};
  r = HandleOpsRoute(request, *store_, OpsDeps{});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("limit"));
  request.path = "/api/v1/other";
  EXPECT_FALSE(HandleOpsRoute(request, *store_, OpsDeps{}).has_value());
}

TEST_F(ReplicatorTest, HttpsWithAPrivateCa) {
  StartStandIn("k", /*tls=*/true);
  const std::string ca = dir_.path() + "/ca.pem";
  std::ofstream(ca) << pki_.ca_cert_pem;
  const std::vector<Span> spans = testing::MakeTrace(7, 60, "default");
  Write(spans);
  ReplicatorOptions options = FastOptions("k");
  ASSERT_EQ(options.endpoint.rfind("https://", 0), 0u);
  options.ca_file = ca;
  StartReplicator(options);
  ASSERT_TRUE(WaitForDelivery(spans));
}

TEST_F(ReplicatorTest, HttpsWithoutTheCaFailsVerification) {
  StartStandIn("k", /*tls=*/true);
  Write(testing::MakeTrace(8, 5, "default"));
  StartReplicator(FastOptions("k"));
  ASSERT_TRUE(WaitForState(ReplicationState::kRetrying));
  EXPECT_THAT(replicator_->GetStatus().last_error.value_or(""), HasSubstr("certificate"));
  EXPECT_TRUE(phoenix_->unique_received().empty());
}

TEST_F(ReplicatorTest, BadOptionsAreRefused) {
  StartStandIn("k");
  ReplicatorOptions options = FastOptions("k");
  options.endpoint = "ftp://example.com";
  EXPECT_FALSE(Replicator::Start(*store_, options).ok());
  options = FastOptions("k");
  options.endpoint = "https://127.0.0.1:1";
  options.ca_file = dir_.path() + "/missing.pem";
  Result<std::unique_ptr<Replicator>> r = Replicator::Start(*store_, options);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("missing.pem"));
}

TEST_F(ReplicatorTest, MetricsShowReplicationIngestAndRequests) {
  StartStandIn("k");
  StartReplicator(FastOptions("k"));
  Metrics metrics;
  AppOptions app;
  app.ops.replicator = replicator_.get();
  app.ops.metrics = &metrics;
  Result<std::unique_ptr<HttpServer>> http =
      HttpServer::Start(testing::SmallServerOptions(), MakeAppHandler(*store_, app));
  ASSERT_TRUE(http.ok()) << http.status().ToString();
  server_ = std::move(*http);
  testing::TestClient client(server_->port());
  const std::vector<Span> spans = testing::MakeTrace(9, 25, "default");
  ASSERT_EQ(testing::PostSpans(client, spans, testing::Wire::kProtobuf).status, 200);
  ASSERT_TRUE(WaitForDelivery(spans));
  testing::ClientResponse r = client.Send("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.headers["content-type"], HasSubstr("text/plain"));
  EXPECT_THAT(r.body, HasSubstr("roost_replication_state{state=\"ok\"} 1\n"));
  EXPECT_THAT(r.body, HasSubstr("roost_replication_pending_spans 0\n"));
  EXPECT_THAT(r.body, HasSubstr("roost_replication_replicated_spans_total " +
                                std::to_string(spans.size()) + "\n"));
  EXPECT_THAT(r.body, HasSubstr("roost_ingest_spans_total{outcome=\"stored\"} " +
                                std::to_string(spans.size()) + "\n"));
  EXPECT_THAT(r.body,
              HasSubstr("roost_http_requests_total{route=\"/v1/traces\",code=\"200\"} 1\n"));
  EXPECT_THAT(r.body,
              HasSubstr("roost_http_request_duration_seconds_count{route=\"/v1/traces\"} 1"));
  EXPECT_THAT(r.body, HasSubstr("roost_store_bytes{kind=\"all\"}"));
  EXPECT_THAT(r.body, HasSubstr("\nroost_store_open_rows "));
  EXPECT_THAT(r.body, HasSubstr("\nroost_store_open_page_bytes "));
  EXPECT_THAT(r.body, HasSubstr("\nroost_store_dictionary_strings "));
  // Every write was acknowledged: nothing waits in the write queue.
  EXPECT_THAT(r.body, HasSubstr("roost_ingest_queued_spans 0\n"));
}

}  // namespace
}  // namespace roost::api
