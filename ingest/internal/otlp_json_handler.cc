#include "ingest/internal/otlp_json_handler.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "ingest/internal/base64.h"

namespace roost::ingest::internal {
namespace {

using Ctx = OtlpJsonHandler::Ctx;
using Field = OtlpJsonHandler::Field;
using Scalar = OtlpJsonHandler::Scalar;
using Kind = Scalar::Kind;

// A key of an OTLP JSON object: lowerCamelCase as OTLP/JSON writes it, and the proto field name
// that protobuf's JSON parsers accept too.
struct FieldName {
  std::string_view camel;
  std::string_view snake;
  Field field;
};

constexpr FieldName kRequestFields[] = {{"resourceSpans", "resource_spans", Field::kResourceSpans}};
constexpr FieldName kResourceSpansFields[] = {
    {"resource", "resource", Field::kResource},
    {"scopeSpans", "scope_spans", Field::kScopeSpans},
};
constexpr FieldName kResourceFields[] = {{"attributes", "attributes", Field::kAttributes}};
constexpr FieldName kScopeSpansFields[] = {
    {"spans", "spans", Field::kSpans},
    {"scope", "scope", Field::kScope},
};
constexpr FieldName kScopeFields[] = {
    {"name", "name", Field::kName},
    {"version", "version", Field::kVersion},
    {"attributes", "attributes", Field::kAttributes},
};
constexpr FieldName kSpanFields[] = {
    {"traceId", "trace_id", Field::kTraceId},
    {"spanId", "span_id", Field::kSpanId},
    {"parentSpanId", "parent_span_id", Field::kParentSpanId},
    {"name", "name", Field::kName},
    {"kind", "kind", Field::kKind},
    {"startTimeUnixNano", "start_time_unix_nano", Field::kStartTime},
    {"endTimeUnixNano", "end_time_unix_nano", Field::kEndTime},
    {"attributes", "attributes", Field::kAttributes},
    {"status", "status", Field::kStatus},
    {"events", "events", Field::kEvents},
    {"links", "links", Field::kLinks},
    {"traceState", "trace_state", Field::kTraceState},
};
constexpr FieldName kEventFields[] = {
    {"timeUnixNano", "time_unix_nano", Field::kTimeUnixNano},
    {"name", "name", Field::kName},
    {"attributes", "attributes", Field::kAttributes},
};
constexpr FieldName kLinkFields[] = {
    {"traceId", "trace_id", Field::kTraceId},
    {"spanId", "span_id", Field::kSpanId},
    {"traceState", "trace_state", Field::kTraceState},
    {"attributes", "attributes", Field::kAttributes},
};
constexpr FieldName kStatusFields[] = {
    {"code", "code", Field::kCode},
    {"message", "message", Field::kMessage},
};
constexpr FieldName kKeyValueFields[] = {
    {"key", "key", Field::kKey},
    {"value", "value", Field::kValue},
};
constexpr FieldName kAnyValueFields[] = {
    {"stringValue", "string_value", Field::kStringValue},
    {"intValue", "int_value", Field::kIntValue},
    {"doubleValue", "double_value", Field::kDoubleValue},
    {"boolValue", "bool_value", Field::kBoolValue},
    {"arrayValue", "array_value", Field::kArrayValue},
    {"kvlistValue", "kvlist_value", Field::kKvlistValue},
    {"bytesValue", "bytes_value", Field::kBytesValue},
};
constexpr FieldName kValuesFields[] = {{"values", "values", Field::kValues}};

std::span<const FieldName> FieldsOf(Ctx ctx) {
  switch (ctx) {
    case Ctx::kRequest:
      return kRequestFields;
    case Ctx::kResourceSpans:
      return kResourceSpansFields;
    case Ctx::kResource:
      return kResourceFields;
    case Ctx::kScopeSpans:
      return kScopeSpansFields;
    case Ctx::kScope:
      return kScopeFields;
    case Ctx::kSpan:
      return kSpanFields;
    case Ctx::kEvent:
      return kEventFields;
    case Ctx::kLink:
      return kLinkFields;
    case Ctx::kStatus:
      return kStatusFields;
    case Ctx::kAttribute:
    case Ctx::kKvlistEntry:
      return kKeyValueFields;
    case Ctx::kAnyValue:
      return kAnyValueFields;
    case Ctx::kArrayValue:
    case Ctx::kKvlistValue:
      return kValuesFields;
    default:
      return {};
  }
}

Field LookupField(Ctx ctx, std::string_view key) {
  for (const FieldName& f : FieldsOf(ctx)) {
    if (key == f.camel || key == f.snake) return f.field;
  }
  return Field::kUnknown;
}

std::string_view NameOf(Field field) {
  static constexpr std::span<const FieldName> kAll[] = {
      kRequestFields, kResourceSpansFields, kScopeSpansFields, kScopeFields,    kSpanFields,
      kEventFields,   kStatusFields,        kKeyValueFields,   kAnyValueFields, kValuesFields};
  for (std::span<const FieldName> table : kAll) {
    for (const FieldName& f : table) {
      if (f.field == field) return f.camel;
    }
  }
  return "?";
}

// What JSON a field's value must be, for messages.
std::string_view ExpectedType(Field field) {
  switch (field) {
    case Field::kResourceSpans:
    case Field::kScopeSpans:
    case Field::kSpans:
    case Field::kAttributes:
    case Field::kEvents:
    case Field::kLinks:
    case Field::kValues:
      return "an array";
    case Field::kResource:
    case Field::kScope:
    case Field::kStatus:
    case Field::kValue:
    case Field::kArrayValue:
    case Field::kKvlistValue:
      return "an object";
    case Field::kStartTime:
    case Field::kEndTime:
    case Field::kTimeUnixNano:
    case Field::kIntValue:
      return "an integer or a decimal string";
    case Field::kKind:
    case Field::kCode:
      return "an enum number or name";
    case Field::kDoubleValue:
      return "a number or a string";
    case Field::kBoolValue:
      return "a boolean";
    default:
      return "a string";
  }
}

bool IsList(Ctx ctx) {
  switch (ctx) {
    case Ctx::kResourceSpansList:
    case Ctx::kScopeSpansList:
    case Ctx::kSpanList:
    case Ctx::kEventList:
    case Ctx::kLinkList:
    case Ctx::kAttributeList:
    case Ctx::kValueList:
    case Ctx::kKvlistList:
      return true;
    default:
      return false;
  }
}

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "a boolean";
    case Kind::kString:
      return "a string";
    default:
      return "a number";
  }
}

