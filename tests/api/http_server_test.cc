#include "api/http_server.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/api/test_export.h"
#include "tests/api/test_server.h"
#include "tests/api/test_spans.h"

namespace roost::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using testing::ClientResponse;
using testing::CountSpans;
using testing::MakeTrace;
using testing::SpanKey;
using testing::TestClient;
using testing::Wire;

class HttpServerTest : public testing::ServerFixture {};

// A raw connection to the server. Every operation is asynchronous, run to completion on the
// connection's io_context, so that tcp_stream's timeouts bound it (they do not apply to
// synchronous calls).
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) : stream_(ioc_) {
    beast::error_code ec;
    stream_.expires_after(std::chrono::seconds(10));
    stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                          [&ec](beast::error_code e) { ec = e; });
    Run();
    EXPECT_FALSE(ec) << "connect: " << ec.message();
  }

  void WriteRaw(const std::string& bytes) {
    beast::error_code ec;
    stream_.expires_after(std::chrono::seconds(10));
    net::async_write(stream_, net::buffer(bytes), [&ec](beast::error_code e, size_t) { ec = e; });
    Run();
    EXPECT_FALSE(ec) << "write: " << ec.message();
  }

  // Reads one response within `bound`; `ec` receives the error (end_of_stream when the server
  // closed the connection, timeout when `bound` passed first).
  http::response<http::string_body> Read(beast::error_code& ec,
                                         std::chrono::seconds bound = std::chrono::seconds(10)) {
    stream_.expires_after(bound);
    http::response<http::string_body> res;
    http::async_read(stream_, buffer_, res, [&ec](beast::error_code e, size_t) { ec = e; });
    Run();
    return res;
  }

  http::response<http::string_body> Post(const std::string& body, bool chunked = false) {
    http::request<http::string_body> req(http::verb::post, "/v1/traces", 11);
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/x-protobuf");
    req.body() = body;
    req.prepare_payload();
    if (chunked) req.chunked(true);
    beast::error_code ec;
    stream_.expires_after(std::chrono::seconds(10));
    http::async_write(stream_, req, [&ec](beast::error_code e, size_t) { ec = e; });
    Run();
    EXPECT_FALSE(ec) << "write: " << ec.message();
    auto res = Read(ec);
    EXPECT_FALSE(ec) << "read: " << ec.message();
    return res;
  }

 private:
  void Run() {
    ioc_.restart();
    ioc_.run();
  }

  net::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

// True when `ec` says the peer closed the connection (rather than, e.g., our timeout).
bool IsClosedByPeer(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::connection_reset ||
         ec == net::error::eof;
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  RawConnection connection(port());
  for (uint32_t i = 0; i < 5; ++i) {
    auto res = connection.Post(testing::EncodeSpans(MakeTrace(i + 1, 3, "ka"), Wire::kProtobuf));
    ASSERT_EQ(res.result_int(), 200) << "request " << i << ": " << res.body();
    EXPECT_TRUE(res.keep_alive()) << "request " << i;
  }
  EXPECT_EQ(CountSpans(store(), "ka"), 15u);
}

