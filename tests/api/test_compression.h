#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace roost::api::testing {

// How Compress frames its output.
enum class Framing { kGzip, kZlib, kRawDeflate };

// `data` compressed with zlib in the given framing.
std::string Compress(std::string_view data, Framing framing);

// `zeros` zero bytes, gzipped (fed in pieces, so the input never exists in memory): a gzip bomb.
std::string GzipZeros(size_t zeros);

}  // namespace roost::api::testing
