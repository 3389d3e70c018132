#include "ingest/decompress.h"
#include "tests/fuzz/fuzz_targets.h"

namespace roost::fuzz {

std::string Decompress(std::string_view input) {
  constexpr size_t kLimit = 1 << 20;
  constexpr size_t kMemory = 64 << 10;
  for (ingest::ContentEncoding enc :
       {ingest::ContentEncoding::kGzip, ingest::ContentEncoding::kDeflate}) {
    const std::string name = enc == ingest::ContentEncoding::kGzip ? "gzip" : "deflate";
    const Result<std::string> out = ingest::Decompress(input, enc, kLimit);
    if (out.ok() && out->size() > kLimit) {
      return name + ": " + std::to_string(out->size()) + " bytes of output over the limit";
    }
    if (!out.ok() && out.status().code() != Status::Code::kInvalidArgument) {
      return name + ": failed with " + out.status().ToString() + " instead of kInvalidArgument";
    }
    // The same input while memory is short: the grow hook is asked for every byte before it is
    // taken, and its refusal is kUnavailable; what fits decodes as before.
    size_t granted = 0;
    const Result<std::string> bounded = ingest::Decompress(input, enc, kLimit, [&](size_t n) {
      if (granted + n > kMemory) return false;
      granted += n;
      return true;
    });
    if (bounded.ok()) {
      if (!out.ok() || *bounded != *out) return name + ": the grow hook changed the output";
      if (bounded->size() > granted) {
        return name + ": " + std::to_string(bounded->size()) + " bytes of output, only " +
               std::to_string(granted) + " asked of the grow hook";
      }
    } else if (bounded.status().code() == Status::Code::kUnavailable) {
      if (granted > kMemory) return name + ": grew past the hook's refusal";
    } else if (out.ok() || bounded.status().message() != out.status().message()) {
      return name + ": with the grow hook, " + bounded.status().ToString() + " instead of " +
             (out.ok() ? std::string("OK") : out.status().ToString());
    }
  }
  return "";
}

}  // namespace roost::fuzz

ROOST_FUZZ_MAIN(roost::fuzz::Decompress)
