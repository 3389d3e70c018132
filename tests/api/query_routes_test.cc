// End-to-end tests of GET /api/v1/latency and /api/v1/cost (and `roost query`): a real store with
// hand-made spans behind a real server, every figure checked against values computed here.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/app_handler.h"
#include "api/query_params.h"
#include "api/rfc3339.h"
#include "storage/span.h"
#include "tests/api/test_server.h"
#include "tests/api/test_subprocess.h"

namespace roost::api {
namespace {

using nlohmann::json;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kMinute = 60'000 * kMs;
constexpr int64_t kHourNs = 60 * kMinute;
// 2026-11-25T10:00:00Z.
constexpr int64_t kBase = int64_t{1795600800} * 1000 * kMs;

struct SpanSpec {
  int64_t start_offset;  // from kBase
  int64_t duration_ms;
  std::string model;
  SpanKind kind;
  StatusCode status;
  int64_t prompt_tokens;
  int64_t completion_tokens;
  std::optional<double> cost;
  std::string project = "default";
  std::string session;
};

// Three hours of traffic in "default" (two models, spans without a model, errors, tokens, costs,
// a start exactly on 12:00) and one span in "other".
std::vector<SpanSpec> Specs() {
  const std::string d = "default";
  return {
      {0, 100, "gpt-4o", SpanKind::kLlm, StatusCode::kOk, 10, 5, 0.01, d, ""},
      {10 * kMinute, 200, "gpt-4o", SpanKind::kLlm, StatusCode::kError, 20, 10, 0.02, d, ""},
      {65 * kMinute, 400, "gpt-4o", SpanKind::kLlm, StatusCode::kOk, 30, 15, std::nullopt, d, ""},
      {30 * kMinute, 50, "claude", SpanKind::kLlm, StatusCode::kOk, 100, 50, 0.5, d, ""},
      {2 * kHourNs, 150, "claude", SpanKind::kLlm, StatusCode::kError, 0, 0, 0.25, d, ""},
      {90 * kMinute, 1000, "", SpanKind::kChain, StatusCode::kUnset, 0, 0, std::nullopt, d, "s1"},
      {3 * kHourNs - 500 * kMs, 10, "", SpanKind::kTool, StatusCode::kOk, 0, 0, std::nullopt, d,
       ""},
      {0, 5, "gpt-4o", SpanKind::kLlm, StatusCode::kOk, 1, 1, 1.0, "other", ""},
  };
}

std::vector<Span> MakeSpans() {
  std::vector<Span> spans;
  uint8_t n = 0;
  for (const SpanSpec& spec : Specs()) {
    Span s;
    ++n;
    s.trace_id.bytes[15] = n;
    s.span_id.bytes[7] = n;
    s.name = spec.kind == SpanKind::kLlm ? "chat" : "step";
    s.kind = spec.kind;
    s.status_code = spec.status;
    s.start_unix_nano = kBase + spec.start_offset;
    s.end_unix_nano = s.start_unix_nano + spec.duration_ms * kMs;
    s.project = spec.project;
    s.session_id = spec.session;
    s.model_name = spec.model;
    s.prompt_tokens = spec.prompt_tokens;
    s.completion_tokens = spec.completion_tokens;
    s.total_tokens = spec.prompt_tokens + spec.completion_tokens;
    s.cost_usd = spec.cost;
    if (spec.model == "claude") s.attributes.push_back({"team", std::string("research")});
    spans.push_back(std::move(s));
  }
  return spans;
}

// numpy.quantile(values, q) with the default 'linear' method.
double NumpyQuantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  double rank = q * static_cast<double>(values.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = static_cast<size_t>(std::ceil(rank));
  double t = rank - static_cast<double>(lo);
  double diff = values[hi] - values[lo];
  return t >= 0.5 ? values[hi] - diff * (1 - t) : values[lo] + diff * t;
}

// Durations (ms) of the "default" spans whose spec passes `keep`.
template <typename Pred>
std::vector<double> Durations(Pred keep) {
  std::vector<double> out;
  for (const SpanSpec& s : Specs()) {
    if (s.project == "default" && keep(s)) {
      out.push_back(static_cast<double>(s.duration_ms * kMs) / 1e6);
    }
  }
  return out;
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

class QueryRoutesTest : public testing::ServerFixture {
 protected:
  void Start(AppOptions app = {}) {
    StartServer(testing::SmallServerOptions(), app);
    Result<WriteResult> written = store().Write(MakeSpans());
    ASSERT_TRUE(written.ok()) << written.status().ToString();
  }

  // GETs `target`, expects `status`, returns the parsed body.
  json Get(const std::string& target, int status = 200) {
    testing::ClientResponse r = Client().Send("GET", target, "", headers_);
    EXPECT_EQ(r.status, status) << target << ": " << r.body;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  // Checks count, error_count, mean, max and quantiles of a latency group against `ms`.
  static void ExpectGroup(const json& g, const std::vector<double>& ms, uint64_t errors) {
    ASSERT_EQ(g["count"], ms.size()) << g.dump();
    EXPECT_EQ(g["error_count"], errors);
    EXPECT_NEAR(g["mean_ms"].get<double>(), Mean(ms), 1e-9);
    EXPECT_DOUBLE_EQ(g["max_ms"].get<double>(), *std::max_element(ms.begin(), ms.end()));
    for (const char* q : {"0.5", "0.9", "0.99"}) {
      EXPECT_DOUBLE_EQ(g["quantiles"][q].get<double>(), NumpyQuantile(ms, std::stod(q))) << q;
    }
  }

  std::map<std::string, std::string> headers_;
};

TEST_F(QueryRoutesTest, LatencyAllSpansMatchesNumpy) {
  Start();
  json j = Get("/api/v1/latency");
  ASSERT_EQ(j["groups"].size(), 1u) << j.dump();
  const json& g = j["groups"][0];
  EXPECT_TRUE(g["key"].is_null());
  ExpectGroup(g, Durations([](const SpanSpec&) { return true; }), 2);
  // Hand-computed: sorted 10 50 100 150 200 400 1000.
  EXPECT_DOUBLE_EQ(g["quantiles"]["0.5"].get<double>(), 150);
  EXPECT_DOUBLE_EQ(g["quantiles"]["0.9"].get<double>(), 640);
  EXPECT_DOUBLE_EQ(g["max_ms"].get<double>(), 1000);
}

TEST_F(QueryRoutesTest, LatencyGroupsByModelWithNullKeyLast) {
  Start();
  json j = Get("/api/v1/latency?group_by=model");
  ASSERT_EQ(j["groups"].size(), 3u) << j.dump();
  EXPECT_EQ(j["groups"][0]["key"], "claude");
  ExpectGroup(j["groups"][0], Durations([](const SpanSpec& s) { return s.model == "claude"; }), 1);
  EXPECT_EQ(j["groups"][1]["key"], "gpt-4o");
  ExpectGroup(j["groups"][1], Durations([](const SpanSpec& s) { return s.model == "gpt-4o"; }), 1);
  EXPECT_TRUE(j["groups"][2]["key"].is_null());
  ExpectGroup(j["groups"][2], Durations([](const SpanSpec& s) { return s.model.empty(); }), 0);
}

TEST_F(QueryRoutesTest, LatencyQuantileKeysAreTheStringsAsSent) {
  Start();
  json j = Get("/api/v1/latency?q=0,.25,1.0&model=gpt-4o");
  const json& q = j["groups"][0]["quantiles"];
  ASSERT_EQ(q.size(), 3u) << j.dump();
  EXPECT_DOUBLE_EQ(q["0"].get<double>(), 100);
  EXPECT_DOUBLE_EQ(q[".25"].get<double>(), 150);
  EXPECT_DOUBLE_EQ(q["1.0"].get<double>(), 400);
}

TEST_F(QueryRoutesTest, LatencyOfNothingHasNullQuantiles) {
  Start();
  json j = Get("/api/v1/latency?model=no-such-model");
  ASSERT_EQ(j["groups"].size(), 1u);
  EXPECT_EQ(j["groups"][0]["count"], 0);
  EXPECT_TRUE(j["groups"][0]["quantiles"]["0.5"].is_null()) << j.dump();
}

TEST_F(QueryRoutesTest, LatencyBucketsStartOnTheHour) {
  Start();
  json j = Get("/api/v1/latency?step=1h&q=0.5");
  const json& buckets = j["groups"][0]["buckets"];
  ASSERT_EQ(buckets.size(), 3u) << j.dump();
  const char* starts[] = {"2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z", "2026-11-25T12:00:00Z"};
  for (int h = 0; h < 3; ++h) {
    EXPECT_EQ(buckets[h]["start"], starts[h]);
    std::vector<double> ms = Durations([h](const SpanSpec& s) {
      return s.start_offset >= h * kHourNs && s.start_offset < (h + 1) * kHourNs;
    });
    EXPECT_EQ(buckets[h]["count"], ms.size());
    EXPECT_DOUBLE_EQ(buckets[h]["quantiles"]["0.5"].get<double>(), NumpyQuantile(ms, 0.5));
  }
}

TEST_F(QueryRoutesTest, FromToAcceptRfc3339OffsetsAndEpochMillis) {
  Start();
  // [10:30, 12:00): the 10:30 span is in, the 12:00 one out.
  std::vector<double> want = Durations([](const SpanSpec& s) {
    return s.start_offset >= 30 * kMinute && s.start_offset < 2 * kHourNs;
  });
  const int64_t from_ms = (kBase + 30 * kMinute) / kMs;
  const int64_t to_ms = (kBase + 2 * kHourNs) / kMs;
  for (const std::string& range :
       {std::string("from=2026-11-25T10:30:00Z&to=2026-11-25T12:00:00Z"),
        std::string("from=2026-11-25T11:30:00.000%2B01:00&to=2026-11-25T07:00:00-05:00"),
        "from=" + std::to_string(from_ms) + "&to=" + std::to_string(to_ms)}) {
    json j = Get("/api/v1/latency?" + range);
    ExpectGroup(j["groups"][0], want, 0);
  }
}

TEST_F(QueryRoutesTest, FiltersByKindStatusAndName) {
  Start();
  EXPECT_EQ(Get("/api/v1/latency?kind=llm")["groups"][0]["count"], 5);
  EXPECT_EQ(Get("/api/v1/latency?status=error")["groups"][0]["count"], 2);
  EXPECT_EQ(Get("/api/v1/latency?name=step")["groups"][0]["count"], 2);
  EXPECT_EQ(Get("/api/v1/latency?project=other")["groups"][0]["count"], 1);
}

TEST_F(QueryRoutesTest, CostSumsTokensAndCostPerModel) {
  Start();
  json j = Get("/api/v1/cost?group_by=model");
  ASSERT_EQ(j["groups"].size(), 3u) << j.dump();
  struct Want {
    json key;
    uint64_t spans, prompt, completion;
    double cost;
  };
  // The gpt-4o span without `llm.cost.total` is priced at the built-in gpt-4o rates
  // ($2.50 and $10 per million prompt and completion tokens).
  const double computed = 30 * 2.5e-6 + 15 * 10e-6;
  std::vector<Want> wants = {{"claude", 2, 100, 50, 0.75},
                             {"gpt-4o", 3, 60, 30, 0.03 + computed},
                             {nullptr, 2, 0, 0, 0},
                             {nullptr, 7, 160, 80, 0.78 + computed}};
  for (size_t i = 0; i < wants.size(); ++i) {
    const json& g = i < 3 ? j["groups"][i] : j["total"];
    if (i < 3) {
      EXPECT_EQ(g["key"], wants[i].key);
    }
    EXPECT_EQ(g["spans"], wants[i].spans) << g.dump();
    EXPECT_EQ(g["prompt_tokens"], wants[i].prompt);
    EXPECT_EQ(g["completion_tokens"], wants[i].completion);
    EXPECT_EQ(g["total_tokens"], wants[i].prompt + wants[i].completion);
    EXPECT_NEAR(g["cost_usd"].get<double>(), wants[i].cost, 1e-12);
    EXPECT_EQ(g["unpriced_spans"], 0);
  }
  EXPECT_FALSE(j["total"].contains("key"));
}

TEST_F(QueryRoutesTest, CostShowsUnpricedSpansInGroupsBucketsAndTotal) {
  // A pricing table without gpt-4o: its span without `llm.cost.total` is unpriced.
  auto pricing = std::make_shared<query::PricingTable>();
  ASSERT_TRUE(pricing
                  ->MergeJson(R"({"models": {"claude": {"input_per_million_tokens": 1,
                      "output_per_million_tokens": 1}}})",
                              "test")
                  .ok());
  AppOptions app;
  app.pricing = pricing;
  Start(app);
  json j = Get("/api/v1/cost?group_by=model&step=1h");
  ASSERT_EQ(j["groups"].size(), 3u) << j.dump();
  const json& gpt = j["groups"][1];
  ASSERT_EQ(gpt["key"], "gpt-4o");
  EXPECT_EQ(gpt["unpriced_spans"], 1);
  EXPECT_NEAR(gpt["cost_usd"].get<double>(), 0.03, 1e-12);
  // Its buckets: 10:00 holds the two spans with a cost, 11:00 the unpriced one.
  ASSERT_EQ(gpt["buckets"].size(), 2u);
  EXPECT_EQ(gpt["buckets"][0]["unpriced_spans"], 0);
  EXPECT_EQ(gpt["buckets"][1]["start"], "2026-11-25T11:00:00Z");
  EXPECT_EQ(gpt["buckets"][1]["unpriced_spans"], 1);
  EXPECT_EQ(j["groups"][0]["unpriced_spans"], 0);  // claude: both carry a cost
  EXPECT_EQ(j["total"]["unpriced_spans"], 1);
  EXPECT_NEAR(j["total"]["cost_usd"].get<double>(), 0.78, 1e-12);
  ASSERT_EQ(j["total"]["buckets"].size(), 3u);
  EXPECT_EQ(j["total"]["buckets"][1]["unpriced_spans"], 1);
}

