#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "storage/result.h"

namespace roost {

// A 16-byte OpenTelemetry trace id. All-zero is invalid.
struct TraceId {
  std::array<uint8_t, 16> bytes{};

  bool IsZero() const;
  // 32 lowercase hex digits.
  std::string ToHex() const;
  // Accepts exactly 32 hex digits (either case); kInvalidArgument otherwise.
  static Result<TraceId> FromHex(std::string_view hex);
  auto operator<=>(const TraceId&) const = default;
};

// An 8-byte OpenTelemetry span id. All-zero is invalid (and means "no parent" on the wire).
struct SpanId {
  std::array<uint8_t, 8> bytes{};

  bool IsZero() const;
  std::string ToHex() const;
  static Result<SpanId> FromHex(std::string_view hex);
  auto operator<=>(const SpanId&) const = default;
};

// OpenInference span kind (attribute `openinference.span.kind`). On disk: never renumber.
enum class SpanKind : uint8_t {
  kUnknown = 0,
  kChain = 1,
  kLlm = 2,
  kTool = 3,
  kAgent = 4,
  kRetriever = 5,
  kEmbedding = 6,
  kReranker = 7,
  kGuardrail = 8,
  kEvaluator = 9,
};
inline constexpr int kSpanKindCount = 10;

// "LLM", "CHAIN", ... as OpenInference spells them.
std::string_view SpanKindName(SpanKind kind);
// Case-insensitive; unknown strings map to kUnknown.
SpanKind ParseSpanKind(std::string_view name);

// OpenTelemetry status code. On disk: never renumber.
enum class StatusCode : uint8_t { kUnset = 0, kOk = 1, kError = 2 };
std::string_view StatusCodeName(StatusCode code);  // "UNSET", "OK", "ERROR"

// The OpenTelemetry SpanKind (server, client, ...), kept so spans round-trip to OTLP unchanged.
// Values are OTLP's. On disk: never renumber.
enum class OtelSpanKind : uint8_t {
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};

// One attribute value: OTLP AnyValue restricted to what OpenTelemetry attributes allow
// (scalars and homogeneous arrays). An empty std::monostate is an attribute with no value.
using AttributeValue =
    std::variant<std::monostate, std::string, bool, int64_t, double, std::vector<std::string>,
                 std::vector<bool>, std::vector<int64_t>, std::vector<double>>;

struct Attribute {
  std::string key;
  AttributeValue value;
  bool operator==(const Attribute&) const = default;
};
using Attributes = std::vector<Attribute>;

// Returns the attribute named `key`, or nullptr.
const AttributeValue* FindAttribute(const Attributes& attributes, std::string_view key);

struct SpanEvent {
  std::string name;
  int64_t time_unix_nano = 0;
  Attributes attributes;
  bool operator==(const SpanEvent&) const = default;
};

struct SpanLink {
  TraceId trace_id;
  SpanId span_id;
  std::string trace_state;
  Attributes attributes;
  bool operator==(const SpanLink&) const = default;
};

struct InstrumentationScope {
  std::string name;
  std::string version;
  Attributes attributes;
  bool operator==(const InstrumentationScope&) const = default;
};

// One span, as roost stores it: the OpenTelemetry span plus the OpenInference fields that queries
// use, lifted out of the attributes (the attributes themselves are kept whole as well).
// Plain value type; no invariants are enforced here (see ValidateSpan).
struct Span {
  TraceId trace_id;
  SpanId span_id;
  std::optional<SpanId> parent_span_id;
  std::string trace_state;
  std::string name;
  SpanKind kind = SpanKind::kUnknown;
  OtelSpanKind otel_kind = OtelSpanKind::kInternal;
  StatusCode status_code = StatusCode::kUnset;
  std::string status_message;
  int64_t start_unix_nano = 0;
  int64_t end_unix_nano = 0;

  std::string project = "default";
  std::string session_id;  // empty: none
  std::string user_id;     // empty: none
  std::string model_name;  // empty: none
  std::string provider;    // empty: none
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
  std::optional<double> cost_usd;  // `llm.cost.total` when the span carries one
  // Token-type details, each a part of prompt_tokens or completion_tokens (0: none reported):
  int64_t cache_read_tokens = 0;        // `llm.token_count.prompt_details.cache_read`
  int64_t cache_write_tokens = 0;       // `llm.token_count.prompt_details.cache_write`
  int64_t prompt_audio_tokens = 0;      // `llm.token_count.prompt_details.audio`
  int64_t reasoning_tokens = 0;         // `llm.token_count.completion_details.reasoning`
  int64_t completion_audio_tokens = 0;  // `llm.token_count.completion_details.audio`

  Attributes attributes;
  std::vector<SpanEvent> events;
  std::vector<SpanLink> links;
  Attributes resource_attributes;
  InstrumentationScope scope;

  int64_t duration_nanos() const { return end_unix_nano - start_unix_nano; }
  bool operator==(const Span&) const = default;
};

// Bounds every span must respect. The defaults are generous for real LLM traffic (a long prompt
// in `input.value` is a few hundred KB) while keeping one span from exhausting memory.
struct SpanLimits {
  size_t max_string_bytes = 1 << 20;  // any one string: name, key, value
  size_t max_attributes = 1024;       // per attribute list
  size_t max_array_values = 4096;     // per array attribute
  size_t max_events = 1024;
  size_t max_links = 128;
  size_t max_encoded_bytes = 8 << 20;                       // whole span, roughly
  int64_t min_start_unix_nano = 0;                          // 1970
  int64_t max_end_unix_nano = 4102444800LL * 1000000000LL;  // 2100-01-01
  int64_t max_token_count = int64_t{1} << 31;
};

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF), as
// proto3 requires of strings. ASCII runs are checked 32 bytes at a time.
[[nodiscard]] bool IsValidUtf8(std::string_view s);

// Whether ValidateSpan checks that every string is well-formed UTF-8. kAlreadyChecked is for a
// caller whose strings all come from a reader that has checked them (libprotobuf checks every
// proto3 string it parses, the OTLP JSON reader every string it reads).
enum class Utf8Check { kCheck, kAlreadyChecked };

// The one place spans are validated. Returns kInvalidArgument naming the first problem found:
// ids present and not all zero, end >= start, times in range (event times too: not before 1970,
// as OTLP's unsigned times cannot say otherwise), token counts non-negative and
// bounded, a cost that is finite and non-negative, sizes within `limits`, non-empty project,
// strings of well-formed UTF-8 (unless `utf8` says they were checked).
Status ValidateSpan(const Span& span, const SpanLimits& limits = SpanLimits{},
                    Utf8Check utf8 = Utf8Check::kCheck);

}  // namespace roost
