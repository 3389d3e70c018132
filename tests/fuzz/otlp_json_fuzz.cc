#include <nlohmann/json.hpp>

#include "ingest/json_decoder.h"
#include "tests/fuzz/fuzz_targets.h"
#include "tests/fuzz/otlp_round_trip.h"

namespace roost::fuzz {

std::string OtlpJson(std::string_view input) {
  for (const ingest::DecodeOptions& options : OptionsToTry()) {
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
