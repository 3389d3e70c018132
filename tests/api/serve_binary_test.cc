// The `roost serve` binary itself (ROOST_BINARY, passed by CMake), run as a child process.

#include <signal.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before Boost 1.74 asio, whose awaitable.hpp needs std::exchange
#include <vector>

#include <boost/asio.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/span_store.h"
#include "tests/api/test_client.h"
#include "tests/api/test_export.h"
#include "tests/api/test_server.h"
#include "tests/api/test_spans.h"
#include "tests/api/test_subprocess.h"

#ifndef ROOST_BINARY
#error "ROOST_BINARY must name the roost executable"
#endif

namespace roost::api {
namespace {

using testing::FreePort;
using ::testing::HasSubstr;
using testing::Subprocess;

// Bounds on a child (ASan builds start slowly).
constexpr std::chrono::seconds kStartBound{60};
constexpr std::chrono::seconds kExitBound{60};

class ServeCommandTest : public ::testing::Test {
 protected:
  // Starts `roost serve --data <dir> --listen <listen>` plus `extra` flags.
  std::unique_ptr<Subprocess> Serve(const std::string& listen,
                                    const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {ROOST_BINARY, "serve",    "--data",
                                     data_dir(),   "--listen", listen};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string error;
    std::unique_ptr<Subprocess> p = Subprocess::Start(argv, &error);
    EXPECT_NE(p, nullptr) << error;
    return p;
  }

  // Starts a server on a free port and waits for its "listening" line; nullptr on failure.
  std::unique_ptr<Subprocess> ServeAndWait(uint16_t* port) {
    *port = FreePort();
    std::unique_ptr<Subprocess> p = Serve("127.0.0.1:" + std::to_string(*port));
    if (p == nullptr) return nullptr;
    const std::string expected = "roost listening on http://127.0.0.1:" + std::to_string(*port);
    std::optional<std::string> line = p->WaitForLine(expected, kStartBound);
    if (!line) {
      ADD_FAILURE() << "no '" << expected << "' line; stdout: " << p->out()
                    << " stderr: " << p->err();
      return nullptr;
    }
    return p;
  }

  std::string data_dir() const { return dir_.path() + "/data"; }

  testing::TempDir dir_;
};

TEST_F(ServeCommandTest, PrintsListeningLineAndServes) {
  uint16_t port = 0;
  std::unique_ptr<Subprocess> serve = ServeAndWait(&port);
  ASSERT_NE(serve, nullptr);
  testing::TestClient client(port);
  testing::ClientResponse health = client.Send("GET", "/healthz");
  EXPECT_EQ(health.status, 200) << health.error;
  serve->Signal(SIGTERM);
  EXPECT_EQ(serve->Wait(kExitBound), 0) << serve->err();
}

TEST_F(ServeCommandTest, SecondServerOnTheSameDataDirFailsFast) {
  uint16_t port = 0;
  std::unique_ptr<Subprocess> first = ServeAndWait(&port);
  ASSERT_NE(first, nullptr);
  std::unique_ptr<Subprocess> second = Serve("127.0.0.1:" + std::to_string(FreePort()));
  ASSERT_NE(second, nullptr);
  std::optional<int> code = second->Wait(kExitBound);
  ASSERT_TRUE(code.has_value()) << "the second server did not exit; stdout: " << second->out();
  EXPECT_NE(*code, 0);
  EXPECT_THAT(second->err(), HasSubstr("in use"));
  EXPECT_THAT(second->err(), HasSubstr(data_dir()));
  EXPECT_THAT(second->out(), ::testing::Not(HasSubstr("listening")));
  // The first one is unharmed.
  testing::TestClient client(port);
  EXPECT_EQ(client.Send("GET", "/healthz").status, 200);
  first->Signal(SIGTERM);
  EXPECT_EQ(first->Wait(kExitBound), 0) << first->err();
}

TEST_F(ServeCommandTest, RefusesNonLoopbackWithoutApiKey) {
  std::unique_ptr<Subprocess> serve = Serve("0.0.0.0:" + std::to_string(FreePort()));
  ASSERT_NE(serve, nullptr);
  std::optional<int> code = serve->Wait(kExitBound);
  ASSERT_TRUE(code.has_value()) << "roost serve kept running on 0.0.0.0 without a key";
  EXPECT_NE(*code, 0);
  EXPECT_THAT(serve->err(), HasSubstr("refusing"));
  EXPECT_THAT(serve->err(), HasSubstr("--api-key"));
  EXPECT_THAT(serve->out(), ::testing::Not(HasSubstr("listening")));
}

TEST_F(ServeCommandTest, BadPricingFileStopsTheServerNamingFileAndProblem) {
  struct Bad {
    const char* text;
    const char* problem;
  };
  const Bad cases[] = {
      {"{\"models\": ", "not valid JSON"},
      {R"({"models": {"m": {"input_per_million_tokens": -2, "output_per_million_tokens": 1}}})",
       "negative"},
      {R"({"models": {"/(/": {"input_per_million_tokens": 1, "output_per_million_tokens": 1}}})",
       "regex"},
  };
  int n = 0;
  for (const Bad& c : cases) {
    const std::string path = dir_.path() + "/prices-" + std::to_string(n++) + ".json";
    std::ofstream(path) << c.text;
    std::unique_ptr<Subprocess> serve =
        Serve("127.0.0.1:" + std::to_string(FreePort()), {"--pricing", path});
    ASSERT_NE(serve, nullptr);
    std::optional<int> code = serve->Wait(kExitBound);
    ASSERT_TRUE(code.has_value()) << "roost serve kept running with a bad pricing file";
    EXPECT_EQ(*code, 1);
    EXPECT_THAT(serve->err(), HasSubstr("pricing file " + path));
    EXPECT_THAT(serve->err(), HasSubstr(c.problem));
    EXPECT_THAT(serve->out(), ::testing::Not(HasSubstr("listening")));
  }
}

TEST_F(ServeCommandTest, SigtermExitsZeroAndKeepsAcknowledgedSpans) {
  uint16_t port = 0;
  std::unique_ptr<Subprocess> serve = ServeAndWait(&port);
  ASSERT_NE(serve, nullptr);
  const std::vector<Span> spans = testing::MakeTrace(42, 30, "binary");
  testing::TestClient client(port);
  testing::ClientResponse r = testing::PostSpans(client, spans, testing::Wire::kProtobuf);
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  serve->Signal(SIGTERM);
  ASSERT_EQ(serve->Wait(kExitBound), 0) << serve->err();
  EXPECT_THAT(serve->out(), HasSubstr("roost stopped"));

  StoreOptions options = testing::SmallStoreOptions();
  options.path = data_dir();
  options.read_only = true;
  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Result<std::vector<Span>> trace = (*store)->GetTrace(spans.front().trace_id);
  ASSERT_TRUE(trace.ok()) << trace.status().ToString();
  ASSERT_EQ(trace->size(), spans.size());
  for (size_t i = 0; i < spans.size(); ++i) testing::ExpectSameSpan((*trace)[i], spans[i]);
  EXPECT_EQ(testing::CountSpans(**store, "binary"), spans.size());
}

}  // namespace
}  // namespace roost::api
