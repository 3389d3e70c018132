#pragma once

#include <cstdint>
#include <optional>

#include "query/pricing.h"
#include "storage/rollup.h"

namespace roost::query {

// The token types SpanCostUsd charges, each at one rate.
enum class TokenType {
  kInput,
  kOutput,
  kCacheRead,
  kCacheWrite,
  kPromptAudio,
  kReasoning,
  kCompletionAudio
};
inline constexpr int kTokenTypes = 7;

// A model's prices as whole nano-USD per token, after the fallbacks of SpanCostUsd (a detail type
// without a rate at the input or output rate, a missing rate at 0), where they are whole.
struct NanoRates {
  uint64_t nanos[kTokenTypes] = {};  // by TokenType
  bool whole[kTokenTypes] = {};      // nanos[t] is the exact rate of type t
};

// The largest computed cost of one rollup cell priced from its sums (10,000 USD). Below it each
// span's cost as SpanCostUsd computes it in doubles is within 0.03 nano-USD of the exact one.
inline constexpr uint64_t kMaxCellCostNanos = 10'000'000'000'000;

// `rates` as whole nano-USD per token where a rate is one (to within the rounding of a
// per-million price, relative 1e-15): e.g. 2.5 or 0.075 USD per million tokens are (2,500 and
// 75 nano-USD), 0.01875 is not.
NanoRates WholeNanoRates(const TokenRates& rates);

// The exact sum of the per-span costs the row path would compute for the spans of `cell`, in
// nano-USD (each span's SpanCostUsd at `rates` rounded to a nano-USD), from the cell's sums
// alone; nullopt when the sums cannot give it: the cell has irregular spans
// (RollupCell::irregular_tokens), tokens of a type whose rate is not whole, or a cost above
// kMaxCellCostNanos.
// Why it is exact: for a regular span SpanCostUsd is linear in its token counts (no adjustment
// of the prompt or completion, no clamping), so with whole nano-USD rates each span costs an
// integer number of nano-USD N = sum over types of count * rate; the double computation is
// within N * 2.3e-15 of N (rates within 1.2e-15 relative, nine roundings of 1.1e-16), under
// 0.03 for N <= kMaxCellCostNanos, so rounding gives N; and the spans' Ns add up to the same
// formula over the cell's sums.
// REQUIRES: the cell's rollup has token details (BlockRollup::token_details).
std::optional<uint64_t> CellCostNanos(const NanoRates& rates, const RollupCell& cell);

}  // namespace roost::query