// Outcome of reading a 64-bit integer: the right JSON type but a bad value is a per-span problem,
// the wrong JSON type a whole-body one.
enum class Read { kOk, kWrongType, kBadValue };

Read ToInt64(const Scalar& v, int64_t* out) {
  switch (v.kind) {
    case Kind::kInt:
      *out = v.i;
      return Read::kOk;
    case Kind::kUint:
      if (v.u > static_cast<uint64_t>(INT64_MAX)) return Read::kBadValue;
      *out = static_cast<int64_t>(v.u);
      return Read::kOk;
    case Kind::kDouble:
      // 2^63 is exactly representable; anything below it that is integral fits.
      if (!(v.d >= -9223372036854775808.0 && v.d < 9223372036854775808.0) ||
          std::trunc(v.d) != v.d) {
        return Read::kBadValue;
      }
      *out = static_cast<int64_t>(v.d);
      return Read::kOk;
    case Kind::kString: {
      const char* end = v.s->data() + v.s->size();
      const auto [ptr, ec] = std::from_chars(v.s->data(), end, *out);
      return ec == std::errc() && ptr == end && !v.s->empty() ? Read::kOk : Read::kBadValue;
    }
    default:
      return Read::kWrongType;
  }
}

Read ToDouble(const Scalar& v, double* out) {
  switch (v.kind) {
    case Kind::kInt:
      *out = static_cast<double>(v.i);
      return Read::kOk;
    case Kind::kUint:
      *out = static_cast<double>(v.u);
      return Read::kOk;
    case Kind::kDouble:
      *out = v.d;
      return Read::kOk;
    case Kind::kString: {
      const std::string& s = *v.s;
      if (s == "NaN") {
        *out = std::nan("");
      } else if (s == "Infinity" || s == "-Infinity") {
        *out = s[0] == '-' ? -HUGE_VAL : HUGE_VAL;
      } else {
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
        if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return Read::kBadValue;
      }
      return Read::kOk;
    }
    default:
      return Read::kWrongType;
  }
}

