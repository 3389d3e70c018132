#include "query/pricing.h"

#include <fstream>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "query/regex_specificity.h"
#include "tests/storage/test_util.h"

namespace roost::query {
namespace {

using ::roost::test::IsError;
using ::roost::test::IsOk;

constexpr double kTolerance = 1e-15;

// Hand-computed costs: {rates, tokens, expected USD}.
struct CostCase {
  const char* what;
  TokenRates rates;
  SpanTokens tokens;
  double expected;
};

TEST(SpanCostUsdTest, HandComputedCases) {
  const CostCase cases[] = {
      {"plain input and output",
       {.input = 2e-6, .output = 8e-6},
       {.prompt = 1000, .completion = 500},
       1000 * 2e-6 + 500 * 8e-6},
      {"cache_read at its own rate, the rest of the prompt at input",
       {.input = 2e-6, .output = 8e-6, .cache_read = 5e-7},
       {.prompt = 1000, .completion = 0, .cache_read = 400},
       600 * 2e-6 + 400 * 5e-7},
      {"every detail at its own rate",
       {.input = 1e-6,
        .output = 4e-6,
        .cache_write = 1.25e-6,
        .prompt_audio = 4e-5,
        .reasoning = 3e-6,
        .completion_audio = 8e-5},
       {.prompt = 1000,
        .completion = 600,
        .cache_write = 100,
        .prompt_audio = 50,
        .reasoning = 200,
        .completion_audio = 10},
       850 * 1e-6 + 100 * 1.25e-6 + 50 * 4e-5 + 390 * 4e-6 + 200 * 3e-6 + 10 * 8e-5},
      {"details without a rate fall back to input and output",
       {.input = 2e-6, .output = 1e-5},
       {.prompt = 1000, .completion = 300, .cache_read = 400, .reasoning = 100},
       1000 * 2e-6 + 300 * 1e-5},
      {"total beyond prompt + completion fills a zero prompt",
       {.input = 1e-6, .output = 2e-6},
       {.prompt = 0, .completion = 100, .total = 600},
       500 * 1e-6 + 100 * 2e-6},
      {"total beyond prompt + completion otherwise fills the completion",
       {.input = 1e-6, .output = 2e-6},
       {.prompt = 100, .completion = 0, .total = 300},
       100 * 1e-6 + 200 * 2e-6},
      {"details beyond the prompt: no negative rest",
       {.input = 1e-6, .output = 2e-6, .cache_read = 1e-7},
       {.prompt = 100, .completion = 0, .cache_read = 300},
       300 * 1e-7},
      {"no rates at all", {}, {.prompt = 100, .completion = 100}, 0},
  };
  for (const CostCase& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_NEAR(SpanCostUsd(c.rates, c.tokens), c.expected, kTolerance);
  }
}

TEST(RegexSpecificityTest, MatchesPhoenixExamples) {
  // The examples of Phoenix's regex_specificity.py docstring.
  EXPECT_EQ(RegexSpecificity("^abc$"), 13010);
  EXPECT_EQ(RegexSpecificity("abc"), 3006);
  EXPECT_EQ(RegexSpecificity(".*"), 1);
  EXPECT_EQ(RegexSpecificity(""), 1);
  EXPECT_EQ(RegexSpecificity("[a-z]+"), 362);
  EXPECT_EQ(RegexSpecificity(R"(\d{3})"), 360);
  // Inline flags and group syntax are not content.
  EXPECT_EQ(RegexSpecificity("(?i)^abc$"), 13010 + 8);
  EXPECT_EQ(RegexSpecificity("(?:ab)"), 2000 + 12);
}

TEST(PricingTableTest, BuiltInCoversThirtyModelsOfSixProviders) {
  PricingTable t = PricingTable::BuiltIn();
  EXPECT_GE(t.size(), 30u);
  std::set<std::string> providers;
  for (const PriceEntry* e : t.Entries()) {
    providers.insert(e->provider);
    EXPECT_FALSE(e->user);
    EXPECT_TRUE(e->rates.input.has_value()) << e->name;
    EXPECT_TRUE(e->rates.output.has_value()) << e->name;
    // Every built-in entry prices the model it is named for.
    const PriceEntry* resolved = t.Resolve(e->name);
    ASSERT_NE(resolved, nullptr) << e->name;
    EXPECT_EQ(resolved->name, e->name);
  }
  for (const char* p : {"openai", "anthropic", "google", "mistral", "meta", "deepseek"}) {
    EXPECT_EQ(providers.count(p), 1u) << p;
  }
}

TEST(PricingTableTest, BuiltInPicksTheMostSpecificPattern) {
  PricingTable t = PricingTable::BuiltIn();
  ASSERT_NE(t.Resolve("gpt-4o-mini-2024-07-18"), nullptr);
  EXPECT_EQ(t.Resolve("gpt-4o-mini-2024-07-18")->name, "gpt-4o-mini");
  EXPECT_EQ(t.Resolve("gpt-4o-2024-08-06")->name, "gpt-4o");
  EXPECT_EQ(t.Resolve("gpt-4o-2024-05-13")->name, "gpt-4o-2024-05-13");
  EXPECT_EQ(t.Resolve("claude-3-5-sonnet-20241022")->name, "claude-3-5-sonnet");
  EXPECT_EQ(t.Resolve("meta-llama/Llama-4-Scout-17B-16E-Instruct")->name, "llama-4-scout");
  EXPECT_EQ(t.Resolve("no-such-model"), nullptr);
  EXPECT_EQ(t.Resolve(""), nullptr);
  EXPECT_EQ(t.Resolve("xgpt-4o"), nullptr);  // patterns match at the start only
}

TEST(PricingTableTest, OwnFormatOverridesBuiltInAndAddsPatterns) {
  PricingTable t = PricingTable::BuiltIn();
  ASSERT_THAT(t.MergeJson(R"({"models": {
      "gpt-4o": {"input_per_million_tokens": 1, "output_per_million_tokens": 2,
                 "cache_read_per_million_tokens": 0.5},
      "/^ft:gpt-4o:/": {"input_per_million_tokens": 3.75, "output_per_million_tokens": 15,
                        "cache_write_per_million_tokens": 4, "audio_input_per_million_tokens": 40,
                        "audio_output_per_million_tokens": 80,
                        "reasoning_per_million_tokens": 20}}})",
                          "test.json"),
              IsOk());
  const PriceEntry* e = t.Resolve("gpt-4o");
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->user);
  EXPECT_DOUBLE_EQ(*e->rates.input, 1e-6);
  EXPECT_DOUBLE_EQ(*e->rates.cache_read, 0.5e-6);
  // The exact user name does not capture longer names: built-in patterns still price them.
  EXPECT_EQ(t.Resolve("gpt-4o-mini")->name, "gpt-4o-mini");
  const PriceEntry* ft = t.Resolve("ft:gpt-4o:acme:1234");
  ASSERT_NE(ft, nullptr);
  EXPECT_EQ(ft->pattern, "^ft:gpt-4o:");
  EXPECT_DOUBLE_EQ(*ft->rates.cache_write, 4e-6);
  EXPECT_DOUBLE_EQ(*ft->rates.prompt_audio, 40e-6);
  EXPECT_DOUBLE_EQ(*ft->rates.completion_audio, 80e-6);
  EXPECT_DOUBLE_EQ(*ft->rates.reasoning, 20e-6);
}

