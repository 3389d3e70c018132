#include "tools/roost/ingest_bench.h"

#include <atomic>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/app_handler.h"
#include "api/http_server.h"
#include "ingest/decompress.h"
#include "ingest/export_response.h"
#include "tests/ingest/status_matchers.h"
#include "tests/tools/tools_test_env.h"
#include "tools/roost/acknowledged_span_check.h"
#include "tools/roost/gzip_compress.h"
#include "tools/roost/stored_count_check.h"

namespace roost::cli {
namespace {

using ::roost::testing::IsOk;
using ::testing::HasSubstr;

// A real roost server (the `roost serve` handler) on 127.0.0.1 and a free port, over a fresh data
// dir; `wrap` may put a fake edge in front of the handler.
class IngestBenchTest : public ::testing::Test {
 protected:
  void StartServer(const api::AppOptions& app = {},
                   std::function<api::Handler(api::Handler)> wrap = nullptr) {
    store_ = testing::OpenStore(dir_.Path("data"));
    ASSERT_NE(store_, nullptr);
    api::ServerOptions server;
    server.host = "127.0.0.1";
    server.port = 0;
    server.io_threads = 2;
    server.worker_threads = 4;
    api::Handler handler = api::MakeAppHandler(*store_, app);
    if (wrap) handler = wrap(std::move(handler));
    Result<std::unique_ptr<api::HttpServer>> http = api::HttpServer::Start(server, handler);
    ASSERT_THAT(http, IsOk());
    server_ = std::move(http).value();
  }

  // A server whose every route but /healthz needs `api_key`.
  void StartServerWithKey(const std::string& api_key) {
    api::AppOptions app;
    app.api_key = api_key;
    StartServer(app);
  }

  void TearDown() override {
    if (server_) server_->Stop(std::chrono::seconds(5));
    server_.reset();
    store_.reset();
  }

  IngestBenchOptions Options(uint64_t spans) const {
    IngestBenchOptions o;
    o.target.host = "127.0.0.1";
    o.target.port = server_->port();
    o.spans = spans;
    o.concurrency = 4;
    o.id_salt = 12345;
    o.keep_acknowledged_ids = true;
    o.http.timeout = std::chrono::seconds(60);
    return o;
  }

  static Result<IngestBenchResult> Run(const IngestBenchOptions& o) {
    return RunIngestBench(o, [](const IngestBenchInterval&) {});
  }

  // Runs `o` and returns how many spans it acknowledged; a test failure unless every one was.
  static uint64_t RunAll(const IngestBenchOptions& o) {
    Result<IngestBenchResult> r = Run(o);
    EXPECT_THAT(r, IsOk());
    if (!r.ok()) return 0;
    EXPECT_EQ(r->spans, o.spans);
    EXPECT_EQ(r->errors, 0u);
    return r->spans;
  }

  // `project`'s span count as the target reports it; a test failure unless it is roost.
  static uint64_t CountOf(const IngestBenchOptions& o, const std::string& project) {
    const ProjectCount c = ReadProjectCount(o.target, o.api_key, project, o.http);
    EXPECT_TRUE(c.roost) << c.reason;
    return c.spans;
  }

  // Requests after the first `templates` are copies with new ids: `acknowledged` are `spans`
  // distinct ids, every one stored once, and each trace keeps its tree (every parent is a span
  // of the same trace).
  void ExpectStoredOnceWithTrees(const std::vector<AcknowledgedSpan>& acknowledged, size_t spans) {
    ASSERT_EQ(acknowledged.size(), spans);
    std::set<std::pair<TraceId, SpanId>> distinct;
    std::set<TraceId> traces;
    for (const AcknowledgedSpan& a : acknowledged) {
      distinct.insert({a.trace_id, a.span_id});
      traces.insert(a.trace_id);
    }
    EXPECT_EQ(distinct.size(), spans);
    Result<SpanVerification> v = VerifyAcknowledgedSpans(*store_, acknowledged);
    ASSERT_THAT(v, IsOk());
    EXPECT_TRUE(v->ok());
    EXPECT_EQ(v->found, spans);
    ASSERT_THAT(store_->Flush(), IsOk());
    EXPECT_EQ(testing::ProjectSpanCount(*store_, "default"), spans);
    size_t children = 0;
    size_t stored = 0;
    for (const TraceId& trace : traces) {
      Result<std::vector<Span>> got = store_->GetTrace(trace);
      ASSERT_THAT(got, IsOk());
      std::set<SpanId> ids;
      for (const Span& s : *got) ids.insert(s.span_id);
      for (const Span& s : *got) {
        if (!s.parent_span_id) continue;
        ++children;
        EXPECT_TRUE(ids.count(*s.parent_span_id)) << "orphan in trace " << trace.ToHex();
      }
      stored += got->size();
    }
    EXPECT_EQ(stored, spans);
    EXPECT_GT(children, spans / 2);
  }