TEST_F(QueryRoutesTest, CostBucketsPerDayAndInTotal) {
  Start();
  json j = Get("/api/v1/cost?step=1d&model=claude");
  ASSERT_EQ(j["total"]["buckets"].size(), 1u) << j.dump();
  EXPECT_EQ(j["total"]["buckets"][0]["start"], "2026-11-25T00:00:00Z");
  EXPECT_EQ(j["total"]["buckets"][0]["spans"], 2);
  EXPECT_NEAR(j["groups"][0]["buckets"][0]["cost_usd"].get<double>(), 0.75, 1e-12);
}

TEST_F(QueryRoutesTest, GroupsByProjectAcrossProjectsAndByAttribute) {
  Start();
  json j = Get("/api/v1/latency?group_by=project");
  ASSERT_EQ(j["groups"].size(), 2u) << j.dump();
  EXPECT_EQ(j["groups"][0]["key"], "default");
  EXPECT_EQ(j["groups"][0]["count"], 7);
  EXPECT_EQ(j["groups"][1]["key"], "other");
  EXPECT_EQ(j["groups"][1]["count"], 1);
  // With a project, group_by=project covers that project only.
  j = Get("/api/v1/cost?group_by=project&project=other");
  ASSERT_EQ(j["groups"].size(), 1u) << j.dump();
  EXPECT_EQ(j["groups"][0]["key"], "other");
  EXPECT_EQ(j["total"]["spans"], 1);

  j = Get("/api/v1/latency?group_by=attr:team");
  ASSERT_EQ(j["groups"].size(), 2u) << j.dump();
  EXPECT_EQ(j["groups"][0]["key"], "research");
  ExpectGroup(j["groups"][0], Durations([](const SpanSpec& s) { return s.model == "claude"; }), 1);
  EXPECT_EQ(j["groups"][1]["key"], nullptr);
  EXPECT_EQ(j["groups"][1]["count"], 5);
  j = Get("/api/v1/cost?attr:team=research&group_by=model");
  ASSERT_EQ(j["groups"].size(), 1u) << j.dump();
  EXPECT_EQ(j["groups"][0]["key"], "claude");
  EXPECT_NEAR(j["total"]["cost_usd"].get<double>(), 0.75, 1e-12);
  EXPECT_EQ(Get("/api/v1/latency?attr:team=nobody")["groups"][0]["count"], 0);
}

