// End-to-end tests of the Phoenix-compatible read API (projects, sessions, traces, version,
// auth): a real store with hand-made spans behind a real server on 127.0.0.1; every figure is
// recomputed here from the spans written.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/phoenix_json.h"
#include "api/rfc3339.h"
#include "tests/api/test_phoenix_data.h"
#include "tests/api/test_server.h"

namespace roost::api {
namespace {

using ::nlohmann::json;
using testing::AllPages;
using testing::GetJson;
using ::testing::HasSubstr;
using testing::IsoMicros;
using testing::kPhoenixBase;
using testing::UrlEncode;

constexpr int kTraces = 13;

// What the test computes for one trace of "phx" from the spans it wrote.
struct ExpectedTrace {
  std::string trace_id;
  int64_t start = 0;
  int64_t end = 0;
  uint64_t prompt = 0;
  uint64_t completion = 0;
  std::string session;
  std::vector<const Span*> spans;
};

std::map<std::string, ExpectedTrace> ExpectedTraces(const std::vector<Span>& spans) {
  std::map<std::string, ExpectedTrace> out;
  for (const Span& s : spans) {
    if (s.project != "phx") continue;
    ExpectedTrace& t = out[s.trace_id.ToHex()];
    if (t.spans.empty() || s.start_unix_nano < t.start) t.start = s.start_unix_nano;
    if (t.spans.empty() || s.end_unix_nano > t.end) t.end = s.end_unix_nano;
    t.trace_id = s.trace_id.ToHex();
    if (s.kind == SpanKind::kLlm) {
      t.prompt += static_cast<uint64_t>(s.prompt_tokens);
      t.completion += static_cast<uint64_t>(s.completion_tokens);
    }
    if (!s.session_id.empty()) t.session = s.session_id;
    t.spans.push_back(&s);
  }
  return out;
}

// Decodes a global id with the production decoder and checks its type.
std::string NodeId(const json& id, std::string_view type) {
  auto gid = api::phoenix::ParseGlobalId(id.get<std::string>());
  EXPECT_TRUE(gid.has_value()) << id;
  if (!gid) return "";
  EXPECT_EQ(gid->first, type) << id;
  return gid->second;
}

class PhoenixRoutesTest : public testing::ServerFixture {
 protected:
  void SetUp() override {
    StartServer();
    spans_ = testing::PhoenixSpans(kTraces);
    Result<WriteResult> w = store().Write(spans_);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_EQ(w->stored, spans_.size());
    expected_ = ExpectedTraces(spans_);
  }

  std::vector<Span> spans_;
  std::map<std::string, ExpectedTrace> expected_;
};

TEST_F(PhoenixRoutesTest, VersionRouteAndHeaderAllowTheClientFilters) {
  testing::TestClient client = Client();
  testing::ClientResponse r = client.Send("GET", "/arize_phoenix_version");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, api::phoenix::kServerVersion);
  int major = 0, minor = 0, patch = 0;
  ASSERT_EQ(std::sscanf(r.body.c_str(), "%d.%d.%d", &major, &minor, &patch), 3) << r.body;
  // The phoenix-client gates the attribute filter on 14.9.0.
  EXPECT_GE(std::make_tuple(major, minor, patch), std::make_tuple(14, 9, 0));
  for (const char* target : {"/v1/projects", "/healthz", "/v1/projects/nope", "/nowhere"}) {
    testing::ClientResponse any = client.Send("GET", target);
    EXPECT_EQ(any.headers["x-phoenix-server-version"], r.body) << target;
  }
}

TEST_F(PhoenixRoutesTest, ProjectsPageNewestFirstWithNameFilter) {
  testing::TestClient client = Client();
  int pages = 0;
  json all = AllPages(client, "/v1/projects?limit=1", 10, &pages);
  ASSERT_EQ(all.size(), 2u) << all;
  EXPECT_EQ(pages, 2);
  // "phx" was written first: it has the smaller id, so it is listed last.
  EXPECT_EQ(all[0]["name"], "other-Project");
  EXPECT_EQ(all[1]["name"], "phx");
  EXPECT_TRUE(all[1]["description"].is_null());
  EXPECT_GT(std::stoll(NodeId(all[0]["id"], "Project")),
            std::stoll(NodeId(all[1]["id"], "Project")));
  json filtered = GetJson(client, "/v1/projects?name_contains=PROJ");
  ASSERT_EQ(filtered["data"].size(), 1u) << filtered;
  EXPECT_EQ(filtered["data"][0]["name"], "other-Project");
  EXPECT_TRUE(filtered["next_cursor"].is_null());
  // By name and by global id, the same object.
  json by_name = GetJson(client, "/v1/projects/phx");
  json by_id = GetJson(client, "/v1/projects/" + UrlEncode(all[1]["id"].get<std::string>()));
  EXPECT_EQ(by_name["data"], all[1]);
  EXPECT_EQ(by_id["data"], all[1]);
}

TEST_F(PhoenixRoutesTest, UnknownProjectIs404AndBadIdentifiersAre400) {
  testing::TestClient client = Client();
  for (const char* route : {"", "/spans", "/traces", "/sessions"}) {
    json body = GetJson(client, std::string("/v1/projects/missing") + route, 404);
    EXPECT_THAT(body.value("error", ""), HasSubstr("missing")) << route;
  }
  const std::string unknown_id = api::phoenix::GlobalId("Project", "999");
  GetJson(client, "/v1/projects/" + UrlEncode(unknown_id), 404);
  const std::string span_gid = api::phoenix::GlobalId("Span", "1");
  json wrong = GetJson(client, "/v1/projects/" + UrlEncode(span_gid), 400);
  EXPECT_THAT(wrong.value("error", ""), HasSubstr("project_identifier"));
  GetJson(client, "/v1/sessions/no-such-session", 404);
  GetJson(client, "/v1/sessions/" + UrlEncode(api::phoenix::GlobalId("ProjectSession", "77")), 404);
  EXPECT_EQ(client.Send("POST", "/v1/projects").status, 405);
}

TEST_F(PhoenixRoutesTest, BadParametersAre400NamingThem) {
  testing::TestClient client = Client();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/v1/projects?limit=0", "limit"},
      {"/v1/projects?limit=x", "limit"},
      {"/v1/projects?cursor=bogus", "cursor"},
      {"/v1/projects/phx/sessions?order=up", "order"},
      {"/v1/projects/phx/sessions?cursor=bogus", "cursor"},
      {"/v1/projects/phx/traces?limit=1001", "limit"},
      {"/v1/projects/phx/traces?sort=duration", "sort"},
      {"/v1/projects/phx/traces?order=sideways", "order"},
      {"/v1/projects/phx/traces?start_time=yesterday", "start_time"},
      {"/v1/projects/phx/traces?end_time=2026-13-01T00:00:00Z", "end_time"},
      {"/v1/projects/phx/traces?include_spans=maybe", "include_spans"},
      {"/v1/projects/phx/traces?cursor=bogus", "cursor"},
  };
  for (const auto& [target, param] : cases) {
    json body = GetJson(client, target, 400);
    EXPECT_THAT(body.value("error", ""), HasSubstr(param)) << target;
  }
}

