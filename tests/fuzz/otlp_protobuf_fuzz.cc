#include "ingest/protobuf_decoder.h"
#include "tests/fuzz/fuzz_targets.h"
#include "tests/fuzz/otlp_round_trip.h"
#include "tests/ingest/test_protobuf_paths.h"

namespace roost::fuzz {

std::string OtlpProtobuf(std::string_view input) {
  // The defaults, and tight limits that inputs of a fuzzer's size can reach.
  ingest::DecodeOptions tight;
  tight.max_nesting_depth = 12;
  tight.max_spans = 3;
  tight.max_rejected_details = 1;
  for (const ingest::DecodeOptions& options : {ingest::DecodeOptions{}, tight}) {
    const testing::Outcome outcome = testing::Compare(input, options);
    if (!outcome.mismatch.empty()) return outcome.mismatch;
    if (!outcome.reference_ok) continue;
    const Result<ingest::DecodedBatch> batch = ingest::DecodeProtobuf(input, options);
    if (std::string fault = CheckAccepted(*batch, options, "protobuf"); !fault.empty())
      return fault;
  }
  return "";
}

}  // namespace roost::fuzz

ROOST_FUZZ_MAIN(roost::fuzz::OtlpProtobuf)