TEST_F(QueryRoutesTest, ApproxAnswersWithinOnePercent) {
  Start();
  ASSERT_TRUE(store().Flush().ok());
  json exact = Get("/api/v1/latency?group_by=model&q=0,0.5,0.9,0.99,1&step=1h");
  json approx = Get("/api/v1/latency?group_by=model&q=0,0.5,0.9,0.99,1&step=1h&approx=true");
  ASSERT_EQ(approx["groups"].size(), exact["groups"].size()) << approx.dump();
  for (size_t g = 0; g < exact["groups"].size(); ++g) {
    const json& e = exact["groups"][g];
    const json& a = approx["groups"][g];
    EXPECT_EQ(a["key"], e["key"]);
    EXPECT_EQ(a["count"], e["count"]);
    EXPECT_EQ(a["error_count"], e["error_count"]);
    EXPECT_EQ(a["max_ms"], e["max_ms"]);
    for (const char* q : {"0", "0.5", "0.9", "0.99", "1"}) {
      const double want = e["quantiles"][q].get<double>();
      EXPECT_NEAR(a["quantiles"][q].get<double>(), want, 0.01 * want) << q << " " << a.dump();
    }
    ASSERT_EQ(a["buckets"].size(), e["buckets"].size());
    for (size_t b = 0; b < e["buckets"].size(); ++b) {
      EXPECT_EQ(a["buckets"][b]["start"], e["buckets"][b]["start"]);
      EXPECT_EQ(a["buckets"][b]["count"], e["buckets"][b]["count"]);
    }
  }
}

