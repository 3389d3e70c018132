#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/result.h"

namespace roost::query {

// The day the built-in prices were taken (PricingTable::BuiltIn()).
inline constexpr std::string_view kBuiltInPricesDate = "2026-11-25";

// A pricing file is read whole; larger files are refused.
inline constexpr size_t kMaxPricingFileBytes = size_t{16} << 20;
// Model names longer than this never match a pattern (bounds regex work per name).
inline constexpr size_t kMaxPatternMatchBytes = 512;

// USD per token of each token type; nullopt when the entry names no rate for the type.
struct TokenRates {
  std::optional<double> input = std::nullopt;       // prompt tokens
  std::optional<double> output = std::nullopt;      // completion tokens
  std::optional<double> cache_read = std::nullopt;  // prompt details
  std::optional<double> cache_write = std::nullopt;
  std::optional<double> prompt_audio = std::nullopt;
  std::optional<double> reasoning = std::nullopt;  // completion details
  std::optional<double> completion_audio = std::nullopt;
};

// One price entry: the rates of the models whose name it matches.
struct PriceEntry {
  std::string name;      // the key or Phoenix `name`, for display
  std::string pattern;   // regex (Phoenix `name_pattern`, or a `/regex/` key); "" = exact name
  std::string provider;  // Phoenix `provider`, informational ("" = none)
  bool user = false;     // from a pricing file (beats every built-in entry)
  TokenRates rates;
};

// One span's own token counts (never cumulative ones), as the columns hold them.
struct SpanTokens {
  uint64_t prompt = 0;
  uint64_t completion = 0;
  uint64_t total = 0;
  uint64_t cache_read = 0;
  uint64_t cache_write = 0;
  uint64_t prompt_audio = 0;
  uint64_t reasoning = 0;
  uint64_t completion_audio = 0;
};

// The cost in USD of one span's tokens at `rates`, as Phoenix computes it
// (phoenix/server/cost_tracking/cost_details_calculator.py and helpers.py):
//   1. Prompt and completion counts: when total > prompt + completion, the missing part is
//      added to the prompt if the prompt is 0, otherwise to the completion.
//   2. Each detail type is charged at its own rate: cache_read, cache_write and prompt audio
//      at their rates, or the input rate when the entry has none; reasoning and completion
//      audio at theirs, or the output rate when the entry has none.
//   3. The rest, prompt - (cache_read + cache_write + prompt audio) and completion -
//      (reasoning + completion audio), is charged at the input and output rates when positive
//      (details are parts of the prompt and completion counts, never added on top).
//   A type whose rate and fallback are both missing costs 0.
double SpanCostUsd(const TokenRates& rates, const SpanTokens& tokens);

// The prices roost knows: built-in entries plus those of pricing files. Resolution of a model
// name, as Phoenix's CostModelLookup does it:
//   - entries from pricing files are tried before every built-in entry;
//   - within each of those two tiers, an exact name (a key without slashes in roost's own
//     format) beats every pattern; then the pattern with the highest specificity score whose
//     regex matches at the start of the name (Python's re.match, as Phoenix) wins; ties go to
//     the later file entry, or to the earlier built-in entry;
//   - an entry of a file replaces an earlier file entry with the same key or pattern.
// Specificity is Phoenix's heuristic (regex_specificity.py): anchors, literals and classes
// score up, wildcards, quantifiers and alternation down, plus 2 per pattern character.
// Patterns are ECMAScript regexes; a leading `(?i)` makes one case-insensitive.
// Not applied (roost has no column for them): Phoenix's provider filter (an entry is found by
// model name alone), its start_time validity windows and threshold-based rate customizations
// (the base rate is always used).
// Immutable after loading; thread-safe to share for reading.
class PricingTable {
 public:
  // A table without entries (every model is unpriced).
  PricingTable();
  ~PricingTable();
  PricingTable(PricingTable&&) noexcept;
  PricingTable& operator=(PricingTable&&) noexcept;

  // The built-in prices (kBuiltInPricesDate): OpenAI, Anthropic and Google figures from Phoenix's
  // model_cost_manifest.json, Mistral, Meta Llama and DeepSeek from list prices.
  static PricingTable BuiltIn();

  // Adds or overrides entries from a pricing file, in roost's format
  //   {"models": {"gpt-4o": {"input_per_million_tokens": 2.5, ...}, "/^ft:gpt-4o/": {...}}}
  // or Phoenix's cost manifest format
  //   {"models": [{"name", "name_pattern", "provider", "token_prices": [{"token_type",
  //    "base_rate", "is_prompt"}]}]}.
  // kInvalidArgument naming `path` and the problem (bad JSON, unknown field, negative or
  // non-numeric price, bad regex, ...), kNotFound/kIOError when unreadable. On error the table
  // is unchanged.
  [[nodiscard]] Status MergeFile(const std::string& path);
  // As MergeFile, for file contents already read; `source` names them in errors.
  [[nodiscard]] Status MergeJson(std::string_view json, std::string_view source);

  // The entry pricing `model`, or nullptr (unknown model, empty name). The pointer stays valid
  // until the table is changed or destroyed.
  const PriceEntry* Resolve(std::string_view model) const;

  // Every entry, file entries first.
  std::vector<const PriceEntry*> Entries() const;
  size_t size() const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace roost::query
