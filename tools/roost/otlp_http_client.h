#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/result.h"

namespace roost::cli {

// Where to send: an http:// URL taken apart.
struct HttpUrl {
  std::string host;  // a name or an address; IPv6 without brackets
  uint16_t port = 80;
  std::string path = "/";  // with the query, if any
};

// Parses "http://HOST[:PORT][/PATH]" (the scheme may be left out; IPv6 as "[::1]").
// kInvalidArgument naming the problem otherwise, e.g. for https:// (not supported).
[[nodiscard]] Result<HttpUrl> ParseHttpUrl(std::string_view url);

// The OTLP/HTTP traces endpoint for a --target URL: the URL's path when it already ends with
// "/v1/traces", else the path with "/v1/traces" appended.
std::string OtlpTracesPath(const HttpUrl& url);

struct HttpClientOptions {
  // Bound on connecting, on sending one request and on receiving one response.
  std::chrono::milliseconds timeout{30000};
  // Larger response bodies fail the exchange (OTLP responses are tiny).
  size_t max_response_bytes = size_t{4} << 20;
};

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
  // Retry-After in seconds when the response carried it as a number.
  std::optional<int64_t> retry_after_seconds;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// One keep-alive HTTP/1.1 connection over plain TCP (Boost.Beast, blocking), opened on first use
// and again whenever the server closed it. Not thread-safe: one client per thread.
class OtlpHttpClient {
 public:
  OtlpHttpClient(HttpUrl url, const HttpClientOptions& options);
  ~OtlpHttpClient();
  OtlpHttpClient(const OtlpHttpClient&) = delete;
  OtlpHttpClient& operator=(const OtlpHttpClient&) = delete;

  // Opens the connection now (it is opened lazily otherwise). kUnavailable naming host, port and
  // the reason when it cannot be opened.
  [[nodiscard]] Status Connect();

  // Sends one request and reads the response (any HTTP status is a reply). When a reused
  // keep-alive connection turns out closed before any response byte arrived, reconnects and sends
  // once more. kUnavailable naming the reason when the exchange failed at the connection level
  // (refused, reset, timed out, malformed or oversized response).
  [[nodiscard]] Result<HttpReply> Send(std::string_view method, std::string_view target,
                                       std::string_view body, const HttpHeaders& headers);

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace roost::cli
