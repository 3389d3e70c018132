// Printing and comparing decoded batches, shared by the wire decoder's tests and its fuzz target
// (tests/fuzz/otlp_protobuf_fuzz.cc): the wire path (DecodeProtobufWire), the public
// DecodeProtobuf and the libprotobuf reference (DecodeProtobufMessages) must agree.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "ingest/decoded_batch.h"
#include "storage/span.h"

namespace roost::testing {

using ingest::DecodedBatch;
using ingest::DecodeOptions;
using ingest::RejectedSpan;

// Printing, for readable mismatches.
std::string Show(std::string_view s);
std::string Show(const std::string& s);
std::string Show(int64_t v);
std::string Show(double v);
std::string Show(bool v);
std::string Show(const TraceId& id);
std::string Show(const SpanId& id);
std::string Show(const AttributeValue& v);
std::string Show(const Attribute& a);
std::string Show(const SpanEvent& e);
std::string Show(const SpanLink& l);
std::string Show(const InstrumentationScope& s);
std::string Show(const RejectedSpan& r);
std::string Show(const std::vector<bool>& v);
template <typename E>
requires std::is_enum_v<E> std::string Show(E e) { return std::to_string(static_cast<int>(e)); }
template <typename T>
std::string Show(const std::optional<T>& v) {
  return v ? Show(*v) : std::string("none");
}
template <typename T>
std::string Show(const std::vector<T>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Show(v[i]);
  return out + "]";
}

// The body as a C string literal, for a reproduction.
std::string Literal(std::string_view body, size_t max_bytes = 4096);

// How doubles that are NaN compare: equal when they carry the same bits (what protobuf keeps), or
// equal whatever their bits (OTLP/JSON writes every NaN as "NaN").
enum class NanBits { kCompared, kIgnored };

// "" when equal; else the fields that differ (reference value first).
std::string DiffSpan(const Span& want, const Span& got, NanBits nans = NanBits::kCompared);
// "" when equal; else how `got` differs from `want`.
std::string DiffBatch(const DecodedBatch& want, const DecodedBatch& got,
                      NanBits nans = NanBits::kCompared);

struct Outcome {
  std::string mismatch;  // "" when the three paths agree as they must
  bool wire_took = false;
  bool reference_ok = false;
};

// Decodes `body` with all three paths. DecodeProtobuf must give exactly the reference's outcome
// (status, or spans and rejections); when DecodeProtobufWire returns a batch, the reference must
// be OK with the very same batch.
Outcome Compare(std::string_view body, const DecodeOptions& options);

}  // namespace roost::testing