  // Runs `o` (with o.templates > 0): every span is acknowledged, at least `min_copies` requests
  // are copies of templates, and only the templates and the one or two fresh requests that end
  // the budget are not; every span is stored once, with its trace's tree.
  void ExpectCopiedRun(const IngestBenchOptions& o, uint64_t min_copies) {
    Result<IngestBenchResult> r = Run(o);
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->spans, o.spans);
    EXPECT_EQ(r->errors, 0u);
    EXPECT_GE(r->copied_requests, min_copies);
    EXPECT_LE(r->copied_requests + o.templates, r->requests);
    ExpectStoredOnceWithTrees(r->acknowledged, o.spans);
  }

  testing::TempDir dir_;
  std::unique_ptr<SpanStore> store_;
  std::unique_ptr<api::HttpServer> server_;
};

TEST_F(IngestBenchTest, EveryAcknowledgedSpanIsStored) {
  StartServer();
  Result<IngestBenchResult> r = Run(Options(20000));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->spans, 20000u);
  EXPECT_EQ(r->errors, 0u);
  EXPECT_EQ(r->rejected_spans, 0u);
  EXPECT_GE(r->requests, 20000u / 512);
  EXPECT_GT(r->p99_ms, 0.0);
  ASSERT_EQ(r->acknowledged.size(), 20000u);
  // As `--verify-data` does it: a read-only open of the dir while the server still runs on it.
  Result<SpanVerification> v = VerifyAcknowledgedSpansInDir(dir_.Path("data"), r->acknowledged);
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(v->acknowledged, 20000u);
  EXPECT_EQ(v->found, 20000u);
  EXPECT_EQ(v->missing, 0u);
  EXPECT_EQ(v->unexpected, 0u);
  ASSERT_THAT(store_->Flush(), IsOk());
  EXPECT_EQ(testing::ProjectSpanCount(*store_, "default"), 20000u);
}

TEST_F(IngestBenchTest, JsonGzipRequestsWithProjectAndApiKeyAreStored) {
  StartServerWithKey("sekret");
  IngestBenchOptions o = Options(2000);
  o.encoding = OtlpEncoding::kJson;
  o.gzip = true;
  o.api_key = "sekret";
  o.project = "bench";
  Result<IngestBenchResult> r = Run(o);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->spans, 2000u);
  EXPECT_EQ(r->errors, 0u);
  Result<SpanVerification> v = VerifyAcknowledgedSpans(*store_, r->acknowledged);
  ASSERT_THAT(v, IsOk());
  EXPECT_TRUE(v->ok());
  EXPECT_EQ(v->found, 2000u);
  ASSERT_THAT(store_->Flush(), IsOk());
  EXPECT_EQ(testing::ProjectSpanCount(*store_, "bench"), 2000u);
}

// Runs `o` with `o.templates` templates: every span is acknowledged, and all requests but the
// templates and the one or two fresh requests that end the budget are copies.
TEST_F(IngestBenchTest, TemplateCopiesAreStoredAsNewSpansWithTheirTreesProtobuf) {
  StartServer();
  IngestBenchOptions o = Options(7000);  // ~14 requests of up to 512 spans (traces kept whole)
  o.templates = 3;
  ExpectCopiedRun(o, 9);
}

TEST_F(IngestBenchTest, TemplateCopiesAreStoredAsNewSpansWithTheirTreesJson) {
  StartServer();
  IngestBenchOptions o = Options(3000);
  o.encoding = OtlpEncoding::kJson;
  o.batch = 250;
  o.templates = 2;
  ExpectCopiedRun(o, 9);
}

