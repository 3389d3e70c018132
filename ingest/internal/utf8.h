#pragma once

#include <string>
#include <string_view>

namespace roost::ingest::internal {

// Length (1-4) of the well-formed UTF-8 sequence starting at s[i], or 0 if there is none there.
// REQUIRES: i < s.size()
size_t Utf8SequenceLength(std::string_view s, size_t i);

// `s` with every byte that is not part of a well-formed UTF-8 sequence replaced by '?'.
std::string ToValidUtf8(std::string_view s);

}  // namespace roost::ingest::internal
