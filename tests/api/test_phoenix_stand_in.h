#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "storage/span.h"

namespace roost::api::testing {

// How the stand-in answers export requests.
enum class StandInMode {
  kAccept,        // 200 (after the key check; a refused span gets 400)
  kUnauthorized,  // 401 always
  kStatus,        // the status set with SetMode (500, 503, 507, 429 ...), with Retry-After if set
  kHang,          // reads the request, never answers
  kClose,         // reads the request, closes the connection without answering
};

struct StandInOptions {
  // Requests without `Authorization: Bearer api_key` get 401 (empty: no check).
  std::string api_key;
  // TLS with this certificate chain and key (PEM); plain HTTP when empty.
  std::string cert_pem;
  std::string key_pem;
};

// What the stand-in got: one delivered (2xx-answered) span.
struct ReceivedSpan {
  TraceId trace_id;
  SpanId span_id;
  std::string project;  // as Phoenix would file it (resource openinference.project.name)
};

// A test-only Phoenix: an OTLP/HTTP receiver on 127.0.0.1 (port 0: a free one) that gunzips and
// decodes export requests with ingest's protobuf decoder (the same generated classes), checks the
// bearer key, records every delivered (trace id, span id), and can be told to fail in the ways a
// real Phoenix does. One IO thread; every accessor is thread-safe.
class PhoenixStandIn {
 public:
  // nullptr with `*error` set when it cannot listen.
  static std::unique_ptr<PhoenixStandIn> Start(const StandInOptions& options, std::string* error);
  ~PhoenixStandIn();

  uint16_t port() const;
  // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT".
  std::string url() const;

  // From now on answer as `mode`; for kStatus with `status` and, when > 0, Retry-After.
  // `times` > 0: only the next `times` requests, then kAccept again.
  void SetMode(StandInMode mode, int status = 500, int retry_after_seconds = 0, int times = 0);
  void SetApiKey(std::string key);
  // Batches holding a span with this name are refused with 400 (as Phoenix refuses a bad span).
  void RefuseSpansNamed(std::string name);
  // Spans with this name are dropped from accepted batches, and the 200 says so in an OTLP
  // partial success (rejected_spans, error_message), as a collector that drops spans does.
  void PartiallyRejectSpansNamed(std::string name);
  // Sleep this long before answering each request (a slow Phoenix).
  void SetDelay(std::chrono::milliseconds delay);

  std::vector<ReceivedSpan> received() const;
  // Distinct (trace id, span id) pairs delivered.
  std::set<std::pair<TraceId, SpanId>> unique_received() const;
  size_t requests() const;
  // Spans in the largest delivered request.
  size_t largest_request() const;
  std::vector<std::chrono::steady_clock::time_point> request_times() const;
  // Headers of the last request (names lowercased).
  std::map<std::string, std::string> last_headers() const;

  // Polls `done` every 10 ms until it holds or `timeout` passes.
  static bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout);

  struct Rep;

 private:
  PhoenixStandIn() = default;
  std::unique_ptr<Rep> rep_;
};

}  // namespace roost::api::testing
