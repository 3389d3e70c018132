#include "ingest/internal/otlp_json_handler.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ingest/base64.h"

namespace roost::ingest::internal {
namespace {

using Kind = JsonScalar::Kind;

}  // namespace

OtlpJsonHandler::OtlpJsonHandler(const DecodeOptions& options, BatchBuilder* builder)
    : options_(options), builder_(builder) {
  stack_.reserve(32);
  stack_.push_back(Frame{.ctx = Ctx::kDocument});
}

bool OtlpJsonHandler::Null() {
  Scalar v;
  return OnScalar(v);
}

bool OtlpJsonHandler::Bool(bool value) {
  Scalar v{.kind = Kind::kBool, .b = value};
  return OnScalar(v);
}

bool OtlpJsonHandler::Int(int64_t value) {
  Scalar v{.kind = Kind::kInt, .i = value};
  return OnScalar(v);
}

bool OtlpJsonHandler::Uint(uint64_t value) {
  Scalar v{.kind = Kind::kUint, .u = value};
  return OnScalar(v);
}

bool OtlpJsonHandler::Double(double value) {
  Scalar v{.kind = Kind::kDouble, .d = value};
  return OnScalar(v);
}

bool OtlpJsonHandler::String(std::string& value) {
  Scalar v{.kind = Kind::kString, .s = &value};
  return OnScalar(v);
}

bool OtlpJsonHandler::Key(std::string_view key) {
  Frame& f = stack_.back();
  if (f.ctx != Ctx::kSkip) f.field = LookupField(f.ctx, key);
  return true;
}

bool OtlpJsonHandler::Fail(std::string_view message) {
  if (status_.ok()) status_ = Status::InvalidArgument(message);
  return false;
}

bool OtlpJsonHandler::WrongType(Field field, std::string_view got) {
  return Fail("JSON field '" + std::string(FieldName(field)) + "' must be " +
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

// An object as an element of the list `f`.
bool OtlpJsonHandler::StartElement(Frame& f) {
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
      return Fail("unexpected JSON object");  // not reached: every list kind is handled
  }
}

bool OtlpJsonHandler::StartObjectIn(Frame& f, Field field) {
  if (IsList(f.ctx)) return StartElement(f);
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
      return OtherScalar(f, field, v);
  }
}

bool OtlpJsonHandler::OtherScalar(Frame& f, Field field, Scalar& v) {
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
    const ScalarRead r = ToInt64(v, &CurrentSpan().span.events.back().time_unix_nano);
    if (r == ScalarRead::kWrongType) return WrongType(field, KindName(v.kind));
    if (r == ScalarRead::kBadValue) Note("event timeUnixNano is not an int64");
    return true;
  }
  if (f.ctx == Ctx::kStatus && field == Field::kCode) {
    if (ToStatusCode(v, &CurrentSpan().span.status_code) == ScalarRead::kWrongType) {
      return WrongType(field, KindName(v.kind));
    }
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
      const ScalarRead r = ToInt64(v, &t);
      if (r == ScalarRead::kWrongType) return WrongType(field, KindName(v.kind));
      if (r == ScalarRead::kBadValue) Note(std::string(FieldName(field)) + " is not an int64");
      (field == Field::kStartTime ? span.start_unix_nano : span.end_unix_nano) = t;
      return true;
    }
    case Field::kKind:
      if (ToSpanKind(v, &span.otel_kind) == ScalarRead::kWrongType) {
        return WrongType(field, KindName(v.kind));
      }
      return true;
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
      const ScalarRead r = ToInt64(v, &value->int_value);
      if (r == ScalarRead::kWrongType) return WrongType(field, KindName(v.kind));
      if (r == ScalarRead::kBadValue) Note("attribute intValue is not an int64");
      value->type = Type::kInt;
      return true;
    }
    case Field::kDoubleValue: {
      const ScalarRead r = ToDouble(v, &value->double_value);
      if (r == ScalarRead::kWrongType) return WrongType(field, KindName(v.kind));
      if (r == ScalarRead::kBadValue) Note("attribute doubleValue is not a number");
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