// An enum: its number, or its value name (an index into `names`). Unknown names and numbers are
// returned as -1 and read as the zero value by the callers, as protobuf's parsers do with
// ignore_unknown_fields.
Read ToEnum(const Scalar& v, std::span<const std::string_view> names, int* out) {
  if (v.kind == Kind::kString) {
    *out = -1;
    for (size_t i = 0; i < names.size(); ++i) {
      if (*v.s == names[i]) *out = static_cast<int>(i);
    }
    int64_t n = 0;
    if (*out < 0 && ToInt64(v, &n) == Read::kOk && n >= 0 &&
        n < static_cast<int64_t>(names.size())) {
      *out = static_cast<int>(n);
    }
    return Read::kOk;
  }
  int64_t n = 0;
  const Read r = ToInt64(v, &n);
  if (r == Read::kWrongType) return r;
  *out =
      r == Read::kOk && n >= 0 && n < static_cast<int64_t>(names.size()) ? static_cast<int>(n) : -1;
  return Read::kOk;
}

constexpr std::string_view kSpanKindNames[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
                                               "SPAN_KIND_SERVER",      "SPAN_KIND_CLIENT",
                                               "SPAN_KIND_PRODUCER",    "SPAN_KIND_CONSUMER"};
constexpr std::string_view kStatusCodeNames[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
                                                 "STATUS_CODE_ERROR"};

// Keeps an error message printable and short: nlohmann quotes the offending input, which may be
// anything, and the message travels back to the client.
std::string Printable(std::string_view s) {
  constexpr size_t kMaxMessage = 300;
  std::string out;
  for (char c : s.substr(0, kMaxMessage)) {
    const auto u = static_cast<unsigned char>(c);
    out += u >= 0x20 && u < 0x7f ? c : '?';
  }
  if (s.size() > kMaxMessage) out += "...";
  return out;
}

}  // namespace

OtlpJsonHandler::OtlpJsonHandler(const DecodeOptions& options, BatchBuilder* builder)
    : options_(options), builder_(builder) {
  stack_.reserve(32);
  stack_.push_back(Frame{.ctx = Ctx::kDocument});
}

bool OtlpJsonHandler::null() {
  Scalar v;
  return OnScalar(v);
}

bool OtlpJsonHandler::boolean(bool value) {
  Scalar v{.kind = Kind::kBool, .b = value};
  return OnScalar(v);
}

bool OtlpJsonHandler::number_integer(int64_t value) {
  Scalar v{.kind = Kind::kInt, .i = value};
  return OnScalar(v);
}

bool OtlpJsonHandler::number_unsigned(uint64_t value) {
  Scalar v{.kind = Kind::kUint, .u = value};
  return OnScalar(v);
}

bool OtlpJsonHandler::number_float(double value, const std::string& /*text*/) {
  Scalar v{.kind = Kind::kDouble, .d = value};
  return OnScalar(v);
}

bool OtlpJsonHandler::string(std::string& value) {
  Scalar v{.kind = Kind::kString, .s = &value};
  return OnScalar(v);
}

bool OtlpJsonHandler::binary(nlohmann::json::binary_t& /*value*/) {
  return Fail("unexpected binary value in JSON");  // only binary formats produce these
}

