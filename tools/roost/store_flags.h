#pragma once

#include <chrono>
#include <string>

#include <CLI/CLI.hpp>

#include "storage/result.h"

namespace roost::cli {

// Parses "30d", "12h", "90m", "3600s" (or a bare number of seconds). kInvalidArgument otherwise.
Result<std::chrono::seconds> ParseDuration(const std::string& text);

// Exits the command with `message` on stderr and exit code 1.
[[noreturn]] void Fail(const std::string& message);

}  // namespace roost::cli
