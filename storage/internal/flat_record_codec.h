#pragma once

#include <string>
#include <string_view>

#include "storage/result.h"
#include "storage/span.h"

namespace roost::internal {

// Span records as FlatBuffers (storage/schema/roost.fbs SpanRecord): the record format of
// payload pages written before compact records (record_codec.h). Kept so that those data dirs
// stay readable; nothing writes it any more except tests that build such pages.

// Thread-safe (uses a thread-local builder).
std::string EncodeFlatSpanRecord(const Span& span);

// Verifies and decodes into `*span`, every field replaced (memory reused). `bytes` must be
// 8-byte aligned. kCorruption when verification fails; `*span` is then partly overwritten.
[[nodiscard]] Status DecodeFlatSpanRecordInto(std::string_view bytes, Span* span);

}  // namespace roost::internal