bool OtlpJsonHandler::parse_error(size_t /*position*/, const std::string& /*last_token*/,
                                  const nlohmann::json::exception& ex) {
  std::string_view what = ex.what();
  // "[json.exception.parse_error.101] parse error at line 1, ..." -> "parse error at line 1, ..."
  if (const size_t close = what.find("] "); close != std::string_view::npos) {
    what.remove_prefix(close + 2);
  }
  return Fail("invalid JSON: " + Printable(what));
}

bool OtlpJsonHandler::key(std::string& key) {
  Frame& f = stack_.back();
  if (f.ctx != Ctx::kSkip) f.field = LookupField(f.ctx, key);
  return true;
}

bool OtlpJsonHandler::start_object(size_t /*elements*/) { return StartContainer(true); }
bool OtlpJsonHandler::start_array(size_t /*elements*/) { return StartContainer(false); }
bool OtlpJsonHandler::end_object() { return EndContainer(); }
bool OtlpJsonHandler::end_array() { return EndContainer(); }

bool OtlpJsonHandler::Fail(std::string message) {
  if (status_.ok()) status_ = Status::InvalidArgument(message);
  return false;
}

bool OtlpJsonHandler::WrongType(Field field, std::string_view got) {
  return Fail("JSON field '" + std::string(NameOf(field)) + "' must be " +
              std::string(ExpectedType(field)) + ", got " + std::string(got));
}

void OtlpJsonHandler::Note(std::string_view problem) {
  if (error_sink_ != nullptr && error_sink_->empty()) *error_sink_ = problem;
}

bool OtlpJsonHandler::Push(Ctx ctx) {
  stack_.push_back(Frame{.ctx = ctx});
  return true;
}

bool OtlpJsonHandler::StartContainer(bool is_object) {
  if (++depth_ > options_.max_nesting_depth) {
    return Fail("JSON nested deeper than " + std::to_string(options_.max_nesting_depth) +
                " levels");
  }
  Frame& f = stack_.back();
  if (f.ctx == Ctx::kSkip) {
    ++f.skip_depth;
    return true;
  }
  if (f.ctx == Ctx::kDocument) {
    if (!is_object) return Fail("JSON body must be an object, got an array");
    return Push(Ctx::kRequest);
  }
  const Field field = f.field;
  f.field = Field::kNone;
  if (field == Field::kUnknown) {
    stack_.push_back(Frame{.ctx = Ctx::kSkip, .skip_depth = 1});
    return true;
  }
  return is_object ? StartObjectIn(f, field) : StartArrayIn(f, field);
}

