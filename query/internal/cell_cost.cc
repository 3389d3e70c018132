#include "query/internal/cell_cost.h"

#include <cmath>

namespace roost::query {
namespace {

constexpr double kNanosPerUsd = 1e9;
// How far a whole nano-USD rate may be from its double (relative): a per-million price read from
// decimal text, divided by 1e6, times 1e9 makes three roundings of 2^-53 each.
constexpr double kRateTolerance = 1e-15;

// `rate` (USD per token) as whole nano-USD, or nullopt.
std::optional<uint64_t> WholeNanos(double rate) {
  if (!std::isfinite(rate) || rate < 0) return std::nullopt;
  const double x = rate * kNanosPerUsd;
  if (x >= 9e15) return std::nullopt;  // beyond exact integers in a double
  const double whole = std::nearbyint(x);
  if (std::fabs(x - whole) > whole * kRateTolerance) return std::nullopt;
  return static_cast<uint64_t>(whole);
}

}  // namespace

NanoRates WholeNanoRates(const TokenRates& r) {
  const double input = r.input.value_or(0.0);
  const double output = r.output.value_or(0.0);
  const double rates[kTokenTypes] = {input,
                                     output,
                                     r.cache_read.value_or(input),
                                     r.cache_write.value_or(input),
                                     r.prompt_audio.value_or(input),
                                     r.reasoning.value_or(output),
                                     r.completion_audio.value_or(output)};
  NanoRates out;
  for (int t = 0; t < kTokenTypes; ++t) {
    std::optional<uint64_t> w = WholeNanos(rates[t]);
    out.whole[t] = w.has_value();
    out.nanos[t] = w.value_or(0);
  }
  return out;
}

std::optional<uint64_t> CellCostNanos(const NanoRates& rates, const RollupCell& c) {
  if (c.irregular_tokens != 0) return std::nullopt;
  const uint64_t prompt_details =
      c.cache_read_tokens + c.cache_write_tokens + c.prompt_audio_tokens;
  const uint64_t completion_details = c.reasoning_tokens + c.completion_audio_tokens;
  if (prompt_details > c.prompt_tokens || completion_details > c.completion_tokens) {
    return std::nullopt;  // cannot happen without irregular spans; never trust a sum blindly
  }
  // Regular spans: the rest of the prompt and of the completion, after the details.
  const uint64_t counts[kTokenTypes] = {c.prompt_tokens - prompt_details,
                                        c.completion_tokens - completion_details,
                                        c.cache_read_tokens,
                                        c.cache_write_tokens,
                                        c.prompt_audio_tokens,
                                        c.reasoning_tokens,
                                        c.completion_audio_tokens};
  uint64_t nanos = 0;
  for (int t = 0; t < kTokenTypes; ++t) {
    if (counts[t] == 0) continue;  // then every span has none of type t: its rate is moot
    uint64_t product = 0;
    if (!rates.whole[t] || __builtin_mul_overflow(counts[t], rates.nanos[t], &product) ||
        __builtin_add_overflow(nanos, product, &nanos)) {
      return std::nullopt;
    }
  }
  if (nanos > kMaxCellCostNanos) return std::nullopt;
  return nanos;
}

}  // namespace roost::query