TEST_F(PhoenixRoutesTest, TracesCarryTimesTokensAndSpans) {
  testing::TestClient client = Client();
  json page = GetJson(client, "/v1/projects/phx/traces?limit=1000&include_spans=true");
  ASSERT_EQ(page["data"].size(), expected_.size());
  EXPECT_TRUE(page["next_cursor"].is_null());
  const std::string project_id = GetJson(client, "/v1/projects/phx")["data"]["id"];
  for (const json& t : page["data"]) {
    const std::string id = t.value("trace_id", "");
    ASSERT_TRUE(expected_.count(id)) << t;
    const ExpectedTrace& want = expected_[id];
    EXPECT_EQ(NodeId(t["id"], "Trace"), id);
    EXPECT_EQ(t["project_id"], project_id);
    EXPECT_EQ(t["start_time"], IsoMicros(want.start));
    EXPECT_EQ(t["end_time"], IsoMicros(want.end));
    EXPECT_EQ(t["token_count_prompt"], want.prompt);
    EXPECT_EQ(t["token_count_completion"], want.completion);
    EXPECT_EQ(t["token_count_total"], want.prompt + want.completion);
    ASSERT_EQ(t["spans"].size(), want.spans.size());
    for (size_t i = 0; i < want.spans.size(); ++i) {
      const json& s = t["spans"][i];
      const Span& w = *want.spans[i];  // written in start order
      EXPECT_EQ(s["span_id"], w.span_id.ToHex());
      EXPECT_EQ(s["name"], w.name);
      EXPECT_EQ(s["span_kind"], SpanKindName(w.kind));
      EXPECT_EQ(s["status_code"], StatusCodeName(w.status_code));
      EXPECT_EQ(s["start_time"], IsoMicros(w.start_unix_nano));
      EXPECT_EQ(s["parent_id"], w.parent_span_id ? json(w.parent_span_id->ToHex()) : json());
    }
  }
  json plain = GetJson(client, "/v1/projects/phx/traces?limit=1");
  EXPECT_TRUE(plain["data"][0]["spans"].is_null());
}

