#include "tests/fuzz/otlp_round_trip.h"

#include <span>

#include "ingest/json_decoder.h"
#include "ingest/json_encoder.h"
#include "ingest/protobuf_decoder.h"
#include "ingest/protobuf_encoder.h"
#include "tests/ingest/test_protobuf_paths.h"

namespace roost::fuzz {

std::array<ingest::DecodeOptions, 2> OptionsToTry() {
  ingest::DecodeOptions tight;
  tight.max_nesting_depth = 12;
  tight.max_spans = 3;
  tight.max_rejected_details = 1;
  return {ingest::DecodeOptions{}, tight};
}

std::string CheckAccepted(const ingest::DecodedBatch& batch, const ingest::DecodeOptions& options,
                          std::string_view format) {
  for (size_t i = 0; i < batch.spans.size(); ++i) {
    if (Status s = ValidateSpan(batch.spans[i], options.span_limits); !s.ok()) {
      return std::string(format) + " accepted span " + std::to_string(i) +
             " that fails validation: " + s.ToString();
    }
  }
  if (batch.spans.empty()) return "";
  const std::span<const Span> spans(batch.spans);
  // Decoding fills the derived fields from the attributes, so a decoded span's fields agree with
  // them. The encoders may add the project's resource attribute, which makes the round trips of
  // protobuf and JSON equal to each other rather than to the input. A protobuf nesting level
  // can take up to three in JSON (an array value: an object, its values, an element).
  ingest::DecodeOptions plain = options;
  plain.max_rejected_details = 0;
  plain.max_nesting_depth = 3 * options.max_nesting_depth + 8;
  const Result<ingest::DecodedBatch> proto =
      ingest::DecodeProtobuf(ingest::EncodeProtobuf(spans), plain);
  const Result<ingest::DecodedBatch> json = ingest::DecodeJson(ingest::EncodeJson(spans), plain);
  if (!proto.ok())
    return std::string(format) +
           " batch re-encoded as protobuf fails: " + proto.status().ToString();
  if (!json.ok())
    return std::string(format) + " batch re-encoded as JSON fails: " + json.status().ToString();
  if (proto->spans.size() != spans.size() || proto->rejected_count != 0) {
    return std::string(format) +
           " batch re-encoded as protobuf loses spans: " + std::to_string(proto->spans.size()) +
           " of " + std::to_string(spans.size());
  }
  // OTLP/JSON writes every NaN as "NaN": a NaN's sign and payload bits do not survive it.
  if (const std::string d = testing::DiffBatch(*proto, *json, testing::NanBits::kIgnored);
      !d.empty()) {
    return std::string(format) + " batch re-encoded as protobuf and as JSON decodes differently" +
           " (protobuf first):" + d;
  }
  return "";
}

}  // namespace roost::fuzz
