// `roost query projects|sessions|session|trace|spans|latency|cost` against a real server
// (--server) and a data dir (--data): the same JSON as the HTTP routes. `roost export` then
// `roost import` gives back the same spans.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "storage/span.h"
#include "tests/api/test_server.h"
#include "tests/api/test_subprocess.h"

namespace roost::api {
namespace {

using nlohmann::json;

constexpr int64_t kMs = 1'000'000;
// 2026-11-25T10:00:00Z.
constexpr int64_t kBase = int64_t{1795600800} * 1000 * kMs;

// Twelve spans in three traces; the OpenInference fields are also in the attributes, as OTLP
// ingest would have lifted them (so that export and import keep them).
std::vector<Span> MakeSpans() {
  std::vector<Span> out;
  for (uint8_t i = 1; i <= 12; ++i) {
    Span s;
    s.trace_id.bytes[0] = 0xcd;
    s.trace_id.bytes[15] = static_cast<uint8_t>(1 + i / 4);
    s.span_id.bytes[7] = i;
    if (i % 4 != 0 && i > 4) {
      s.parent_span_id = SpanId{{0, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(i / 4 * 4)}};
    }
    s.name = i % 2 ? "chat" : "tool, \"x\"";
    s.kind = i % 2 ? SpanKind::kLlm : SpanKind::kTool;
    s.status_code = i % 5 == 0 ? StatusCode::kError : StatusCode::kOk;
    s.start_unix_nano = kBase + int64_t{i} * 61'000 * kMs + i;
    s.end_unix_nano = s.start_unix_nano + int64_t{i} * 10 * kMs;
    s.session_id = i % 3 ? "sess-a" : "sess b/\u00fc";
    s.attributes = {{"input.value", std::string("q") + std::to_string(i)},
                    {"openinference.span.kind", std::string(SpanKindName(s.kind))},
                    {"session.id", s.session_id}};
    if (i % 2) {
      s.model_name = "gpt-4o";
      s.prompt_tokens = i * 10;
      s.completion_tokens = i;
      s.total_tokens = i * 11;
      s.cost_usd = 0.001 * i;
      s.attributes.push_back({"llm.model_name", s.model_name});
      s.attributes.push_back({"llm.token_count.prompt", s.prompt_tokens});
      s.attributes.push_back({"llm.token_count.completion", s.completion_tokens});
      s.attributes.push_back({"llm.token_count.total", s.total_tokens});
      s.attributes.push_back({"llm.cost.total", *s.cost_usd});
    }
    out.push_back(std::move(s));
  }
  return out;
}

struct CliRun {
  int code = -1;
  std::string out, err;
};

CliRun Roost(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {ROOST_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string error;
  std::unique_ptr<testing::Subprocess> p = testing::Subprocess::Start(argv, &error);
  EXPECT_NE(p, nullptr) << error;
  if (p == nullptr) return {};
  CliRun r;
  r.code = p->Wait(std::chrono::seconds(120)).value_or(-1);
  r.out = p->out();
  r.err = p->err();
  return r;
}

class ReadCliTest : public testing::ServerFixture {
 protected:
  void Start(AppOptions app = {}) {
    StartServer(testing::SmallServerOptions(), app);
    Result<WriteResult> w = store().Write(MakeSpans());
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_EQ(w->stored, 12u);
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port()); }

  json Http(const std::string& target) {
    testing::ClientResponse r = Client().Send("GET", target, "", headers_);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }

  // The command's stdout parsed; a failure unless it exits 0 with JSON.
  static json JsonOf(const std::vector<std::string>& args) {
    CliRun r = Roost(args);
    EXPECT_EQ(r.code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }

  std::map<std::string, std::string> headers_;
};

struct Case {
  std::vector<std::string> args;  // after "query"
  std::string target;             // the HTTP equivalent
};

std::vector<Case> Cases() {
  return {
      {{"projects"}, "/api/v1/projects"},
      {{"sessions", "--limit", "5", "--kind", "LLM"}, "/api/v1/sessions?limit=5&kind=LLM"},
      {{"session", "sess b/ü"}, "/api/v1/sessions/sess%20b%2F%C3%BC"},
      {{"trace", "cd000000000000000000000000000002"},
       "/api/v1/traces/cd000000000000000000000000000002"},
      {{"spans", "--limit", "4", "--from", "2026-11-25T10:03:00Z", "--status", "OK"},
       "/api/v1/spans?limit=4&from=2026-11-25T10:03:00Z&status=OK"},
      {{"spans", "--parent", "root", "--trace-id", "cd000000000000000000000000000002"},
       "/api/v1/spans?parent=root&trace_id=cd000000000000000000000000000002"},
      {{"latency", "--group-by", "model", "--step", "5m"},
       "/api/v1/latency?group_by=model&step=5m"},
      {{"cost", "--group-by", "kind"}, "/api/v1/cost?group_by=kind"},
  };
}

TEST_F(ReadCliTest, ServerAndDataGiveTheHttpJson) {
  Start();
  const std::vector<Case> cases = Cases();
  std::vector<json> http;
  for (const Case& c : cases) {
    http.push_back(Http(c.target));
    std::vector<std::string> args = {"query"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"--server", Url(), "--json"});
    EXPECT_EQ(JsonOf(args), http.back()) << c.target;
  }
  EXPECT_EQ(http[2]["spans"].size(), 4u);  // the session route really found the session
  StopServer();
  for (size_t i = 0; i < cases.size(); ++i) {
    std::vector<std::string> args = {"query"};
    args.insert(args.end(), cases[i].args.begin(), cases[i].args.end());
    args.insert(args.end(), {"--data", data_dir(), "--json"});
    EXPECT_EQ(JsonOf(args), http[i]) << cases[i].target;
  }
}

// `roost stats`: projects with their spans, and what the store holds in memory for strings.
TEST_F(ReadCliTest, StatsListsProjectsAndDictionaryStrings) {
  Start();
  StopServer();
  CliRun r = Roost({"stats", "--data", data_dir()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("default"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 12\n"), std::string::npos) << r.out;
  // default; "chat" and "tool, \"x\""; gpt-4o; sess-a and "sess b/\u00fc".
  EXPECT_NE(r.out.find("dictionary strings: 6\n"), std::string::npos) << r.out;
}

TEST_F(ReadCliTest, PagesWithCursorAndPrintsTables) {
  Start();
  std::vector<std::string> ids;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::vector<std::string> args = {"query", "spans", "--server", Url(), "--limit", "5", "--json"};
    if (!cursor.empty()) args.insert(args.end(), {"--cursor", cursor});
    json j = JsonOf(args);
    for (const json& s : j["spans"]) ids.push_back(s["span_id"]);
    if (j["next_cursor"].is_null()) break;
    cursor = j["next_cursor"];
  }
  EXPECT_EQ(ids.size(), 12u);
  EXPECT_EQ(ids.front(), "000000000000000c");  // newest first
  CliRun table = Roost({"query", "sessions", "--server", Url()});
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("session_id"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("sess-a"), std::string::npos) << table.out;
  CliRun latency = Roost({"query", "latency", "--server", Url(), "--group-by", "model"});
  EXPECT_EQ(latency.code, 0) << latency.err;
  EXPECT_NE(latency.out.find("gpt-4o"), std::string::npos) << latency.out;
}

TEST_F(ReadCliTest, BadParameterAndMissingKeyFail) {
  AppOptions app;
  app.api_key = "k3y";
  Start(app);
  CliRun no_key = Roost({"query", "spans", "--server", Url()});
  EXPECT_NE(no_key.code, 0);
  EXPECT_NE(no_key.err.find("401"), std::string::npos) << no_key.err;
  CliRun bad = Roost({"query", "spans", "--server", Url(), "--api-key", "k3y", "--limit", "0"});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("limit"), std::string::npos) << bad.err;
  headers_["Authorization"] = "Bearer k3y";
  EXPECT_EQ(JsonOf({"query", "projects", "--server", Url(), "--api-key", "k3y", "--json"}),
            Http("/api/v1/projects"));
  StopServer();
  CliRun bad_data = Roost({"query", "sessions", "--data", data_dir(), "--project", "nowhere"});
  EXPECT_NE(bad_data.code, 0);
  EXPECT_NE(bad_data.err.find("project"), std::string::npos) << bad_data.err;
}

TEST_F(ReadCliTest, ExportThenImportGivesTheSameSpans) {
  Start();
  StopServer();
  testing::TempDir out;
  const std::string file = out.path() + "/spans.jsonl";
  CliRun e = Roost({"export", "--data", data_dir(), "--format", "otlp-json", "--out", file});
  ASSERT_EQ(e.code, 0) << e.err;
  const std::string copy = out.path() + "/copy";
  CliRun i = Roost({"import", file, "--data", copy});
  ASSERT_EQ(i.code, 0) << i.err;
  const std::vector<std::string> list = {"query", "spans", "--limit", "100", "--json"};
  std::vector<std::string> a = list, b = list;
  a.insert(a.end(), {"--data", data_dir()});
  b.insert(b.end(), {"--data", copy});
  json original = JsonOf(a);
  EXPECT_EQ(original["spans"].size(), 12u);
  EXPECT_EQ(JsonOf(b), original);
  CliRun csv = Roost({"export", "--data", data_dir(), "--format", "csv", "--out", "-"});
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("trace_id,span_id,", 0), 0u) << csv.out.substr(0, 100);
  EXPECT_NE(csv.out.find("\"tool, \"\"x\"\"\""), std::string::npos);
}

}  // namespace
}  // namespace roost::api