TEST_F(QueryRoutesTest, EveryBadParameterIsA400NamingIt) {
  Start();
  struct Case {
    std::string query, name;
  };
  std::vector<Case> cases = {
      {"group_by=colour", "group_by"},
      {"group_by=attr:", "group_by"},
      {"attr:=x", "attr:"},
      {"from=yesterday", "from"},
      {"to=2026-13-01T00:00:00Z", "to"},
      {"from=2026-11-25T10:00:00", "from"},
      {"q=1.5", "q"},
      {"q=-0.1", "q"},
      {"q=0.5,", "q"},
      {"q=abc", "q"},
      {"step=5x", "step"},
      {"step=0m", "step"},
      {"step=m", "step"},
      {"kind=WIDGET", "kind"},
      {"status=FINE", "status"},
      {"project=nowhere", "nowhere"},
      {"approx=maybe", "approx"},
  };
  for (const char* route : {"/api/v1/latency?", "/api/v1/cost?"}) {
    for (const Case& c : cases) {
      json j = Get(route + c.query, 400);
      ASSERT_TRUE(j.contains("error")) << c.query;
      EXPECT_NE(j["error"].get<std::string>().find(c.name), std::string::npos)
          << c.query << ": " << j.dump();
    }
  }
}

TEST_F(QueryRoutesTest, NeedsTheApiKeyWhenOneIsSet) {
  AppOptions app;
  app.api_key = "sekret";
  Start(app);
  Get("/api/v1/latency", 401);
  Get("/api/v1/cost", 401);
  headers_["Authorization"] = "Bearer sekret";
  Get("/api/v1/latency", 200);
  Get("/api/v1/cost", 200);
}

