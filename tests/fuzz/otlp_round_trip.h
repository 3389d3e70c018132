// What the OTLP fuzz targets check of every batch a decoder accepts.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "ingest/decoded_batch.h"

namespace roost::fuzz {

// The decode options each OTLP target tries: the defaults, and limits tight enough for inputs of
// a fuzzer's size to reach (nesting, span count, rejection details).
std::array<ingest::DecodeOptions, 2> OptionsToTry();

// "" when every span of `batch` passes ValidateSpan under `options`, and the batch re-encoded as
// protobuf and as JSON decodes to the same spans both ways; else what failed. `format` names the
// decoder, for the message.
std::string CheckAccepted(const ingest::DecodedBatch& batch, const ingest::DecodeOptions& options,
                          std::string_view format);

}  // namespace roost::fuzz
