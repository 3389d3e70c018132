// End-to-end ingest through a real HttpServer + MakeAppHandler on 127.0.0.1: round trips in every
// body format and encoding, de-duplication, concurrency, load shedding.

#include <algorithm>
#include <atomic>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/api/test_compression.h"
#include "tests/api/test_export.h"
#include "tests/api/test_server.h"
#include "tests/api/test_spans.h"

namespace roost::api {
namespace {

using testing::ClientResponse;
using testing::CountSpans;
using testing::ExportResult;
using testing::Framing;
using ::testing::HasSubstr;
using testing::MakeTrace;
using testing::ParseExportResponse;
using testing::SpanKey;
using testing::StoredKeys;
using testing::TestClient;
using testing::Wire;

std::set<SpanKey> KeysOf(const std::vector<Span>& spans) {
  std::set<SpanKey> keys;
  for (const Span& s : spans) keys.insert({s.trace_id, s.span_id});
  return keys;
}

class OtlpIngestServerTest : public testing::ServerFixture {};

// One round trip: a body format and a Content-Encoding ("" for none).
struct RoundTripCase {
  const char* name;
  Wire wire;
  const char* encoding;
  Framing framing;
};

// Names the case in test listings (instead of its bytes).
void PrintTo(const RoundTripCase& c, std::ostream* os) { *os << c.name; }

class OtlpIngestRoundTripTest : public testing::ServerFixture,
                                public ::testing::WithParamInterface<RoundTripCase> {};

TEST_P(OtlpIngestRoundTripTest, StoredSpansEqualSentSpans) {
  const RoundTripCase& c = GetParam();
  StartServer();
  std::vector<Span> trace1 = MakeTrace(1, 6, "round-trip");
  std::vector<Span> trace2 = MakeTrace(2, 3, "round-trip-2");
  std::vector<Span> all = trace1;
  all.insert(all.end(), trace2.begin(), trace2.end());
  std::string body = testing::EncodeSpans(all, c.wire);
  std::map<std::string, std::string> headers;
  if (*c.encoding != '\0') {
    body = testing::Compress(body, c.framing);
    headers["Content-Encoding"] = c.encoding;
  }
  TestClient client = Client();
  ClientResponse r = testing::PostBody(client, body, c.wire, headers);
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_EQ(r.headers["content-type"], testing::ContentTypeOf(c.wire));
  EXPECT_EQ(r.body, c.wire == Wire::kJson ? "{}" : "");
  ExportResult result = ParseExportResponse(r.body, c.wire);
  EXPECT_TRUE(result.parsed);
  EXPECT_FALSE(result.has_partial_success);

  for (const std::vector<Span>* sent : {&trace1, &trace2}) {
    Result<std::vector<Span>> stored = store().GetTrace(sent->front().trace_id);
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    ASSERT_EQ(stored->size(), sent->size());
    for (size_t i = 0; i < sent->size(); ++i) testing::ExpectSameSpan((*stored)[i], (*sent)[i]);
  }
  EXPECT_EQ(CountSpans(store(), "round-trip"), 6u);
  EXPECT_EQ(CountSpans(store(), "round-trip-2"), 3u);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, OtlpIngestRoundTripTest,
    ::testing::Values(RoundTripCase{"Protobuf", Wire::kProtobuf, "", Framing::kGzip},
                      RoundTripCase{"Json", Wire::kJson, "", Framing::kGzip},
                      RoundTripCase{"ProtobufGzip", Wire::kProtobuf, "gzip", Framing::kGzip},
                      RoundTripCase{"JsonGzip", Wire::kJson, "gzip", Framing::kGzip},
                      RoundTripCase{"ProtobufDeflate", Wire::kProtobuf, "deflate", Framing::kZlib},
                      RoundTripCase{"JsonRawDeflate", Wire::kJson, "deflate",
                                    Framing::kRawDeflate}),
    [](const ::testing::TestParamInfo<RoundTripCase>& param_info) {
      return param_info.param.name;
    });

TEST_F(OtlpIngestServerTest, ProjectHeaderWinsOverResourceAttribute) {
  StartServer();
  TestClient client = Client();
  ClientResponse r = testing::PostSpans(client, MakeTrace(1, 4, "from-resource"), Wire::kJson,
                                        {{"x-project-name", "from-header"}});
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_EQ(CountSpans(store(), "from-header"), 4u);
  EXPECT_EQ(CountSpans(store(), "from-resource"), 0u);
}

TEST_F(OtlpIngestServerTest, PartialSuccessStoresTheValidSpans) {
  StartServer();
  std::vector<Span> spans = MakeTrace(1, 5, "partial");
  spans[1].end_unix_nano = spans[1].start_unix_nano - 5;
  TestClient client = Client();
  ClientResponse r = testing::PostSpans(client, spans, Wire::kProtobuf);
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  ExportResult result = ParseExportResponse(r.body, Wire::kProtobuf);
  ASSERT_TRUE(result.parsed);
  EXPECT_EQ(result.rejected_spans, 1);
  EXPECT_THAT(result.error_message, HasSubstr("end time is before start time"));
  spans.erase(spans.begin() + 1);
  EXPECT_EQ(StoredKeys(store(), "partial"), KeysOf(spans));
}

TEST_F(OtlpIngestServerTest, ResentRequestIsStoredOnce) {
  StartServer();
  const std::vector<Span> spans = MakeTrace(1, 50, "dedupe");
  TestClient client = Client();
  for (int attempt = 0; attempt < 2; ++attempt) {
    ClientResponse r = testing::PostSpans(client, spans, Wire::kProtobuf);
    ASSERT_EQ(r.status, 200) << "attempt " << attempt << ": " << r.error << r.body;
    EXPECT_EQ(ParseExportResponse(r.body, Wire::kProtobuf).rejected_spans, 0);
  }
  EXPECT_EQ(CountSpans(store(), "dedupe"), 50u);
  // Once sealed into column blocks, a resend is still recognized.
  ASSERT_TRUE(store().Flush().ok());
  ClientResponse r = testing::PostSpans(client, spans, Wire::kJson);
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_EQ(CountSpans(store(), "dedupe"), 50u);
  EXPECT_EQ(StoredKeys(store(), "dedupe"), KeysOf(spans));
}

// `threads` clients each send `requests` requests of `spans_per_request` spans (distinct ids:
// trace = client * 1000 + request); returns every status seen per request, and fills
// `acknowledged` with the keys of the spans of 200-answered requests.
struct LoadResult {
  std::vector<int> statuses;
  std::set<SpanKey> acknowledged;
  std::vector<std::string> problems;  // unexpected answers, described
};

LoadResult SendConcurrently(uint16_t port, int threads, int requests, int spans_per_request,
                            const std::string& project) {
  std::vector<LoadResult> per_thread(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      LoadResult& out = per_thread[static_cast<size_t>(t)];
      TestClient client(port);
      for (int q = 0; q < requests; ++q) {
        const auto trace = static_cast<uint32_t>(t * 1000 + q);
        std::vector<Span> spans = MakeTrace(trace, static_cast<size_t>(spans_per_request), project);
        ClientResponse r = testing::PostSpans(client, spans, Wire::kProtobuf);
        out.statuses.push_back(r.status);
        if (r.status == 200) {
          for (const Span& s : spans) out.acknowledged.insert({s.trace_id, s.span_id});
        } else if (r.status != 503 || r.headers["retry-after"].empty() ||
                   r.body.find("\"error\"") == std::string::npos) {
          out.problems.push_back("trace " + std::to_string(trace) + ": status " +
                                 std::to_string(r.status) + " " + r.error + r.body);
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  LoadResult all;
  for (LoadResult& r : per_thread) {
    all.statuses.insert(all.statuses.end(), r.statuses.begin(), r.statuses.end());
    all.acknowledged.insert(r.acknowledged.begin(), r.acknowledged.end());
    all.problems.insert(all.problems.end(), r.problems.begin(), r.problems.end());
  }
  return all;
}

TEST_F(OtlpIngestServerTest, ConcurrentClientsAreAllStored) {
  StartServer();
  constexpr int kThreads = 8, kRequests = 25, kSpans = 200;
  LoadResult result = SendConcurrently(port(), kThreads, kRequests, kSpans, "concurrent");
  EXPECT_THAT(result.problems, ::testing::IsEmpty());
  EXPECT_EQ(std::count(result.statuses.begin(), result.statuses.end(), 200), kThreads * kRequests);
  EXPECT_EQ(result.acknowledged.size(), size_t{kThreads * kRequests * kSpans});
  EXPECT_EQ(CountSpans(store(), "concurrent"), uint64_t{kThreads * kRequests * kSpans});
  EXPECT_EQ(StoredKeys(store(), "concurrent"), result.acknowledged);
}

TEST_F(OtlpIngestServerTest, LoadSheddingStoresExactlyTheAcknowledgedSpans) {
  StoreOptions store_options = testing::SmallStoreOptions();
  store_options.max_queued_spans = 100;  // below one request: a second waiting request is shed
  store_options.max_commit_spans = 200;
  StartServer(testing::SmallServerOptions(), AppOptions{}, store_options);
  constexpr int kThreads = 8, kRequests = 10, kSpans = 200;
  LoadResult result = SendConcurrently(port(), kThreads, kRequests, kSpans, "shed");
  // Every answer is a 200 or a 503 with Retry-After and a JSON error (else it is in `problems`).
  EXPECT_THAT(result.problems, ::testing::IsEmpty());
  EXPECT_EQ(result.statuses.size(), size_t{kThreads * kRequests});
  const auto acked = std::count(result.statuses.begin(), result.statuses.end(), 200);
  RecordProperty("shed_requests", static_cast<int>(result.statuses.size() - acked));
  EXPECT_GT(acked, 0);
  EXPECT_EQ(result.acknowledged.size(), static_cast<size_t>(acked) * kSpans);
  EXPECT_EQ(StoredKeys(store(), "shed"), result.acknowledged);
}

}  // namespace
}  // namespace roost::api