TEST(PricingTableTest, UserPatternBeatsBuiltInExactlyMatchingName) {
  PricingTable t = PricingTable::BuiltIn();
  ASSERT_THAT(t.MergeJson(R"({"models": {"/claude/": {"input_per_million_tokens": 9,
      "output_per_million_tokens": 9}}})",
                          "f"),
              IsOk());
  EXPECT_DOUBLE_EQ(*t.Resolve("claude-sonnet-4-5")->rates.input, 9e-6);
}

TEST(PricingTableTest, MostSpecificPatternAndExactNameWin) {
  PricingTable t;
  ASSERT_THAT(t.MergeJson(R"({"models": {
      "/my-.*/": {"input_per_million_tokens": 1, "output_per_million_tokens": 1},
      "/my-model-large/": {"input_per_million_tokens": 2, "output_per_million_tokens": 2},
      "my-model-large-v2": {"input_per_million_tokens": 3, "output_per_million_tokens": 3}}})",
                          "f"),
              IsOk());
  EXPECT_DOUBLE_EQ(*t.Resolve("my-model-small")->rates.input, 1e-6);
  EXPECT_DOUBLE_EQ(*t.Resolve("my-model-large-v1")->rates.input, 2e-6);
  EXPECT_DOUBLE_EQ(*t.Resolve("my-model-large-v2")->rates.input, 3e-6);
  EXPECT_EQ(t.Resolve("other"), nullptr);
}

TEST(PricingTableTest, LaterFileEntryReplacesEarlierOne) {
  PricingTable t;
  ASSERT_THAT(t.MergeJson(R"({"models": {"m": {"input_per_million_tokens": 1,
      "output_per_million_tokens": 1}}})",
                          "a"),
              IsOk());
  ASSERT_THAT(t.MergeJson(R"({"models": {"m": {"input_per_million_tokens": 7,
      "output_per_million_tokens": 1}}})",
                          "b"),
              IsOk());
  EXPECT_EQ(t.size(), 1u);
  EXPECT_DOUBLE_EQ(*t.Resolve("m")->rates.input, 7e-6);
}

