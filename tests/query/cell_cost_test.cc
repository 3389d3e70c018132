// Pricing a rollup cell from its sums (query/internal/cell_cost.h) against the row path: the sum
// of each span's SpanCostUsd rounded to a nano-USD, on random spans and prices.

#include "query/internal/cell_cost.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "query/pricing.h"

namespace roost::query {
namespace {

// A random regular span: details within their counts, total at most prompt + completion.
SpanTokens RegularTokens(std::mt19937_64& rng) {
  SpanTokens t;
  t.prompt = rng() % 20000;
  t.completion = rng() % 5000;
  t.total = t.prompt + t.completion - (rng() % 4 == 0 ? std::min<uint64_t>(t.prompt, 3) : 0);
  if (rng() % 2) t.cache_read = t.prompt == 0 ? 0 : rng() % (t.prompt / 2 + 1);
  if (rng() % 3 == 0) t.cache_write = (t.prompt - t.cache_read) / 3;
  if (rng() % 5 == 0) t.prompt_audio = (t.prompt - t.cache_read - t.cache_write) / 2;
  if (rng() % 2) t.reasoning = t.completion == 0 ? 0 : rng() % (t.completion + 1);
  if (rng() % 5 == 0) t.completion_audio = t.completion - t.reasoning;
  return t;
}

// A random per-token rate of whole nano-USD from a per-million price of up to three decimals
// (as price files write them, e.g. 0.075 or 18.75), or missing.
std::optional<double> WholeRate(std::mt19937_64& rng) {
  if (rng() % 4 == 0) return std::nullopt;
  const double per_million = static_cast<double>(rng() % 100000) / 1000;  // up to 99.999
  return per_million / 1e6;
}

TokenRates RandomWholeRates(std::mt19937_64& rng) {
  return TokenRates{WholeRate(rng), WholeRate(rng), WholeRate(rng), WholeRate(rng),
                    WholeRate(rng), WholeRate(rng), WholeRate(rng)};
}

void Add(const SpanTokens& t, RollupCell& c) {
  c.count++;
  c.prompt_tokens += t.prompt;
  c.completion_tokens += t.completion;
  c.total_tokens += t.total;
  c.cache_read_tokens += t.cache_read;
  c.cache_write_tokens += t.cache_write;
  c.prompt_audio_tokens += t.prompt_audio;
  c.reasoning_tokens += t.reasoning;
  c.completion_audio_tokens += t.completion_audio;
}

int64_t RowPathNanos(const TokenRates& rates, const std::vector<SpanTokens>& spans) {
  int64_t nanos = 0;
  for (const SpanTokens& t : spans) nanos += std::llround(SpanCostUsd(rates, t) * 1e9);
  return nanos;
}

TEST(CellCostTest, WholeRatesGiveTheRowPathsSumExactlyOnRandomCells) {
  std::mt19937_64 rng(21);
  for (int round = 0; round < 400; ++round) {
    const TokenRates rates = RandomWholeRates(rng);
    const NanoRates nano = WholeNanoRates(rates);
    std::vector<SpanTokens> spans(1 + rng() % 300);
    RollupCell cell;
    for (SpanTokens& t : spans) {
      t = RegularTokens(rng);
      Add(t, cell);
    }
    const std::optional<uint64_t> got = CellCostNanos(nano, cell);
    ASSERT_TRUE(got.has_value()) << "round " << round;
    EXPECT_EQ(static_cast<int64_t>(*got), RowPathNanos(rates, spans)) << "round " << round;
  }
}

TEST(CellCostTest, BuiltInRatesAreWholeExceptSubNanoOnes) {
  const PricingTable table = PricingTable::BuiltIn();
  const NanoRates gpt4o = WholeNanoRates(table.Resolve("gpt-4o")->rates);
  EXPECT_TRUE(gpt4o.whole[static_cast<int>(TokenType::kCacheRead)]);
  EXPECT_EQ(gpt4o.nanos[static_cast<int>(TokenType::kInput)], 2500u);
  EXPECT_EQ(gpt4o.nanos[static_cast<int>(TokenType::kCacheRead)], 1250u);
  EXPECT_EQ(gpt4o.nanos[static_cast<int>(TokenType::kReasoning)], 10000u);  // output's rate
  const NanoRates mini = WholeNanoRates(table.Resolve("gpt-4o-mini")->rates);
  EXPECT_EQ(mini.nanos[static_cast<int>(TokenType::kCacheRead)], 75u);  // 0.075 per million
  // 0.01875 USD per million is 18.75 nano-USD per token.
  const NanoRates lite = WholeNanoRates(table.Resolve("gemini-2.0-flash-lite")->rates);
  EXPECT_FALSE(lite.whole[static_cast<int>(TokenType::kCacheRead)]);
  EXPECT_TRUE(lite.whole[static_cast<int>(TokenType::kInput)]);
}

TEST(CellCostTest, SubNanoRateCountsOnlyWhenItsTokensArePresent) {
  TokenRates rates;
  rates.input = 0.075 / 1e6;
  rates.output = 0.3 / 1e6;
  rates.cache_read = 0.01875 / 1e6;  // 18.75 nano-USD per token
  const NanoRates nano = WholeNanoRates(rates);
  RollupCell cell;
  Add(SpanTokens{1000, 100, 1100, 0, 0, 0, 0, 0}, cell);
  EXPECT_EQ(CellCostNanos(nano, cell), std::optional<uint64_t>(1000 * 75 + 100 * 300));
  Add(SpanTokens{1000, 100, 1100, 1, 0, 0, 0, 0}, cell);  // one cache-read token at 18.75
  EXPECT_EQ(CellCostNanos(nano, cell), std::nullopt);
}

TEST(CellCostTest, IrregularOrHugeCellsAreLeftToRows) {
  TokenRates rates;
  rates.input = 15 / 1e6;
  rates.output = 75 / 1e6;
  const NanoRates nano = WholeNanoRates(rates);
  RollupCell cell;
  Add(SpanTokens{1000, 100, 1100, 0, 0, 0, 0, 0}, cell);
  ASSERT_TRUE(CellCostNanos(nano, cell).has_value());
  RollupCell irregular = cell;
  irregular.irregular_tokens = 1;
  EXPECT_EQ(CellCostNanos(nano, irregular), std::nullopt);
  RollupCell huge = cell;
  huge.completion_tokens = kMaxCellCostNanos / 75 + 1;  // just above 10,000 USD of output
  EXPECT_EQ(CellCostNanos(nano, huge), std::nullopt);
  huge.completion_tokens = uint64_t{1} << 62;  // the product overflows 64 bits
  EXPECT_EQ(CellCostNanos(nano, huge), std::nullopt);
}

}  // namespace
}  // namespace roost::query
