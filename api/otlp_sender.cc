#include "api/otlp_sender.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <ctime>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace roost::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

constexpr std::string_view kTracesPath = "/v1/traces";
// How often a blocked exchange looks at the cancel flag.
constexpr std::chrono::milliseconds kCancelPoll{50};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsAddress(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

std::optional<int64_t> ParseRetryAfter(std::string_view value, int64_t now_unix_seconds) {
  int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (!value.empty() && ec == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return seconds;
  }
  // strptime's day and month names are the C locale's, which are HTTP's.
  const std::string text(value);
  for (const char* format :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* rest = strptime(text.c_str(), format, &tm);
    if (rest == nullptr || *rest != '\0') continue;
    const int64_t at = timegm(&tm);
    return std::max<int64_t>(0, at - now_unix_seconds);
  }
  return std::nullopt;
}

Status ParseHostPort(std::string_view authority, std::string* host, uint16_t* port) {
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("unclosed '[' in host");
    *host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Status::InvalidArgument("junk after ']' in host");
      port_text = rest.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    *host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (host->empty()) return Status::InvalidArgument("no host");
  if (port_text.empty()) return Status::OK();
  unsigned value = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
      value > 65535) {
    return Status::InvalidArgument("port '" + std::string(port_text) + "' is not in [1, 65535]");
  }
  *port = static_cast<uint16_t>(value);
  return Status::OK();
}

std::string OtlpEndpoint::ToString() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return std::string(tls ? "https://" : "http://") + (ipv6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port) + path;
}

Result<OtlpEndpoint> ParseOtlpEndpoint(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return Status::InvalidArgument("'" + std::string(url) + "' is not an http:// or https:// URL");
  }
  OtlpEndpoint out;
  const std::string scheme = Lower(url.substr(0, scheme_end));
  if (scheme == "https") {
    out.tls = true;
  } else if (scheme != "http") {
    return Status::InvalidArgument("'" + std::string(url) + "' is not an http:// or https:// URL");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  const size_t slash = rest.find('/');
  if (Status s = ParseHostPort(rest.substr(0, slash), &out.host, &out.port); !s.ok()) {
    return Status::InvalidArgument("'" + std::string(url) + "': " + s.message());
  }
  if (out.port == 0) out.port = out.tls ? 443 : 80;
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  path = path.substr(0, path.find('?'));
  if (path.size() >= kTracesPath.size() &&
      path.substr(path.size() - kTracesPath.size()) == kTracesPath) {
    out.path = std::string(path);
  } else {
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    out.path = std::string(path) + std::string(kTracesPath);
  }
  return out;
}

struct OtlpSender::Rep {
  OtlpEndpoint endpoint;
  OtlpSenderOptions options;
  std::string host_header;
  boost::asio::io_context ioc;
  std::unique_ptr<ssl::context> tls_context;                  // https only
  std::unique_ptr<beast::tcp_stream> plain;                   // the open connection (http), or null
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;  // the open connection (https)
  beast::flat_buffer buffer;
  bool reused = false;  // the open connection has carried a request already
  std::atomic<bool> cancelled{false};

  bool connected() const { return plain != nullptr || tls != nullptr; }
  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  void Close() {
    if (connected()) {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest().socket().close(ignored);
    }
    plain.reset();
    tls.reset();
    buffer.clear();
    reused = false;
  }

