#include "tests/fuzz/otlp_round_trip.h"

#include <cmath>
#include <limits>
#include <span>
#include <variant>

#include "ingest/json_decoder.h"
#include "ingest/json_encoder.h"
#include "ingest/protobuf_decoder.h"
#include "ingest/protobuf_encoder.h"
#include "tests/ingest/test_protobuf_paths.h"

namespace roost::fuzz {
namespace {

// OTLP/JSON writes every NaN as "NaN", so a NaN's sign and payload bits do not survive it: both
// round trips are compared with each NaN made the same quiet NaN.
void SameNaNs(Attributes* attributes) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  for (Attribute& a : *attributes) {
    if (auto* d = std::get_if<double>(&a.value); d != nullptr && std::isnan(*d)) {
      *d = kNaN;
    } else if (auto* v = std::get_if<std::vector<double>>(&a.value); v != nullptr) {
      for (double& x : *v) {
        if (std::isnan(x)) x = kNaN;
      }
    }
  }
}

void SameNaNs(ingest::DecodedBatch* batch) {
  for (Span& s : batch->spans) {
    SameNaNs(&s.attributes);
    for (SpanEvent& e : s.events) SameNaNs(&e.attributes);
    for (SpanLink& l : s.links) SameNaNs(&l.attributes);
    SameNaNs(&s.resource_attributes);
    SameNaNs(&s.scope.attributes);
  }
}

}  // namespace

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
  Result<ingest::DecodedBatch> proto = ingest::DecodeProtobuf(ingest::EncodeProtobuf(spans), plain);
  Result<ingest::DecodedBatch> json = ingest::DecodeJson(ingest::EncodeJson(spans), plain);
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
  SameNaNs(&*proto);
  SameNaNs(&*json);
  if (const std::string d = testing::DiffBatch(*proto, *json); !d.empty()) {
    return std::string(format) + " batch re-encoded as protobuf and as JSON decodes differently" +
           " (protobuf first):" + d;
  }
  return "";
}

}  // namespace roost::fuzz
