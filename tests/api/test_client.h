#pragma once

#include <cctype>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace roost::api::testing {

// A port on 127.0.0.1 that was free a moment ago: bound on port 0, then released.
inline uint16_t FreePort() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  std::string error;  // non-empty when the exchange failed at the socket level
};

// A tiny blocking HTTP/1.1 client for tests (one connection, keep-alive), with a 10 s timeout
// on every step. Beast's tcp_stream timeouts apply to asynchronous operations only, so each step
// is started asynchronously and run to completion on the client's own io_context.
class TestClient {
 public:
  explicit TestClient(uint16_t port) : port_(port) {}

  ClientResponse Send(const std::string& method, const std::string& target,
                      const std::string& body = "",
                      const std::map<std::string, std::string>& headers = {}) {
    namespace beast = boost::beast;
    namespace http = beast::http;
    ClientResponse out;
    beast::error_code ec;
    if (!stream_) {
      stream_ = std::make_unique<beast::tcp_stream>(ioc_);
      stream_->expires_after(kTimeout);
      stream_->async_connect(
          boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_),
          [&ec](beast::error_code e) { ec = e; });
      Run();
      if (ec) return Fail(ec, "connect", std::move(out));
    }
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    stream_->expires_after(kTimeout);
    http::async_write(*stream_, req, [&ec](beast::error_code e, size_t) { ec = e; });
    Run();
    if (ec) return Fail(ec, "write", std::move(out));
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 30);
    parser.skip(method == "HEAD");  // a HEAD answer has no body, whatever its Content-Length
    stream_->expires_after(kTimeout);
    http::async_read(*stream_, buffer, parser, [&ec](beast::error_code e, size_t) { ec = e; });
    Run();
    if (ec) return Fail(ec, "read", std::move(out));
    auto& res = parser.get();
    out.status = res.result_int();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value());
    }
    out.body = res.body();
    if (!res.keep_alive()) stream_.reset();
    return out;
  }

 private:
  static constexpr std::chrono::seconds kTimeout{10};

  void Run() {
    ioc_.restart();
    ioc_.run();
  }

  ClientResponse Fail(const boost::beast::error_code& ec, const char* step, ClientResponse out) {
    out.error = std::string(step) + ": " + ec.message();
    stream_.reset();
    return out;
  }

  uint16_t port_;
  boost::asio::io_context ioc_;
  std::unique_ptr<boost::beast::tcp_stream> stream_;
};

}  // namespace roost::api::testing