  // Starts one asynchronous operation through `start(handler)` and runs the io_context until it
  // completes: Beast's stream timeouts (expires_after) apply to asynchronous operations only.
  // Polls the cancel flag meanwhile; on cancel, closes the socket so the operation ends at once.
  // Throws beast::system_error on failure.
  template <typename Start>
  void Run(Start start) {
    if (cancelled) throw beast::system_error(boost::asio::error::operation_aborted);
    beast::error_code result;
    bool done = false;
    start([&result, &done](beast::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    ioc.restart();
    while (!done) {
      ioc.run_for(kCancelPoll);
      if (!done && cancelled && connected()) {
        beast::error_code ignored;
        lowest().socket().close(ignored);
      }
      if (ioc.stopped()) ioc.restart();
    }
    if (result) throw beast::system_error(result);
  }

  void Connect() {
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    Run([&](auto handler) {
      resolver.async_resolve(
          endpoint.host, std::to_string(endpoint.port),
          [&endpoints, handler](beast::error_code ec, tcp::resolver::results_type r) mutable {
            endpoints = std::move(r);
            handler(ec);
          });
    });
    if (endpoint.tls) {
      tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc, *tls_context);
    } else {
      plain = std::make_unique<beast::tcp_stream>(ioc);
    }
    lowest().expires_after(options.connect_timeout);
    Run([&](auto handler) { lowest().async_connect(endpoints, handler); });
    lowest().socket().set_option(tcp::no_delay(true));
    if (tls) Handshake();
    buffer.clear();
    reused = false;
  }

  void Handshake() {
    SSL* native = tls->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(native);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (IsAddress(endpoint.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, endpoint.host.c_str());
    } else {
      SSL_set_tlsext_host_name(native, endpoint.host.c_str());
      X509_VERIFY_PARAM_set1_host(param, endpoint.host.c_str(), 0);
    }
    lowest().expires_after(options.connect_timeout);
    try {
      Run([&](auto handler) { tls->async_handshake(ssl::stream_base::client, handler); });
    } catch (const beast::system_error& e) {
      const long verify = SSL_get_verify_result(native);
      if (verify != X509_V_OK) {
        throw std::runtime_error(std::string("TLS certificate verification failed: ") +
                                 X509_verify_cert_error_string(verify));
      }
      throw;
    }
  }

  template <typename Stream>
  OtlpReply Exchange(Stream& stream, http::request<http::span_body<const char>>& request) {
    lowest().expires_after(options.request_timeout);
    Run([&](auto handler) { http::async_write(stream, request, handler); });
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    lowest().expires_after(options.request_timeout);
    Run([&](auto handler) { http::async_read(stream, buffer, parser, handler); });
    const auto& response = parser.get();
    OtlpReply reply;
    reply.status = static_cast<int>(response.result_int());
    reply.body = response.body();
    const auto retry_after = response[http::field::retry_after];
    if (!retry_after.empty()) {
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      reply.retry_after_seconds =
          ParseRetryAfter(std::string_view(retry_after.data(), retry_after.size()), now);
    }
    if (response.keep_alive()) {
      reused = true;
    } else {
      Close();
    }
    return reply;
  }
};

OtlpSender::OtlpSender(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
OtlpSender::~OtlpSender() { rep_->Close(); }

Result<std::unique_ptr<OtlpSender>> OtlpSender::Create(OtlpEndpoint endpoint,
                                                       const OtlpSenderOptions& options) {
  auto rep = std::make_unique<Rep>();
  rep->endpoint = std::move(endpoint);
  rep->options = options;
  const bool ipv6 = rep->endpoint.host.find(':') != std::string::npos;
  rep->host_header = (ipv6 ? "[" + rep->endpoint.host + "]" : rep->endpoint.host) + ":" +
                     std::to_string(rep->endpoint.port);
  if (rep->endpoint.tls) {
    rep->tls_context = std::make_unique<ssl::context>(ssl::context::tls_client);
    beast::error_code ec;
    rep->tls_context->set_default_verify_paths(ec);
    if (ec) return Status::IOError("cannot load the system certificate store: " + ec.message());
    if (!options.ca_file.empty()) {
      rep->tls_context->load_verify_file(options.ca_file, ec);
      if (ec) {
        return Status::InvalidArgument("cannot load CA file " + options.ca_file + ": " +
                                       ec.message());
      }
    }
    rep->tls_context->set_verify_mode(ssl::verify_peer);
  } else if (!options.ca_file.empty()) {
    return Status::InvalidArgument("a CA file is given but the endpoint " +
                                   rep->endpoint.ToString() + " is not https");
  }
  return std::unique_ptr<OtlpSender>(new OtlpSender(std::move(rep)));
}

const OtlpEndpoint& OtlpSender::endpoint() const { return rep_->endpoint; }

void OtlpSender::Cancel() { rep_->cancelled = true; }

Result<OtlpReply> OtlpSender::Post(std::string_view body, const HeaderList& headers) {
  http::request<http::span_body<const char>> request(http::verb::post, rep_->endpoint.path, 11);
  request.set(http::field::host, rep_->host_header);
  request.set(http::field::user_agent, "roost-replicator");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = boost::beast::span<const char>(body.data(), body.size());
  request.prepare_payload();
  const std::string where = rep_->endpoint.ToString();
  // At most two passes: the second only after a reused connection was found closed.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (rep_->cancelled) return Status::Unavailable("cancelled");
    if (!rep_->connected()) {
      try {
        rep_->Connect();
      } catch (const beast::system_error& e) {
        rep_->Close();
        return Status::Unavailable("cannot connect to " + where + ": " + e.code().message());
      } catch (const std::runtime_error& e) {
        rep_->Close();
        return Status::Unavailable("cannot connect to " + where + ": " + e.what());
      }
    }
    const bool was_reused = rep_->reused;
    try {
      return rep_->tls ? rep_->Exchange(*rep_->tls, request)
                       : rep_->Exchange(*rep_->plain, request);
    } catch (const beast::system_error& e) {
      const auto& code = e.code();
      const bool closed_by_peer =
          code == http::error::end_of_stream || code == boost::asio::error::connection_reset ||
          code == boost::asio::error::broken_pipe || code == boost::asio::error::eof ||
          code == ssl::error::stream_truncated;
      rep_->Close();
      if (was_reused && closed_by_peer && attempt == 0) continue;
      const std::string reason =
          code == beast::error::timeout
              ? "timed out after " + std::to_string(rep_->options.request_timeout.count()) + " ms"
              : code.message();
      return Status::Unavailable("POST " + where + " failed: " + reason);
    }
  }
  return Status::Unavailable("POST " + where + " failed: connection closed");
}

}  // namespace roost::api