bool OtlpJsonHandler::StartObjectIn(Frame& f, Field field) {
  switch (f.ctx) {
    case Ctx::kResourceSpansList:
      return Push(Ctx::kResourceSpans);
    case Ctx::kScopeSpansList:
      scopes_.emplace_back();
      return Push(Ctx::kScopeSpans);
    case Ctx::kSpanList:
      if (++spans_seen_ > options_.max_spans) {
        Fail(TooManySpans(options_.max_spans).message());
        return false;
      }
      scopes_.back().spans.emplace_back();
      error_sink_ = &CurrentSpan().error;
      return Push(Ctx::kSpan);
    case Ctx::kEventList:
      CurrentSpan().span.events.emplace_back();
      return Push(Ctx::kEvent);
    case Ctx::kLinkList:
      CurrentSpan().span.links.emplace_back();
      return Push(Ctx::kLink);
    case Ctx::kAttributeList: {
      attribute_.key.clear();
      attribute_.value = WireValue{};
      stack_.push_back(Frame{.ctx = Ctx::kAttribute, .entry = &attribute_});
      return true;
    }
    case Ctx::kValueList: {
      WireValue* element = &f.value->array.emplace_back();
      stack_.push_back(Frame{.ctx = Ctx::kAnyValue, .value = element});
      return true;
    }
    case Ctx::kKvlistList: {
      WireKeyValue* entry = &f.value->kvlist.emplace_back();
      stack_.push_back(Frame{.ctx = Ctx::kKvlistEntry, .entry = entry});
      return true;
    }
    default:
      break;
  }
  // An object as the value of `field` in the object `f`.
  if (f.ctx == Ctx::kResourceSpans && field == Field::kResource) {
    error_sink_ = &resource_error_;
    return Push(Ctx::kResource);
  }
  if (f.ctx == Ctx::kScopeSpans && field == Field::kScope) {
    error_sink_ = &scopes_.back().error;
    return Push(Ctx::kScope);
  }
  if (f.ctx == Ctx::kSpan && field == Field::kStatus) return Push(Ctx::kStatus);
  if ((f.ctx == Ctx::kAttribute || f.ctx == Ctx::kKvlistEntry) && field == Field::kValue) {
    WireValue* value = &f.entry->value;
    stack_.push_back(Frame{.ctx = Ctx::kAnyValue, .value = value});
    return true;
  }
  if (f.ctx == Ctx::kAnyValue && (field == Field::kArrayValue || field == Field::kKvlistValue)) {
    WireValue* value = f.value;
    const bool array = field == Field::kArrayValue;
    value->type = array ? WireValue::Type::kArray : WireValue::Type::kKvlist;
    stack_.push_back(Frame{.ctx = array ? Ctx::kArrayValue : Ctx::kKvlistValue, .value = value});
    return true;
  }
  if (IsList(f.ctx)) return Fail("elements of a JSON list must be objects");
  return WrongType(field, "an object");
}

bool OtlpJsonHandler::StartArrayIn(Frame& f, Field field) {
  if (IsList(f.ctx)) return Fail("elements of a JSON list must be objects, got an array");
  Attributes* attributes = nullptr;
  switch (f.ctx) {
    case Ctx::kRequest:
      if (field == Field::kResourceSpans) return Push(Ctx::kResourceSpansList);
      break;
    case Ctx::kResourceSpans:
      if (field == Field::kScopeSpans) return Push(Ctx::kScopeSpansList);
      break;
    case Ctx::kScopeSpans:
      if (field == Field::kSpans) return Push(Ctx::kSpanList);
      break;
    case Ctx::kSpan:
      if (field == Field::kEvents) return Push(Ctx::kEventList);
      if (field == Field::kLinks) return Push(Ctx::kLinkList);
      attributes = &CurrentSpan().span.attributes;
      break;
    case Ctx::kResource:
      attributes = &resource_;
      break;
    case Ctx::kScope:
      attributes = &scopes_.back().scope.attributes;
      break;
    case Ctx::kEvent:
      attributes = &CurrentSpan().span.events.back().attributes;
      break;
    case Ctx::kLink:
      attributes = &CurrentSpan().span.links.back().attributes;
      break;
    case Ctx::kArrayValue:
    case Ctx::kKvlistValue:
      if (field == Field::kValues) {
        WireValue* value = f.value;
        stack_.push_back(Frame{
            .ctx = f.ctx == Ctx::kArrayValue ? Ctx::kValueList : Ctx::kKvlistList, .value = value});
        return true;
      }
      break;
    default:
      break;
  }
  if (attributes != nullptr && field == Field::kAttributes) {
    stack_.push_back(Frame{.ctx = Ctx::kAttributeList, .attributes = attributes});
    return true;
  }
  return WrongType(field, "an array");
}

bool OtlpJsonHandler::EndContainer() {
  --depth_;
  Frame& f = stack_.back();
  if (f.ctx == Ctx::kSkip && --f.skip_depth > 0) return true;
  const Ctx ctx = f.ctx;
  stack_.pop_back();
  if (ctx == Ctx::kAttribute) {
    AppendAttribute(std::move(attribute_.key), std::move(attribute_.value),
                    stack_.back().attributes);
  } else if (ctx == Ctx::kResourceSpans) {
    FlushResourceSpans();
  }
  return true;
}

