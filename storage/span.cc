#include "storage/span.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <string>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace roost {
namespace {

template <size_t N>
std::string BytesToHex(const std::array<uint8_t, N>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(N * 2, '0');
  for (size_t i = 0; i < N; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <size_t N>
Status HexToBytes(std::string_view hex, std::array<uint8_t, N>* out, const char* what) {
  if (hex.size() != N * 2) {
    return Status::InvalidArgument(std::string(what) + " must be " + std::to_string(N * 2) +
                                   " hex digits, got " + std::to_string(hex.size()));
  }
  for (size_t i = 0; i < N; ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return Status::InvalidArgument(std::string(what) + " is not hex");
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return Status::OK();
}

// Checks strings and attributes, counting bytes. Builds no message unless something is wrong:
// `what` and `suffix` name the value only in the error.
class SpanChecker {
 public:
  SpanChecker(const SpanLimits& limits, Utf8Check utf8)
      : limits_(limits), check_utf8_(utf8 == Utf8Check::kCheck) {}

  Status String(std::string_view s, const char* what, const char* suffix = "") {
    bytes_ += s.size();
    if (s.size() > limits_.max_string_bytes) {
      return Status::InvalidArgument(std::string(what) + std::string(suffix) + " is longer than " +
                                     std::to_string(limits_.max_string_bytes) + " bytes");
    }
    if (check_utf8_ && !IsValidUtf8(s)) {
      return Status::InvalidArgument(std::string(what) + std::string(suffix) +
                                     " is not valid UTF-8");
    }
    return Status::OK();
  }

  Status Attrs(const Attributes& attrs, const char* what) {
    if (attrs.size() > limits_.max_attributes) {
      return Status::InvalidArgument(std::string(what) + " has more than " +
                                     std::to_string(limits_.max_attributes) + " attributes");
    }
    for (const Attribute& a : attrs) {
      if (a.key.empty()) return Status::InvalidArgument(std::string(what) + " has an empty key");
      if (Status s = String(a.key, what, " key"); !s.ok()) return s;
      if (Status s = Value(a.value, a.key); !s.ok()) return s;
    }
    return Status::OK();
  }

  size_t bytes() const { return bytes_; }

 private:
  static std::string Describe(const std::string& key) {
    return "attribute '" + key.substr(0, 64) + "'";
  }

  Status Value(const AttributeValue& v, const std::string& key) {
    if (const auto* s = std::get_if<std::string>(&v)) {
      Status st = String(*s, "");
      return st.ok() ? st : Status::InvalidArgument(Describe(key) + st.message());
    }
    if (std::holds_alternative<double>(v)) {
      bytes_ += 8;
      return Status::OK();
    }
    size_t n = 0;
    if (const auto* strs = std::get_if<std::vector<std::string>>(&v)) {
      n = strs->size();
      for (const std::string& s : *strs) {
        if (Status st = String(s, ""); !st.ok()) {
          return Status::InvalidArgument(Describe(key) + st.message());
        }
      }
    } else if (const auto* b = std::get_if<std::vector<bool>>(&v)) {
      n = b->size();
    } else if (const auto* i = std::get_if<std::vector<int64_t>>(&v)) {
      n = i->size();
    } else if (const auto* f = std::get_if<std::vector<double>>(&v)) {
      n = f->size();
    }
    bytes_ += 8 * n + 8;
    if (n > limits_.max_array_values) {
      return Status::InvalidArgument(Describe(key) + " has more than " +
                                     std::to_string(limits_.max_array_values) + " values");
    }
    return Status::OK();
  }

  const SpanLimits& limits_;
  const bool check_utf8_;
  size_t bytes_ = 0;
};

}  // namespace

namespace {

// True when every byte of `s` is below 0x80. Words of 32 and 8 bytes, the last word overlapping
// the one before, so no string of 8 bytes or more takes a byte-at-a-time loop.
bool IsAscii(std::string_view s) {
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const char* p = s.data();
  const size_t n = s.size();
  if (n < 8) {
    unsigned acc = 0;
    for (size_t i = 0; i < n; ++i) acc |= static_cast<unsigned char>(p[i]);
    return acc < 0x80;
  }
  size_t i = 0;
#ifdef __SSE2__
  for (; i + 32 <= n; i += 32) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 16));
    if (_mm_movemask_epi8(_mm_or_si128(a, b)) != 0) return false;
  }
#else
  for (; i + 32 <= n; i += 32) {
    uint64_t w[4];
    std::memcpy(w, p + i, 32);
    if (((w[0] | w[1] | w[2] | w[3]) & kHigh) != 0) return false;
  }
#endif
  uint64_t acc = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    acc |= w;
  }
  uint64_t last;
  std::memcpy(&last, p + n - 8, 8);
  return ((acc | last) & kHigh) == 0;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  if (IsAscii(s)) return true;
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    // Fast paths: ASCII 32, then 8, bytes at a time.
    if (i + 32 <= n) {
      uint64_t w[4];
      std::memcpy(w, s.data() + i, 32);
      if (((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ULL) == 0) {
        i += 32;
        continue;
      }
    }
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

bool TraceId::IsZero() const {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}
std::string TraceId::ToHex() const { return BytesToHex(bytes); }
Result<TraceId> TraceId::FromHex(std::string_view hex) {
  TraceId id;
  if (Status s = HexToBytes(hex, &id.bytes, "trace id"); !s.ok()) return s;
  return id;
}

bool SpanId::IsZero() const {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}
std::string SpanId::ToHex() const { return BytesToHex(bytes); }
Result<SpanId> SpanId::FromHex(std::string_view hex) {
  SpanId id;
  if (Status s = HexToBytes(hex, &id.bytes, "span id"); !s.ok()) return s;
  return id;
}

std::string_view SpanKindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kChain:
      return "CHAIN";
    case SpanKind::kLlm:
      return "LLM";
    case SpanKind::kTool:
      return "TOOL";
    case SpanKind::kAgent:
      return "AGENT";
    case SpanKind::kRetriever:
      return "RETRIEVER";
    case SpanKind::kEmbedding:
      return "EMBEDDING";
    case SpanKind::kReranker:
      return "RERANKER";
    case SpanKind::kGuardrail:
      return "GUARDRAIL";
    case SpanKind::kEvaluator:
      return "EVALUATOR";
    case SpanKind::kUnknown:
      break;
  }
  return "UNKNOWN";
}

