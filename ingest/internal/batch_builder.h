#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ingest/decoded_batch.h"
#include "storage/span.h"

namespace roost::ingest::internal {

// Collects the spans a decoder read, in request order, into a DecodedBatch: applies the semantic
// conventions, validates, and records rejections. Shared by the protobuf and JSON decoders.
// Not thread-safe; one per request.
class BatchBuilder {
 public:
  // `options` must outlive the builder.
  explicit BatchBuilder(const DecodeOptions& options);

  void Reserve(size_t spans) { batch_.spans.reserve(spans); }

  // Takes the next span of the request, its OTLP fields filled in (resource and scope
  // included). A non-empty `decode_error` says the decoder found it unusable; it is rejected with
  // that reason. Otherwise conventions are applied and ValidateSpan decides. Every string of the
  // span must be well-formed UTF-8 already (the decoders' readers check them): ValidateSpan does
  // not look again. Callers writing the batch pass WriteOptions::validated, so this is the only
  // validation the spans get: DecodeOptions::span_limits must be the store's limits().
  void Add(Span&& span, std::string_view decode_error);

  // Spans added so far, accepted or not.
  size_t added() const { return added_; }

  DecodedBatch Finish() && { return std::move(batch_); }

 private:
  void Reject(size_t index, const Span& span, std::string_view reason);

  const DecodeOptions& options_;
  // Why every span is rejected when the x-project-name header is not UTF-8; else empty.
  std::string project_header_error_;
  DecodedBatch batch_;
  size_t added_ = 0;
};

// The kInvalidArgument for a request over DecodeOptions::max_spans.
Status TooManySpans(size_t max_spans);

}  // namespace roost::ingest::internal
