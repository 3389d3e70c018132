// End-to-end tests of roost's read routes (/api/v1/projects, sessions, traces, spans): a real
// store with hand-made spans behind a real server, every figure checked against values computed
// here from the spans.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/rfc3339.h"
#include "api/span_json.h"
#include "storage/span.h"
#include "tests/api/test_server.h"

namespace roost::api {
namespace {

using nlohmann::json;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kMinute = 60'000 * kMs;
constexpr int64_t kHourNs = 60 * kMinute;
// 2026-11-25T10:00:00Z.
constexpr int64_t kBase = int64_t{1795600800} * 1000 * kMs;

Span MakeSpan(uint8_t trace, uint8_t id, int64_t offset, int64_t duration_ms) {
  Span s;
  s.trace_id.bytes[0] = 0xab;
  s.trace_id.bytes[15] = trace;
  s.span_id.bytes[7] = id;
  s.name = "step";
  s.kind = SpanKind::kChain;
  s.start_unix_nano = kBase + offset;
  s.end_unix_nano = s.start_unix_nano + duration_ms * kMs;
  return s;
}

Span Child(Span s, const Span& parent) {
  s.parent_span_id = parent.span_id;
  return s;
}

Span Llm(Span s, int64_t prompt, int64_t completion, double cost) {
  s.kind = SpanKind::kLlm;
  s.name = "chat";
  s.model_name = "gpt-4o";
  s.prompt_tokens = prompt;
  s.completion_tokens = completion;
  s.total_tokens = prompt + completion;
  s.cost_usd = cost;
  return s;
}

// Traces 1 and 2 in session s1, trace 3 in s2 (project default); trace 4 in project "other".
std::vector<Span> MakeSpans() {
  std::vector<Span> out;
  Span a = MakeSpan(1, 1, 0, 1000);
  a.session_id = "s1";
  out.push_back(a);
  Span llm = Llm(Child(MakeSpan(1, 2, 10 * kMs + 7, 200), a), 10, 5, 0.01);
  llm.session_id = "s1";
  llm.attributes = {{"llm.model_name", std::string("gpt-4o")},
                    {"input.value", std::string("hi")},
                    {"count", int64_t{3}},
                    {"flag", true},
                    {"ratio", 0.5},
                    {"tags", std::vector<std::string>{"a", "b"}}};
  llm.events = {{"first_token", kBase + 20 * kMs, {{"n", int64_t{1}}}}};
  out.push_back(llm);
  Span tool = Child(MakeSpan(1, 3, 300 * kMs, 50), a);
  tool.kind = SpanKind::kTool;
  tool.status_code = StatusCode::kError;
  tool.status_message = "boom";
  tool.session_id = "s1";
  out.push_back(tool);
  Span b = MakeSpan(2, 4, kHourNs, 500);
  b.session_id = "s1";
  out.push_back(b);
  Span b_llm = Llm(Child(MakeSpan(2, 5, kHourNs + 5 * kMs, 100), b), 20, 10, 0.02);
  b_llm.session_id = "s1";
  out.push_back(b_llm);
  Span c = MakeSpan(3, 6, 30 * kMinute, 300);
  c.session_id = "s2";
  out.push_back(c);
  Span d = MakeSpan(4, 7, 0, 10);
  d.session_id = "s1";
  d.project = "other";
  out.push_back(d);
  return out;
}

class ReadRoutesTest : public testing::ServerFixture {
 protected:
  void Start(AppOptions app = {}) {
    StartServer(testing::SmallServerOptions(), app);
    spans_ = MakeSpans();
    Result<WriteResult> written = store().Write(spans_);
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    ASSERT_EQ(written->stored, spans_.size());
  }