TEST_F(PhoenixRoutesTest, TracesPageInEverySortAndOrder) {
  testing::TestClient client = Client();
  for (const std::string sort : {"start_time", "latency_ms"}) {
    for (const std::string order : {"asc", "desc"}) {
      SCOPED_TRACE(sort + " " + order);
      json all =
          AllPages(client, "/v1/projects/phx/traces?limit=4&sort=" + sort + "&order=" + order);
      std::vector<std::tuple<int64_t, std::string>> want;
      for (const auto& [id, t] : expected_) {
        want.emplace_back(sort == "start_time" ? t.start : t.end - t.start, id);
      }
      std::sort(want.begin(), want.end());
      if (order == "desc") std::reverse(want.begin(), want.end());
      ASSERT_EQ(all.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(all[i]["trace_id"], std::get<1>(want[i]));
    }
  }
}

TEST_F(PhoenixRoutesTest, TracesFilterByTimeAndSession) {
  testing::TestClient client = Client();
  // Trace 2 starts at base + 8 min + 2.469134 ms; [that, trace 5's start) holds traces 2..4.
  const int64_t from = testing::PhoenixRootStart(2), to = testing::PhoenixRootStart(5);
  json window = AllPages(
      client, "/v1/projects/phx/traces?limit=2&start_time=" + UrlEncode(FormatRfc3339(from)) +
                  "&end_time=" + UrlEncode(FormatRfc3339(to)));
  std::set<std::string> got, want;
  for (const json& t : window) got.insert(t["trace_id"]);
  for (const auto& [id, t] : expected_) {
    if (t.start >= from && t.start < to) want.insert(id);
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(want.size(), 3u);

  json sessions = GetJson(client, "/v1/projects/phx/sessions");
  std::string s1_gid;
  for (const json& s : sessions["data"]) {
    if (s["session_id"] == "s-1") s1_gid = s["id"];
  }
  ASSERT_FALSE(s1_gid.empty());
  json by_session = GetJson(client, "/v1/projects/phx/traces?session_identifier=s-0&" +
                                        std::string("session_identifier=") + UrlEncode(s1_gid));
  got.clear();
  want.clear();
  for (const json& t : by_session["data"]) got.insert(t["trace_id"]);
  for (const auto& [id, t] : expected_) {
    if (t.session == "s-0" || t.session == "s-1") want.insert(id);
  }
  EXPECT_EQ(got, want);
  json none = GetJson(client, "/v1/projects/phx/traces?session_identifier=nope");
  EXPECT_TRUE(none["data"].empty());
}

TEST_F(PhoenixRoutesTest, SessionsListAndGetAgree) {
  testing::TestClient client = Client();
  std::map<std::string, std::vector<const ExpectedTrace*>> want;
  for (const auto& [id, t] : expected_) {
    if (!t.session.empty()) want[t.session].push_back(&t);
  }
  int pages = 0;
  json all = AllPages(client, "/v1/projects/phx/sessions?limit=1", 10, &pages);
  ASSERT_EQ(all.size(), want.size()) << all;
  EXPECT_EQ(pages, static_cast<int>(want.size()));
  // Ascending id = order of first appearance: s-0, s-1, s-2.
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i]["session_id"], "s-" + std::to_string(i));
  json desc = GetJson(client, "/v1/projects/phx/sessions?order=desc");
  ASSERT_EQ(desc["data"].size(), all.size());
  EXPECT_EQ(desc["data"][0], all.back());
  for (const json& s : all) {
    std::vector<const ExpectedTrace*> traces = want[s["session_id"]];
    std::sort(traces.begin(), traces.end(),
              [](const auto* a, const auto* b) { return a->start < b->start; });
    ASSERT_EQ(s["traces"].size(), traces.size()) << s;
    uint64_t prompt = 0, completion = 0;
    for (size_t i = 0; i < traces.size(); ++i) {
      EXPECT_EQ(s["traces"][i]["trace_id"], traces[i]->trace_id);
      EXPECT_EQ(s["traces"][i]["end_time"], IsoMicros(traces[i]->end));
      prompt += traces[i]->prompt;
      completion += traces[i]->completion;
    }
    EXPECT_EQ(s["start_time"], IsoMicros(traces.front()->start));
    EXPECT_EQ(s["end_time"], IsoMicros(traces.back()->end));
    EXPECT_EQ(s["token_count_prompt"], prompt);
    EXPECT_EQ(s["token_count_total"], prompt + completion);
    // GET by session.id and by global id give the same object.
    EXPECT_EQ(GetJson(client, "/v1/sessions/" + s["session_id"].get<std::string>())["data"], s);
    EXPECT_EQ(GetJson(client, "/v1/sessions/" + UrlEncode(s["id"].get<std::string>()))["data"], s);
  }
}

TEST_F(PhoenixRoutesTest, ApiKeyProtectsEveryPhoenixRoute) {
  StopServer();
  AppOptions app;
  app.api_key = "sekrit";
  StartServer(testing::SmallServerOptions(), app);
  testing::TestClient client = Client();
  for (const char* target : {"/arize_phoenix_version", "/v1/projects", "/v1/projects/phx/spans",
                             "/v1/projects/phx/traces", "/v1/sessions/s-0"}) {
    testing::ClientResponse denied = client.Send("GET", target);
    EXPECT_EQ(denied.status, 401) << target;
    EXPECT_EQ(denied.headers["x-phoenix-server-version"], api::phoenix::kServerVersion);
    EXPECT_NE(client.Send("GET", target, "", {{"Authorization", "Bearer sekrit"}}).status, 401)
        << target;
    EXPECT_NE(client.Send("GET", target, "", {{"api_key", "sekrit"}}).status, 401) << target;
  }
  EXPECT_EQ(client.Send("GET", "/v1/projects", "", {{"api_key", "wrong"}}).status, 401);
}

}  // namespace
}  // namespace roost::api
