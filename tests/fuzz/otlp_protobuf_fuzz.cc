#include "ingest/protobuf_decoder.h"
#include "tests/fuzz/fuzz_targets.h"
#include "tests/fuzz/otlp_round_trip.h"
#include "tests/ingest/test_protobuf_paths.h"

namespace roost::fuzz {

std::string OtlpProtobuf(std::string_view input) {
  for (const ingest::DecodeOptions& options : OptionsToTry()) {
    const testing::Outcome outcome = testing::Compare(input, options);
    if (!outcome.mismatch.empty()) return outcome.mismatch;
    if (!outcome.reference_ok) continue;
    const Result<ingest::DecodedBatch> batch = ingest::DecodeProtobuf(input, options);
    if (std::string fault = CheckAccepted(*batch, options, "protobuf"); !fault.empty()) {
      return fault;
    }
  }
  return "";
}

}  // namespace roost::fuzz

ROOST_FUZZ_MAIN(roost::fuzz::OtlpProtobuf)
