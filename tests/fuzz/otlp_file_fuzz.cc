#include "tests/fuzz/fuzz_targets.h"
#include "tools/roost/otlp_file_reader.h"

namespace roost::fuzz {

std::string OtlpFile(std::string_view input) {
  const ingest::DecodeOptions options;
  const Result<cli::DetectedOtlpFormat> detected = cli::DetectOtlpFormat(input, options);
  if (!detected.ok()) {
    if (detected.status().code() != Status::Code::kInvalidArgument) {
      return "DetectOtlpFormat failed with " + detected.status().ToString();
    }
    return "";
  }
  // The requests tile the content in order, each inside it, and the splitter ends.
  cli::OtlpRequestSplitter splitter(input, detected->format);
  size_t previous_end = 0;
  for (size_t n = 0; n <= input.size() + 1; ++n) {
    const Result<std::optional<cli::OtlpRequestSlice>> next = splitter.Next();
    if (!next.ok()) {
      if (next.status().code() != Status::Code::kInvalidArgument) {
        return "Next failed with " + next.status().ToString();
      }
      return "";
    }
    if (!next->has_value()) return "";
    const cli::OtlpRequestSlice& slice = **next;
    const char* begin = input.data();
    if (slice.index != n)
      return "request " + std::to_string(n) + " numbered " + std::to_string(slice.index);
    const size_t body_start =
        slice.body.empty() ? slice.end_offset : static_cast<size_t>(slice.body.data() - begin);
    if (!slice.body.empty() && (slice.body.data() < begin || body_start > input.size())) {
      return "request " + std::to_string(n) + " lies outside the content";
    }
    if (body_start < previous_end || body_start + slice.body.size() > slice.end_offset ||
        slice.end_offset > input.size()) {
      return "request " + std::to_string(n) + " lies outside the content or before the last one";
    }
    previous_end = slice.end_offset;
    (void)cli::DescribeRequestPosition(slice);
    const Result<ingest::DecodedBatch> batch =
        cli::DecodeOtlpRequest(slice.body, detected->format, options);
    if (!batch.ok() && batch.status().code() != Status::Code::kInvalidArgument) {
      return "DecodeOtlpRequest failed with " + batch.status().ToString();
    }
  }
  return "the splitter did not end after more requests than the content has bytes";
}

}  // namespace roost::fuzz

ROOST_FUZZ_MAIN(roost::fuzz::OtlpFile)
