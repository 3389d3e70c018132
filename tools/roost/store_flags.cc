#include "tools/roost/store_flags.h"

#include <cctype>
#include <cstdint>

namespace roost::cli {

Result<std::chrono::seconds> ParseDuration(const std::string& text) {
  if (text.empty()) return Status::InvalidArgument("empty duration");
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 12) {
    return Status::InvalidArgument("duration '" + text + "' must be a number with s, m, h or d");
  }
  const int64_t n = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  int64_t scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1;
  } else if (unit == "m") {
    scale = 60;
  } else if (unit == "h") {
    scale = 3600;
  } else if (unit == "d") {
    scale = 86400;
  } else {
    return Status::InvalidArgument("duration '" + text + "' has unknown unit '" + unit +
                                   "' (use s, m, h or d)");
  }
  return std::chrono::seconds(n * scale);
}

void Fail(const std::string& message) { throw CLI::RuntimeError("roost: " + message, 1); }

}  // namespace roost::cli
