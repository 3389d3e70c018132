#pragma once

#include <cstddef>

#include "api/http_types.h"
#include "storage/span_store.h"

namespace roost::api {

struct IngestOptions {
  // Bound on a body after gzip/deflate decoding (the wire size is bounded by the server).
  size_t max_decompressed_bytes = size_t{256} << 20;
  // Seconds a client is told to wait (Retry-After) when the write queue is full.
  int retry_after_seconds = 1;
};

// POST /v1/traces: OTLP/HTTP export requests as Phoenix's collector accepts them (protobuf or
// JSON, gzip or deflate), stored durably before the 200. Thread-safe; `store` must outlive it.
class TraceIngestHandler {
 public:
  TraceIngestHandler(SpanStore& store, const IngestOptions& options)
      : store_(store), options_(options) {}

  // 200 with an ExportTraceServiceResponse (partial_success naming rejected spans) in the
  // request's content type; 400 for an undecodable body, 413 past the decompressed limit, 415
  // for another content type or encoding, 503 with Retry-After when the store sheds load.
  Response Handle(const Request& request) const;

 private:
  SpanStore& store_;
  const IngestOptions options_;
};

}  // namespace roost::api
