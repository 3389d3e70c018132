#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace roost::ingest::internal {

// Appends `s` as a quoted JSON string. `s` is expected to be UTF-8 and is copied byte for byte;
// only '"', '\\' and control characters are escaped.
void AppendJsonString(std::string_view s, std::string* out);

// Appends the shortest text that reads back as exactly `v`, always with a '.' or exponent so a
// JSON reader sees a float ("1.0", "-0.0", "1e+300"). NaN and infinities are not JSON numbers:
// they are appended as the proto3 JSON strings "NaN", "Infinity" and "-Infinity", quoted.
void AppendJsonDouble(double v, std::string* out);

// Appends `v` in decimal, quoted: proto3 JSON's form for 64-bit integers.
void AppendJsonInt64String(int64_t v, std::string* out);

}  // namespace roost::ingest::internal