TEST_F(IngestBenchTest, WrongApiKeyCountsErrorsByStatus) {
  StartServerWithKey("sekret");
  IngestBenchOptions o = Options(1000);
  o.api_key = "wrong";
  Result<IngestBenchResult> r = Run(o);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->spans, 0u);
  EXPECT_EQ(r->requests, 0u);
  EXPECT_GT(r->errors, 0u);
  EXPECT_EQ(r->errors_by_status["401"], r->errors);
  ASSERT_FALSE(r->error_samples.empty());
  EXPECT_THAT(r->error_samples[0], HasSubstr("HTTP 401"));
}

TEST_F(IngestBenchTest, ServiceUnavailableIsRetriedAfterRetryAfter) {
  auto shed = std::make_shared<std::atomic<int>>(3);
  StartServer({}, [shed](api::Handler inner) -> api::Handler {
    return [shed, inner](const api::Request& request) {
      if (request.path == "/v1/traces" && shed->fetch_sub(1) > 0) {
        api::Response busy = api::ErrorResponse(503, "busy");
        busy.headers.emplace_back("Retry-After", "0");
        return busy;
      }
      return inner(request);
    };
  });
  Result<IngestBenchResult> r = Run(Options(3000));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->retries_503, 3u);
  EXPECT_EQ(r->errors, 0u);
  EXPECT_EQ(r->spans, 3000u);
  Result<SpanVerification> v = VerifyAcknowledgedSpans(*store_, r->acknowledged);
  ASSERT_THAT(v, IsOk());
  EXPECT_TRUE(v->ok());
}

TEST_F(IngestBenchTest, DurationModeStopsAtTheDeadline) {
  StartServer();
  IngestBenchOptions o = Options(0);
  o.duration = std::chrono::milliseconds(1500);
  o.batch = 50;
  o.max_prepared_bytes = 1 << 20;
  int intervals = 0;
  const auto begin = std::chrono::steady_clock::now();
  Result<IngestBenchResult> r = RunIngestBench(o, [&](const IngestBenchInterval&) { ++intervals; });
  ASSERT_THAT(r, IsOk());
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(60));
  EXPECT_GT(r->spans, 0u);
  EXPECT_GE(intervals, 1);
  Result<SpanVerification> v = VerifyAcknowledgedSpans(*store_, r->acknowledged);
  ASSERT_THAT(v, IsOk());
  EXPECT_TRUE(v->ok());
}

TEST_F(IngestBenchTest, VerificationCountsMissingAndUnexpectedSpans) {
  StartServer();
  Result<IngestBenchResult> r = Run(Options(600));
  ASSERT_THAT(r, IsOk());
  std::vector<AcknowledgedSpan> acknowledged = r->acknowledged;
  // Spans 0 and 1 are the root and the first child of the first trace.
  ASSERT_EQ(acknowledged[0].trace_id, acknowledged[1].trace_id);
  acknowledged.erase(acknowledged.begin() + 1);  // stored, but now never acknowledged
  acknowledged[0].span_id.bytes[0] ^= 0xff;      // acknowledged, never stored
  Result<SpanVerification> v = VerifyAcknowledgedSpans(*store_, acknowledged);
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(v->missing, 1u);
  EXPECT_EQ(v->unexpected, 2u);  // span 1, and the original of the altered span 0
  EXPECT_EQ(v->found, acknowledged.size() - 1);
  EXPECT_FALSE(v->samples.empty());
  EXPECT_FALSE(v->ok());
}

TEST_F(IngestBenchTest, UnreachableTargetIsUnavailable) {
  StartServer();
  IngestBenchOptions o = Options(100);
  server_.reset();  // closes the listening socket
  EXPECT_THAT(Run(o), ::roost::testing::StatusIs(Status::Code::kUnavailable,
                                                 HasSubstr("cannot connect to 127.0.0.1")));
}

