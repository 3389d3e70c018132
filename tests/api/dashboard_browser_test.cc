// The dashboard in a real browser: `roost gen` data served by the `roost` binary (with an api
// key, replicating to a Phoenix stand-in that refuses the key), driven in Debian's headless
// chromium by tests/interop/dashboard.mjs (playwright-core, pinned in tests/interop/package.json).
// What the page drew must equal what the JSON routes answer.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/rfc3339.h"
#include "tests/api/test_client.h"
#include "tests/api/test_phoenix_stand_in.h"
#include "tests/api/test_server.h"
#include "tests/api/test_subprocess.h"

#ifndef ROOST_BINARY
#error "ROOST_BINARY must name the roost executable"
#endif
#ifndef ROOST_DASHBOARD_SCRIPT
#error "ROOST_DASHBOARD_SCRIPT must name tests/interop/dashboard.mjs"
#endif
#ifndef ROOST_DASHBOARD_SCREENSHOT
#error "ROOST_DASHBOARD_SCREENSHOT must name where the screenshot goes"
#endif
#ifndef ROOST_INTEROP_NODE_MODULES
#error "ROOST_INTEROP_NODE_MODULES must name tests/interop/node_modules"
#endif

namespace roost::api {
namespace {

using ::nlohmann::json;
using testing::Subprocess;

constexpr std::chrono::seconds kBound{120};
constexpr char kKey[] = "dash-key";
constexpr int64_t kDayMs = 86'400'000;

// Runs `argv` to completion within kBound; its stdout, or nullopt with a test failure.
std::optional<std::string> RunToEnd(const std::vector<std::string>& argv) {
  std::string error;
  std::unique_ptr<Subprocess> p = Subprocess::Start(argv, &error);
  if (p == nullptr) {
    ADD_FAILURE() << argv[0] << ": " << error;
    return std::nullopt;
  }
  std::optional<int> code = p->Wait(kBound);
  if (code != 0) {
    ADD_FAILURE() << argv[0] << " " << argv[1] << " exited " << code.value_or(-1)
                  << "; stderr: " << p->err();
    return std::nullopt;
  }
  return p->out();
}

bool Near(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b)); }

std::string Label(const json& key) { return key.is_null() ? "(none)" : key.get<std::string>(); }

class DashboardBrowserTest : public ::testing::Test {
 protected:
  json Get(const std::string& target) {
    testing::TestClient client(port_);
    testing::ClientResponse r =
        client.Send("GET", target, "", {{"Authorization", std::string("Bearer ") + kKey}});
    EXPECT_EQ(r.status, 200) << target << ": " << r.error << r.body;
    return json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  }

  testing::TempDir dir_;
  uint16_t port_ = 0;
};