TEST_F(QueryRoutesTest, PostIsA405) {
  Start();
  for (const char* route : {"/api/v1/latency", "/api/v1/cost"}) {
    testing::ClientResponse r = Client().Send("POST", route, "{}");
    EXPECT_EQ(r.status, 405) << route;
    EXPECT_EQ(r.headers["allow"], "GET");
  }
}

TEST(QueryTimeTest, ParsesRfc3339AndEpochMillis) {
  EXPECT_EQ(*ParseQueryTime("2026-11-25T10:00:00Z"), kBase);
  EXPECT_EQ(*ParseQueryTime("2026-11-25t10:00:00.5z"), kBase + 500 * kMs);
  EXPECT_EQ(*ParseQueryTime("2026-11-25T12:00:00.000000001+02:00"), kBase + 1);
  EXPECT_EQ(*ParseQueryTime(std::to_string(kBase / kMs)), kBase);
  EXPECT_FALSE(ParseQueryTime("2026-02-30T00:00:00Z").ok());
  EXPECT_FALSE(ParseQueryTime("2026-11-25T10:00:00.Z").ok());
  EXPECT_EQ(FormatRfc3339(kBase), "2026-11-25T10:00:00Z");
  EXPECT_EQ(FormatRfc3339(kBase + 1), "2026-11-25T10:00:00.000000001Z");
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
}

