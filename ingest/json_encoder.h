#pragma once

#include <span>
#include <string>

#include "storage/span.h"

namespace roost::ingest {

// Encodes `spans` as one OTLP ExportTraceServiceRequest in OTLP/JSON (Content-Type:
// application/json), grouped exactly as EncodeProtobuf groups them, with the same round-trip
// guarantee through DecodeJson. The JSON is compact and uses lowerCamelCase keys, hex ids, enums
// as numbers, and 64-bit integers as decimal strings; fields at their default value are left
// out. Doubles are written exactly (shortest round-trip form); NaN and infinities as the strings
// "NaN", "Infinity", "-Infinity". Strings are copied byte for byte (they are valid UTF-8 in any
// span that passed ValidateSpan). Thread-safe; never fails.
std::string EncodeJson(std::span<const Span> spans);

}  // namespace roost::ingest
