#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/result.h"
#include "storage/span.h"

namespace roost::ingest {

// How one request body is decoded. Plain value type.
struct DecodeOptions {
  // The value of the `x-project-name` request header; may be empty. When non-empty it names the
  // project of every span in the request (see ApplySemanticConventions).
  std::string project_header;
  // Every span is checked against these by ValidateSpan: a caller that writes the spans with
  // WriteOptions::validated sets them to the store's limits().
  SpanLimits span_limits;
  // A request with more spans than this is refused as a whole.
  size_t max_spans = 1 << 18;
  // Deepest nesting accepted: JSON objects and arrays, or protobuf messages. OTLP itself needs
  // ~10 levels; the rest is for nested AnyValue arrays and kvlists.
  int max_nesting_depth = 64;
  // At most this many RejectedSpan details are kept; DecodedBatch::rejected_count counts all.
  size_t max_rejected_details = 100;
};

// A span of the request that was not accepted.
struct RejectedSpan {
  size_t index = 0;          // position of the span in the request, counted from 0 across all
                             // resourceSpans and scopeSpans in order
  std::string trace_id_hex;  // the span's trace id, if it was readable; else empty
  std::string reason;        // what is wrong, e.g. "end time is before start time"
  bool operator==(const RejectedSpan&) const = default;
};

// The outcome of decoding a request whose body as a whole was readable.
struct DecodedBatch {
  std::vector<Span> spans;             // accepted spans, mapped and validated, in request order
  std::vector<RejectedSpan> rejected;  // the first DecodeOptions::max_rejected_details rejections
  uint64_t rejected_count = 0;         // all rejections
};

// A one-line summary of the rejections of `batch` for an ExportTracePartialSuccess error
// message, e.g. `2 spans rejected; span 3 (trace 5b8e...): end time is before start time; ...`,
// listing at most `max_listed` spans. Empty when nothing was rejected. Thread-safe.
std::string DescribeRejections(const DecodedBatch& batch, size_t max_listed = 3);

}  // namespace roost::ingest
