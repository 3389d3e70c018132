#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/decoded_batch.h"
#include "ingest/internal/batch_builder.h"
#include "ingest/internal/otlp_json_fields.h"
#include "ingest/internal/wire_value.h"
#include "storage/span.h"

namespace roost::ingest::internal {

// A JsonReader handler that reads an OTLP/JSON ExportTraceServiceRequest straight into
// roost::Spans, handing each ResourceSpans' spans to a BatchBuilder once the ResourceSpans object
// is complete (its "resource" may come after its "scopeSpans").
//
// The handler is a pushdown automaton: one Frame per open JSON object or array that it
// understands (unknown keys are skipped with a counter), each frame saying which OTLP message or
// list it is. Whole-body problems stop the read (a method returns false) and leave status();
// per-span problems are noted for the span, or for every span of a resource or scope.
// Not thread-safe; one per request.
class OtlpJsonHandler {
 public:
  // `options` and `builder` must outlive the handler.
  OtlpJsonHandler(const DecodeOptions& options, BatchBuilder* builder);

  // The JsonReader handler interface.
  bool Null();
  bool Bool(bool value);
  bool Int(int64_t value);
  bool Uint(uint64_t value);
  bool Double(double value);
  bool String(std::string& value);
  bool Key(std::string_view key);
  bool StartObject() { return StartContainer(true); }
  bool StartArray() { return StartContainer(false); }
  bool EndObject() { return EndContainer(); }
  bool EndArray() { return EndContainer(); }

  // Why the read stopped; OK while it has not.
  const Status& status() const { return status_; }

  using Ctx = JsonCtx;
  using Field = JsonField;
  using Scalar = JsonScalar;

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
  bool StartElement(Frame& f);
  bool StartArrayIn(Frame& f, Field field);
  bool EndContainer();
  bool Push(Ctx ctx);
  bool OtherScalar(Frame& f, Field field, Scalar& v);
  bool SpanScalar(Field field, Scalar& v);
  bool LinkScalar(Field field, Scalar& v);
  bool ValueScalar(Field field, Scalar& v, WireValue* value);
  void FlushResourceSpans();

  bool Fail(std::string_view message);
  bool WrongType(Field field, std::string_view got);
  // Notes a per-span problem for whatever spans the current context belongs to.
  void Note(std::string_view problem);
  PendingSpan& CurrentSpan() { return scopes_.back().spans.back(); }

  const DecodeOptions& options_;
  BatchBuilder* const builder_;
  Status status_;
  std::vector<Frame> stack_;
  size_t spans_seen_ = 0;  // span objects started, for DecodeOptions::max_spans
  // Where Note() writes: the error of the span, scope or resource being read. Set whenever one
  // of those starts, before anything inside it can call Note(), so it never dangles when used.
  std::string* error_sink_ = nullptr;

  // The ResourceSpans being read.
  Attributes resource_;
  std::string resource_error_;
  std::vector<PendingScope> scopes_;
  // The KeyValue being read into an attribute list; attribute lists never nest.
  WireKeyValue attribute_;
};

}  // namespace roost::ingest::internal