void OtlpJsonHandler::FlushResourceSpans() {
  for (PendingScope& scope : scopes_) {
    for (PendingSpan& p : scope.spans) {
      p.span.resource_attributes = resource_;
      p.span.scope = scope.scope;
      const std::string& error = !p.error.empty()       ? p.error
                                 : !scope.error.empty() ? scope.error
                                                        : resource_error_;
      builder_->Add(std::move(p.span), error);
    }
  }
  scopes_.clear();
  resource_.clear();
  resource_error_.clear();
  error_sink_ = nullptr;
}

bool OtlpJsonHandler::OnScalar(Scalar& v) {
  Frame& f = stack_.back();
  if (f.ctx == Ctx::kSkip) return true;
  if (f.ctx == Ctx::kDocument) {
    return Fail("JSON body must be an object, got " + std::string(KindName(v.kind)));
  }
  if (IsList(f.ctx)) {
    return Fail("elements of a JSON list must be objects, got " + std::string(KindName(v.kind)));
  }
  const Field field = f.field;
  f.field = Field::kNone;
  if (field == Field::kUnknown || v.kind == Kind::kNull) return true;  // null: unset
  switch (f.ctx) {
    case Ctx::kSpan:
      return SpanScalar(field, v);
    case Ctx::kLink:
      return LinkScalar(field, v);
    case Ctx::kAnyValue:
      return ValueScalar(field, v, f.value);
    default:
      break;
  }
  std::string* target = nullptr;
  if (f.ctx == Ctx::kScope && field == Field::kName) target = &scopes_.back().scope.name;
  if (f.ctx == Ctx::kScope && field == Field::kVersion) target = &scopes_.back().scope.version;
  if (f.ctx == Ctx::kEvent && field == Field::kName) {
    target = &CurrentSpan().span.events.back().name;
  }
  if (f.ctx == Ctx::kStatus && field == Field::kMessage) {
    target = &CurrentSpan().span.status_message;
  }
  if ((f.ctx == Ctx::kAttribute || f.ctx == Ctx::kKvlistEntry) && field == Field::kKey) {
    target = &f.entry->key;
  }
  if (target != nullptr) {
    if (v.kind != Kind::kString) return WrongType(field, KindName(v.kind));
    *target = std::move(*v.s);
    return true;
  }
  if (f.ctx == Ctx::kEvent && field == Field::kTimeUnixNano) {
    int64_t t = 0;
    const Read r = ToInt64(v, &t);
    if (r == Read::kWrongType) return WrongType(field, KindName(v.kind));
    if (r == Read::kBadValue) Note("event timeUnixNano is not an int64");
    CurrentSpan().span.events.back().time_unix_nano = t;
    return true;
  }
  if (f.ctx == Ctx::kStatus && field == Field::kCode) {
    int code = 0;
    if (ToEnum(v, kStatusCodeNames, &code) == Read::kWrongType) {
      return WrongType(field, KindName(v.kind));
    }
    CurrentSpan().span.status_code = code > 0 ? static_cast<StatusCode>(code) : StatusCode::kUnset;
    return true;
  }
  return WrongType(field, KindName(v.kind));
}