TEST_F(IngestBenchTest, ProjectCountsOfRoostFrameTheAcknowledgedSpans) {
  StartServer();
  const IngestBenchOptions o = Options(3000);
  const uint64_t before = CountOf(o, "default");
  EXPECT_EQ(before, 0u);
  const uint64_t acknowledged = RunAll(o);
  const uint64_t after = CountOf(o, "default");
  EXPECT_EQ(after, 3000u);
  const StoredCountCheck check{"default", before, after, acknowledged, 0};
  EXPECT_TRUE(check.exact());
  EXPECT_THAT(check.Describe(), HasSubstr("exactly the 3000 acknowledged spans"));
  // A second run on top (other ids): only what it adds counts.
  IngestBenchOptions second = Options(1000);
  second.id_salt = 999;
  const uint64_t acknowledged_again = RunAll(second);
  const uint64_t third = CountOf(o, "default");
  EXPECT_EQ(third, 4000u);
  EXPECT_TRUE((StoredCountCheck{"default", after, third, acknowledged_again, 0}.exact()));
  // Counting the first run's spans against the second run's acknowledgements is a mismatch.
  const StoredCountCheck wrong{"default", before, third, acknowledged_again, 0};
  EXPECT_FALSE(wrong.exact());
  EXPECT_FALSE(wrong.explained());
  EXPECT_THAT(wrong.Describe(), HasSubstr("MISMATCH: roost stored 3000 more spans"));
}

TEST_F(IngestBenchTest, ProjectCountUsesTheApiKeyAndTheProject) {
  StartServerWithKey("sekret");
  IngestBenchOptions o = Options(600);
  o.api_key = "sekret";
  o.project = "bench-run";
  EXPECT_EQ(RunAll(o), 600u);
  EXPECT_EQ(CountOf(o, "bench-run"), 600u);
  EXPECT_EQ(CountOf(o, "default"), 0u);
  const ProjectCount refused = ReadProjectCount(o.target, "", "bench-run", o.http);
  EXPECT_FALSE(refused.roost);
  EXPECT_THAT(refused.reason, HasSubstr("401"));
}

TEST_F(IngestBenchTest, OtherEndpointsAreNotTakenForRoost) {
  // An OTLP endpoint whose web app answers every other path with its HTML page, as a single
  // page application does.
  StartServer({}, [](api::Handler inner) -> api::Handler {
    return [inner](const api::Request& request) {
      if (request.path == "/v1/traces") return inner(request);
      api::Response page;
      page.status = 200;
      page.content_type = "text/html";
      page.body = "<!doctype html><title>app</title>";
      return page;
    };
  });
  const IngestBenchOptions o = Options(10);
  const ProjectCount html = ReadProjectCount(o.target, "", "default", o.http);
  EXPECT_FALSE(html.roost);
  EXPECT_THAT(html.reason, HasSubstr("other than roost's project list"));
  HttpUrl closed = o.target;
  server_->Stop(std::chrono::seconds(5));
  server_.reset();
  const ProjectCount unreachable = ReadProjectCount(closed, "", "default", o.http);
  EXPECT_FALSE(unreachable.roost);
  EXPECT_THAT(unreachable.reason, HasSubstr("127.0.0.1"));
}

TEST(StoredCountCheckTest, SaysHowTheCountsCompare) {
  const StoredCountCheck fewer{"p", 100, 150, 60, 0};
  EXPECT_FALSE(fewer.exact());
  EXPECT_FALSE(fewer.explained());
  EXPECT_THAT(fewer.Describe(), HasSubstr("MISMATCH: roost holds 10 fewer spans"));
  const StoredCountCheck shrunk{"p", 100, 90, 5, 0};
  EXPECT_FALSE(shrunk.exact());
  EXPECT_THAT(shrunk.Describe(), HasSubstr("holds 15 fewer spans"));
  const StoredCountCheck failed_but_stored{"p", 0, 70, 60, 2};
  EXPECT_FALSE(failed_but_stored.exact());
  EXPECT_TRUE(failed_but_stored.explained());
  EXPECT_THAT(failed_but_stored.Describe(), HasSubstr("10 spans more than it acknowledged: 2"));
  const StoredCountCheck prefixed{"p", 7, 7, 0, 0};
  EXPECT_TRUE(prefixed.exact());
}

