#include "ingest/protobuf_encoder.h"

#include <bit>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "ingest/internal/span_groups.h"

// OTLP protobuf written by hand, straight from the spans into one buffer: no message objects,
// no arena. Each message's length prefix needs its size first, so every message has a Size
// function mirroring its Write function. The bytes are what libprotobuf writes for the same
// message (fields in number order, proto3 defaults left out, a oneof member always written);
// the tests compare the two.

namespace roost::ingest {
namespace {

// Wire types.
constexpr uint32_t kVarint = 0, kFixed64 = 1, kLen = 2;

constexpr uint32_t Tag(uint32_t field, uint32_t wire_type) { return (field << 3) | wire_type; }

size_t VarintSize(uint64_t v) { return (std::bit_width(v | 1) + 6) / 7; }

// A length-delimited field holding `n` bytes.
size_t LenFieldSize(uint32_t field, size_t n) {
  return VarintSize(Tag(field, kLen)) + VarintSize(n) + n;
}

size_t StringFieldSize(uint32_t field, std::string_view s) {  // left out when empty
  return s.empty() ? 0 : LenFieldSize(field, s.size());
}

// Writes at `p`, which the caller sized exactly.
class Writer {
 public:
  explicit Writer(char* p) : p_(p) {}
  char* position() const { return p_; }