bool OtlpJsonHandler::SpanScalar(Field field, Scalar& v) {
  Span& span = CurrentSpan().span;
  switch (field) {
    case Field::kStartTime:
    case Field::kEndTime: {
      int64_t t = 0;
      const Read r = ToInt64(v, &t);
      if (r == Read::kWrongType) return WrongType(field, KindName(v.kind));
      if (r == Read::kBadValue) Note(std::string(NameOf(field)) + " is not an int64");
      (field == Field::kStartTime ? span.start_unix_nano : span.end_unix_nano) = t;
      return true;
    }
    case Field::kKind: {
      int kind = 0;
      if (ToEnum(v, kSpanKindNames, &kind) == Read::kWrongType) {
        return WrongType(field, KindName(v.kind));
      }
      span.otel_kind = kind > 0 ? static_cast<OtelSpanKind>(kind) : OtelSpanKind::kUnspecified;
      return true;
    }
    default:
      break;
  }
  if (v.kind != Kind::kString) return WrongType(field, KindName(v.kind));
  const std::string& s = *v.s;
  switch (field) {
    case Field::kTraceId:
      if (s.empty()) return true;  // left zero: ValidateSpan reports it missing
      if (Result<TraceId> id = TraceId::FromHex(s); id.ok()) {
        span.trace_id = *id;
      } else {
        Note(id.status().message());
      }
      return true;
    case Field::kSpanId:
    case Field::kParentSpanId: {
      if (s.empty()) return true;  // span id: missing; parent: a root span
      Result<SpanId> id = SpanId::FromHex(s);
      if (!id.ok()) {
        Note((field == Field::kParentSpanId ? "parent " : "") + id.status().message());
      } else if (field == Field::kSpanId) {
        span.span_id = *id;
      } else if (!id->IsZero()) {  // all zero: a root span
        span.parent_span_id = *id;
      }
      return true;
    }
    case Field::kName:
      span.name = std::move(*v.s);
      return true;
    case Field::kTraceState:
      span.trace_state = std::move(*v.s);
      return true;
    default:
      return WrongType(field, KindName(v.kind));
  }
}

bool OtlpJsonHandler::LinkScalar(Field field, Scalar& v) {
  if (v.kind != Kind::kString) return WrongType(field, KindName(v.kind));
  SpanLink& link = CurrentSpan().span.links.back();
  const std::string& s = *v.s;
  switch (field) {
    case Field::kTraceId:
      if (Result<TraceId> id = TraceId::FromHex(s); id.ok()) {
        link.trace_id = *id;
      } else if (!s.empty()) {
        Note("link " + id.status().message());
      }
      return true;
    case Field::kSpanId:
      if (Result<SpanId> id = SpanId::FromHex(s); id.ok()) {
        link.span_id = *id;
      } else if (!s.empty()) {
        Note("link " + id.status().message());
      }
      return true;
    case Field::kTraceState:
      link.trace_state = std::move(*v.s);
      return true;
    default:
      return WrongType(field, KindName(v.kind));
  }
}

bool OtlpJsonHandler::ValueScalar(Field field, Scalar& v, WireValue* value) {
  using Type = WireValue::Type;
  switch (field) {
    case Field::kStringValue:
      if (v.kind != Kind::kString) return WrongType(field, KindName(v.kind));
      value->type = Type::kString;
      value->string_value = std::move(*v.s);
      return true;
    case Field::kBoolValue:
      if (v.kind != Kind::kBool) return WrongType(field, KindName(v.kind));
      value->type = Type::kBool;
      value->bool_value = v.b;
      return true;
    case Field::kIntValue: {
      const Read r = ToInt64(v, &value->int_value);
      if (r == Read::kWrongType) return WrongType(field, KindName(v.kind));
      if (r == Read::kBadValue) Note("attribute intValue is not an int64");
      value->type = Type::kInt;
      return true;
    }
    case Field::kDoubleValue: {
      const Read r = ToDouble(v, &value->double_value);
      if (r == Read::kWrongType) return WrongType(field, KindName(v.kind));
      if (r == Read::kBadValue) Note("attribute doubleValue is not a number");
      value->type = Type::kDouble;
      return true;
    }
    case Field::kBytesValue: {
      if (v.kind != Kind::kString) return WrongType(field, KindName(v.kind));
      std::optional<std::string> bytes = Base64Decode(*v.s);
      if (!bytes) Note("attribute bytesValue is not base64");
      value->type = Type::kBytes;
      value->string_value = std::move(bytes).value_or("");
      return true;
    }
    default:
      return WrongType(field, KindName(v.kind));
  }
}

}  // namespace roost::ingest::internal
