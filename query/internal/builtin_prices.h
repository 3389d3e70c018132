#pragma once

#include <string_view>

namespace roost::query::internal {

// One built-in price: USD per million tokens, -1 where the provider names no separate rate
// (the input or output rate applies, see SpanCostUsd). Patterns are matched at the start of the
// model name (Python re.match), as Phoenix does.
struct BuiltInPrice {
  std::string_view name;
  std::string_view pattern;
  std::string_view provider;
  double input;
  double output;
  double cache_read;
  double cache_write;
  double audio_input;
  double audio_output;
};

// Taken on kBuiltInPricesDate (query/pricing.h).
// OpenAI, Anthropic and Google: the figures and name patterns of Phoenix's
// src/phoenix/server/cost_tracking/model_cost_manifest.json (Arize-ai/phoenix), except the
// retired models the load generator still uses (claude-3-5-*, gemini-1.5-pro: their last list
// prices) and gpt-5/o-series rows written from OpenAI's list prices.
// Mistral, DeepSeek: the providers' list prices. Meta Llama: Meta sells no API of its own; the
// list prices of a common host (Groq; Cerebras for Llama 4 Maverick).
inline constexpr BuiltInPrice kBuiltInPrices[] = {
    // OpenAI
    {"gpt-4o", "gpt-4o", "openai", 2.5, 10, 1.25, -1, -1, -1},
    {"gpt-4o-2024-05-13", "gpt-4o-2024-05-13", "openai", 5, 15, -1, -1, -1, -1},
    {"gpt-4o-mini", "gpt-4o-mini", "openai", 0.15, 0.6, 0.075, -1, -1, -1},
    {"gpt-4o-audio-preview", "gpt-4o-audio-preview", "openai", 2.5, 10, -1, -1, 40, 80},
    {"gpt-4o-mini-audio-preview", "gpt-4o-mini-audio-preview", "openai", 0.15, 0.6, -1, -1, 10, 20},
    {"chatgpt-4o-latest", "chatgpt-4o-latest", "openai", 5, 15, -1, -1, -1, -1},
    {"gpt-4-turbo", "gpt-4-turbo", "openai", 10, 30, -1, -1, -1, -1},
    {"gpt-4.1", "gpt-4.1", "openai", 2, 8, 0.5, -1, -1, -1},
    {"gpt-4.1-mini", R"(gpt-4\.1-mini)", "openai", 0.4, 1.6, 0.1, -1, -1, -1},
    {"gpt-4.1-nano", R"(gpt-4\.1-nano)", "openai", 0.1, 0.4, 0.025, -1, -1, -1},
    {"gpt-5", "gpt-5", "openai", 1.25, 10, 0.125, -1, -1, -1},
    {"gpt-5-mini", "gpt-5-mini", "openai", 0.25, 2, 0.025, -1, -1, -1},
    {"gpt-5-nano", "gpt-5-nano", "openai", 0.05, 0.4, 0.005, -1, -1, -1},
    {"gpt-5.4", R"(gpt-5\.4)", "openai", 2.5, 15, 0.25, -1, -1, -1},
    {"gpt-5.4-mini", R"(gpt-5\.4-mini)", "openai", 0.75, 4.5, 0.075, -1, -1, -1},
    {"gpt-5.4-nano", R"(gpt-5\.4-nano)", "openai", 0.2, 1.25, 0.02, -1, -1, -1},
    {"gpt-5.5", R"(gpt-5\.5)", "openai", 5, 30, 0.5, -1, -1, -1},
    {"o1", "o1", "openai", 15, 60, 7.5, -1, -1, -1},
    {"o3", "o3", "openai", 2, 8, 0.5, -1, -1, -1},
    {"o3-mini", "o3-mini", "openai", 1.1, 4.4, 0.55, -1, -1, -1},
    {"o4-mini", "o4-mini", "openai", 1.1, 4.4, 0.275, -1, -1, -1},
    // Anthropic
    {"claude-3-haiku-20240307",
     R"(claude-3-haiku-20240307|anthropic\.claude-3-haiku-20240307-v1:0|claude-3-haiku@20240307)",
     "anthropic", 0.25, 1.25, 0.03, 0.3, -1, -1},
    {"claude-3-opus-20240229",
     R"(claude-3-opus-20240229|anthropic\.claude-3-opus-20240229-v1:0|claude-3-opus@20240229)",
     "anthropic", 15, 75, 1.5, 18.75, -1, -1},
    {"claude-3-5-haiku", "claude-3-5-haiku", "anthropic", 0.8, 4, 0.08, 1, -1, -1},
    {"claude-3-5-sonnet", "claude-3-5-sonnet", "anthropic", 3, 15, 0.3, 3.75, -1, -1},
    {"claude-3-7-sonnet-20250219",
     R"(claude-3.7-sonnet-20250219|anthropic\.claude-3.7-sonnet-20250219-v1:0|)"
     R"(claude-3-7-sonnet-V1@20250219)",
     "anthropic", 3, 15, 0.3, 3.75, -1, -1},
    {"claude-sonnet-4-20250514",
     R"(claude-sonnet-4-20250514|anthropic\.claude-sonnet-4-20250514-v1:0|)"
     R"(claude-sonnet-4@20250514)",
     "anthropic", 3, 15, 0.3, 3.75, -1, -1},
    {"claude-opus-4-20250514", "claude-opus-4-20250514", "anthropic", 15, 75, 1.5, 18.75, -1, -1},
    {"claude-opus-4-1", "claude-opus-4-1", "anthropic", 15, 75, 1.5, 18.75, -1, -1},
    {"claude-sonnet-4-5", "claude-sonnet-4-5", "anthropic", 3, 15, 0.3, 3.75, -1, -1},
    {"claude-haiku-4-5", "claude-haiku-4-5", "anthropic", 1, 5, 0.1, 1.25, -1, -1},
    {"claude-opus-4-5", "claude-opus-4-5", "anthropic", 5, 25, 0.5, 6.25, -1, -1},
    {"claude-sonnet-4-6", "claude-sonnet-4-6", "anthropic", 3, 15, 0.3, 3.75, -1, -1},
    {"claude-opus-4-6", "claude-opus-4-6", "anthropic", 5, 25, 0.5, 6.25, -1, -1},
    {"claude-opus-4-7", "claude-opus-4-7", "anthropic", 5, 25, 0.5, 6.25, -1, -1},
    // Google
    {"gemini-1.5-pro", R"(gemini-1\.5-pro)", "google", 1.25, 5, -1, -1, -1, -1},
    {"gemini-2.0-flash", "gemini-2.0-flash(@[a-zA-Z0-9]+)?", "google", 0.1, 0.4, 0.025, -1, 0.7,
     -1},
    {"gemini-2.0-flash-lite", "gemini-2.0-flash-lite(@[a-zA-Z0-9]+)?", "google", 0.075, 0.3,
     0.01875, -1, 0.075, -1},
    {"gemini-2.5-flash", "gemini-2.5-flash(@[a-zA-Z0-9]+)?", "google", 0.3, 2.5, 0.03, -1, 1, -1},
    {"gemini-2.5-flash-lite", R"(gemini-2\.5-flash-lite)", "google", 0.1, 0.4, 0.01, -1, 0.3, -1},
    {"gemini-2.5-pro", "gemini-2.5-pro(@[a-zA-Z0-9]+)?", "google", 1.25, 10, 0.125, -1, -1, -1},
    {"gemini-3-flash-preview", "gemini-3-flash-preview", "google", 0.5, 3, 0.05, -1, 1, -1},
    // Mistral
    {"mistral-large-latest", "mistral-large-latest|mistral-large-25", "mistral", 0.5, 1.5, -1, -1,
     -1, -1},
    {"mistral-large-2411", "mistral-large-2411", "mistral", 2, 6, -1, -1, -1, -1},
    {"mistral-medium", "mistral-medium", "mistral", 0.4, 2, -1, -1, -1, -1},
    {"mistral-small", "mistral-small", "mistral", 0.1, 0.3, -1, -1, -1, -1},
    {"magistral-medium", "magistral-medium", "mistral", 2, 5, -1, -1, -1, -1},
    {"codestral", "codestral", "mistral", 0.3, 0.9, -1, -1, -1, -1},
    {"ministral-8b", "ministral-8b", "mistral", 0.15, 0.15, -1, -1, -1, -1},
    // Meta Llama (as hosted, see above)
    {"llama-4-maverick", "(?i)(meta-llama/)?llama-4-maverick", "meta", 0.2, 0.6, -1, -1, -1, -1},
    {"llama-4-scout", "(?i)(meta-llama/)?llama-4-scout", "meta", 0.11, 0.34, -1, -1, -1, -1},
    {"llama-3.3-70b", R"((?i)(meta-llama/)?llama-3\.3-70b)", "meta", 0.59, 0.79, -1, -1, -1, -1},
    {"llama-3.1-8b", R"((?i)(meta-llama/)?(meta-)?llama-3\.1-8b)", "meta", 0.05, 0.08, -1, -1, -1,
     -1},
    // DeepSeek (V3.2 behind both names)
    {"deepseek-chat", "deepseek-chat", "deepseek", 0.28, 0.42, 0.028, -1, -1, -1},
    {"deepseek-reasoner", "deepseek-reasoner", "deepseek", 0.28, 0.42, 0.028, -1, -1, -1},
};

}  // namespace roost::query::internal
