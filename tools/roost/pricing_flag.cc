#include "tools/roost/pricing_flag.h"

#include "tools/roost/store_flags.h"

namespace roost::cli {

std::shared_ptr<const query::PricingTable> LoadPricingOrFail(const std::string& file) {
  auto table = std::make_shared<query::PricingTable>(query::PricingTable::BuiltIn());
  if (!file.empty()) {
    if (Status s = table->MergeFile(file); !s.ok()) Fail(s.message());
  }
  return table;
}

}  // namespace roost::cli
