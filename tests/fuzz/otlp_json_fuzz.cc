#include <nlohmann/json.hpp>

#include "ingest/json_decoder.h"
#include "tests/fuzz/fuzz_targets.h"
#include "tests/fuzz/otlp_round_trip.h"

namespace roost::fuzz {

std::string OtlpJson(std::string_view input) {
  ingest::DecodeOptions tight;
  tight.max_nesting_depth = 12;
  tight.max_spans = 3;
  tight.max_rejected_details = 1;
  for (const ingest::DecodeOptions& options : {ingest::DecodeOptions{}, tight}) {
    const Result<ingest::DecodedBatch> batch = ingest::DecodeJson(input, options);
    if (batch.ok() && !nlohmann::json::accept(input)) {
      return "DecodeJson accepted a body that is not JSON";
    }
    if (!batch.ok()) {
      if (batch.status().code() != Status::Code::kInvalidArgument) {
        return "DecodeJson failed with " + batch.status().ToString() +
               " instead of kInvalidArgument";
      }
      continue;
    }
    if (std::string fault = CheckAccepted(*batch, options, "JSON"); !fault.empty()) return fault;
  }
  return "";
}

}  // namespace roost::fuzz

ROOST_FUZZ_MAIN(roost::fuzz::OtlpJson)