  void Varint(uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void Fixed64(uint64_t v) {
    for (int i = 0; i < 8; ++i) *p_++ = static_cast<char>(v >> (8 * i));
  }
  void Header(uint32_t field, size_t n) {  // the tag and length of a length-delimited field
    Varint(Tag(field, kLen));
    Varint(n);
  }
  void Bytes(uint32_t field, std::string_view s) {
    Header(field, s.size());
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void String(uint32_t field, std::string_view s) {  // left out when empty
    if (!s.empty()) Bytes(field, s);
  }
  void VarintField(uint32_t field, uint64_t v) {  // left out when 0
    if (v == 0) return;
    Varint(Tag(field, kVarint));
    Varint(v);
  }
  void Fixed64Field(uint32_t field, uint64_t v) {  // left out when 0
    if (v == 0) return;
    Varint(Tag(field, kFixed64));
    Fixed64(v);
  }

 private:
  char* p_;
};

template <size_t N>
std::string_view IdBytes(const std::array<uint8_t, N>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), N};
}

// An array element as its value type (vector<bool> hands out proxies), without copying strings.
template <typename T, typename E>
decltype(auto) Element(const E& e) {
  if constexpr (std::is_same_v<T, bool>) {
    return static_cast<bool>(e);
  } else {
    return static_cast<const T&>(e);
  }
}

// AnyValue: string_value = 1, bool_value = 2, int_value = 3, double_value = 4, array_value = 5
// (ArrayValue: values = 1). The set member is written even when it holds the default.
struct AnyValueSize {
  size_t operator()(std::monostate) const { return 0; }
  size_t operator()(const std::string& s) const { return LenFieldSize(1, s.size()); }
  size_t operator()(bool) const { return 2; }
  size_t operator()(int64_t i) const { return 1 + VarintSize(static_cast<uint64_t>(i)); }
  size_t operator()(double) const { return 9; }
  template <typename T>
  size_t operator()(const std::vector<T>& values) const {
    return LenFieldSize(5, ArraySize(values));
  }
  template <typename T>
  size_t ArraySize(const std::vector<T>& values) const {
    size_t n = 0;
    for (const auto& v : values) n += LenFieldSize(1, (*this)(Element<T>(v)));
    return n;
  }
};

struct AnyValueWriter {
  Writer* w;
  void operator()(std::monostate) const {}
  void operator()(const std::string& s) const { w->Bytes(1, s); }
  void operator()(bool b) const {
    w->Varint(Tag(2, kVarint));
    w->Varint(b ? 1 : 0);
  }
  void operator()(int64_t i) const {
    w->Varint(Tag(3, kVarint));
    w->Varint(static_cast<uint64_t>(i));
  }
  void operator()(double d) const {
    w->Varint(Tag(4, kFixed64));
    w->Fixed64(std::bit_cast<uint64_t>(d));
  }
  template <typename T>
  void operator()(const std::vector<T>& values) const {
    w->Header(5, AnyValueSize{}.ArraySize(values));
    for (const auto& v : values) {
      w->Header(1, AnyValueSize{}(Element<T>(v)));
      (*this)(Element<T>(v));
    }
  }
};

// KeyValue: key = 1, value = 2 (always written, empty for an attribute without a value).
size_t KeyValueSize(const Attribute& a) {
  return StringFieldSize(1, a.key) + LenFieldSize(2, std::visit(AnyValueSize{}, a.value));
}

size_t AttributesSize(uint32_t field, const Attributes& attributes) {
  size_t n = 0;
  for (const Attribute& a : attributes) n += LenFieldSize(field, KeyValueSize(a));
  return n;
}

void WriteAttributes(Writer& w, uint32_t field, const Attributes& attributes) {
  for (const Attribute& a : attributes) {
    w.Header(field, KeyValueSize(a));
    w.String(1, a.key);
    w.Header(2, std::visit(AnyValueSize{}, a.value));
    std::visit(AnyValueWriter{&w}, a.value);
  }
}

// Span.Event: time_unix_nano = 1, name = 2, attributes = 3.
size_t EventSize(const SpanEvent& e) {
  return (e.time_unix_nano != 0 ? 9 : 0) + StringFieldSize(2, e.name) +
         AttributesSize(3, e.attributes);
}

// Span.Link: trace_id = 1, span_id = 2, trace_state = 3, attributes = 4.
size_t LinkSize(const SpanLink& l) {
  return LenFieldSize(1, 16) + LenFieldSize(2, 8) + StringFieldSize(3, l.trace_state) +
         AttributesSize(4, l.attributes);
}

bool HasStatus(const Span& span) {
  return span.status_code != StatusCode::kUnset || !span.status_message.empty();
}

// Status: message = 2, code = 3.
size_t StatusSize(const Span& span) {
  return StringFieldSize(2, span.status_message) + (span.status_code != StatusCode::kUnset ? 2 : 0);
}

// Span: trace_id = 1, span_id = 2, trace_state = 3, parent_span_id = 4, name = 5, kind = 6,
// start = 7, end = 8, attributes = 9, events = 11, links = 13, status = 15.
size_t SpanSize(const Span& span) {
  size_t n = LenFieldSize(1, 16) + LenFieldSize(2, 8) + StringFieldSize(3, span.trace_state) +
             (span.parent_span_id ? LenFieldSize(4, 8) : 0) + StringFieldSize(5, span.name) +
             (span.otel_kind != OtelSpanKind::kUnspecified ? 2 : 0) +
             (span.start_unix_nano != 0 ? 9 : 0) + (span.end_unix_nano != 0 ? 9 : 0) +
             AttributesSize(9, span.attributes);
  for (const SpanEvent& e : span.events) n += LenFieldSize(11, EventSize(e));
  for (const SpanLink& l : span.links) n += LenFieldSize(13, LinkSize(l));
  if (HasStatus(span)) n += LenFieldSize(15, StatusSize(span));
  return n;
}

void WriteEventsAndLinks(Writer& w, const Span& span) {
  for (const SpanEvent& e : span.events) {
    w.Header(11, EventSize(e));
    w.Fixed64Field(1, static_cast<uint64_t>(e.time_unix_nano));
    w.String(2, e.name);
    WriteAttributes(w, 3, e.attributes);
  }
  for (const SpanLink& l : span.links) {
    w.Header(13, LinkSize(l));
    w.Bytes(1, IdBytes(l.trace_id.bytes));
    w.Bytes(2, IdBytes(l.span_id.bytes));
    w.String(3, l.trace_state);
    WriteAttributes(w, 4, l.attributes);
  }
}

void WriteSpan(Writer& w, const Span& span, size_t size) {
  w.Header(2, size);  // ScopeSpans.spans
  w.Bytes(1, IdBytes(span.trace_id.bytes));
  w.Bytes(2, IdBytes(span.span_id.bytes));
  w.String(3, span.trace_state);
  if (span.parent_span_id) w.Bytes(4, IdBytes(span.parent_span_id->bytes));
  w.String(5, span.name);
  w.VarintField(6, static_cast<uint64_t>(span.otel_kind));
  w.Fixed64Field(7, static_cast<uint64_t>(span.start_unix_nano));
  w.Fixed64Field(8, static_cast<uint64_t>(span.end_unix_nano));
  WriteAttributes(w, 9, span.attributes);
  WriteEventsAndLinks(w, span);
  if (HasStatus(span)) {
    w.Header(15, StatusSize(span));
    w.String(2, span.status_message);
    w.VarintField(3, static_cast<uint64_t>(span.status_code));
  }
}

bool HasScope(const InstrumentationScope& scope) {
  return !scope.name.empty() || !scope.version.empty() || !scope.attributes.empty();
}

// InstrumentationScope: name = 1, version = 2, attributes = 3.
size_t ScopeSize(const InstrumentationScope& scope) {
  return StringFieldSize(1, scope.name) + StringFieldSize(2, scope.version) +
         AttributesSize(3, scope.attributes);
}

// The sizes of one ResourceSpans (resource = 1, scope_spans = 2) and of its parts.
struct GroupSizes {
  size_t resource_spans = 0;
  std::vector<size_t> scope_spans;  // per scope group: ScopeSpans (scope = 1, spans = 2)
};

// Sizes every span once (into `span_sizes`, indexed as `spans`), then the groups.
std::vector<GroupSizes> SizeGroups(std::span<const Span> spans,
                                   const std::vector<internal::ResourceGroup>& groups,
                                   std::vector<size_t>* span_sizes) {
  span_sizes->resize(spans.size());
  for (size_t i = 0; i < spans.size(); ++i) (*span_sizes)[i] = SpanSize(spans[i]);
  std::vector<GroupSizes> sizes(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    size_t n = LenFieldSize(1, AttributesSize(1, groups[g].resource));
    for (const internal::ScopeGroup& scope_group : groups[g].scopes) {
      size_t s = HasScope(*scope_group.scope) ? LenFieldSize(1, ScopeSize(*scope_group.scope)) : 0;
      for (const Span* span : scope_group.spans) {
        s += LenFieldSize(2, (*span_sizes)[static_cast<size_t>(span - spans.data())]);
      }
      sizes[g].scope_spans.push_back(s);
      n += LenFieldSize(2, s);
    }
    sizes[g].resource_spans = n;
  }
  return sizes;
}

}  // namespace

void EncodeProtobuf(std::span<const Span> spans, std::string* out) {
  const std::vector<internal::ResourceGroup> groups = internal::GroupSpans(spans);
  std::vector<size_t> span_sizes;
  const std::vector<GroupSizes> sizes = SizeGroups(spans, groups, &span_sizes);
  size_t total = 0;
  for (const GroupSizes& g : sizes) total += LenFieldSize(1, g.resource_spans);
  out->resize(total);
  Writer w(out->data());
  for (size_t g = 0; g < groups.size(); ++g) {
    w.Header(1, sizes[g].resource_spans);                // ExportTraceServiceRequest.resource_spans
    w.Header(1, AttributesSize(1, groups[g].resource));  // ResourceSpans.resource
    WriteAttributes(w, 1, groups[g].resource);
    for (size_t s = 0; s < groups[g].scopes.size(); ++s) {
      const internal::ScopeGroup& scope_group = groups[g].scopes[s];
      w.Header(2, sizes[g].scope_spans[s]);  // ResourceSpans.scope_spans
      const InstrumentationScope& scope = *scope_group.scope;
      if (HasScope(scope)) {
        w.Header(1, ScopeSize(scope));
        w.String(1, scope.name);
        w.String(2, scope.version);
        WriteAttributes(w, 3, scope.attributes);
      }
      for (const Span* span : scope_group.spans) {
        WriteSpan(w, *span, span_sizes[static_cast<size_t>(span - spans.data())]);
      }
    }
  }
}

std::string EncodeProtobuf(std::span<const Span> spans) {
  std::string out;
  EncodeProtobuf(spans, &out);
  return out;
}

}  // namespace roost::ingest
