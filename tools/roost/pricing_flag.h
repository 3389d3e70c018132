#pragma once

#include <memory>
#include <string>

#include "query/pricing.h"

namespace roost::cli {

// The built-in prices plus those of `file` (`--pricing FILE`, env ROOST_PRICING) when non-empty.
// A file that cannot be read or parsed ends the command through Fail() with the file's name and
// the problem (exit code 1).
std::shared_ptr<const query::PricingTable> LoadPricingOrFail(const std::string& file);

}  // namespace roost::cli
