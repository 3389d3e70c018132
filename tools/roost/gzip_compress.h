#pragma once

#include <string>
#include <string_view>

namespace roost::cli {

// Fastest zlib level: for request bodies compressed on the fly.
inline constexpr int kGzipFastest = 1;

// `data` as one gzip member (RFC 1952), compressed at zlib `level` (1 fastest .. 9 smallest), as
// an OTLP client sends a body with Content-Encoding: gzip. Never fails for valid levels (asserted).
// Thread-safe.
std::string GzipCompress(std::string_view data, int level = kGzipFastest);

}  // namespace roost::cli
