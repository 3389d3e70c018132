#include "tests/ingest/test_protobuf_paths.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <variant>

#include "ingest/internal/otlp_wire_decoder.h"
#include "ingest/protobuf_decoder.h"

namespace roost::testing {
namespace {
using ingest::DecodeProtobuf;
namespace internal = ingest::internal;
}  // namespace

std::string Show(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < 300; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > 300) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out + "\"";
}
std::string Show(const std::string& s) { return Show(std::string_view(s)); }
std::string Show(int64_t v) { return std::to_string(v); }
std::string Show(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}
std::string Show(bool v) { return v ? "true" : "false"; }
std::string Show(const TraceId& id) { return id.ToHex(); }
std::string Show(const SpanId& id) { return id.ToHex(); }
std::string Show(const std::vector<bool>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Show(static_cast<bool>(v[i]));
  return out + "]";
}
std::string Show(const AttributeValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "unset";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return Show(std::string_view(x));
        } else {
          return Show(x);
        }
      },
      v);
}
std::string Show(const Attribute& a) { return Show(std::string_view(a.key)) + "=" + Show(a.value); }
std::string Show(const SpanEvent& e) {
  return "{event " + Show(std::string_view(e.name)) + " @" + Show(e.time_unix_nano) + " " +
         Show(e.attributes) + "}";
}
std::string Show(const SpanLink& l) {
  return "{link " + Show(l.trace_id) + "/" + Show(l.span_id) + " " +
         Show(std::string_view(l.trace_state)) + " " + Show(l.attributes) + "}";
}
std::string Show(const InstrumentationScope& s) {
  return "{scope " + Show(std::string_view(s.name)) + " " + Show(std::string_view(s.version)) +
         " " + Show(s.attributes) + "}";
}
std::string Show(const RejectedSpan& r) {
  return "{#" + std::to_string(r.index) + " trace " + Show(std::string_view(r.trace_id_hex)) +
         ": " + Show(std::string_view(r.reason)) + "}";
}

// The body as a C string literal, for a reproduction.
std::string Literal(std::string_view body, size_t max_bytes) {
  std::string out = "\"";
  for (size_t i = 0; i < body.size() && i < max_bytes; ++i) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(body[i]));
    out += buf;
  }
  out += "\"";
  if (body.size() > max_bytes) out += " ...(" + std::to_string(body.size()) + " bytes in all)";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Comparing outcomes.

namespace {

// NaN never equals itself: doubles that are NaN are replaced by their bits, so two batches that
// carry the very same NaN compare equal (and two different NaNs do not); with NanBits::kIgnored,
// by "NaN", so that any two NaNs do.
std::string Bits(double d, NanBits nans) {
  if (nans == NanBits::kIgnored && std::isnan(d)) return "NaN";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "NaN:%016llx",
                static_cast<unsigned long long>(std::bit_cast<uint64_t>(d)));
  return buf;
}
void Canonicalize(Attributes* attributes, NanBits nans) {
  for (Attribute& a : *attributes) {
    if (const auto* d = std::get_if<double>(&a.value); d != nullptr && std::isnan(*d)) {
      a.value = Bits(*d, nans);
    } else if (const auto* v = std::get_if<std::vector<double>>(&a.value);
               v != nullptr &&
               std::any_of(v->begin(), v->end(), [](double x) { return std::isnan(x); })) {
      std::vector<std::string> bits;
      for (double x : *v) bits.push_back(Bits(x, nans));
      a.value = std::move(bits);
    }
  }
}
Span Canonical(Span s, NanBits nans) {
  Canonicalize(&s.attributes, nans);
  for (SpanEvent& e : s.events) Canonicalize(&e.attributes, nans);
  for (SpanLink& l : s.links) Canonicalize(&l.attributes, nans);
  Canonicalize(&s.resource_attributes, nans);
  Canonicalize(&s.scope.attributes, nans);
  if (s.cost_usd && std::isnan(*s.cost_usd)) s.cost_usd = -12345.678;
  return s;
}

}  // namespace