TEST_F(IngestBenchTest, ProjectCountIsReadBesideAProxyPrefix) {
  // A proxy that serves roost under /prefix.
  StartServer({}, [](api::Handler inner) -> api::Handler {
    return [inner](const api::Request& request) {
      constexpr std::string_view kPrefix = "/prefix";
      if (!request.path.starts_with(kPrefix)) return api::ErrorResponse(404, "not under /prefix");
      api::Request inside = request;
      inside.path = request.path.substr(kPrefix.size());
      return inner(inside);
    };
  });
  IngestBenchOptions o = Options(500);
  o.target.path = "/prefix/v1/traces";
  EXPECT_EQ(RunAll(o), 500u);
  EXPECT_EQ(CountOf(o, "default"), 500u);
  o.target.path = "/";  // the projects route is then looked up at /api/v1/projects: a 404
  const ProjectCount outside = ReadProjectCount(o.target, "", "default", o.http);
  EXPECT_FALSE(outside.roost);
  EXPECT_THAT(outside.reason, HasSubstr("answered 404"));
}

TEST(IngestBenchOptionsTest, NeedsExactlyOneOfSpansAndDuration) {
  IngestBenchOptions o;
  o.target.host = "127.0.0.1";
  EXPECT_THAT(ValidateIngestBenchOptions(o), ::roost::testing::IsInvalidArgument("exactly one"));
  o.spans = 10;
  EXPECT_THAT(ValidateIngestBenchOptions(o), IsOk());
  o.duration = std::chrono::seconds(1);
  EXPECT_THAT(ValidateIngestBenchOptions(o), ::roost::testing::IsInvalidArgument("exactly one"));
}

TEST(RejectedSpansOfTest, ReadsPartialSuccessInBothEncodings) {
  EXPECT_EQ(RejectedSpansOf(ingest::EncodeExportResponseProtobuf(7, "bad spans"), false), 7u);
  EXPECT_EQ(RejectedSpansOf(ingest::EncodeExportResponseJson(7, "bad spans"), true), 7u);
  EXPECT_EQ(RejectedSpansOf(ingest::EncodeExportResponseProtobuf(0, ""), false), 0u);
  EXPECT_EQ(RejectedSpansOf(ingest::EncodeExportResponseJson(0, ""), true), 0u);
  EXPECT_EQ(RejectedSpansOf("", false), 0u);
  EXPECT_EQ(RejectedSpansOf("not json", true), 0u);
}

struct UrlCase {
  std::string url;
  std::string host;
  uint16_t port;
  std::string traces_path;
};

TEST(ParseHttpUrlTest, SplitsHostPortAndPath) {
  const std::vector<UrlCase> cases = {
      {"http://127.0.0.1:6006", "127.0.0.1", 6006, "/v1/traces"},
      {"http://localhost:4318/", "localhost", 4318, "/v1/traces"},
      {"http://collector/v1/traces", "collector", 80, "/v1/traces"},
      {"http://[::1]:6006/phoenix/", "::1", 6006, "/phoenix/v1/traces"},
      {"127.0.0.1:6006/v1/traces?x=1", "127.0.0.1", 6006, "/v1/traces?x=1"},
  };
  for (const UrlCase& c : cases) {
    Result<HttpUrl> url = ParseHttpUrl(c.url);
    ASSERT_THAT(url, IsOk()) << c.url;
    EXPECT_EQ(url->host, c.host) << c.url;
    EXPECT_EQ(url->port, c.port) << c.url;
    EXPECT_EQ(OtlpTracesPath(*url), c.traces_path) << c.url;
  }
}

TEST(ParseHttpUrlTest, RefusesHttpsAndBadPorts) {
  EXPECT_THAT(ParseHttpUrl("https://x:443"), ::roost::testing::IsInvalidArgument("https"));
  EXPECT_THAT(ParseHttpUrl("http://x:0"), ::roost::testing::IsInvalidArgument("port"));
  EXPECT_THAT(ParseHttpUrl("http://x:70000"), ::roost::testing::IsInvalidArgument("port"));
  EXPECT_THAT(ParseHttpUrl("http://:80"), ::roost::testing::IsInvalidArgument("no host"));
}

TEST(GzipCompressTest, RoundTripsThroughDecompress) {
  const std::string text(100000, 'x');
  Result<std::string> back =
      ingest::Decompress(GzipCompress(text), ingest::ContentEncoding::kGzip, text.size());
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(*back, text);
}

}  // namespace
}  // namespace roost::cli
