// What the OTLP fuzz targets check of every batch a decoder accepts.
#pragma once

#include <string>
#include <string_view>

#include "ingest/decoded_batch.h"

namespace roost::fuzz {

// "" when every span of `batch` passes ValidateSpan under `options`, and the batch re-encoded as
// protobuf and as JSON decodes to the same spans both ways; else what failed. `format` names the
// decoder, for the message.
std::string CheckAccepted(const ingest::DecodedBatch& batch, const ingest::DecodeOptions& options,
                          std::string_view format);

}  // namespace roost::fuzz
