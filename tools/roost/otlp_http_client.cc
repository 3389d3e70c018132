#include "tools/roost/otlp_http_client.h"

#include <cctype>
#include <charconv>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "api/otlp_sender.h"

namespace roost::cli {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

constexpr std::string_view kTracesPath = "/v1/traces";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  std::string_view rest = url;
  const size_t scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos) {
    const std::string scheme = Lower(rest.substr(0, scheme_end));
    if (scheme == "https") {
      return Status::InvalidArgument("'" + std::string(url) +
                                     "': https is not supported; use an http:// URL");
    }
    if (scheme != "http") {
      return Status::InvalidArgument("'" + std::string(url) + "': not an http:// URL");
    }
    rest = rest.substr(scheme_end + 3);
  }
  const size_t slash = rest.find('/');
  HttpUrl out;
  if (Status s = api::ParseHostPort(rest.substr(0, slash), &out.host, &out.port); !s.ok()) {
    return Status::InvalidArgument("'" + std::string(url) + "': " + s.message());
  }
  if (slash != std::string_view::npos) out.path = std::string(rest.substr(slash));
  return out;
}

std::string OtlpTracesPath(const HttpUrl& url) {
  std::string_view path = std::string_view(url.path).substr(0, url.path.find('?'));
  if (EndsWith(path, kTracesPath)) return url.path;
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return std::string(path) + std::string(kTracesPath);
}

struct OtlpHttpClient::Rep {
  HttpUrl url;
  HttpClientOptions options;
  std::string host_header;
  boost::asio::io_context ioc;
  std::unique_ptr<beast::tcp_stream> stream;  // null while disconnected
  beast::flat_buffer buffer;
  bool reused = false;  // the open connection has carried a request already

  void Close() {
    if (stream) {
      beast::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    }
    stream.reset();
    buffer.clear();
    reused = false;
  }

  // Starts one asynchronous operation through `start(handler)` and runs the io_context until it
  // completes. Beast's tcp_stream enforces expires_after() only on asynchronous operations, so
  // this is how a blocking client gets its timeouts. Throws beast::system_error on failure.
  template <typename Start>
  void RunOperation(Start start) {
    beast::error_code result = boost::asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    if (result) throw beast::system_error(result);
  }

  // One exchange on the open connection; throws beast::system_error on connection failures.
  HttpReply Exchange(http::request<http::span_body<const char>>& request) {
    stream->expires_after(options.timeout);
    RunOperation([&](auto handler) { http::async_write(*stream, request, handler); });
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    stream->expires_after(options.timeout);
    RunOperation([&](auto handler) { http::async_read(*stream, buffer, parser, handler); });
    const auto& response = parser.get();
    HttpReply reply;
    reply.status = static_cast<int>(response.result_int());
    reply.content_type = std::string(response[http::field::content_type]);
    reply.body = response.body();
    const auto retry_after = response[http::field::retry_after];
    int64_t seconds = 0;
    const auto [end, ec] =
        std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
    if (!retry_after.empty() && ec == std::errc() &&
        end == retry_after.data() + retry_after.size()) {
      reply.retry_after_seconds = seconds;
    }
    if (!response.keep_alive()) {
      Close();
    } else {
      reused = true;
    }
    return reply;
  }
};

OtlpHttpClient::OtlpHttpClient(HttpUrl url, const HttpClientOptions& options)
    : rep_(std::make_unique<Rep>()) {
  rep_->url = std::move(url);
  rep_->options = options;
  const bool ipv6 = rep_->url.host.find(':') != std::string::npos;
  rep_->host_header =
      (ipv6 ? "[" + rep_->url.host + "]" : rep_->url.host) + ":" + std::to_string(rep_->url.port);
}

OtlpHttpClient::~OtlpHttpClient() { rep_->Close(); }

Status OtlpHttpClient::Connect() {
  if (rep_->stream) return Status::OK();
  const std::string where = rep_->url.host + ":" + std::to_string(rep_->url.port);
  try {
    tcp::resolver resolver(rep_->ioc);
    const auto endpoints = resolver.resolve(rep_->url.host, std::to_string(rep_->url.port));
    auto stream = std::make_unique<beast::tcp_stream>(rep_->ioc);
    stream->expires_after(rep_->options.timeout);
    beast::tcp_stream& s = *stream;
    rep_->RunOperation([&](auto handler) { s.async_connect(endpoints, handler); });
    stream->socket().set_option(tcp::no_delay(true));
    rep_->stream = std::move(stream);
    rep_->buffer.clear();
    rep_->reused = false;
  } catch (const beast::system_error& e) {
    return Status::Unavailable("cannot connect to " + where + ": " + e.code().message());
  }
  return Status::OK();
}

Result<HttpReply> OtlpHttpClient::Send(std::string_view method, std::string_view target,
                                       std::string_view body, const HttpHeaders& headers) {
  http::request<http::span_body<const char>> request(
      http::string_to_verb(beast::string_view(method.data(), method.size())),
      beast::string_view(target.data(), target.size()), 11);
  request.set(http::field::host, rep_->host_header);
  request.set(http::field::user_agent, "roost-bench");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = boost::beast::span<const char>(body.data(), body.size());
  request.prepare_payload();
  // At most two passes: the second only after a reused connection was found closed.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (Status s = Connect(); !s.ok()) return s;
    const bool was_reused = rep_->reused;
    try {
      return rep_->Exchange(request);
    } catch (const beast::system_error& e) {
      const bool closed_by_peer = e.code() == http::error::end_of_stream ||
                                  e.code() == boost::asio::error::connection_reset ||
                                  e.code() == boost::asio::error::broken_pipe ||
                                  e.code() == boost::asio::error::eof;
      rep_->Close();
      if (was_reused && closed_by_peer && attempt == 0) continue;
      return Status::Unavailable(std::string(method) + " " + std::string(target) + " to " +
                                 rep_->host_header + " failed: " + e.code().message());
    }
  }
  return Status::Unavailable("unreachable");
}

}  // namespace roost::cli
