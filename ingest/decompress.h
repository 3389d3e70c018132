#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "storage/result.h"

namespace roost::ingest {

// The HTTP Content-Encoding of an OTLP request body.
enum class ContentEncoding : uint8_t {
  kIdentity,
  kGzip,
  // HTTP "deflate": zlib-wrapped (RFC 1950) as the RFC says, or raw deflate (RFC 1951) as some
  // clients send it; Decompress tells them apart by the zlib header.
  kDeflate,
};

// Parses a Content-Encoding header value: "" or "identity", "gzip" or "x-gzip", "deflate"
// (case-insensitive, surrounding spaces ignored). Returns kInvalidArgument naming the value for
// anything else, including lists such as "gzip, br" (a server answers 415). Thread-safe.
[[nodiscard]] Result<ContentEncoding> ParseContentEncoding(std::string_view header);

// Returns `body` decoded per `enc`, never more than `max_output_bytes` long.
//   kIdentity: a copy of `body`.
//   kGzip: one or more concatenated gzip members (RFC 1952).
//   kDeflate: a zlib stream, or a raw deflate stream when the zlib header is absent.
// Returns kInvalidArgument when the output would exceed `max_output_bytes` (the message names the
// limit; this is how a "gzip bomb" is refused, after at most `max_output_bytes` of work), or when
// the stream is corrupt, truncated, empty or followed by trailing bytes.
// Thread-safe; allocates at most max_output_bytes + 1 bytes of output.
//
// `grow`, when given, is asked before the output buffer takes n more bytes (the first buffer
// included); when it answers false, Decompress stops with kUnavailable (memory is short now: a
// server answers 503, to be retried) instead of growing.
[[nodiscard]] Result<std::string> Decompress(std::string_view body, ContentEncoding enc,
                                             size_t max_output_bytes,
                                             const std::function<bool(size_t n)>& grow = nullptr);

}  // namespace roost::ingest
