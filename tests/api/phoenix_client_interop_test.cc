// Interop with Phoenix's own TypeScript client (@arizeai/phoenix-client, pinned in
// tests/interop/package.json): tests/interop/phoenix_client.mjs reads a server loaded with known
// spans through getSpans, getTraces, listSessions, getSession and the client's typed
// GET /v1/projects, behind an api key; everything it got must match what was stored.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/phoenix_json.h"
#include "tests/api/test_phoenix_data.h"
#include "tests/api/test_server.h"
#include "tests/api/test_subprocess.h"

#ifndef ROOST_PHOENIX_CLIENT_SCRIPT
#error "ROOST_PHOENIX_CLIENT_SCRIPT must name tests/interop/phoenix_client.mjs"
#endif
#ifndef ROOST_INTEROP_NODE_MODULES
#error "ROOST_INTEROP_NODE_MODULES must name tests/interop/node_modules"
#endif

namespace roost::api {
namespace {

using ::nlohmann::json;
using testing::IsoMicros;
using testing::Keys;

constexpr int kTraces = 9;
constexpr char kApiKey[] = "phx-key";

class PhoenixClientInteropTest : public testing::ServerFixture {
 protected:
  std::vector<Span> Select(const std::function<bool(const Span&)>& pred) const {
    std::vector<Span> out;
    for (const Span& s : spans_) {
      if (s.project == "phx" && pred(s)) out.push_back(s);
    }
    return out;
  }

  std::vector<Span> spans_;
};

// The (first start, last end) of the "phx" spans of each trace, by trace id.
std::map<std::string, std::pair<int64_t, int64_t>> TraceTimes(const std::vector<Span>& spans) {
  std::map<std::string, std::pair<int64_t, int64_t>> out;
  for (const Span& s : spans) {
    if (s.project != "phx") continue;
    auto [it, fresh] =
        out.emplace(s.trace_id.ToHex(), std::make_pair(s.start_unix_nano, s.end_unix_nano));
    it->second.first = std::min(it->second.first, s.start_unix_nano);
    it->second.second = std::max(it->second.second, s.end_unix_nano);
  }
  return out;
}

TEST_F(PhoenixClientInteropTest, PhoenixClientReadsWhatWasStored) {
  ASSERT_TRUE(std::filesystem::exists(ROOST_INTEROP_NODE_MODULES "/@arizeai/phoenix-client"))
      << "@arizeai/phoenix-client missing in " ROOST_INTEROP_NODE_MODULES
      << ": run `npm ci` in tests/interop (tools/test.sh does it before ctest)";
  AppOptions app;
  app.api_key = kApiKey;
  StartServer(testing::SmallServerOptions(), app);
  spans_ = testing::PhoenixSpans(kTraces);
  Result<WriteResult> w = store().Write(spans_);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  const std::string trace2 = spans_[8].trace_id.ToHex();

  std::string error;
  std::unique_ptr<testing::Subprocess> node = testing::Subprocess::Start(
      {"node", ROOST_PHOENIX_CLIENT_SCRIPT, "http://127.0.0.1:" + std::to_string(port()), "phx",
       kApiKey, trace2, "s-1", "user.tier", "gold"},
      &error);
  ASSERT_NE(node, nullptr) << error << " (is node on PATH?)";
  std::optional<int> code = node->Wait(std::chrono::seconds(120));
  ASSERT_EQ(code, 0) << "node: " << node->err();
  json out = json::parse(node->out(), nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(out.is_object()) << node->out();

  // The client accepted roost's version (it gates the filters below on it).
  EXPECT_EQ(out["version"].dump(), "[17,16,0]");
  ASSERT_EQ(out["projects"]["projects"].size(), 2u);
  EXPECT_EQ(out["projects"]["pages"], 2);
  EXPECT_EQ(out["projects"]["projects"][0]["name"], "other-Project");
  EXPECT_EQ(out["projects"]["projects"][1]["name"], "phx");
  EXPECT_EQ(out["project_by_id"], out["projects"]["projects"][0]);

  const std::vector<Span> all = Select([](const Span&) { return true; });
  EXPECT_EQ(Keys(out["spans_all"]["spans"]), Keys(all));
  EXPECT_EQ(out["spans_all"]["spans"].size(), all.size());
  EXPECT_EQ(out["spans_all"]["pages"], static_cast<int>((all.size() + 2) / 3));
  auto expect = [&](const char* key, const std::function<bool(const Span&)>& pred) {
    SCOPED_TRACE(key);
    EXPECT_EQ(Keys(out[key]["spans"]), Keys(Select(pred)));
    EXPECT_EQ(out[key]["spans"].size(), Select(pred).size());
  };
  expect("spans_llm", [](const Span& s) { return s.kind == SpanKind::kLlm; });
  expect("spans_error_or_unset", [](const Span& s) { return s.status_code != StatusCode::kOk; });
  expect("spans_roots", [](const Span& s) { return !s.parent_span_id; });
  expect("spans_trace", [&](const Span& s) { return s.trace_id.ToHex() == trace2; });
  expect("spans_name", [](const Span& s) { return s.name == "ChatCompletion"; });
  expect("spans_attr", [](const Span& s) {
    const AttributeValue* v = FindAttribute(s.attributes, "user.tier");
    return v != nullptr && *v == AttributeValue(std::string("gold"));
  });
  const int64_t half_hour = testing::kPhoenixBase + 30 * 60'000 * testing::kMs;
  expect("spans_window", [&](const Span& s) {
    return s.start_unix_nano >= testing::kPhoenixBase && s.start_unix_nano < half_hour;
  });

  // getTraces, ascending start, 2 a page, with spans.
  const auto times = TraceTimes(spans_);
  const json& traces = out["traces"]["traces"];
  ASSERT_EQ(traces.size(), times.size());
  EXPECT_EQ(out["traces"]["pages"], static_cast<int>((times.size() + 1) / 2));
  for (size_t i = 0; i < traces.size(); ++i) {
    const std::string id = traces[i]["trace_id"];
    ASSERT_TRUE(times.count(id)) << traces[i];
    EXPECT_EQ(traces[i]["start_time"], IsoMicros(times.at(id).first));
    EXPECT_EQ(traces[i]["end_time"], IsoMicros(times.at(id).second));
    EXPECT_EQ(traces[i]["spans"].size(), 4u);
    if (i > 0) {
      EXPECT_LT(traces[i - 1]["start_time"], traces[i]["start_time"]);
    }
  }
  std::set<std::string> s1_traces;
  for (const Span& s : spans_) {
    if (s.session_id == "s-1") s1_traces.insert(s.trace_id.ToHex());
  }
  std::set<std::string> got;
  for (const json& t : out["traces_session"]["traces"]) got.insert(t["trace_id"]);
  EXPECT_EQ(got, s1_traces);

  // listSessions / getSession, through the client's own mapping (toSession).
  const json& sessions = out["sessions"];
  ASSERT_EQ(sessions.size(), 3u) << sessions;
  for (size_t i = 0; i < sessions.size(); ++i) {
    EXPECT_EQ(sessions[i]["sessionId"], "s-" + std::to_string(i));
    EXPECT_EQ(sessions[i]["projectId"], out["projects"]["projects"][1]["id"]);
  }
  EXPECT_EQ(out["session"], sessions[1]);
  got.clear();
  for (const json& t : out["session"]["traces"]) got.insert(t["traceId"]);
  EXPECT_EQ(got, s1_traces);
  EXPECT_EQ(out["missing_project"], 404);
}

}  // namespace
}  // namespace roost::api
