// DecodeProtobuf: ExportTraceServiceRequest bytes -> roost::Span. Ordinary requests are read
// straight off the wire (internal/otlp_wire_decoder.cc); the rest go through libprotobuf here.
//
// DecodeProtobufMessages: the request is parsed into an arena whose first block is a per-thread
// buffer that survives the call, so a steady stream of requests parses without allocating for the
// message tree. Strings are then moved (not copied) out of the arena's messages into the spans: in
// protobuf 3.21 an arena-allocated std::string keeps its characters on the heap, so the move hands
// the parsed buffer over to the Span.

#include "ingest/protobuf_decoder.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include <google/protobuf/arena.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/stubs/logging.h>

#include "ingest/base64.h"
#include "ingest/internal/batch_builder.h"
#include "ingest/internal/otlp_wire_decoder.h"
#include "ingest/internal/protobuf_diagnosis.h"
#include "ingest/internal/protobuf_fields.h"
#include "ingest/internal/wire_value.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace roost::ingest {
namespace {

namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_trace = opentelemetry::proto::trace::v1;
namespace pb_collector = opentelemetry::proto::collector::trace::v1;
using google::protobuf::RepeatedPtrField;
using internal::ReadId;
using internal::ReadKind;
using internal::ReadTime;
using internal::WireValue;

// The per-thread first arena block: starts small, grows to the largest request seen, but never
// keeps more than kMaxRetainedArenaBytes between calls.
constexpr size_t kMinArenaBytes = 64 << 10;
constexpr size_t kMaxRetainedArenaBytes = 16 << 20;

class ArenaBuffer {
 public:
  char* data() { return data_.get(); }
  size_t size() const { return size_; }

  // REQUIRES: no arena is using the buffer.
  void GrowFor(size_t bytes_used) {
    if (bytes_used <= size_ || size_ >= kMaxRetainedArenaBytes) return;
    size_t size = std::max(size_, kMinArenaBytes);
    while (size < bytes_used && size < kMaxRetainedArenaBytes) size *= 2;
    data_ = std::make_unique_for_overwrite<char[]>(size);
    size_ = size;
  }

