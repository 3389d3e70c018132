#include "ingest/internal/otlp_json_fields.h"

#include <charconv>
#include <cmath>
#include <span>
#include <string>
#include <string_view>

namespace roost::ingest::internal {
namespace {

using Ctx = JsonCtx;
using Field = JsonField;
using Scalar = JsonScalar;
using Kind = JsonScalar::Kind;

// A key of an OTLP JSON object: lowerCamelCase as OTLP/JSON writes it, and the proto field name
// that protobuf's JSON parsers accept too.
struct FieldSpelling {
  std::string_view camel;
  std::string_view snake;
  Field field;
};

constexpr FieldSpelling kRequestFields[] = {
    {"resourceSpans", "resource_spans", Field::kResourceSpans}};
constexpr FieldSpelling kResourceSpansFields[] = {
    {"resource", "resource", Field::kResource},
    {"scopeSpans", "scope_spans", Field::kScopeSpans},
};
constexpr FieldSpelling kResourceFields[] = {{"attributes", "attributes", Field::kAttributes}};
constexpr FieldSpelling kScopeSpansFields[] = {
    {"spans", "spans", Field::kSpans},
    {"scope", "scope", Field::kScope},
};
constexpr FieldSpelling kScopeFields[] = {
    {"name", "name", Field::kName},
    {"version", "version", Field::kVersion},
    {"attributes", "attributes", Field::kAttributes},
};
constexpr FieldSpelling kSpanFields[] = {
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
constexpr FieldSpelling kEventFields[] = {
    {"timeUnixNano", "time_unix_nano", Field::kTimeUnixNano},
    {"name", "name", Field::kName},
    {"attributes", "attributes", Field::kAttributes},
};
constexpr FieldSpelling kLinkFields[] = {
    {"traceId", "trace_id", Field::kTraceId},
    {"spanId", "span_id", Field::kSpanId},
    {"traceState", "trace_state", Field::kTraceState},
    {"attributes", "attributes", Field::kAttributes},
};
constexpr FieldSpelling kStatusFields[] = {
    {"code", "code", Field::kCode},
    {"message", "message", Field::kMessage},
};
constexpr FieldSpelling kKeyValueFields[] = {
    {"key", "key", Field::kKey},
    {"value", "value", Field::kValue},
};
constexpr FieldSpelling kAnyValueFields[] = {
    {"stringValue", "string_value", Field::kStringValue},
    {"intValue", "int_value", Field::kIntValue},
    {"doubleValue", "double_value", Field::kDoubleValue},
    {"boolValue", "bool_value", Field::kBoolValue},
    {"arrayValue", "array_value", Field::kArrayValue},
    {"kvlistValue", "kvlist_value", Field::kKvlistValue},
    {"bytesValue", "bytes_value", Field::kBytesValue},
};
constexpr FieldSpelling kValuesFields[] = {{"values", "values", Field::kValues}};

std::span<const FieldSpelling> FieldsOf(Ctx ctx) {
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

// An enum: its number, or its value name (an index into `names`). Unknown names and numbers are
// returned as -1 and read as the zero value by the callers, as protobuf's parsers do with
// ignore_unknown_fields.
ScalarRead ToEnum(const Scalar& v, std::span<const std::string_view> names, int* out) {
  if (v.kind == Kind::kString) {
    *out = -1;
    for (size_t i = 0; i < names.size(); ++i) {
      if (*v.s == names[i]) *out = static_cast<int>(i);
    }
    int64_t n = 0;
    if (*out < 0 && ToInt64(v, &n) == ScalarRead::kOk && n >= 0 &&
        n < static_cast<int64_t>(names.size())) {
      *out = static_cast<int>(n);
    }
    return ScalarRead::kOk;
  }
  int64_t n = 0;
  const ScalarRead r = ToInt64(v, &n);
  if (r == ScalarRead::kWrongType) return r;
  *out = r == ScalarRead::kOk && n >= 0 && n < static_cast<int64_t>(names.size())
             ? static_cast<int>(n)
             : -1;
  return ScalarRead::kOk;
}

constexpr std::string_view kSpanKindNames[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
                                               "SPAN_KIND_SERVER",      "SPAN_KIND_CLIENT",
                                               "SPAN_KIND_PRODUCER",    "SPAN_KIND_CONSUMER"};
constexpr std::string_view kStatusCodeNames[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
                                                 "STATUS_CODE_ERROR"};

}  // namespace

Field LookupField(Ctx ctx, std::string_view key) {
  if (key.empty()) return Field::kUnknown;
  for (const FieldSpelling& f : FieldsOf(ctx)) {
    // Size and first byte first: most keys are told apart without a memcmp.
    if (key.size() == f.camel.size() && key[0] == f.camel[0] && key == f.camel) return f.field;
    if (key.size() == f.snake.size() && key[0] == f.snake[0] && key == f.snake) return f.field;
  }
  return Field::kUnknown;
}

std::string_view FieldName(Field field) {
  static constexpr std::span<const FieldSpelling> kAll[] = {
      kRequestFields, kResourceSpansFields, kScopeSpansFields, kScopeFields,    kSpanFields,
      kEventFields,   kStatusFields,        kKeyValueFields,   kAnyValueFields, kValuesFields};
  for (std::span<const FieldSpelling> table : kAll) {
    for (const FieldSpelling& f : table) {
      if (f.field == field) return f.camel;
    }
  }
  return "?";
}

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

ScalarRead ToInt64(const Scalar& v, int64_t* out) {
  switch (v.kind) {
    case Kind::kInt:
      *out = v.i;
      return ScalarRead::kOk;
    case Kind::kUint:
      if (v.u > static_cast<uint64_t>(INT64_MAX)) return ScalarRead::kBadValue;
      *out = static_cast<int64_t>(v.u);
      return ScalarRead::kOk;
    case Kind::kDouble:
      // 2^63 is exactly representable; anything below it that is integral fits.
      if (!(v.d >= -9223372036854775808.0 && v.d < 9223372036854775808.0) ||
          std::trunc(v.d) != v.d) {
        return ScalarRead::kBadValue;
      }
      *out = static_cast<int64_t>(v.d);
      return ScalarRead::kOk;
    case Kind::kString: {
      const char* end = v.s->data() + v.s->size();
      const auto [ptr, ec] = std::from_chars(v.s->data(), end, *out);
      return ec == std::errc() && ptr == end && !v.s->empty() ? ScalarRead::kOk
                                                              : ScalarRead::kBadValue;
    }
    default:
      return ScalarRead::kWrongType;
  }
}

ScalarRead ToDouble(const Scalar& v, double* out) {
  switch (v.kind) {
    case Kind::kInt:
      *out = static_cast<double>(v.i);
      return ScalarRead::kOk;
    case Kind::kUint:
      *out = static_cast<double>(v.u);
      return ScalarRead::kOk;
    case Kind::kDouble:
      *out = v.d;
      return ScalarRead::kOk;
    case Kind::kString: {
      const std::string& s = *v.s;
      if (s == "NaN") {
        *out = std::nan("");
      } else if (s == "Infinity" || s == "-Infinity") {
        *out = s[0] == '-' ? -HUGE_VAL : HUGE_VAL;
      } else {
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
        if (ec != std::errc() || ptr != s.data() + s.size() || s.empty())
          return ScalarRead::kBadValue;
      }
      return ScalarRead::kOk;
    }
    default:
      return ScalarRead::kWrongType;
  }
}

ScalarRead ToSpanKind(const JsonScalar& v, OtelSpanKind* out) {
  int kind = 0;
  const ScalarRead r = ToEnum(v, kSpanKindNames, &kind);
  *out = kind > 0 ? static_cast<OtelSpanKind>(kind) : OtelSpanKind::kUnspecified;
  return r;
}

ScalarRead ToStatusCode(const JsonScalar& v, StatusCode* out) {
  int code = 0;
  const ScalarRead r = ToEnum(v, kStatusCodeNames, &code);
  *out = code > 0 ? static_cast<StatusCode>(code) : StatusCode::kUnset;
  return r;
}

}  // namespace roost::ingest::internal
