#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/span.h"

namespace roost::ingest::internal {

// The vocabulary of OTLP/JSON as OtlpJsonHandler reads it: where in the message tree a JSON
// container sits, which OTLP field a key names there, and conversions of JSON scalars to OTLP
// field values.

// Where a frame sits in the OTLP message tree.
enum class JsonCtx : uint8_t {
  kDocument,
  kRequest,
  kResourceSpansList,
  kResourceSpans,
  kResource,
  kScopeSpansList,
  kScopeSpans,
  kScope,
  kSpanList,
  kSpan,
  kEventList,
  kEvent,
  kLinkList,
  kLink,
  kStatus,
  kAttributeList,  // [KeyValue] into Frame::attributes
  kAttribute,      // KeyValue into attribute_
  kAnyValue,       // AnyValue into Frame::value
  kArrayValue,     // ArrayValue {values} of Frame::value
  kValueList,      // [AnyValue] into Frame::value->array
  kKvlistValue,    // KeyValueList {values} of Frame::value
  kKvlistList,     // [KeyValue] into Frame::value->kvlist
  kKvlistEntry,    // KeyValue into Frame::entry
  kSkip,           // an unknown key's value
};

// The OTLP fields the JSON decoder reads (a key maps to one per context).
enum class JsonField : uint8_t {
  kNone,
  kUnknown,
  kResourceSpans,
  kResource,
  kScopeSpans,
  kScope,
  kSpans,
  kAttributes,
  kName,
  kVersion,
  kTraceId,
  kSpanId,
  kParentSpanId,
  kTraceState,
  kKind,
  kStartTime,
  kEndTime,
  kEvents,
  kLinks,
  kStatus,
  kTimeUnixNano,
  kMessage,
  kCode,
  kKey,
  kValue,
  kStringValue,
  kBoolValue,
  kIntValue,
  kDoubleValue,
  kBytesValue,
  kArrayValue,
  kKvlistValue,
  kValues,
};

// One JSON scalar as the SAX interface delivered it.
struct JsonScalar {
  enum class Kind : uint8_t { kNull, kBool, kInt, kUint, kDouble, kString };
  Kind kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  std::string* s = nullptr;
};

// Which field `key` names in an object of kind `ctx`: the lowerCamelCase OTLP/JSON name or the
// proto field name. kUnknown for anything else (ignored with its value, as OTLP/JSON requires).
JsonField LookupField(JsonCtx ctx, std::string_view key);

// The lowerCamelCase name of `field`, and the JSON it must hold ("an array", ...), for messages.
std::string_view FieldName(JsonField field);
std::string_view ExpectedType(JsonField field);
// "a string", "a number", ... for messages.
std::string_view KindName(JsonScalar::Kind kind);

// True for the contexts that are JSON arrays of OTLP messages.
bool IsList(JsonCtx ctx);

// Reading a scalar into a field: the right JSON type with an unusable value (kBadValue) is a
// per-span problem, the wrong JSON type (kWrongType) a whole-body one.
enum class ScalarRead { kOk, kWrongType, kBadValue };

// An int64: an integer, an integral double in range, or a decimal string.
ScalarRead ToInt64(const JsonScalar& v, int64_t* out);
// A double: a number, or a string holding a number, "NaN", "Infinity" or "-Infinity".
ScalarRead ToDouble(const JsonScalar& v, double* out);
// Enums: a number or the value name ("SPAN_KIND_SERVER"); unknown ones read as the zero value.
ScalarRead ToSpanKind(const JsonScalar& v, OtelSpanKind* out);
ScalarRead ToStatusCode(const JsonScalar& v, StatusCode* out);

}  // namespace roost::ingest::internal
