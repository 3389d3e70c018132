// The dashboard's files as roost serves them: the page, its scripts and styles, public (no key),
// with content types, a strict Content-Security-Policy and working ETags.

#include "api/dashboard_routes.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/app_handler.h"
#include "tests/api/test_client.h"
#include "tests/api/test_server.h"

namespace roost::api {
namespace {

using ::testing::HasSubstr;

Request Get(const std::string& path) {
  Request r;
  r.method = "GET";
  r.path = path;
  r.target = path;
  return r;
}

std::string HeaderOf(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(DashboardRoutesTest, ServesThePageAndEveryFileItNames) {
  std::optional<Response> page = HandleDashboardRoute(Get("/"));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_THAT(page->body, HasSubstr("<title>roost</title>"));
  EXPECT_EQ(HandleDashboardRoute(Get("/index.html"))->body, page->body);
  const std::pair<const char*, const char*> files[] = {
      {"/dashboard/dashboard.js", "text/javascript; charset=utf-8"},
      {"/dashboard/uPlot.iife.min.js", "text/javascript; charset=utf-8"},
      {"/dashboard/dashboard.css", "text/css; charset=utf-8"},
      {"/dashboard/uPlot.min.css", "text/css; charset=utf-8"},
  };
  for (const auto& [path, type] : files) {
    SCOPED_TRACE(path);
    EXPECT_THAT(page->body, HasSubstr(std::string("\"") + path + "\""));
    std::optional<Response> r = HandleDashboardRoute(Get(path));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->content_type, type);
    EXPECT_GT(r->body.size(), 500u);
    EXPECT_THAT(HeaderOf(*r, "Content-Security-Policy"), HasSubstr("default-src 'self'"));
    EXPECT_EQ(HeaderOf(*r, "X-Content-Type-Options"), "nosniff");
  }
  EXPECT_THAT(HandleDashboardRoute(Get("/dashboard/uPlot.iife.min.js"))->body, HasSubstr("uPlot"));
}

TEST(DashboardRoutesTest, NoExternalReferencesInThePage) {
  // Air-gapped: no absolute URL the browser would fetch.
  for (const char* path : {"/", "/dashboard/dashboard.js", "/dashboard/dashboard.css"}) {
    SCOPED_TRACE(path);
    const std::string body = HandleDashboardRoute(Get(path))->body;
    EXPECT_EQ(body.find("http://"), std::string::npos);
    EXPECT_EQ(body.find("https://"), std::string::npos);
    EXPECT_EQ(body.find("src=\"//"), std::string::npos);
  }
}

TEST(DashboardRoutesTest, ETagAnswersNotModified) {
  std::optional<Response> first = HandleDashboardRoute(Get("/dashboard/dashboard.js"));
  const std::string etag = HeaderOf(*first, "ETag");
  ASSERT_FALSE(etag.empty());
  Request again = Get("/dashboard/dashboard.js");
  again.headers["if-none-match"] = etag;
  std::optional<Response> second = HandleDashboardRoute(again);
  EXPECT_EQ(second->status, 304);
  EXPECT_TRUE(second->body.empty());
  again.headers["if-none-match"] = "\"other\"";
  EXPECT_EQ(HandleDashboardRoute(again)->status, 200);
}

TEST(DashboardRoutesTest, UnknownFilesAndMethodsAreErrorsOtherPathsPassThrough) {
  std::optional<Response> missing = HandleDashboardRoute(Get("/dashboard/../../etc/passwd"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT(missing->body, HasSubstr("\"error\""));
  Request post = Get("/");
  post.method = "POST";
  EXPECT_EQ(HandleDashboardRoute(post)->status, 405);
  EXPECT_FALSE(HandleDashboardRoute(Get("/api/v1/latency")));
  EXPECT_FALSE(HandleDashboardRoute(Get("/v1/traces")));
}

class DashboardServerTest : public testing::ServerFixture {};

TEST_F(DashboardServerTest, PageIsPublicDataNeedsTheKey) {
  AppOptions app;
  app.api_key = "k";
  StartServer(testing::SmallServerOptions(), app);
  testing::TestClient client = Client();
  testing::ClientResponse page = client.Send("GET", "/");
  EXPECT_EQ(page.status, 200) << page.error;
  EXPECT_EQ(page.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(client.Send("GET", "/dashboard/dashboard.js").status, 200);
  EXPECT_EQ(client.Send("GET", "/api/v1/projects").status, 401);
  EXPECT_EQ(client.Send("GET", "/healthz").body, R"({"status":"ok","api_key_required":true})");
}

// HEAD (uptime monitors, `curl -I`) answers as GET would, headers only, on a connection that
// stays usable.
TEST_F(DashboardServerTest, HeadIsGetWithoutTheBody) {
  StartServer(testing::SmallServerOptions(), AppOptions{});
  testing::TestClient client = Client();
  for (const char* path : {"/", "/dashboard/dashboard.js", "/healthz"}) {
    testing::ClientResponse get = client.Send("GET", path);
    ASSERT_EQ(get.status, 200) << path << get.error;
    ASSERT_FALSE(get.body.empty()) << path;
    testing::ClientResponse head = client.Send("HEAD", path);
    EXPECT_EQ(head.status, 200) << path << head.error;
    EXPECT_EQ(head.body, "") << path;
    EXPECT_EQ(head.headers["content-length"], std::to_string(get.body.size())) << path;
    EXPECT_EQ(head.headers["content-type"], get.headers["content-type"]) << path;
  }
  EXPECT_EQ(client.Send("HEAD", "/dashboard/missing.js").status, 404);
  EXPECT_EQ(client.Send("HEAD", "/v1/traces").status, 405);  // POST only
  EXPECT_EQ(client.Send("GET", "/healthz").status, 200);     // the connection still works
}

}  // namespace
}  // namespace roost::api
