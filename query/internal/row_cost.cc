#include "query/internal/row_cost.h"

#include <cmath>

#include "storage/span_store.h"

namespace roost::query {

const TokenRates* PriceCache::Resolve(uint32_t model) {
  if (model >= state_.size()) {
    state_.resize(model + 1, kUnknown);
    rates_.resize(model + 1, nullptr);
    nano_rates_.resize(model + 1);
  }
  Result<std::string> name = store_.DictionaryString(DictKind::kModel, model);
  if (!name.ok()) {
    status_ = name.status();
    return nullptr;
  }
  const PriceEntry* entry = table_.Resolve(*name);
  rates_[model] = entry != nullptr ? &entry->rates : nullptr;
  if (entry != nullptr) nano_rates_[model] = WholeNanoRates(entry->rates);
  state_[model] = kKnown;
  return rates_[model];
}

void AddRowCostColumns(ColumnSet& columns) {
  for (Column c :
       {Column::kPromptTokens, Column::kCompletionTokens, Column::kTotalTokens, Column::kCostMicros,
        Column::kKind, Column::kModel, Column::kCacheReadTokens, Column::kCacheWriteTokens,
        Column::kPromptAudioTokens, Column::kReasoningTokens, Column::kCompletionAudioTokens}) {
    columns.Add(c);
  }
}

// The cost row r adds: `llm.cost.total` when present, else the computed cost of an LLM span
// with a model (unpriced when the model has no price), else nothing.
RowCost CostOfRow(const ColumnView& v, size_t r, PriceCache& prices) {
  const int64_t carried = v.cost_micros[r];
  if (carried >= 0) return RowCost{carried * 1000, false};  // -1: no `llm.cost.total`
  const uint32_t model = v.model[r];
  if (model == 0 || v.kind[r] != static_cast<uint8_t>(SpanKind::kLlm)) return RowCost{};
  const TokenRates* rates = prices.RatesOf(model);
  if (rates == nullptr) return RowCost{0, true};
  const SpanTokens tokens{v.prompt_tokens[r],      v.completion_tokens[r],
                          v.total_tokens[r],       v.cache_read_tokens[r],
                          v.cache_write_tokens[r], v.prompt_audio_tokens[r],
                          v.reasoning_tokens[r],   v.completion_audio_tokens[r]};
  return RowCost{std::llround(SpanCostUsd(*rates, tokens) * kNanosPerUsd), false};
}

std::optional<CellCost> CostOfCell(const RollupCell& cell, PriceCache& prices) {
  if (cell.has_cost) return CellCost{cell.cost_micros * 1000, 0};
  if (cell.model == 0 || cell.kind != static_cast<uint8_t>(SpanKind::kLlm)) return CellCost{};
  const NanoRates* rates = prices.NanoRatesOf(cell.model);
  if (rates == nullptr) {
    if (!prices.status().ok()) return std::nullopt;
    return CellCost{0, cell.count};
  }
  std::optional<uint64_t> nanos = CellCostNanos(*rates, cell);
  if (!nanos) return std::nullopt;
  return CellCost{static_cast<int64_t>(*nanos), 0};
}

}  // namespace roost::query