TEST_F(HttpServerTest, ChunkedBodyIsReassembled) {
  StartServer();
  const std::string body = testing::EncodeSpans(MakeTrace(1, 10, "chunked"), Wire::kProtobuf);
  std::string raw =
      "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (size_t pos = 0; pos < body.size(); pos += 97) {
    const std::string piece = body.substr(pos, 97);
    char size[16];
    std::snprintf(size, sizeof(size), "%zx\r\n", piece.size());
    raw += size + piece + "\r\n";
  }
  raw += "0\r\n\r\n";
  RawConnection connection(port());
  connection.WriteRaw(raw);
  beast::error_code ec;
  auto res = connection.Read(ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(CountSpans(store(), "chunked"), 10u);
  // The connection stays usable, and Beast's own chunked encoding works as well.
  auto again = connection.Post(testing::EncodeSpans(MakeTrace(2, 4, "chunked"), Wire::kProtobuf),
                               /*chunked=*/true);
  ASSERT_EQ(again.result_int(), 200) << again.body();
  EXPECT_EQ(CountSpans(store(), "chunked"), 14u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  const std::string body = testing::EncodeSpans(MakeTrace(1, 3, "pipe"), Wire::kJson);
  const std::string post =
      "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  RawConnection connection(port());
  connection.WriteRaw(post + "GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" +
                      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  for (int expected : {200, 404, 200}) {
    beast::error_code ec;
    auto res = connection.Read(ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(res.result_int(), expected) << res.body();
  }
  EXPECT_EQ(CountSpans(store(), "pipe"), 3u);
}

TEST_F(HttpServerTest, OversizedHeadersAre431) {
  StartServer();
  RawConnection connection(port());
  connection.WriteRaw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " +
                      std::string(100 << 10, 'a') + "\r\n\r\n");
  beast::error_code ec;
  auto res = connection.Read(ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 431);
  TestClient client = Client();
  EXPECT_EQ(client.Send("GET", "/healthz").status, 200);
}

TEST_F(HttpServerTest, ConnectionsBeyondTheCapAreClosed) {
  ServerOptions options = testing::SmallServerOptions();
  options.max_connections = 2;
  StartServer(options);
  std::vector<std::unique_ptr<RawConnection>> open;
  for (int i = 0; i < 2; ++i) {
    open.push_back(std::make_unique<RawConnection>(port()));
    open.back()->WriteRaw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    beast::error_code ec;
    EXPECT_EQ(open.back()->Read(ec).result_int(), 200) << ec.message();
  }
  RawConnection third(port());
  third.WriteRaw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  beast::error_code ec;
  third.Read(ec);
  EXPECT_TRUE(IsClosedByPeer(ec)) << ec.message();
  open.clear();  // capacity comes back once those close (bounded retries: the close is async)
  bool served = false;
  for (int i = 0; i < 500 && !served; ++i) {
    served = Client().Send("GET", "/healthz").status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(served);
}

TEST_F(HttpServerTest, StalledRequestIsClosedAfterReadTimeoutWhileOthersAreServed) {
  ServerOptions options = testing::SmallServerOptions();
  options.read_timeout = std::chrono::seconds(1);
  options.idle_timeout = std::chrono::seconds(60);  // must not be what closes a started request
  StartServer(options);
  RawConnection stalled(port());
  stalled.WriteRaw(
      "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\n"
      "Content-Length: 1000\r\n\r\nhalf a bo");
  // Others are served while that one hangs.
  TestClient client = Client();
  for (uint32_t i = 0; i < 3; ++i) {
    ClientResponse r = testing::PostSpans(client, MakeTrace(i + 1, 2, "slow"), Wire::kProtobuf);
    EXPECT_EQ(r.status, 200) << r.error;
  }
  // The server gives up on the stalled request: the read ends well before our 10 s bound.
  beast::error_code ec;
  auto res = stalled.Read(ec);
  EXPECT_TRUE(IsClosedByPeer(ec)) << "expected the server to close the connection, got: "
                                  << ec.message() << " " << res.result_int();
  EXPECT_EQ(CountSpans(store(), "slow"), 6u);
}

TEST_F(HttpServerTest, StalledHeadersAreClosedAfterReadTimeout) {
  ServerOptions options = testing::SmallServerOptions();
  options.read_timeout = std::chrono::seconds(1);
  options.idle_timeout = std::chrono::seconds(60);
  StartServer(options);
  RawConnection stalled(port());
  stalled.WriteRaw("POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le");
  beast::error_code ec;
  stalled.Read(ec);
  EXPECT_TRUE(IsClosedByPeer(ec)) << "expected the server to close the connection, got: "
                                  << ec.message();
  TestClient client = Client();
  EXPECT_EQ(client.Send("GET", "/healthz").status, 200);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  ServerOptions options = testing::SmallServerOptions();
  options.idle_timeout = std::chrono::seconds(1);
  StartServer(options);
  RawConnection connection(port());
  connection.WriteRaw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  beast::error_code ec;
  auto res = connection.Read(ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 200);
  connection.Read(ec);  // nothing more is sent: the server closes the idle connection
  EXPECT_TRUE(IsClosedByPeer(ec)) << ec.message();
}

TEST_F(HttpServerTest, MalformedRequestIs400) {
  StartServer();
  RawConnection connection(port());
  connection.WriteRaw("THIS IS NOT HTTP\r\n\r\n");
  beast::error_code ec;
  auto res = connection.Read(ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_THAT(res.body(), ::testing::HasSubstr("malformed HTTP request"));
}

// Clients keep sending while the server stops: every request answered 200 is durable.
TEST_F(HttpServerTest, StopKeepsEveryAcknowledgedRequest) {
  StartServer();
  constexpr int kThreads = 4, kMaxRequests = 200, kSpans = 50;
  std::atomic<int> acked{0};
  std::vector<std::set<SpanKey>> acknowledged(kThreads);
  std::vector<std::thread> clients;
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([&, t] {
      TestClient client(port());
      for (int q = 0; q < kMaxRequests; ++q) {
        std::vector<Span> spans = MakeTrace(static_cast<uint32_t>(t * 1000 + q), kSpans, "stop");
        ClientResponse r = testing::PostSpans(client, spans, Wire::kProtobuf);
        if (r.status != 200) break;  // the server is gone (or going)
        for (const Span& s : spans) acknowledged[t].insert({s.trace_id, s.span_id});
        acked++;
      }
    });
  }
  // Stop mid-stream: after some requests were acknowledged (bounded wait).
  for (int i = 0; i < 3000 && acked.load() < 12; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server().Stop(std::chrono::seconds(10));
  for (std::thread& c : clients) c.join();
  ASSERT_GT(acked.load(), 0);
  StopServer();
  ReopenStore();
  std::set<SpanKey> stored = testing::StoredKeys(store(), "stop");
  size_t expected = 0;
  for (const auto& keys : acknowledged) {
    expected += keys.size();
    for (const SpanKey& k : keys) {
      ASSERT_TRUE(stored.count(k)) << "acknowledged span " << k.second.ToHex() << " lost";
    }
  }
  EXPECT_GE(stored.size(), expected);
}

// A request on the worker pool when Stop() closes the acceptor still gets its response.
TEST_F(HttpServerTest, StopAnswersRequestsBeingHandled) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ServerOptions options = testing::SmallServerOptions();
  options.port = 0;
  Result<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, [&entered, released](const Request& r) {
        Response response;
        if (r.path == "/slow") {
          entered.set_value();
          released.wait_for(std::chrono::seconds(20));
          response.body = "done";
        }
        return response;
      });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const uint16_t server_port = (*server)->port();
  ClientResponse slow;
  std::thread client([&] { slow = TestClient(server_port).Send("GET", "/slow"); });
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  std::thread stopper([&] { (*server)->Stop(std::chrono::seconds(30)); });
  // Once new connections are refused, Stop() has closed the acceptor (bounded wait).
  bool refused = false;
  for (int i = 0; i < 1000 && !refused; ++i) {
    refused = !TestClient(server_port).Send("GET", "/healthz").error.empty();
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(refused);
  release.set_value();
  client.join();
  stopper.join();
  EXPECT_EQ(slow.status, 200) << slow.error;
  EXPECT_EQ(slow.body, "done");
}

// Request bodies held at once are bounded (ServerOptions::max_pending_body_bytes): while one
// is being handled, a second that would pass the bound is answered 503 with Retry-After before
// its body is read, declared or chunked; once the first is done the bound has room again. A
// request alone is read even when larger than the bound.
TEST_F(HttpServerTest, BodiesBeyondThePendingBoundAre503UntilRoomIsFreed) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> handled{0};
  ServerOptions options = testing::SmallServerOptions();
  options.max_pending_body_bytes = 1 << 20;
  options.max_body_bytes = 4 << 20;
  Result<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, [&entered, released, &handled](const Request& r) {
        if (r.path == "/slow") {
          entered.set_value();
          released.wait_for(std::chrono::seconds(20));
        }
        handled++;
        Response response;
        response.body = std::to_string(r.body.size());
        return response;
      });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const uint16_t server_port = (*server)->port();
  const std::string body(700 * 1024, 'x');

  ClientResponse slow;
  std::thread holder([&] { slow = TestClient(server_port).Send("POST", "/slow", body); });
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);

  ClientResponse refused = TestClient(server_port).Send("POST", "/other", body);
  EXPECT_EQ(refused.status, 503) << refused.error;
  EXPECT_EQ(refused.headers["retry-after"], "1");
  EXPECT_THAT(refused.body, ::testing::HasSubstr("--max-pending-body"));
  EXPECT_THAT(refused.body, ::testing::HasSubstr("\"error\""));
  // A chunked body is counted as it arrives, and refused once it would pass the bound.
  RawConnection chunked(server_port);
  std::string raw =
      "POST /chunked HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 8; ++i) raw += "20000\r\n" + std::string(0x20000, 'y') + "\r\n";
  raw += "0\r\n\r\n";
  chunked.WriteRaw(raw);
  beast::error_code ec;
  auto chunked_res = chunked.Read(ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(chunked_res.result_int(), 503) << chunked_res.body();
  // A body-less request needs no room.
  EXPECT_EQ(TestClient(server_port).Send("GET", "/healthz").status, 200);

  release.set_value();
  holder.join();
  EXPECT_EQ(slow.status, 200) << slow.error;
  EXPECT_EQ(slow.body, std::to_string(body.size()));
  // The room is back: the same requests go through, and one larger than the bound alone too.
  ClientResponse again = TestClient(server_port).Send("POST", "/other", body);
  EXPECT_EQ(again.status, 200) << again.error;
  EXPECT_EQ(again.body, std::to_string(body.size()));
  const std::string large(3 << 20, 'z');
  ClientResponse alone = TestClient(server_port).Send("POST", "/other", large);
  EXPECT_EQ(alone.status, 200) << alone.error;
  EXPECT_EQ(alone.body, std::to_string(large.size()));
  RawConnection chunked_again(server_port);
  chunked_again.WriteRaw(raw);
  auto chunked_ok = chunked_again.Read(ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(chunked_ok.result_int(), 200) << chunked_ok.body();
  EXPECT_EQ(chunked_ok.body(), std::to_string(8 * 0x20000));
  // The refused requests never reached the handler.
  EXPECT_EQ(handled.load(), 5);
  (*server)->Stop();
}

// After Stop() no connection is left open: a keep-alive client sees the close at once instead
// of waiting for a response that will never come.
TEST_F(HttpServerTest, StopClosesIdleKeepAliveConnections) {
  StartServer();
  RawConnection connection(port());
  connection.WriteRaw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  beast::error_code ec;
  auto res = connection.Read(ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(res.keep_alive());
  server().Stop(std::chrono::seconds(1));
  connection.Read(ec);
  EXPECT_TRUE(IsClosedByPeer(ec)) << ec.message();
}

TEST_F(HttpServerTest, StartFailsWhenThePortIsTaken) {
  StartServer();
  ServerOptions options = testing::SmallServerOptions();
  options.host = "127.0.0.1";
  options.port = port();
  Result<std::unique_ptr<HttpServer>> second =
      HttpServer::Start(options, [](const Request&) { return Response{}; });
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().IsUnavailable()) << second.status().ToString();
}

TEST_F(HttpServerTest, ThrowingHandlerAnswers500AndKeepsServing) {
  ServerOptions options = testing::SmallServerOptions();
  options.host = "127.0.0.1";
  options.port = 0;
  Result<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, [](const Request& r) {
    if (r.path == "/throw") throw std::runtime_error("boom");
    return Response{};
  });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  TestClient client((*server)->port());
  ClientResponse thrown = client.Send("GET", "/throw");
  EXPECT_EQ(thrown.status, 500);
  EXPECT_THAT(thrown.body, ::testing::HasSubstr("internal error"));
  EXPECT_EQ(client.Send("GET", "/ok").status, 200);
  (*server)->Stop();
}

}  // namespace
}  // namespace roost::api