// One latency chart (p50, p90 or p99) against the route's groups: a series per model, and at each
// bucket start the route's quantile.
void ExpectLatencyChart(const json& chart, const json& groups, const std::string& q) {
  SCOPED_TRACE("chart of quantile " + q);
  ASSERT_TRUE(chart.is_object());
  ASSERT_EQ(chart["labels"].size(), groups.size());
  const json& xs = chart["data"][0];
  for (size_t g = 0; g < groups.size(); ++g) {
    EXPECT_EQ(chart["labels"][g], Label(groups[g]["key"]));
    const json& ys = chart["data"][g + 1];
    size_t drawn = 0;
    for (const json& y : ys) drawn += y.is_null() ? 0 : 1;
    EXPECT_EQ(drawn, groups[g]["buckets"].size()) << groups[g]["key"];
    for (const json& b : groups[g]["buckets"]) {
      Result<int64_t> start = ParseRfc3339(b["start"].get<std::string>());
      ASSERT_TRUE(start.ok());
      const double x = static_cast<double>(*start / 1'000'000'000);
      size_t i = 0;
      while (i < xs.size() && xs[i].get<double>() != x) ++i;
      ASSERT_LT(i, xs.size()) << "no point at " << b["start"];
      if (b["quantiles"][q].is_null()) {
        EXPECT_TRUE(ys[i].is_null());
      } else {
        EXPECT_TRUE(Near(ys[i].get<double>(), b["quantiles"][q].get<double>()))
            << groups[g]["key"] << " at " << b["start"] << ": " << ys[i] << " vs "
            << b["quantiles"][q];
      }
    }
  }
}

TEST_F(DashboardBrowserTest, PageShowsWhatTheRoutesAnswer) {
  ASSERT_TRUE(std::filesystem::exists(ROOST_INTEROP_NODE_MODULES "/playwright-core"))
      << "playwright-core missing: run `npm ci` in tests/interop (tools/test.sh does)";
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium"))
      << "Debian's chromium is missing: tools/install-deps.sh --test installs it";
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t to_ms = now_ms / 60'000 * 60'000;
  const int64_t from_ms = to_ms - kDayMs;
  const std::string data = dir_.path() + "/data";
  ASSERT_TRUE(RunToEnd({ROOST_BINARY, "gen", "--spans", "4000", "--days", "1", "--end-ms",
                        std::to_string(to_ms), "--seed", "11", "--data", data}));

  // A Phoenix that refuses roost's key: the page must say so.
  testing::StandInOptions phoenix_options;
  phoenix_options.api_key = "right-key";
  std::string error;
  std::unique_ptr<testing::PhoenixStandIn> phoenix =
      testing::PhoenixStandIn::Start(phoenix_options, &error);
  ASSERT_NE(phoenix, nullptr) << error;
  port_ = testing::FreePort();
  std::unique_ptr<Subprocess> serve = Subprocess::Start(
      {ROOST_BINARY, "serve", "--data", data, "--listen", "127.0.0.1:" + std::to_string(port_),
       "--api-key", kKey, "--phoenix-endpoint", phoenix->url(), "--phoenix-api-key", "wrong-key",
       "--replication-linger", "10ms", "--replication-max-backoff", "200ms"},
      &error);
  ASSERT_NE(serve, nullptr) << error;
  ASSERT_TRUE(serve->WaitForLine("listening", kBound)) << serve->err();

  const std::string base = "http://127.0.0.1:" + std::to_string(port_);
  std::filesystem::remove(ROOST_DASHBOARD_SCREENSHOT);
  std::optional<std::string> out =
      RunToEnd({"node", ROOST_DASHBOARD_SCRIPT, base, kKey, FormatRfc3339(from_ms * 1'000'000),
                FormatRfc3339(to_ms * 1'000'000), ROOST_DASHBOARD_SCREENSHOT});
  ASSERT_TRUE(out);
  json page = json::parse(*out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(page.is_object()) << *out;

  // Loaded cleanly, and nothing left the machine.
  EXPECT_EQ(page["console_errors"], json::array());
  EXPECT_EQ(page["page_errors"], json::array());
  EXPECT_EQ(page["failed_requests"], json::array());
  EXPECT_EQ(page["foreign_requests"], json::array());
  EXPECT_TRUE(page["last_error"].is_null()) << page["last_error"];
  EXPECT_EQ(page["asked_again_after_reload"], false);

  // The page queried the custom range it was given, in 15-minute buckets (24 h / 200 buckets).
  const json& state = page["state"];
  EXPECT_EQ(state["from"], from_ms);
  EXPECT_EQ(state["to"], to_ms);
  EXPECT_EQ(state["step"], "15m");
  EXPECT_EQ(state["kind"], "LLM");
  const std::string project = state["project"];
  EXPECT_EQ(project, "default");
  const std::string filters = "project=" + project + "&from=" + std::to_string(from_ms) +
                              "&to=" + std::to_string(to_ms) + "&kind=LLM&step=15m";

  // Latency: one series per model in each quantile chart, equal to the route's buckets.
  json latency = Get("/api/v1/latency?" + filters + "&group_by=model&q=0.5,0.9,0.99");
  const json& groups = latency["groups"];
  ASSERT_GE(groups.size(), 2u) << latency;
  ExpectLatencyChart(page["charts"]["p50"], groups, "0.5");
  ExpectLatencyChart(page["charts"]["p90"], groups, "0.9");
  ExpectLatencyChart(page["charts"]["p99"], groups, "0.99");
  EXPECT_EQ(page["latency_table_rows"], groups.size());

  // Cost: a bar per model, summing to the route's total.
  json cost = Get("/api/v1/cost?" + filters + "&group_by=model");
  const json& bars = page["charts"]["costByModel"];
  ASSERT_TRUE(bars.is_object());
  ASSERT_EQ(bars["categories"].size(), cost["groups"].size());
  double drawn_total = 0;
  for (size_t i = 0; i < cost["groups"].size(); ++i) {
    EXPECT_EQ(bars["categories"][i], Label(cost["groups"][i]["key"]));
    EXPECT_TRUE(Near(bars["data"][1][i].get<double>(), cost["groups"][i]["cost_usd"]));
    drawn_total += bars["data"][1][i].get<double>();
  }
  EXPECT_GT(drawn_total, 0);
  EXPECT_NEAR(drawn_total, cost["total"]["cost_usd"].get<double>(), 1e-6);
  const json& over_time = page["charts"]["costOverTime"];
  ASSERT_TRUE(over_time.is_object());
  EXPECT_EQ(over_time["data"][0].size(), cost["total"]["buckets"].size());

  // Sessions, and the waterfall of the first one.
  json sessions = Get("/api/v1/sessions?project=" + project + "&from=" + std::to_string(from_ms) +
                      "&to=" + std::to_string(to_ms) + "&limit=50");
  ASSERT_FALSE(sessions["sessions"].empty());
  EXPECT_EQ(page["session_rows"], sessions["sessions"].size());
  EXPECT_EQ(page["session_id"], sessions["sessions"][0]["session_id"]);
  json session =
      Get("/api/v1/sessions/" + page["session_id"].get<std::string>() + "?project=" + project);
  ASSERT_FALSE(session["spans"].empty());
  EXPECT_EQ(page["waterfall_rows"], session["spans"].size());
  EXPECT_EQ(page["waterfall_traces"], sessions["sessions"][0]["trace_count"]);

  // Nothing to replicate yet; then the posted spans queue, refused by Phoenix.
  EXPECT_EQ(page["replication_badge"], "replicated · 0 pending");
  EXPECT_EQ(page["replication_class_after_post"], "badge auth_failed");
  EXPECT_EQ(page["replication_badge_after_post"], "Phoenix auth failed · 200 pending");
  EXPECT_TRUE(phoenix->received().empty());
  EXPECT_NE(page["ingest_rate"].get<std::string>().find("spans/s"), std::string::npos);
  int rate = 0;
  const std::string after = page["ingest_rate_after_post"];
  EXPECT_EQ(std::sscanf(after.c_str(), "ingest %d spans/s", &rate), 1) << after;
  EXPECT_GT(rate, 0) << after;

  ASSERT_TRUE(std::filesystem::exists(ROOST_DASHBOARD_SCREENSHOT));
  EXPECT_GT(std::filesystem::file_size(ROOST_DASHBOARD_SCREENSHOT), 10'000u);
  RecordProperty("screenshot", ROOST_DASHBOARD_SCREENSHOT);
}

}  // namespace
}  // namespace roost::api
