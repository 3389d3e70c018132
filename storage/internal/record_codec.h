#pragma once

#include <string>
#include <string_view>

#include "storage/result.h"
#include "storage/span.h"

namespace roost::internal {

// Encodes a whole span as a standalone SpanRecord FlatBuffer (storage/schema/roost.fbs).
// Thread-safe (uses a thread-local builder).
std::string EncodeSpanRecord(const Span& span);

// Verifies and decodes a SpanRecord. `bytes` must be 8-byte aligned (RecordPack guarantees it
// inside an aligned value). kCorruption when verification fails.
Result<Span> DecodeSpanRecord(std::string_view bytes);

// The same into `*span`, every field replaced, reusing the memory of its strings and vectors
// (for a reader decoding span after span into the same objects). On kCorruption `*span` is left
// partly overwritten.
[[nodiscard]] Status DecodeSpanRecordInto(std::string_view bytes, Span* span);

}  // namespace roost::internal
