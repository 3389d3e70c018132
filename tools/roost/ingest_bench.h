#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "storage/result.h"
#include "storage/span.h"
#include "tools/roost/otlp_http_client.h"

namespace roost::cli {

// How request bodies are encoded (Content-Type application/x-protobuf or application/json).
enum class OtlpEncoding : uint8_t { kProtobuf, kJson };

struct IngestBenchOptions {
  // The endpoint: OtlpTracesPath(target) on target's host and port.
  HttpUrl target;
  // Keep-alive connections, each driven by its own sender thread.
  int concurrency = 8;
  // Spans per export request.
  size_t batch = 512;
  OtlpEncoding encoding = OtlpEncoding::kProtobuf;
  bool gzip = false;
  // Stop after this many spans have been sent; 0 means run for `duration` instead.
  uint64_t spans = 0;
  std::chrono::milliseconds duration{0};
  // Authorization: Bearer KEY when non-empty.
  std::string api_key;
  // x-project-name header, and the project the generated spans name, when non-empty.
  std::string project;
  // Generator seed (traffic shape) and id salt (fresh trace and span ids on every run; the CLI
  // passes a clock reading so de-duplication never flatters the figure).
  uint64_t seed = 1;
  uint64_t id_salt = 0;
  // End of the generated day of traffic, Unix ns; 0: now.
  int64_t end_unix_nano = 0;
  // Remember the ids of every acknowledged span in IngestBenchResult::acknowledged.
  bool keep_acknowledged_ids = false;
  // A 503 is retried with the same body after waiting its Retry-After (1 s when absent), capped
  // at max_retry_after, at most max_retries_503 times per request; then the request has failed.
  int max_retries_503 = 20;
  std::chrono::milliseconds max_retry_after{5000};
  // Encoded requests are prepared ahead by a generator thread, up to this many bytes; the clock
  // starts once this buffer is full (or holds the whole run).
  size_t max_prepared_bytes = size_t{256} << 20;
  // The first `templates` requests are generated and encoded; later ones are copies of their
  // bodies with every trace and span id replaced (XORed with a mask new on each pass over the
  // templates, so ids stay unique and parents stay parents), which costs the load generator a
  // few percent of what generating and encoding does and leaves the machine to the server. The
  // copies repeat the templates' texts, sessions and times. 0: generate every request.
  size_t templates = 64;
  HttpClientOptions http;
};

// Validates the options: concurrency in [1, 1024], batch in [1, 100000], exactly one of spans
// and duration, a host. kInvalidArgument naming the option otherwise.
[[nodiscard]] Status ValidateIngestBenchOptions(const IngestBenchOptions& options);

// Counts over one reporting interval (about a second).
struct IngestBenchInterval {
  double elapsed_seconds = 0;  // since the clock started, at the end of the interval
  uint64_t spans = 0;          // acknowledged in the interval
  double spans_per_second = 0;
  double p50_ms = 0;  // latency of the requests acknowledged in the interval; NaN when none
  double p99_ms = 0;
  uint64_t errors = 0;  // requests failed for good in the interval
  uint64_t retries_503 = 0;
};

struct AcknowledgedSpan {
  TraceId trace_id;
  SpanId span_id;
};

struct IngestBenchResult {
  uint64_t spans = 0;            // acknowledged: answered 2xx, minus partial_success rejections
  uint64_t requests = 0;         // answered 2xx
  uint64_t copied_requests = 0;  // of those, copies of templates under new ids
  uint64_t rejected_spans = 0;   // counted in partial_success of 2xx answers
  double seconds = 0;            // from the first request sent to the last answer received
  double p50_ms = 0;             // latency of 2xx exchanges (send to full answer); NaN when none
  double p99_ms = 0;
  uint64_t errors = 0;  // requests that failed for good (any answer but 2xx, or no answer)
  uint64_t retries_503 = 0;
  // Failed requests by cause: "400", "500", "503 (retries exhausted)", "connection", ...
  std::map<std::string, uint64_t> errors_by_status;
  // The first few error messages (status and the start of the body, or the connection error).
  std::vector<std::string> error_samples;
  // With keep_acknowledged_ids: every span of fully accepted requests (2xx, nothing rejected).
  std::vector<AcknowledgedSpan> acknowledged;

  double spans_per_second() const { return seconds > 0 ? static_cast<double>(spans) / seconds : 0; }
};

// An OTLP/HTTP load generator. Before the clock starts it opens every connection (kUnavailable
// naming the target when one cannot be opened) and fills the prepared-request buffer from a
// workload::SpanGenerator (one day of traffic ending at end_unix_nano, ids salted by id_salt).
// Then `concurrency` threads each POST the next prepared request on their own keep-alive
// connection until the spans run out or the duration has passed, while the generator thread
// keeps encoding. `on_interval` is called about once a second from the calling thread. Returns
// when every sent request has its answer; request failures are counted in the result, not
// returned as an error. Thread-compatible.
[[nodiscard]] Result<IngestBenchResult> RunIngestBench(
    const IngestBenchOptions& options,
    const std::function<void(const IngestBenchInterval&)>& on_interval);

// The rejected_spans of an ExportTraceServiceResponse body (protobuf, or JSON when `json`); 0
// when the body is empty or cannot be read (some collectors answer with an empty body).
uint64_t RejectedSpansOf(std::string_view body, bool json);

}  // namespace roost::cli
