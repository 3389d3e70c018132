#include "ingest/semantic_conventions.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace roost::ingest {
namespace {

// The attributes ApplySemanticConventions reads, found in one pass over the span's attributes.
enum Key : int {
  kOiSpanKind,
  kOiSession,
  kOiUser,
  kOiModel,
  kOiProvider,
  kOiSystem,
  kOiPrompt,
  kOiCompletion,
  kOiTotal,
  kOiCost,
  kOiCacheRead,
  kOiCacheWrite,
  kOiPromptAudio,
  kOiReasoning,
  kOiCompletionAudio,
  kGenRequestModel,
  kGenResponseModel,
  kGenProvider,
  kGenSystem,
  kGenInputTokens,
  kGenOutputTokens,
  kGenConversation,
  kGenOperation,
  kKeyCount,
  kOtherKey = kKeyCount,
};

Key Classify(std::string_view key) {
  if (key.starts_with("llm.")) {
    const std::string_view rest = key.substr(4);
    if (rest == "model_name") return kOiModel;
    if (rest == "provider") return kOiProvider;
    if (rest == "system") return kOiSystem;
    if (rest == "token_count.prompt") return kOiPrompt;
    if (rest == "token_count.completion") return kOiCompletion;
    if (rest == "token_count.total") return kOiTotal;
    if (rest == "cost.total") return kOiCost;
    if (rest == "token_count.prompt_details.cache_read") return kOiCacheRead;
    if (rest == "token_count.prompt_details.cache_write") return kOiCacheWrite;
    if (rest == "token_count.prompt_details.audio") return kOiPromptAudio;
    if (rest == "token_count.completion_details.reasoning") return kOiReasoning;
    if (rest == "token_count.completion_details.audio") return kOiCompletionAudio;
    return kOtherKey;
  }
  if (key.starts_with("gen_ai.")) {
    const std::string_view rest = key.substr(7);
    if (rest == "request.model") return kGenRequestModel;
    if (rest == "response.model") return kGenResponseModel;
    if (rest == "provider.name") return kGenProvider;
    if (rest == "system") return kGenSystem;
    if (rest == "usage.input_tokens") return kGenInputTokens;
    if (rest == "usage.output_tokens") return kGenOutputTokens;
    if (rest == "conversation.id") return kGenConversation;
    if (rest == "operation.name") return kGenOperation;
    return kOtherKey;
  }
  if (key == "session.id") return kOiSession;
  if (key == "user.id") return kOiUser;
  if (key == "openinference.span.kind") return kOiSpanKind;
  return kOtherKey;
}

const std::string* NonEmptyString(const AttributeValue* v) {
  const auto* s = v != nullptr ? std::get_if<std::string>(v) : nullptr;
  return s != nullptr && !s->empty() ? s : nullptr;
}

// An identifier: a non-empty string, or an int in decimal.
std::optional<std::string> IdText(const AttributeValue* v) {
  if (const std::string* s = NonEmptyString(v)) return *s;
  if (const auto* i = v != nullptr ? std::get_if<int64_t>(v) : nullptr) return std::to_string(*i);
  return std::nullopt;
}

std::optional<double> Number(const AttributeValue* v) {
  if (v == nullptr) return std::nullopt;
  if (const auto* i = std::get_if<int64_t>(v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(v)) return *d;
  if (const auto* s = std::get_if<std::string>(v)) {
    double d = 0;
    const char* end = s->data() + s->size();
    const auto [ptr, ec] = std::from_chars(s->data(), end, d);
    if (ec == std::errc() && ptr == end) return d;
  }
  return std::nullopt;
}

// A count: an int as is; a number rounded and saturated to the int64 range; NaN is absent.
std::optional<int64_t> Count(const AttributeValue* v) {
  if (v == nullptr) return std::nullopt;
  if (const auto* i = std::get_if<int64_t>(v)) return *i;
  if (const auto* s = std::get_if<std::string>(v)) {
    int64_t n = 0;
    const char* end = s->data() + s->size();
    const auto [ptr, ec] = std::from_chars(s->data(), end, n);
    if (ec == std::errc() && ptr == end) return n;
  }
  const std::optional<double> d = Number(v);
  if (!d || std::isnan(*d)) return std::nullopt;
  constexpr double kLimit = 9.2e18;  // just inside the int64 range
  if (*d >= kLimit) return std::numeric_limits<int64_t>::max();
  if (*d <= -kLimit) return std::numeric_limits<int64_t>::min();
  return std::llround(*d);
}

SpanKind KindOfOperation(const std::string& op) {
  if (op == "chat" || op == "text_completion" || op == "generate_content") return SpanKind::kLlm;
  if (op == "embeddings") return SpanKind::kEmbedding;
  if (op == "execute_tool") return SpanKind::kTool;
  if (op == "invoke_agent" || op == "create_agent") return SpanKind::kAgent;
  return SpanKind::kUnknown;
}

std::string FirstString(std::initializer_list<const AttributeValue*> candidates) {
  for (const AttributeValue* v : candidates) {
    if (const std::string* s = NonEmptyString(v)) return *s;
  }
  return "";
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return a > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

}  // namespace

void ApplySemanticConventions(std::string_view project_header, Span* span) {
  const AttributeValue* found[kKeyCount] = {};
  for (const Attribute& a : span->attributes) {
    const Key k = Classify(a.key);
    if (k != kOtherKey && found[k] == nullptr) found[k] = &a.value;
  }

  if (!project_header.empty()) {
    span->project = project_header;
  } else if (const std::string* p =
                 NonEmptyString(FindAttribute(span->resource_attributes, kProjectNameAttribute))) {
    span->project = *p;
  } else {
    span->project = kDefaultProject;
  }

  span->kind = SpanKind::kUnknown;
  if (const std::string* k = NonEmptyString(found[kOiSpanKind])) span->kind = ParseSpanKind(*k);
  if (span->kind == SpanKind::kUnknown) {
    if (const std::string* op = NonEmptyString(found[kGenOperation])) {
      span->kind = KindOfOperation(*op);
    }
  }

  span->session_id =
      IdText(found[kOiSession]).value_or(IdText(found[kGenConversation]).value_or(""));
  span->user_id = IdText(found[kOiUser]).value_or("");
  span->model_name =
      FirstString({found[kOiModel], found[kGenResponseModel], found[kGenRequestModel]});
  span->provider =
      FirstString({found[kOiProvider], found[kOiSystem], found[kGenProvider], found[kGenSystem]});

  span->prompt_tokens = Count(found[kOiPrompt]).value_or(Count(found[kGenInputTokens]).value_or(0));
  span->completion_tokens =
      Count(found[kOiCompletion]).value_or(Count(found[kGenOutputTokens]).value_or(0));
  span->total_tokens =
      Count(found[kOiTotal]).value_or(SaturatingAdd(span->prompt_tokens, span->completion_tokens));
  span->cost_usd = Number(found[kOiCost]);

  // Details as Phoenix reads them: a number, negative ones counted as 0.
  auto detail = [&](Key k) { return std::max<int64_t>(0, Count(found[k]).value_or(0)); };
  span->cache_read_tokens = detail(kOiCacheRead);
  span->cache_write_tokens = detail(kOiCacheWrite);
  span->prompt_audio_tokens = detail(kOiPromptAudio);
  span->reasoning_tokens = detail(kOiReasoning);
  span->completion_audio_tokens = detail(kOiCompletionAudio);
}

}  // namespace roost::ingest
