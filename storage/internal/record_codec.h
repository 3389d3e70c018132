#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/result.h"
#include "storage/span.h"

namespace roost::internal {

// How the records of a payload page are encoded (the page's header says which; record_pack.h).
enum class RecordFormat : uint8_t {
  kFlatBuffers,  // FlatBuffers SpanRecord (flat_record_codec.h): pages written before 2026-12
  kCompact,      // the compact encoding below: every page written now
};

// The compact span record: every field of a Span, in a fixed order, with no field tags, vtables
// or padding. Integers are LEB128 varints (signed ones zigzagged), doubles 8 bytes little-endian,
// strings and lists a varint length then their contents, ids their raw bytes:
//
//   u8 flags (1: has parent, 2: has cost) | trace id 16 | span id 8 | [parent id 8]
//   u8 kind | u8 otel kind | u8 status | start | end - start
//   trace_state | name | status message | project | session | user | model | provider
//   8 token counts (prompt, completion, total, cache read, cache write, prompt audio,
//   reasoning, completion audio) | [cost f64]
//   attributes | events (name, time, attributes) | links (trace 16, span 8, trace_state,
//   attributes) | resource attributes | scope name | scope version | scope attributes
//
// attributes: count, then per attribute its key, a u8 type (0 none, 1 string, 2 bool, 3 int,
// 4 double, 5-8 arrays of those four) and its value. About 40% smaller than the FlatBuffers
// record, several times faster to write, and it compresses better (zstd sees the text only).

// Appends the record of `span` to `*out`.
void AppendSpanRecord(const Span& span, std::string* out);
std::string EncodeSpanRecord(const Span& span);

// Decodes a compact record into `*span`, every field replaced, reusing the memory of its strings
// and vectors (for a reader decoding span after span into the same objects). kCorruption when
// the bytes are not exactly one well-formed record; `*span` is then partly overwritten.
[[nodiscard]] Status DecodeSpanRecordInto(std::string_view bytes, Span* span);
Result<Span> DecodeSpanRecord(std::string_view bytes);

// Either format. A kFlatBuffers record must be 8-byte aligned.
[[nodiscard]] Status DecodeRecordInto(RecordFormat format, std::string_view bytes, Span* span);
Result<Span> DecodeRecord(RecordFormat format, std::string_view bytes);

}  // namespace roost::internal