 private:
  std::unique_ptr<char[]> data_ = std::make_unique_for_overwrite<char[]>(kMinArenaBytes);
  size_t size_ = kMinArenaBytes;
};

WireValue ToWire(pb_common::AnyValue* v);

void ToWire(RepeatedPtrField<pb_common::KeyValue>* kvs, std::vector<internal::WireKeyValue>* out) {
  out->reserve(kvs->size());
  for (pb_common::KeyValue& kv : *kvs) {
    out->push_back(
        {std::move(*kv.mutable_key()), kv.has_value() ? ToWire(kv.mutable_value()) : WireValue{}});
  }
}

// Recursion is bounded by the parse's recursion limit (max_nesting_depth).
WireValue ToWire(pb_common::AnyValue* v) {
  WireValue w;
  switch (v->value_case()) {
    case pb_common::AnyValue::kStringValue:
      w.type = WireValue::Type::kString;
      w.string_value = std::move(*v->mutable_string_value());
      break;
    case pb_common::AnyValue::kBytesValue:
      w.type = WireValue::Type::kBytes;
      w.string_value = std::move(*v->mutable_bytes_value());
      break;
    case pb_common::AnyValue::kBoolValue:
      w.type = WireValue::Type::kBool;
      w.bool_value = v->bool_value();
      break;
    case pb_common::AnyValue::kIntValue:
      w.type = WireValue::Type::kInt;
      w.int_value = v->int_value();
      break;
    case pb_common::AnyValue::kDoubleValue:
      w.type = WireValue::Type::kDouble;
      w.double_value = v->double_value();
      break;
    case pb_common::AnyValue::kArrayValue:
      w.type = WireValue::Type::kArray;
      w.array.reserve(v->array_value().values_size());
      for (pb_common::AnyValue& e : *v->mutable_array_value()->mutable_values()) {
        w.array.push_back(ToWire(&e));
      }
      break;
    case pb_common::AnyValue::kKvlistValue:
      w.type = WireValue::Type::kKvlist;
      ToWire(v->mutable_kvlist_value()->mutable_values(), &w.kvlist);
      break;
    case pb_common::AnyValue::VALUE_NOT_SET:
      break;
  }
  return w;
}

void ReadAttributes(RepeatedPtrField<pb_common::KeyValue>* kvs, Attributes* out) {
  out->reserve(out->size() + kvs->size());
  for (pb_common::KeyValue& kv : *kvs) {
    std::string key = std::move(*kv.mutable_key());
    if (!kv.has_value()) {
      out->push_back({std::move(key), std::monostate{}});
      continue;
    }
    pb_common::AnyValue& v = *kv.mutable_value();
    switch (v.value_case()) {  // scalars directly; the rest through WireValue
      case pb_common::AnyValue::kStringValue:
        out->push_back({std::move(key), std::move(*v.mutable_string_value())});
        break;
      case pb_common::AnyValue::kBoolValue:
        out->push_back({std::move(key), v.bool_value()});
        break;
      case pb_common::AnyValue::kIntValue:
        out->push_back({std::move(key), v.int_value()});
        break;
      case pb_common::AnyValue::kDoubleValue:
        out->push_back({std::move(key), v.double_value()});
        break;
      case pb_common::AnyValue::VALUE_NOT_SET:
        out->push_back({std::move(key), std::monostate{}});
        break;
      default:
        internal::AppendAttribute(std::move(key), ToWire(&v), out);
    }
  }
}

InstrumentationScope ReadScope(pb_trace::ScopeSpans* ss) {
  InstrumentationScope scope;
  if (!ss->has_scope()) return scope;
  pb_common::InstrumentationScope* s = ss->mutable_scope();
  scope.name = std::move(*s->mutable_name());
  scope.version = std::move(*s->mutable_version());
  ReadAttributes(s->mutable_attributes(), &scope.attributes);
  return scope;
}

// Fills the span's own fields from `in`; per-span problems go to `error`.
void ReadSpan(pb_trace::Span* in, Span* span, std::string* error) {
  ReadId(in->trace_id(), &span->trace_id.bytes, "trace id", error);
  ReadId(in->span_id(), &span->span_id.bytes, "span id", error);
  SpanId parent;
  ReadId(in->parent_span_id(), &parent.bytes, "parent span id", error);
  if (!parent.IsZero()) span->parent_span_id = parent;  // all zero or empty: a root span
  span->trace_state = std::move(*in->mutable_trace_state());
  span->name = std::move(*in->mutable_name());
  span->otel_kind = ReadKind(in->kind());
  span->start_unix_nano = ReadTime(in->start_time_unix_nano(), "start time", error);
  span->end_unix_nano = ReadTime(in->end_time_unix_nano(), "end time", error);
  ReadAttributes(in->mutable_attributes(), &span->attributes);
  span->events.reserve(in->events_size());
  for (pb_trace::Span::Event& e : *in->mutable_events()) {
    SpanEvent& event = span->events.emplace_back();
    event.name = std::move(*e.mutable_name());
    event.time_unix_nano = ReadTime(e.time_unix_nano(), "event time", error);
    ReadAttributes(e.mutable_attributes(), &event.attributes);
  }
  span->links.reserve(in->links_size());
  for (pb_trace::Span::Link& l : *in->mutable_links()) {
    SpanLink& link = span->links.emplace_back();
    ReadId(l.trace_id(), &link.trace_id.bytes, "link trace id", error);
    ReadId(l.span_id(), &link.span_id.bytes, "link span id", error);
    link.trace_state = std::move(*l.mutable_trace_state());
    ReadAttributes(l.mutable_attributes(), &link.attributes);
  }
  if (in->has_status()) {
    const int code = in->status().code();
    span->status_code = internal::ReadStatusCode(code);
    span->status_message = std::move(*in->mutable_status()->mutable_message());
  }
}

Status ParseError(std::string_view body, int max_depth) {
  std::string problem = internal::DiagnoseProtobuf(
      body, pb_collector::ExportTraceServiceRequest::descriptor(), max_depth);
  if (problem.empty()) problem = "malformed wire data";
  return Status::InvalidArgument("protobuf body is not a valid ExportTraceServiceRequest: " +
                                 problem);
}

Result<DecodedBatch> Map(pb_collector::ExportTraceServiceRequest* request,
                         const DecodeOptions& options) {
  size_t total = 0;
  for (const pb_trace::ResourceSpans& rs : request->resource_spans()) {
    for (const pb_trace::ScopeSpans& ss : rs.scope_spans()) total += ss.spans_size();
  }
  if (total > options.max_spans) return internal::TooManySpans(options.max_spans);
  internal::BatchBuilder builder(options);
  builder.Reserve(total);
  std::string error;
  for (pb_trace::ResourceSpans& rs : *request->mutable_resource_spans()) {
    Attributes resource;
    if (rs.has_resource()) ReadAttributes(rs.mutable_resource()->mutable_attributes(), &resource);
    for (pb_trace::ScopeSpans& ss : *rs.mutable_scope_spans()) {
      const InstrumentationScope scope = ReadScope(&ss);
      for (pb_trace::Span& in : *ss.mutable_spans()) {
        Span span;
        error.clear();
        ReadSpan(&in, &span, &error);
        span.resource_attributes = resource;
        span.scope = scope;
        builder.Add(std::move(span), error);
      }
    }
  }
  return std::move(builder).Finish();
}

// Parses and maps with `buffer` as the arena's first block; sets `*arena_bytes` to what the
// arena needed.
Result<DecodedBatch> ParseAndMap(std::string_view body, const DecodeOptions& options,
                                 ArenaBuffer& buffer, size_t* arena_bytes) {
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = buffer.data();
  arena_options.initial_block_size = buffer.size();
  google::protobuf::Arena arena(arena_options);
  auto* request =
      google::protobuf::Arena::CreateMessage<pb_collector::ExportTraceServiceRequest>(&arena);
  bool parsed = false;
  {
    // protobuf logs invalid UTF-8 to stderr before failing; the error is reported to the client
    // instead, and a client must not be able to flood our log.
    google::protobuf::LogSilencer silence;
    google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(body.data()),
                                                 static_cast<int>(body.size()));
    input.SetRecursionLimit(options.max_nesting_depth);
    parsed = request->ParseFromCodedStream(&input) && input.ConsumedEntireMessage();
  }
  Result<DecodedBatch> result =
      parsed ? Map(request, options)
             : Result<DecodedBatch>(ParseError(body, options.max_nesting_depth));
  *arena_bytes = arena.SpaceAllocated();
  return result;
}

}  // namespace

namespace internal {

Result<DecodedBatch> DecodeProtobufMessages(std::string_view body, const DecodeOptions& options) {
  if (body.size() > static_cast<size_t>(INT_MAX)) {
    return Status::InvalidArgument("protobuf body is larger than 2 GiB");
  }
  thread_local ArenaBuffer buffer;
  size_t arena_bytes = 0;
  try {
    Result<DecodedBatch> result = ParseAndMap(body, options, buffer, &arena_bytes);
    buffer.GrowFor(arena_bytes);
    return result;
  } catch (const std::bad_alloc&) {
    return Status::Unavailable("out of memory while decoding a protobuf request");
  }
}

}  // namespace internal

Result<DecodedBatch> DecodeProtobuf(std::string_view body, const DecodeOptions& options) {
  try {
    if (std::optional<DecodedBatch> batch = internal::DecodeProtobufWire(body, options)) {
      return std::move(*batch);
    }
  } catch (const std::bad_alloc&) {
    return Status::Unavailable("out of memory while decoding a protobuf request");
  }
  return internal::DecodeProtobufMessages(body, options);
}

}  // namespace roost::ingest
