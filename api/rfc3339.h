#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/result.h"

namespace roost::api {

// Parses an RFC 3339 date-time ("2026-11-25T10:00:00Z", "2026-11-25T11:00:00.250+01:00"; 'T' or
// 't', 'Z' or 'z' or a +hh:mm / -hh:mm offset, up to 9 fraction digits) into Unix nanoseconds.
// kInvalidArgument when the text is not one, or lies outside years 1678..2261 (int64 ns).
[[nodiscard]] Result<int64_t> ParseRfc3339(std::string_view text);

// Formats Unix nanoseconds as RFC 3339 in UTC: "2026-11-25T10:00:00Z", with a fraction of 9
// digits only when the time is not a whole second.
std::string FormatRfc3339(int64_t unix_nano);

}  // namespace roost::api