#define ROOST_DIFF_FIELD(field)                                                         \
  if (!(a.field == b.field)) {                                                          \
    out += std::string(" " #field ": ") + Show(a.field) + " vs " + Show(b.field) + ";"; \
  }

std::string DiffSpan(const Span& want, const Span& got, NanBits nans) {
  const Span a = Canonical(want, nans);
  const Span b = Canonical(got, nans);
  if (a == b) return "";
  std::string out;
  ROOST_DIFF_FIELD(trace_id);
  ROOST_DIFF_FIELD(span_id);
  ROOST_DIFF_FIELD(parent_span_id);
  ROOST_DIFF_FIELD(trace_state);
  ROOST_DIFF_FIELD(name);
  ROOST_DIFF_FIELD(kind);
  ROOST_DIFF_FIELD(otel_kind);
  ROOST_DIFF_FIELD(status_code);
  ROOST_DIFF_FIELD(status_message);
  ROOST_DIFF_FIELD(start_unix_nano);
  ROOST_DIFF_FIELD(end_unix_nano);
  ROOST_DIFF_FIELD(project);
  ROOST_DIFF_FIELD(session_id);
  ROOST_DIFF_FIELD(user_id);
  ROOST_DIFF_FIELD(model_name);
  ROOST_DIFF_FIELD(provider);
  ROOST_DIFF_FIELD(prompt_tokens);
  ROOST_DIFF_FIELD(completion_tokens);
  ROOST_DIFF_FIELD(total_tokens);
  ROOST_DIFF_FIELD(cost_usd);
  ROOST_DIFF_FIELD(cache_read_tokens);
  ROOST_DIFF_FIELD(cache_write_tokens);
  ROOST_DIFF_FIELD(prompt_audio_tokens);
  ROOST_DIFF_FIELD(reasoning_tokens);
  ROOST_DIFF_FIELD(completion_audio_tokens);
  ROOST_DIFF_FIELD(attributes);
  ROOST_DIFF_FIELD(events);
  ROOST_DIFF_FIELD(links);
  ROOST_DIFF_FIELD(resource_attributes);
  ROOST_DIFF_FIELD(scope);
  if (out.empty()) out = " (differs in a field not listed here)";
  return out;
}
#undef ROOST_DIFF_FIELD

std::string DiffBatch(const DecodedBatch& want, const DecodedBatch& got, NanBits nans) {
  std::string out;
  if (want.spans.size() != got.spans.size()) {
    out += " " + std::to_string(got.spans.size()) + " spans instead of " +
           std::to_string(want.spans.size()) + ";";
  }
  int listed = 0;
  for (size_t i = 0; i < std::min(want.spans.size(), got.spans.size()) && listed < 3; ++i) {
    const std::string d = DiffSpan(want.spans[i], got.spans[i], nans);
    if (!d.empty()) {
      out += " span " + std::to_string(i) + " (reference vs other):" + d;
      ++listed;
    }
  }
  if (want.rejected != got.rejected) {
    out += " rejected " + Show(got.rejected) + " instead of " + Show(want.rejected) + ";";
  }
  if (want.rejected_count != got.rejected_count) {
    out += " rejected_count " + std::to_string(got.rejected_count) + " instead of " +
           std::to_string(want.rejected_count) + ";";
  }
  return out;
}

Outcome Compare(std::string_view body, const DecodeOptions& options) {
  Outcome outcome;
  const Result<DecodedBatch> reference = internal::DecodeProtobufMessages(body, options);
  const Result<DecodedBatch> decoded = DecodeProtobuf(body, options);
  const std::optional<DecodedBatch> wire = internal::DecodeProtobufWire(body, options);
  outcome.reference_ok = reference.ok();
  outcome.wire_took = wire.has_value();
  std::string& m = outcome.mismatch;
  if (reference.ok() != decoded.ok()) {
    m += "DecodeProtobuf gave " + decoded.status().ToString() + " but the reference gave " +
         reference.status().ToString() + ". ";
  } else if (!reference.ok()) {
    if (reference.status().code() != decoded.status().code() ||
        reference.status().message() != decoded.status().message()) {
      m += "DecodeProtobuf failed with " + decoded.status().ToString() +
           " but the reference with " + reference.status().ToString() + ". ";
    }
  } else if (const std::string d = DiffBatch(*reference, *decoded); !d.empty()) {
    m += "DecodeProtobuf differs from the reference:" + d + " ";
  }
  if (wire.has_value()) {
    if (!reference.ok()) {
      m += "DecodeProtobufWire returned a batch (" + std::to_string(wire->spans.size()) +
           " spans) for a body the reference refuses: " + reference.status().ToString() + ". ";
    } else if (const std::string d = DiffBatch(*reference, *wire); !d.empty()) {
      m += "DecodeProtobufWire differs from the reference:" + d + " ";
    }
  }
  return outcome;
}

}  // namespace roost::testing
