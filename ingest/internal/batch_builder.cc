#include "ingest/internal/batch_builder.h"

#include <string>
#include <utility>

#include "ingest/semantic_conventions.h"
#include "storage/span.h"

namespace roost::ingest::internal {

BatchBuilder::BatchBuilder(const DecodeOptions& options) : options_(options) {
  // The one string of a span that comes from outside the body's reader.
  if (!roost::IsValidUtf8(options_.project_header)) {
    project_header_error_ = "project (x-project-name header) is not valid UTF-8";
  }
}

void BatchBuilder::Add(Span&& span, std::string_view decode_error) {
  const size_t index = added_++;
  if (decode_error.empty()) decode_error = project_header_error_;
  if (!decode_error.empty()) {
    Reject(index, span, decode_error);
    return;
  }
  ApplySemanticConventions(options_.project_header, &span);
  if (Status s = ValidateSpan(span, options_.span_limits, Utf8Check::kAlreadyChecked); !s.ok()) {
    Reject(index, span, s.message());
    return;
  }
  batch_.spans.push_back(std::move(span));
}

void BatchBuilder::Reject(size_t index, const Span& span, std::string_view reason) {
  ++batch_.rejected_count;
  if (batch_.rejected.size() >= options_.max_rejected_details) return;
  batch_.rejected.push_back(RejectedSpan{
      .index = index,
      .trace_id_hex = span.trace_id.IsZero() ? std::string() : span.trace_id.ToHex(),
      .reason = std::string(reason),
  });
}

Status TooManySpans(size_t max_spans) {
  return Status::InvalidArgument("request holds more than the limit of " +
                                 std::to_string(max_spans) + " spans");
}

}  // namespace roost::ingest::internal
