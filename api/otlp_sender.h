#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/result.h"

namespace roost::api {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Where an OTLP/HTTP exporter sends: an http:// or https:// URL taken apart.
struct OtlpEndpoint {
  bool tls = false;
  std::string host;  // a name or an address; IPv6 without brackets
  uint16_t port = 0;
  std::string path;  // the traces path: the URL's path + "/v1/traces" unless it ends so already

  // "https://host:port/path" as given to ParseOtlpEndpoint (normalized).
  std::string ToString() const;
};

// Parses a URL's "HOST[:PORT]" part (IPv6 in brackets) into `host` (without brackets) and, when
// the port is given, `port` (left as it is otherwise). kInvalidArgument naming the problem.
[[nodiscard]] Status ParseHostPort(std::string_view authority, std::string* host, uint16_t* port);

// Parses "http[s]://HOST[:PORT][/PATH]" (PHOENIX_COLLECTOR_ENDPOINT: Phoenix's base URL; the
// default ports are 80 and 443). kInvalidArgument naming the problem otherwise.
[[nodiscard]] Result<OtlpEndpoint> ParseOtlpEndpoint(std::string_view url);

// The wait a Retry-After value asks for, in seconds from `now_unix_seconds`: delay-seconds, or an
// HTTP-date in any of the three forms RFC 9110 has recipients accept (IMF-fixdate, RFC 850,
// asctime); a date in the past is 0. nullopt when the value is neither.
std::optional<int64_t> ParseRetryAfter(std::string_view value, int64_t now_unix_seconds);

struct OtlpSenderOptions {
  // PEM file of extra certificate authorities trusted besides the system store (https only).
  std::string ca_file;
  // Bound on resolving + connecting + the TLS handshake.
  std::chrono::milliseconds connect_timeout{10000};
  // Bound on sending one request and on receiving its response.
  std::chrono::milliseconds request_timeout{30000};
  size_t max_response_bytes = size_t{1} << 20;  // larger responses fail the exchange
};

struct OtlpReply {
  int status = 0;
  std::string body;
  // Retry-After in seconds, when the response carried one (ParseRetryAfter).
  std::optional<int64_t> retry_after_seconds;
};

// One keep-alive HTTP/1.1 connection (Boost.Beast; over OpenSSL for https, with the peer
// certificate verified against the system store plus `ca_file`, and its name or address checked)
// that POSTs OTLP export requests. Blocking, on its own io_context. Not thread-safe, except
// Cancel().
class OtlpSender {
 public:
  // kInvalidArgument when `ca_file` cannot be loaded.
  static Result<std::unique_ptr<OtlpSender>> Create(OtlpEndpoint endpoint,
                                                    const OtlpSenderOptions& options);
  ~OtlpSender();
  OtlpSender(const OtlpSender&) = delete;
  OtlpSender& operator=(const OtlpSender&) = delete;

  // POSTs `body` to the endpoint's path with `headers` (plus Host, Content-Length, User-Agent).
  // Any HTTP status is a reply. Connects first when not connected; when a reused connection turns
  // out closed by the server, reconnects and sends once more. kUnavailable naming the reason when
  // the exchange failed below HTTP (refused, reset, TLS verification, timed out, cancelled).
  [[nodiscard]] Result<OtlpReply> Post(std::string_view body, const HeaderList& headers);

  // Aborts the exchange in progress (if any) and every later one. Thread-safe.
  void Cancel();

  const OtlpEndpoint& endpoint() const;

 private:
  struct Rep;
  explicit OtlpSender(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace roost::api
