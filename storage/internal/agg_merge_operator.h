#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <rocksdb/merge_operator.h>

#include "storage/aggregate.h"
#include "storage/result.h"

namespace roost::internal {

// AggValue FlatBuffer <-> Aggregate.
std::string EncodeAggregate(const Aggregate& agg);
// kCorruption when the value fails verification.
Result<Aggregate> DecodeAggregate(std::string_view bytes);

// Merges AggValue operands of the agg family: counts and sums add, sketches merge (exact and
// order-independent, so compaction order never changes an answer).
std::shared_ptr<rocksdb::MergeOperator> NewAggMergeOperator();

}  // namespace roost::internal