SpanKind ParseSpanKind(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (int k = 1; k < kSpanKindCount; ++k) {
    auto kind = static_cast<SpanKind>(k);
    if (SpanKindName(kind) == upper) return kind;
  }
  return SpanKind::kUnknown;
}

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kError:
      return "ERROR";
    case StatusCode::kUnset:
      break;
  }
  return "UNSET";
}

const AttributeValue* FindAttribute(const Attributes& attributes, std::string_view key) {
  for (const Attribute& a : attributes) {
    if (a.key == key) return &a.value;
  }
  return nullptr;
}

Status ValidateSpan(const Span& span, const SpanLimits& limits, Utf8Check utf8) {
  if (span.trace_id.IsZero()) return Status::InvalidArgument("trace id is missing or all zero");
  if (span.span_id.IsZero()) return Status::InvalidArgument("span id is missing or all zero");
  if (span.parent_span_id && span.parent_span_id->IsZero()) {
    return Status::InvalidArgument("parent span id is all zero");
  }
  if (span.start_unix_nano <= limits.min_start_unix_nano) {
    return Status::InvalidArgument("start time is missing or before 1970");
  }
  if (span.end_unix_nano < span.start_unix_nano) {
    return Status::InvalidArgument("end time is before start time");
  }
  if (span.end_unix_nano > limits.max_end_unix_nano) {
    return Status::InvalidArgument("end time is after 2100");
  }
  if (span.project.empty()) return Status::InvalidArgument("project is empty");
  for (int64_t t : {span.prompt_tokens, span.completion_tokens, span.total_tokens,
                    span.cache_read_tokens, span.cache_write_tokens, span.prompt_audio_tokens,
                    span.reasoning_tokens, span.completion_audio_tokens}) {
    if (t < 0 || t > limits.max_token_count) {
      return Status::InvalidArgument("token count out of range: " + std::to_string(t));
    }
  }
  if (span.cost_usd &&
      (!std::isfinite(*span.cost_usd) || *span.cost_usd < 0 || *span.cost_usd > 1e9)) {
    return Status::InvalidArgument("cost is negative, not finite or above 1e9 USD");
  }
  if (span.events.size() > limits.max_events) {
    return Status::InvalidArgument("more than " + std::to_string(limits.max_events) + " events");
  }
  if (span.links.size() > limits.max_links) {
    return Status::InvalidArgument("more than " + std::to_string(limits.max_links) + " links");
  }
  SpanChecker check(limits, utf8);
  const std::pair<const std::string*, const char*> strings[] = {
      {&span.name, "name"},
      {&span.trace_state, "trace state"},
      {&span.status_message, "status message"},
      {&span.project, "project"},
      {&span.session_id, "session id"},
      {&span.user_id, "user id"},
      {&span.model_name, "model name"},
      {&span.provider, "provider"},
      {&span.scope.name, "scope name"},
      {&span.scope.version, "scope version"},
  };
  for (const auto& [s, what] : strings) {
    if (Status st = check.String(*s, what); !st.ok()) return st;
  }
  if (Status s = check.Attrs(span.attributes, "span attributes"); !s.ok()) return s;
  if (Status s = check.Attrs(span.resource_attributes, "resource attributes"); !s.ok()) return s;
  if (Status s = check.Attrs(span.scope.attributes, "scope attributes"); !s.ok()) return s;
  for (const SpanEvent& e : span.events) {
    // OTLP's times are unsigned: a negative one could not be exported, replicated or re-imported.
    if (e.time_unix_nano < 0) return Status::InvalidArgument("event time is before 1970");
    if (Status s = check.String(e.name, "event name"); !s.ok()) return s;
    if (Status s = check.Attrs(e.attributes, "event attributes"); !s.ok()) return s;
  }
  for (const SpanLink& l : span.links) {
    if (l.trace_id.IsZero() || l.span_id.IsZero()) {
      return Status::InvalidArgument("link has an all-zero trace or span id");
    }
    if (Status s = check.String(l.trace_state, "link trace state"); !s.ok()) return s;
    if (Status s = check.Attrs(l.attributes, "link attributes"); !s.ok()) return s;
  }
  if (check.bytes() > limits.max_encoded_bytes) {
    return Status::InvalidArgument("span is larger than " +
                                   std::to_string(limits.max_encoded_bytes) + " bytes");
  }
  return Status::OK();
}

}  // namespace roost