TEST(PricingTableTest, ReadsPhoenixManifestFormat) {
  PricingTable t = PricingTable::BuiltIn();
  ASSERT_THAT(t.MergeJson(R"({"models": [
      {"name": "team-gpt", "name_pattern": "(?i)^team-gpt", "provider": "openai",
       "source": "manual",
       "token_prices": [
         {"base_rate": 3e-6, "is_prompt": true, "token_type": "input"},
         {"base_rate": 1.2e-5, "is_prompt": false, "token_type": "output"},
         {"base_rate": 3e-7, "is_prompt": true, "token_type": "cache_read"},
         {"base_rate": 4e-5, "is_prompt": true, "token_type": "audio"},
         {"base_rate": 8e-5, "is_prompt": false, "token_type": "audio"},
         {"base_rate": 1e-6, "is_prompt": true, "token_type": "image",
          "customization": {"type": "threshold_based", "key": "k", "threshold": 1,
                            "new_rate": 2}}]}]})",
                          "manifest.json"),
              IsOk());
  const PriceEntry* e = t.Resolve("TEAM-GPT-2");  // (?i): case-insensitive
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->name, "team-gpt");
  EXPECT_EQ(e->provider, "openai");
  EXPECT_TRUE(e->user);
  EXPECT_DOUBLE_EQ(*e->rates.input, 3e-6);
  EXPECT_DOUBLE_EQ(*e->rates.output, 1.2e-5);
  EXPECT_DOUBLE_EQ(*e->rates.cache_read, 3e-7);
  EXPECT_DOUBLE_EQ(*e->rates.prompt_audio, 4e-5);
  EXPECT_DOUBLE_EQ(*e->rates.completion_audio, 8e-5);
  EXPECT_FALSE(e->rates.reasoning.has_value());
  // 1000 prompt tokens of which 200 cached, 100 completion: 800 * 3e-6 + 200 * 3e-7 + 100 * 1.2e-5.
  EXPECT_NEAR(SpanCostUsd(e->rates, {.prompt = 1000, .completion = 100, .cache_read = 200}),
              800 * 3e-6 + 200 * 3e-7 + 100 * 1.2e-5, kTolerance);
}

struct BadFile {
  const char* json;
  const char* problem;  // expected in the message
};

TEST(PricingTableTest, BadFilesAreRefusedNamingTheProblem) {
  const BadFile cases[] = {
      {"{not json", "not valid JSON"},
      {"[1, 2]", "not a JSON object"},
      {R"({"prices": {}})", "no \"models\""},
      {R"({"models": 3})", "neither an object"},
      {R"({"models": {"m": {"input_per_million_tokens": -1, "output_per_million_tokens": 1}}})",
       "input_per_million_tokens is negative"},
      {R"({"models": {"m": {"input_per_million_tokens": "1", "output_per_million_tokens": 1}}})",
       "is not a number"},
      {R"({"models": {"m": {"input_per_million_tokens": 1}}})", "needs input_per_million_tokens"},
      {R"({"models": {"m": {"input_per_million_tokens": 1, "output_per_million_tokens": 1,
          "cache_hit_per_million_tokens": 1}}})",
       "unknown field \"cache_hit_per_million_tokens\""},
      {R"({"models": {"/gpt-(4/": {"input_per_million_tokens": 1,
          "output_per_million_tokens": 1}}})",
       "regex \"gpt-(4\" is invalid"},
      {R"({"models": {"//": {"input_per_million_tokens": 1, "output_per_million_tokens": 1}}})",
       "empty pattern"},
      {R"({"models": [{"name": "x", "name_pattern": "[x", "token_prices": []}]})",
       "regex \"[x\" is invalid"},
      {R"({"models": [{"name": "x", "name_pattern": "x", "token_prices": [
          {"base_rate": -1e-6, "is_prompt": true, "token_type": "input"}]}]})",
       "base_rate is negative"},
      {R"({"models": [{"name_pattern": "x", "token_prices": []}]})", "has no name"},
      {R"({"models": [{"name": "x", "name_pattern": "(?m)x", "token_prices": []}]})",
       "inline flag 'm' is not supported"},
  };
  for (const BadFile& c : cases) {
    SCOPED_TRACE(c.json);
    PricingTable t = PricingTable::BuiltIn();
    const size_t before = t.size();
    Status s = t.MergeJson(c.json, "prices.json");
    EXPECT_THAT(s, IsError(Status::Code::kInvalidArgument, c.problem));
    EXPECT_THAT(s, IsError(Status::Code::kInvalidArgument, "pricing file prices.json"));
    EXPECT_EQ(t.size(), before);  // unchanged
  }
}

TEST(PricingTableTest, MergeFileReadsAFileAndNamesMissingOnes) {
  test::TempDir dir;
  const std::string path = dir.path() + "/prices.json";
  {
    std::ofstream out(path);
    out << R"({"models": {"local-llm": {"input_per_million_tokens": 0.5,
                                        "output_per_million_tokens": 1.5}}})";
  }
  PricingTable t;
  ASSERT_THAT(t.MergeFile(path), IsOk());
  EXPECT_DOUBLE_EQ(*t.Resolve("local-llm")->rates.output, 1.5e-6);
  EXPECT_THAT(t.MergeFile(dir.path() + "/missing.json"),
              IsError(Status::Code::kNotFound, "missing.json"));
}

}  // namespace
}  // namespace roost::query
