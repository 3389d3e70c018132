#pragma once

#include <cstddef>
#include <memory>

#include "api/byte_budget.h"
#include "api/http_types.h"
#include "storage/span_store.h"

namespace roost::api {

struct IngestOptions {
  // Bound on a body after gzip/deflate decoding (the wire size is bounded by the server).
  size_t max_decompressed_bytes = size_t{256} << 20;
  // Bound on the memory that requests being decoded hold at once: inflated bodies, and the spans
  // decoded from them (estimated at three times the bytes of the body they come from). A request
  // that would pass it while others hold some gets 503 with Retry-After; one alone is always
  // decoded.
  size_t max_decoding_bytes = size_t{1} << 30;
  // The budget those bytes are taken from; nullptr: the handler makes its own.
  std::shared_ptr<ByteBudget> decoding_budget;
  // Seconds a client is told to wait (Retry-After) when the write queue is full.
  int retry_after_seconds = 1;
};

// POST /v1/traces: OTLP/HTTP export requests as Phoenix's collector accepts them (protobuf or
// JSON, gzip or deflate), stored durably before the 200. Thread-safe; `store` must outlive it.
class TraceIngestHandler {
 public:
  TraceIngestHandler(SpanStore& store, const IngestOptions& options)
      : store_(store),
        options_(options),
        budget_(options.decoding_budget
                    ? options.decoding_budget
                    : std::make_shared<ByteBudget>(options.max_decoding_bytes)) {}

  // 200 with an ExportTraceServiceResponse (partial_success naming rejected spans) in the
  // request's content type; 400 for an undecodable body, 413 past the decompressed limit, 415
  // for another content type or encoding, 503 with Retry-After when the store sheds load or
  // when decoding it would pass max_decoding_bytes.
  Response Handle(const Request& request) const;

 private:
  Response Busy(size_t wanted) const;

  SpanStore& store_;
  const IngestOptions options_;
  const std::shared_ptr<ByteBudget> budget_;
};

}  // namespace roost::api
