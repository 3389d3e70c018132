#include "ingest/json_encoder.h"

#include <string>
#include <variant>

#include "ingest/internal/json_text.h"
#include "ingest/internal/span_groups.h"

namespace roost::ingest {
namespace {

using internal::AppendJsonDouble;
using internal::AppendJsonInt64String;
using internal::AppendJsonString;

// Writes OTLP/JSON into one string. Appends only; the caller places commas via First().
class Writer {
 public:
  std::string& out() { return out_; }

  void Key(std::string_view key) {
    out_ += '"';
    out_ += key;
    out_ += "\":";
  }
  void String(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(value, &out_);
  }
  template <size_t N>
  void Hex(std::string_view key, const std::array<uint8_t, N>& bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    Key(key);
    out_ += '"';
    for (uint8_t b : bytes) {
      out_ += kDigits[b >> 4];
      out_ += kDigits[b & 0xf];
    }
    out_ += '"';
  }

  void Value(const AttributeValue& value) { std::visit(ValueVisitor{this}, value); }

  // `,"key":[...]`, or nothing for no attributes.
  void OptionalAttributes(std::string_view key, const Attributes& attributes) {
    if (attributes.empty()) return;
    out_ += ',';
    Key(key);
    AttributeArray(attributes);
  }

  void AttributeArray(const Attributes& attributes) {
    out_ += '[';
    for (size_t i = 0; i < attributes.size(); ++i) {
      if (i > 0) out_ += ',';
      out_ += "{\"key\":";
      AppendJsonString(attributes[i].key, &out_);
      out_ += ",\"value\":";
      Value(attributes[i].value);
      out_ += '}';
    }
    out_ += ']';
  }

 private:
  struct ValueVisitor {
    Writer* w;
    void operator()(std::monostate) const { w->out_ += "{}"; }
    void operator()(const std::string& s) const {
      w->out_ += "{\"stringValue\":";
      AppendJsonString(s, &w->out_);
      w->out_ += '}';
    }
    void operator()(bool b) const {
      w->out_ += b ? "{\"boolValue\":true}" : "{\"boolValue\":false}";
    }
    void operator()(int64_t i) const {
      w->out_ += "{\"intValue\":";
      AppendJsonInt64String(i, &w->out_);
      w->out_ += '}';
    }
    void operator()(double d) const {
      w->out_ += "{\"doubleValue\":";
      AppendJsonDouble(d, &w->out_);
      w->out_ += '}';
    }
    template <typename T>
    void operator()(const std::vector<T>& values) const {
      w->out_ += "{\"arrayValue\":{\"values\":[";
      bool first = true;
      for (const T& v : values) {
        if (!first) w->out_ += ',';
        first = false;
        (*this)(v);
      }
      w->out_ += "]}}";
    }
  };

  std::string out_;
};

// `,"events":[...]`, or nothing.
void WriteEvents(const std::vector<SpanEvent>& events, Writer& w) {
  std::string& out = w.out();
  if (events.empty()) return;
  out += ",\"events\":[";
  for (size_t i = 0; i < events.size(); ++i) {
    const SpanEvent& e = events[i];
    out += i > 0 ? ",{" : "{";
    w.Key("timeUnixNano");
    AppendJsonInt64String(e.time_unix_nano, &out);
    out += ',';
    w.String("name", e.name);
    w.OptionalAttributes("attributes", e.attributes);
    out += '}';
  }
  out += ']';
}

// `,"links":[...]`, or nothing.
void WriteLinks(const std::vector<SpanLink>& links, Writer& w) {
  std::string& out = w.out();
  if (links.empty()) return;
  out += ",\"links\":[";
  for (size_t i = 0; i < links.size(); ++i) {
    const SpanLink& l = links[i];
    out += i > 0 ? ",{" : "{";
    w.Hex("traceId", l.trace_id.bytes);
    out += ',';
    w.Hex("spanId", l.span_id.bytes);
    if (!l.trace_state.empty()) {
      out += ',';
      w.String("traceState", l.trace_state);
    }
    w.OptionalAttributes("attributes", l.attributes);
    out += '}';
  }
  out += ']';
}

void WriteSpan(const Span& span, Writer& w) {
  std::string& out = w.out();
  out += '{';
  w.Hex("traceId", span.trace_id.bytes);
  out += ',';
  w.Hex("spanId", span.span_id.bytes);
  if (span.parent_span_id) {
    out += ',';
    w.Hex("parentSpanId", span.parent_span_id->bytes);
  }
  if (!span.trace_state.empty()) {
    out += ',';
    w.String("traceState", span.trace_state);
  }
  out += ',';
  w.String("name", span.name);
  out += ",\"kind\":" + std::to_string(static_cast<int>(span.otel_kind));
  out += ',';
  w.Key("startTimeUnixNano");
  AppendJsonInt64String(span.start_unix_nano, &out);
  out += ',';
  w.Key("endTimeUnixNano");
  AppendJsonInt64String(span.end_unix_nano, &out);
  w.OptionalAttributes("attributes", span.attributes);
  WriteEvents(span.events, w);
  WriteLinks(span.links, w);
  if (span.status_code != StatusCode::kUnset || !span.status_message.empty()) {
    out += ",\"status\":{\"code\":" + std::to_string(static_cast<int>(span.status_code));
    if (!span.status_message.empty()) {
      out += ',';
      w.String("message", span.status_message);
    }
    out += '}';
  }
  out += '}';
}

}  // namespace

std::string EncodeJson(std::span<const Span> spans) {
  Writer w;
  std::string& out = w.out();
  out += "{\"resourceSpans\":[";
  bool first_group = true;
  for (const internal::ResourceGroup& group : internal::GroupSpans(spans)) {
    out += first_group ? "{\"resource\":{" : ",{\"resource\":{";
    first_group = false;
    w.Key("attributes");  // never empty: it names the project
    w.AttributeArray(group.resource);
    out += "},\"scopeSpans\":[";
    for (size_t s = 0; s < group.scopes.size(); ++s) {
      const InstrumentationScope& scope = *group.scopes[s].scope;
      out += s > 0 ? ",{\"scope\":{" : "{\"scope\":{";
      w.String("name", scope.name);
      if (!scope.version.empty()) {
        out += ',';
        w.String("version", scope.version);
      }
      w.OptionalAttributes("attributes", scope.attributes);
      out += "},\"spans\":[";
      const std::vector<const Span*>& members = group.scopes[s].spans;
      for (size_t i = 0; i < members.size(); ++i) {
        if (i > 0) out += ',';
        WriteSpan(*members[i], w);
      }
      out += "]}";
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

}  // namespace roost::ingest