TEST(QueryStepTest, ParsesUnits) {
  EXPECT_EQ(*ParseStep("1m"), 60'000 * kMs);
  EXPECT_EQ(*ParseStep("5m"), 300'000 * kMs);
  EXPECT_EQ(*ParseStep("1h"), kHourNs);
  EXPECT_EQ(*ParseStep("1d"), 24 * kHourNs);
  EXPECT_EQ(*ParseStep("30s"), 30'000 * kMs);
  EXPECT_FALSE(ParseStep("-1m").ok());
  EXPECT_FALSE(ParseStep("1w").ok());
  EXPECT_FALSE(ParseStep("99999999999d").ok());
}

// `roost query ... --json` prints exactly the HTTP answer for the same parameters.
TEST_F(QueryRoutesTest, CliJsonEqualsTheHttpAnswer) {
  Start();
  const std::string latency_http =
      Get("/api/v1/latency?group_by=model&step=1h&q=0.5,0.99&from=2026-11-25T10:00:00Z").dump();
  const std::string cost_http = Get("/api/v1/cost?group_by=kind&step=5m&status=OK").dump();
  const std::string approx_http =
      Get("/api/v1/latency?group_by=attr:team&approx=true&attr:team=research").dump();
  StopServer();
  auto run = [this](std::vector<std::string> args) {
    std::vector<std::string> argv = {ROOST_BINARY, "query"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--data", data_dir(), "--json"});
    std::string error;
    std::unique_ptr<testing::Subprocess> p = testing::Subprocess::Start(argv, &error);
    EXPECT_NE(p, nullptr) << error;
    if (p == nullptr) return json();
    EXPECT_EQ(p->Wait(std::chrono::seconds(60)).value_or(-1), 0) << p->err();
    json j = json::parse(p->out(), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << p->out() << p->err();
    return j;
  };
  EXPECT_EQ(run({"latency", "--group-by", "model", "--step", "1h", "--q", "0.5,0.99", "--from",
                 "2026-11-25T10:00:00Z"})
                .dump(),
            latency_http);
  EXPECT_EQ(run({"cost", "--group-by", "kind", "--step", "5m", "--status", "OK"}).dump(),
            cost_http);
  EXPECT_EQ(
      run({"latency", "--group-by", "attr:team", "--approx", "true", "--attr", "team=research"})
          .dump(),
      approx_http);
}

// `roost query cost --pricing FILE`: the file's prices apply; a bad file is a clear error.
TEST_F(QueryRoutesTest, CliCostReadsAPricingFileAndRefusesBadOnes) {
  Start();
  StopServer();
  const std::string good = data_dir() + "/prices-good.json";
  const std::string bad = data_dir() + "/prices-bad.json";
  {
    std::ofstream(good) << R"({"models": {"gpt-4o": {"input_per_million_tokens": 1000,
                                                  "output_per_million_tokens": 2000}}})";
    std::ofstream(bad) << R"({"models": {"gpt-4o": {"input_per_million_tokens": -1,
                                                 "output_per_million_tokens": 2}}})";
  }
  auto run = [this](const std::string& pricing, int want_exit) {
    std::vector<std::string> argv = {ROOST_BINARY, "query",   "cost",   "--data",    data_dir(),
                                     "--json",     "--model", "gpt-4o", "--pricing", pricing};
    std::string error;
    std::unique_ptr<testing::Subprocess> p = testing::Subprocess::Start(argv, &error);
    EXPECT_NE(p, nullptr) << error;
    if (p == nullptr) return std::make_pair(json(), std::string());
    EXPECT_EQ(p->Wait(std::chrono::seconds(60)).value_or(-1), want_exit) << p->err();
    return std::make_pair(json::parse(p->out(), nullptr, false), p->err());
  };
  // The gpt-4o span without a cost: 30 prompt and 15 completion tokens at the file's rates.
  auto [answer, err] = run(good, 0);
  EXPECT_NEAR(answer["total"]["cost_usd"].get<double>(), 0.03 + 30 * 1e-3 + 15 * 2e-3, 1e-12);
  auto [none, message] = run(bad, 1);
  EXPECT_NE(message.find("pricing file " + bad), std::string::npos) << message;
  EXPECT_NE(message.find("negative"), std::string::npos) << message;
}

}  // namespace
}  // namespace roost::api
