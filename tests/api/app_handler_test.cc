#include "api/app_handler.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/api/test_export.h"
#include "tests/api/test_server.h"
#include "tests/api/test_spans.h"

namespace roost::api {
namespace {

using testing::ClientResponse;
using testing::CountAllSpans;
using ::testing::HasSubstr;
using testing::TestClient;
using testing::Wire;

constexpr char kKey[] = "s3cret-key";

Request WithHeader(const std::string& name, const std::string& value) {
  Request r;
  r.method = "POST";
  r.target = r.path = "/v1/traces";
  if (!name.empty()) r.headers[name] = value;
  return r;
}

TEST(AppHandlerTest, IsAuthorizedAcceptsBearerAndPhoenixHeaderOnly) {
  struct Row {
    const char* header;
    const char* value;
    bool authorized;
  };
  const Row rows[] = {
      {"authorization", "Bearer s3cret-key", true},
      {"api_key", "s3cret-key", true},
      {"authorization", "Bearer s3cret-kez", false},
      {"authorization", "Bearer s3cret-key2", false},
      {"authorization", "Bearer ", false},
      {"authorization", "Basic s3cret-key", false},
      {"authorization", "s3cret-key", false},
      {"api_key", "", false},
      {"api_key", "S3CRET-KEY", false},
      {"x-api-key", "s3cret-key", false},
      {"", "", false},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(IsAuthorized(WithHeader(row.header, row.value), kKey), row.authorized)
        << row.header << ": " << row.value;
  }
}

class AppHandlerServerTest : public testing::ServerFixture {
 protected:
  void StartWithKey() {
    AppOptions app;
    app.api_key = kKey;
    StartServer(testing::SmallServerOptions(), app);
  }
  ClientResponse PostWith(const std::map<std::string, std::string>& headers) {
    TestClient client = Client();
    return testing::PostSpans(client, testing::MakeTrace(next_trace_++, 2, "auth"), Wire::kProtobuf,
                              headers);
  }
  uint32_t next_trace_ = 1;
};

TEST_F(AppHandlerServerTest, MissingKeyIs401WithBearerChallenge) {
  StartWithKey();
  ClientResponse r = PostWith({});
  EXPECT_EQ(r.status, 401) << r.error;
  EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
  EXPECT_THAT(r.body, HasSubstr("\"error\""));
  EXPECT_EQ(CountAllSpans(store()), 0u);
}

TEST_F(AppHandlerServerTest, WrongKeyIs401) {
  StartWithKey();
  ClientResponse bearer = PostWith({{"Authorization", "Bearer wrong"}});
  EXPECT_EQ(bearer.status, 401) << bearer.error;
  EXPECT_EQ(bearer.headers["www-authenticate"], "Bearer");
  ClientResponse phoenix = PostWith({{"api_key", "wrong"}});
  EXPECT_EQ(phoenix.status, 401) << phoenix.error;
  EXPECT_EQ(CountAllSpans(store()), 0u);
}

TEST_F(AppHandlerServerTest, BearerKeyIsAccepted) {
  StartWithKey();
  ClientResponse r = PostWith({{"Authorization", std::string("Bearer ") + kKey}});
  EXPECT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_EQ(CountAllSpans(store()), 2u);
}

TEST_F(AppHandlerServerTest, PhoenixApiKeyHeaderIsAccepted) {
  StartWithKey();
  ClientResponse r = PostWith({{"api_key", kKey}});
  EXPECT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_EQ(CountAllSpans(store()), 2u);
}

TEST_F(AppHandlerServerTest, HealthzNeedsNoKey) {
  StartWithKey();
  TestClient client = Client();
  ClientResponse r = client.Send("GET", "/healthz");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, R"({"status":"ok","api_key_required":true})");
}

TEST_F(AppHandlerServerTest, UnknownPathNeedsTheKeyToo) {
  StartWithKey();
  TestClient client = Client();
  EXPECT_EQ(client.Send("GET", "/v1/unknown").status, 401);
  EXPECT_EQ(client.Send("GET", "/v1/unknown", "", {{"api_key", kKey}}).status, 404);
}

TEST_F(AppHandlerServerTest, WithoutKeyEverythingIsOpen) {
  StartServer();
  ClientResponse r = PostWith({});
  EXPECT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_EQ(CountAllSpans(store()), 2u);
}

TEST_F(AppHandlerServerTest, HealthzRejectsPost) {
  StartServer();
  TestClient client = Client();
  ClientResponse r = client.Send("POST", "/healthz", "x");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "GET");
}

}  // namespace
}  // namespace roost::api
