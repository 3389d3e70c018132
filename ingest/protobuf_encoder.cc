#include "ingest/protobuf_encoder.h"

#include <string>
#include <variant>

#include <google/protobuf/arena.h>

#include "ingest/internal/span_groups.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace roost::ingest {
namespace {

namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_trace = opentelemetry::proto::trace::v1;
namespace pb_collector = opentelemetry::proto::collector::trace::v1;
using google::protobuf::RepeatedPtrField;

template <size_t N>
std::string IdBytes(const std::array<uint8_t, N>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), N);
}

struct ValueWriter {
  pb_common::AnyValue* out;

  void operator()(std::monostate) const {}
  void operator()(const std::string& s) const { out->set_string_value(s); }
  void operator()(bool b) const { out->set_bool_value(b); }
  void operator()(int64_t i) const { out->set_int_value(i); }
  void operator()(double d) const { out->set_double_value(d); }
  template <typename T>
  void operator()(const std::vector<T>& values) const {
    auto* array = out->mutable_array_value()->mutable_values();
    array->Reserve(static_cast<int>(values.size()));
    for (const T& v : values) ValueWriter{array->Add()}(v);
  }
};

void WriteAttributes(const Attributes& attributes, RepeatedPtrField<pb_common::KeyValue>* out) {
  out->Reserve(static_cast<int>(attributes.size()));
  for (const Attribute& a : attributes) {
    pb_common::KeyValue* kv = out->Add();
    kv->set_key(a.key);
    std::visit(ValueWriter{kv->mutable_value()}, a.value);
  }
}

void WriteSpan(const Span& span, pb_trace::Span* out) {
  out->set_trace_id(IdBytes(span.trace_id.bytes));
  out->set_span_id(IdBytes(span.span_id.bytes));
  if (span.parent_span_id) out->set_parent_span_id(IdBytes(span.parent_span_id->bytes));
  out->set_trace_state(span.trace_state);
  out->set_name(span.name);
  out->set_kind(static_cast<pb_trace::Span::SpanKind>(span.otel_kind));
  out->set_start_time_unix_nano(static_cast<uint64_t>(span.start_unix_nano));
  out->set_end_time_unix_nano(static_cast<uint64_t>(span.end_unix_nano));
  WriteAttributes(span.attributes, out->mutable_attributes());
  for (const SpanEvent& e : span.events) {
    pb_trace::Span::Event* event = out->add_events();
    event->set_time_unix_nano(static_cast<uint64_t>(e.time_unix_nano));
    event->set_name(e.name);
    WriteAttributes(e.attributes, event->mutable_attributes());
  }
  for (const SpanLink& l : span.links) {
    pb_trace::Span::Link* link = out->add_links();
    link->set_trace_id(IdBytes(l.trace_id.bytes));
    link->set_span_id(IdBytes(l.span_id.bytes));
    link->set_trace_state(l.trace_state);
    WriteAttributes(l.attributes, link->mutable_attributes());
  }
  if (span.status_code != StatusCode::kUnset || !span.status_message.empty()) {
    pb_trace::Status* status = out->mutable_status();
    status->set_code(static_cast<pb_trace::Status::StatusCode>(span.status_code));
    status->set_message(span.status_message);
  }
}

}  // namespace

std::string EncodeProtobuf(std::span<const Span> spans) {
  google::protobuf::Arena arena;
  auto* request =
      google::protobuf::Arena::CreateMessage<pb_collector::ExportTraceServiceRequest>(&arena);
  for (const internal::ResourceGroup& group : internal::GroupSpans(spans)) {
    pb_trace::ResourceSpans* rs = request->add_resource_spans();
    WriteAttributes(group.resource, rs->mutable_resource()->mutable_attributes());
    for (const internal::ScopeGroup& scope_group : group.scopes) {
      pb_trace::ScopeSpans* ss = rs->add_scope_spans();
      const InstrumentationScope& scope = *scope_group.scope;
      if (!scope.name.empty() || !scope.version.empty() || !scope.attributes.empty()) {
        pb_common::InstrumentationScope* s = ss->mutable_scope();
        s->set_name(scope.name);
        s->set_version(scope.version);
        WriteAttributes(scope.attributes, s->mutable_attributes());
      }
      ss->mutable_spans()->Reserve(static_cast<int>(scope_group.spans.size()));
      for (const Span* span : scope_group.spans) WriteSpan(*span, ss->add_spans());
    }
  }
  return request->SerializeAsString();
}

}  // namespace roost::ingest