  // GETs `target`, expects `status`, returns the parsed body.
  json Get(const std::string& target, int status = 200) {
    testing::ClientResponse r = Client().Send("GET", target, "", headers_);
    EXPECT_EQ(r.status, status) << target << ": " << r.body;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  // The spans of `project` in start order, as SpanJson values.
  json Expected(const std::function<bool(const Span&)>& keep) const {
    std::vector<Span> kept;
    for (const Span& s : spans_) {
      if (keep(s)) kept.push_back(s);
    }
    std::stable_sort(kept.begin(), kept.end(), [](const Span& x, const Span& y) {
      return x.start_unix_nano < y.start_unix_nano;
    });
    return json::parse(SpansJson(kept));
  }

  std::vector<Span> spans_;
  std::map<std::string, std::string> headers_;
};

TEST_F(ReadRoutesTest, SpanJsonHasEveryField) {
  Start();
  json j = Get("/api/v1/traces/ab000000000000000000000000000001");
  ASSERT_EQ(j["spans"].size(), 3u) << j.dump();
  const json& root = j["spans"][0];
  EXPECT_TRUE(root["parent_span_id"].is_null());
  EXPECT_TRUE(root["model"].is_null());
  EXPECT_TRUE(root["cost_usd"].is_null());
  EXPECT_TRUE(root["status_message"].is_null());
  const json& s = j["spans"][1];
  EXPECT_EQ(s["trace_id"], "ab000000000000000000000000000001");
  EXPECT_EQ(s["span_id"], "0000000000000002");
  EXPECT_EQ(s["parent_span_id"], "0000000000000001");
  EXPECT_EQ(s["name"], "chat");
  EXPECT_EQ(s["kind"], "LLM");
  EXPECT_EQ(s["status"], "UNSET");
  EXPECT_EQ(s["start_time"], "2026-11-25T10:00:00.010000007Z");
  EXPECT_EQ(s["end_time"], "2026-11-25T10:00:00.210000007Z");
  EXPECT_DOUBLE_EQ(s["duration_ms"].get<double>(), 200);
  EXPECT_EQ(s["project"], "default");
  EXPECT_EQ(s["session_id"], "s1");
  EXPECT_EQ(s["model"], "gpt-4o");
  EXPECT_EQ(s["prompt_tokens"], 10);
  EXPECT_EQ(s["completion_tokens"], 5);
  EXPECT_EQ(s["total_tokens"], 15);
  EXPECT_DOUBLE_EQ(s["cost_usd"].get<double>(), 0.01);
  EXPECT_EQ(s["attributes"]["llm.model_name"], "gpt-4o");
  EXPECT_EQ(s["attributes"]["count"], 3);
  EXPECT_EQ(s["attributes"]["flag"], true);
  EXPECT_EQ(s["attributes"]["ratio"], 0.5);
  EXPECT_EQ(s["attributes"]["tags"], json({"a", "b"}));
  ASSERT_EQ(s["events"].size(), 1u);
  EXPECT_EQ(s["events"][0]["name"], "first_token");
  EXPECT_EQ(s["events"][0]["time"], "2026-11-25T10:00:00.020000000Z");
  EXPECT_EQ(s["events"][0]["attributes"]["n"], 1);
  EXPECT_EQ(j["spans"][2]["status"], "ERROR");
  EXPECT_EQ(j["spans"][2]["status_message"], "boom");
}

TEST_F(ReadRoutesTest, TraceUnknownIs404AndMalformedIs400) {
  Start();
  json j = Get("/api/v1/traces/ab0000000000000000000000000000ff", 404);
  EXPECT_NE(j["error"].get<std::string>().find("unknown trace"), std::string::npos);
  for (const char* bad : {"xyz", "ab00", "ab0000000000000000000000000000fg"}) {
    json e = Get(std::string("/api/v1/traces/") + bad, 400);
    EXPECT_NE(e["error"].get<std::string>().find("trace_id"), std::string::npos) << bad;
  }
}

TEST_F(ReadRoutesTest, ProjectsListCountsAndRanges) {
  Start();
  json j = Get("/api/v1/projects");
  ASSERT_EQ(j["projects"].size(), 2u) << j.dump();
  EXPECT_EQ(j["projects"][0]["name"], "default");
  EXPECT_EQ(j["projects"][0]["span_count"], 6);
  EXPECT_EQ(j["projects"][0]["first_start"], FormatRfc3339(kBase));
  EXPECT_EQ(j["projects"][0]["last_start"], FormatRfc3339(kBase + kHourNs + 5 * kMs));
  EXPECT_EQ(j["projects"][1]["name"], "other");
  EXPECT_EQ(j["projects"][1]["span_count"], 1);
}

TEST_F(ReadRoutesTest, SessionsHaveTheirFiguresByLastActivity) {
  Start();
  json j = Get("/api/v1/sessions");
  ASSERT_EQ(j["sessions"].size(), 2u) << j.dump();
  const json& s1 = j["sessions"][0];
  EXPECT_EQ(s1["session_id"], "s1");
  EXPECT_EQ(s1["span_count"], 5);
  EXPECT_EQ(s1["trace_count"], 2);
  EXPECT_EQ(s1["first_start"], FormatRfc3339(kBase));
  EXPECT_EQ(s1["last_start"], FormatRfc3339(kBase + kHourNs + 5 * kMs));
  EXPECT_EQ(s1["prompt_tokens"], 30);
  EXPECT_EQ(s1["completion_tokens"], 15);
  EXPECT_EQ(s1["total_tokens"], 45);
  EXPECT_NEAR(s1["cost_usd"].get<double>(), 0.03, 1e-12);
  EXPECT_EQ(s1["error_count"], 1);
  EXPECT_DOUBLE_EQ(s1["p50_ms"].get<double>(), 200);  // of 1000 200 50 500 100
  EXPECT_EQ(j["sessions"][1]["session_id"], "s2");
  EXPECT_DOUBLE_EQ(j["sessions"][1]["p50_ms"].get<double>(), 300);
  EXPECT_EQ(Get("/api/v1/sessions?limit=1")["sessions"].size(), 1u);
  EXPECT_EQ(Get("/api/v1/sessions?project=other")["sessions"][0]["span_count"], 1);
  EXPECT_EQ(Get("/api/v1/sessions?kind=LLM")["sessions"][0]["span_count"], 2);
}

TEST_F(ReadRoutesTest, SessionDetailListsSpansInStartOrder) {
  Start();
  json j = Get("/api/v1/sessions/s1");
  EXPECT_EQ(j["session_id"], "s1");
  EXPECT_EQ(j["project"], "default");
  EXPECT_EQ(j["spans"],
            Expected([](const Span& s) { return s.session_id == "s1" && s.project == "default"; }));
  json other = Get("/api/v1/sessions/s1?project=other");
  ASSERT_EQ(other["spans"].size(), 1u);
  Get("/api/v1/sessions/nope", 404);
  json e = Get("/api/v1/sessions/s1?project=nowhere", 400);
  EXPECT_NE(e["error"].get<std::string>().find("project"), std::string::npos);
}

TEST_F(ReadRoutesTest, SpansPageNewestFirstUntilNullCursor) {
  Start();
  json all = json::array();
  std::string cursor;
  int pages = 0;
  for (; pages < 10; ++pages) {
    json j = Get("/api/v1/spans?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    EXPECT_LE(j["spans"].size(), 2u);
    for (const json& s : j["spans"]) all.push_back(s);
    if (j["next_cursor"].is_null()) break;
    cursor = j["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(pages, 2);  // 6 spans: pages of 2, 2, 2
  json want = Expected([](const Span& s) { return s.project == "default"; });
  std::reverse(want.begin(), want.end());  // distinct starts: newest first is reversed order
  EXPECT_EQ(all, want);
}

TEST_F(ReadRoutesTest, SpansFilters) {
  Start();
  EXPECT_EQ(Get("/api/v1/spans?kind=LLM")["spans"].size(), 2u);
  EXPECT_EQ(Get("/api/v1/spans?status=ERROR")["spans"].size(), 1u);
  EXPECT_EQ(Get("/api/v1/spans?model=gpt-4o&name=chat")["spans"].size(), 2u);
  EXPECT_EQ(Get("/api/v1/spans?parent=root")["spans"].size(), 3u);
  EXPECT_EQ(Get("/api/v1/spans?parent=0000000000000001")["spans"].size(), 2u);
  EXPECT_EQ(Get("/api/v1/spans?trace_id=ab000000000000000000000000000002&trace_id="
                "ab000000000000000000000000000003")["spans"]
                .size(),
            3u);
  EXPECT_EQ(Get("/api/v1/spans?attribute=count%3D3")["spans"].size(), 1u);
  EXPECT_EQ(Get("/api/v1/spans?attribute=tags%3Db")["spans"].size(), 1u);
  EXPECT_EQ(Get("/api/v1/spans?from=2026-11-25T10:30:00Z")["spans"].size(), 3u);
  EXPECT_EQ(Get("/api/v1/spans?project=other")["spans"].size(), 1u);
}

TEST_F(ReadRoutesTest, BadParametersAre400sNamingThem) {
  Start();
  struct Case {
    std::string target, name;
  };
  std::vector<Case> cases = {
      {"/api/v1/spans?limit=0", "limit"},
      {"/api/v1/spans?limit=1001", "limit"},
      {"/api/v1/spans?limit=ten", "limit"},
      {"/api/v1/spans?cursor=abc", "cursor"},
      {"/api/v1/spans?project=nowhere", "project"},
      {"/api/v1/spans?from=yesterday", "from"},
      {"/api/v1/spans?to=2026-13-01T00:00:00Z", "to"},
      {"/api/v1/spans?kind=WIDGET", "kind"},
      {"/api/v1/spans?trace_id=12", "trace_id"},
      {"/api/v1/spans?parent=xyz", "parent"},
      {"/api/v1/spans?attribute=novalue", "attribute"},
      {"/api/v1/sessions?limit=0", "limit"},
      {"/api/v1/sessions?limit=-3", "limit"},
      {"/api/v1/sessions?project=nowhere", "project"},
      {"/api/v1/sessions?from=x", "from"},
  };
  for (const Case& c : cases) {
    json j = Get(c.target, 400);
    ASSERT_TRUE(j.contains("error")) << c.target;
    EXPECT_NE(j["error"].get<std::string>().find(c.name), std::string::npos)
        << c.target << ": " << j.dump();
  }
}

TEST_F(ReadRoutesTest, NeedsTheApiKeyWhenOneIsSet) {
  AppOptions app;
  app.api_key = "sekret";
  Start(app);
  const char* routes[] = {"/api/v1/projects", "/api/v1/sessions", "/api/v1/sessions/s1",
                          "/api/v1/traces/ab000000000000000000000000000001", "/api/v1/spans"};
  for (const char* route : routes) Get(route, 401);
  headers_["Authorization"] = "Bearer sekret";
  for (const char* route : routes) Get(route, 200);
}

TEST_F(ReadRoutesTest, PostIsA405) {
  Start();
  testing::ClientResponse r = Client().Send("POST", "/api/v1/spans", "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "GET");
}

TEST_F(ReadRoutesTest, SameAnswersAfterSealing) {
  Start();
  const char* routes[] = {
      "/api/v1/projects",      "/api/v1/sessions",
      "/api/v1/sessions/s1",   "/api/v1/traces/ab000000000000000000000000000001",
      "/api/v1/spans?limit=3", "/api/v1/spans?attribute=flag%3Dtrue"};
  std::vector<json> before;
  for (const char* route : routes) before.push_back(Get(route));
  ASSERT_TRUE(store().Flush().ok());
  for (size_t i = 0; i < std::size(routes); ++i) EXPECT_EQ(Get(routes[i]), before[i]) << routes[i];
}

}  // namespace
}  // namespace roost::api
