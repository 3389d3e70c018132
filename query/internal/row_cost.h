#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "query/internal/cell_cost.h"
#include "query/pricing.h"
#include "storage/column_view.h"
#include "storage/rollup.h"
#include "storage/status.h"

namespace roost {
class SpanStore;
}  // namespace roost

namespace roost::query {

inline constexpr double kNanosPerUsd = 1e9;

// What one row adds: its cost in nano-USD and whether it is unpriced.
struct RowCost {
  int64_t nanos = 0;
  bool unpriced = false;
};

// Resolves each model dictionary id against the pricing table once per query. Not thread-safe:
// one per scanning thread.
class PriceCache {
 public:
  PriceCache(const SpanStore& store, const PricingTable& table) : store_(store), table_(table) {}

  // The rates of model id `model`, nullptr when unpriced or when the id's name could not be
  // read (then status() says why).
  const TokenRates* RatesOf(uint32_t model) {
    if (model < state_.size() && state_[model] != kUnknown) return rates_[model];
    return Resolve(model);
  }
  // The rates of model id `model` as whole nano-USD (WholeNanoRates), nullptr when unpriced or
  // unreadable (as RatesOf).
  const NanoRates* NanoRatesOf(uint32_t model) {
    if (RatesOf(model) == nullptr) return nullptr;
    return &nano_rates_[model];
  }
  const Status& status() const { return status_; }

 private:
  const TokenRates* Resolve(uint32_t model);

  static constexpr uint8_t kUnknown = 0;
  static constexpr uint8_t kKnown = 1;
  const SpanStore& store_;
  const PricingTable& table_;
  std::vector<uint8_t> state_;  // by model id
  std::vector<const TokenRates*> rates_;
  std::vector<NanoRates> nano_rates_;  // by model id, where rates_ is set
  Status status_;
};

// What the spans of one rollup cell add.
struct CellCost {
  int64_t nanos = 0;
  uint64_t unpriced = 0;  // spans
};

// The columns CostOfRow reads.
void AddRowCostColumns(ColumnSet& columns);

// The cost row r adds: `llm.cost.total` when present, else the computed cost of an LLM span
// with a model (unpriced when the model has no price), else nothing.
RowCost CostOfRow(const ColumnView& v, size_t r, PriceCache& prices);

// What CostOfRow would give summed over the spans of `cell`, from the cell's sums; nullopt when
// they cannot give exactly that (CellCostNanos), or when a model name could not be read
// (prices.status() says why). REQUIRES: the cell's rollup has token details.
std::optional<CellCost> CostOfCell(const RollupCell& cell, PriceCache& prices);

}  // namespace roost::query
