#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ingest/decoded_batch.h"
#include "ingest/internal/batch_builder.h"
#include "ingest/internal/wire_value.h"
#include "storage/span.h"

namespace roost::ingest::internal {

// A SAX handler for nlohmann::json::sax_parse that reads an OTLP/JSON ExportTraceServiceRequest
// straight into roost::Spans, handing each ResourceSpans' spans to a BatchBuilder once the
// ResourceSpans object is complete (its "resource" may come after its "scopeSpans").
//
// The handler is a pushdown automaton: one Frame per open JSON object or array that it
// understands (unknown keys are skipped with a counter), each frame saying which OTLP message or
// list it is. Whole-body problems stop the parse (a method returns false) and leave status();
// per-span problems are noted for the span, or for every span of a resource or scope.
// Not thread-safe; one per request.
class OtlpJsonHandler {
 public:
  // `options` and `builder` must outlive the handler.
  OtlpJsonHandler(const DecodeOptions& options, BatchBuilder* builder);

  // The nlohmann SAX interface.
  bool null();
  bool boolean(bool value);
  bool number_integer(int64_t value);
  bool number_unsigned(uint64_t value);
  bool number_float(double value, const std::string& text);
  bool string(std::string& value);
  bool binary(nlohmann::json::binary_t& value);
  bool start_object(size_t elements);
  bool key(std::string& key);
  bool end_object();
  bool start_array(size_t elements);
  bool end_array();
  bool parse_error(size_t position, const std::string& last_token,
                   const nlohmann::json::exception& ex);

  // Why the parse stopped; OK while it has not.
  const Status& status() const { return status_; }

  // Where a frame sits in the OTLP message tree.
  enum class Ctx : uint8_t {
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

  // The OTLP fields the handler reads (a key maps to one per context).
  enum class Field : uint8_t {
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
  struct Scalar {
    enum class Kind : uint8_t { kNull, kBool, kInt, kUint, kDouble, kString };
    Kind kind = Kind::kNull;
    bool b = false;
    int64_t i = 0;
    uint64_t u = 0;
    double d = 0;
    std::string* s = nullptr;
  };

 private:
  struct Frame {
    Ctx ctx;
    Field field = Field::kNone;        // object frames: the key whose value comes next
    int skip_depth = 0;                // kSkip: open containers being skipped
    Attributes* attributes = nullptr;  // kAttributeList
    WireValue* value = nullptr;        // kAnyValue .. kKvlistList
    WireKeyValue* entry = nullptr;     // kAttribute, kKvlistEntry
  };
  struct PendingSpan {
    Span span;
    std::string error;
  };
  struct PendingScope {
    InstrumentationScope scope;
    std::string error;
    std::vector<PendingSpan> spans;
  };

  bool OnScalar(Scalar& v);
  bool StartContainer(bool is_object);
  bool StartObjectIn(Frame& f, Field field);
  bool StartArrayIn(Frame& f, Field field);
  bool EndContainer();
  bool Push(Ctx ctx);
  bool SpanScalar(Field field, Scalar& v);
  bool LinkScalar(Field field, Scalar& v);
  bool ValueScalar(Field field, Scalar& v, WireValue* value);
  void FlushResourceSpans();

  bool Fail(std::string message);
  bool WrongType(Field field, std::string_view got);
  // Notes a per-span problem for whatever spans the current context belongs to.
  void Note(std::string_view problem);
  PendingSpan& CurrentSpan() { return scopes_.back().spans.back(); }

  const DecodeOptions& options_;
  BatchBuilder* const builder_;
  Status status_;
  std::vector<Frame> stack_;
  int depth_ = 0;          // open JSON containers, skipped ones included
  size_t spans_seen_ = 0;  // span objects started, for DecodeOptions::max_spans
  std::string* error_sink_ = nullptr;

  // The ResourceSpans being read.
  Attributes resource_;
  std::string resource_error_;
  std::vector<PendingScope> scopes_;
  // The KeyValue being read into an attribute list; attribute lists never nest.
  WireKeyValue attribute_;
};

}  // namespace roost::ingest::internal
