#include "storage/internal/flat_record_codec.h"

#include <cstring>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "storage/schema/roost_generated.h"

namespace roost::internal {
namespace {

namespace fb = roost::fb;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

template <typename... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

Offset<fb::KeyValue> EncodeKeyValue(FlatBufferBuilder& b, const Attribute& a) {
  auto key = b.CreateString(a.key);
  // Children must be built before the table is started.
  Offset<flatbuffers::String> s;
  Offset<flatbuffers::Vector<Offset<flatbuffers::String>>> ss;
  Offset<flatbuffers::Vector<uint8_t>> bs;
  Offset<flatbuffers::Vector<int64_t>> is;
  Offset<flatbuffers::Vector<double>> ds;
  fb::ValueType type = fb::ValueType::None;
  bool bv = false;
  int64_t iv = 0;
  double dv = 0;
  std::visit(Overloaded{
                 [&](const std::monostate&) {},
                 [&](const std::string& v) {
                   type = fb::ValueType::String;
                   s = b.CreateString(v);
                 },
                 [&](bool v) {
                   type = fb::ValueType::Bool;
                   bv = v;
                 },
                 [&](int64_t v) {
                   type = fb::ValueType::Int;
                   iv = v;
                 },
                 [&](double v) {
                   type = fb::ValueType::Double;
                   dv = v;
                 },
                 [&](const std::vector<std::string>& v) {
                   type = fb::ValueType::StringArray;
                   ss = b.CreateVectorOfStrings(v);
                 },
                 [&](const std::vector<bool>& v) {
                   type = fb::ValueType::BoolArray;
                   std::vector<uint8_t> bytes(v.begin(), v.end());
                   bs = b.CreateVector(bytes);
                 },
                 [&](const std::vector<int64_t>& v) {
                   type = fb::ValueType::IntArray;
                   is = b.CreateVector(v);
                 },
                 [&](const std::vector<double>& v) {
                   type = fb::ValueType::DoubleArray;
                   ds = b.CreateVector(v);
                 },
             },
             a.value);
  fb::KeyValueBuilder kv(b);
  kv.add_key(key);
  kv.add_type(type);
  if (!s.IsNull()) kv.add_s(s);
  if (type == fb::ValueType::Bool) kv.add_b(bv);
  if (type == fb::ValueType::Int) kv.add_i(iv);
  if (type == fb::ValueType::Double) kv.add_d(dv);
  if (!ss.IsNull()) kv.add_ss(ss);
  if (!bs.IsNull()) kv.add_bs(bs);
  if (!is.IsNull()) kv.add_is(is);
  if (!ds.IsNull()) kv.add_ds(ds);
  return kv.Finish();
}

Offset<flatbuffers::Vector<Offset<fb::KeyValue>>> EncodeAttributes(FlatBufferBuilder& b,
                                                                   const Attributes& attrs) {
  if (attrs.empty()) return 0;
  std::vector<Offset<fb::KeyValue>> kvs;
  kvs.reserve(attrs.size());
  for (const Attribute& a : attrs) kvs.push_back(EncodeKeyValue(b, a));
  return b.CreateVector(kvs);
}

template <size_t N>
Offset<flatbuffers::Vector<uint8_t>> EncodeId(FlatBufferBuilder& b,
                                              const std::array<uint8_t, N>& id) {
  return b.CreateVector(id.data(), N);
}

Offset<flatbuffers::String> OptionalString(FlatBufferBuilder& b, const std::string& s) {
  return s.empty() ? Offset<flatbuffers::String>() : b.CreateString(s);
}

// Copies a vector of 8-byte scalars into `out` (reusing its memory). The verifier checks a
// vector's length field but not that 8-byte elements are 8-aligned, so damaged data may place
// them anywhere: copy bytes, not values.
template <typename T>
void CopyScalars(const flatbuffers::Vector<T>* v, std::vector<T>* out) {
  out->resize(v == nullptr ? 0 : v->size());
  if (!out->empty()) std::memcpy(out->data(), v->Data(), out->size() * sizeof(T));
  for (T& x : *out) x = flatbuffers::EndianScalar(x);
}

// Decoding assigns into the strings and vectors of a Span decoded before, so that a reader
// decoding span after span into the same objects reuses their memory instead of allocating.
void Assign(const flatbuffers::String* s, std::string* out) {
  if (s == nullptr) {
    out->clear();
  } else {
    out->assign(s->data(), s->size());
  }
}

// The member of `value` holding a T, made the active one if it is not (its memory is reused
// when it already is).
template <typename T>
T& Holding(AttributeValue* value) {
  if (T* held = std::get_if<T>(value)) return *held;
  return value->emplace<T>();
}

void DecodeArray(const fb::KeyValue* kv, AttributeValue* out) {
  switch (kv->type()) {
    case fb::ValueType::StringArray: {
      auto& v = Holding<std::vector<std::string>>(out);
      v.resize(kv->ss() ? kv->ss()->size() : 0);
      for (size_t i = 0; i < v.size(); ++i) Assign(kv->ss()->Get(static_cast<uint32_t>(i)), &v[i]);
      break;
    }
    case fb::ValueType::BoolArray: {
      auto& v = Holding<std::vector<bool>>(out);
      v.clear();
      if (kv->bs()) {
        for (uint8_t x : *kv->bs()) v.push_back(x != 0);
      }
      break;
    }
    case fb::ValueType::IntArray:
      CopyScalars(kv->is(), &Holding<std::vector<int64_t>>(out));
      break;
    case fb::ValueType::DoubleArray:
      CopyScalars(kv->ds(), &Holding<std::vector<double>>(out));
      break;
    default:
      *out = std::monostate{};
      break;
  }
}

void DecodeValue(const fb::KeyValue* kv, AttributeValue* out) {
  switch (kv->type()) {
    case fb::ValueType::String:
      Assign(kv->s(), &Holding<std::string>(out));
      break;
    case fb::ValueType::Bool:
      *out = kv->b();
      break;
    case fb::ValueType::Int:
      *out = kv->i();
      break;
    case fb::ValueType::Double:
      *out = kv->d();
      break;
    default:
      DecodeArray(kv, out);
      break;
  }
}

void DecodeAttributes(const flatbuffers::Vector<Offset<fb::KeyValue>>* kvs, Attributes* out) {
  out->resize(kvs == nullptr ? 0 : kvs->size());
  for (size_t i = 0; i < out->size(); ++i) {
    const fb::KeyValue* kv = kvs->Get(static_cast<uint32_t>(i));
    Assign(kv->key(), &(*out)[i].key);
    DecodeValue(kv, &(*out)[i].value);
  }
}

template <size_t N>
bool DecodeId(const flatbuffers::Vector<uint8_t>* v, std::array<uint8_t, N>* out) {
  if (v == nullptr || v->size() != N) return false;
  std::memcpy(out->data(), v->data(), N);
  return true;
}

void DecodeEvents(const fb::SpanRecord* r, std::vector<SpanEvent>* out) {
  out->resize(r->events() ? r->events()->size() : 0);
  for (size_t i = 0; i < out->size(); ++i) {
    const fb::Event* e = r->events()->Get(static_cast<uint32_t>(i));
    SpanEvent& event = (*out)[i];
    Assign(e->name(), &event.name);
    event.time_unix_nano = e->time_unix_nano();
    DecodeAttributes(e->attributes(), &event.attributes);
  }
}

Status DecodeLinks(const fb::SpanRecord* r, std::vector<SpanLink>* out) {
  out->resize(r->links() ? r->links()->size() : 0);
  for (size_t i = 0; i < out->size(); ++i) {
    const fb::Link* l = r->links()->Get(static_cast<uint32_t>(i));
    SpanLink& link = (*out)[i];
    if (!DecodeId(l->trace_id(), &link.trace_id.bytes) ||
        !DecodeId(l->span_id(), &link.span_id.bytes)) {
      return Status::Corruption("span record has a malformed link");
    }
    Assign(l->trace_state(), &link.trace_state);
    DecodeAttributes(l->attributes(), &link.attributes);
  }
  return Status::OK();
}

Status DecodeIds(const fb::SpanRecord* r, Span* span) {
  if (!DecodeId(r->trace_id(), &span->trace_id.bytes) ||
      !DecodeId(r->span_id(), &span->span_id.bytes)) {
    return Status::Corruption("span record has malformed ids");
  }
  span->parent_span_id.reset();
  if (r->parent_span_id()) {
    SpanId parent;
    if (!DecodeId(r->parent_span_id(), &parent.bytes)) {
      return Status::Corruption("span record has a malformed parent id");
    }
    span->parent_span_id = parent;
  }
  return Status::OK();
}

void DecodeFigures(const fb::SpanRecord* r, Span* span) {
  span->kind = static_cast<SpanKind>(r->kind() < kSpanKindCount ? r->kind() : 0);
  span->otel_kind = static_cast<OtelSpanKind>(r->otel_kind() <= 5 ? r->otel_kind() : 0);
  span->status_code = static_cast<StatusCode>(r->status_code() <= 2 ? r->status_code() : 0);
  span->start_unix_nano = r->start_unix_nano();
  span->end_unix_nano = r->end_unix_nano();
  span->prompt_tokens = r->prompt_tokens();
  span->completion_tokens = r->completion_tokens();
  span->total_tokens = r->total_tokens();
  span->cost_usd.reset();
  if (r->has_cost()) span->cost_usd = r->cost_usd();
  span->cache_read_tokens = r->cache_read_tokens();
  span->cache_write_tokens = r->cache_write_tokens();
  span->prompt_audio_tokens = r->prompt_audio_tokens();
  span->reasoning_tokens = r->reasoning_tokens();
  span->completion_audio_tokens = r->completion_audio_tokens();
}

}  // namespace

std::string EncodeFlatSpanRecord(const Span& span) {
  thread_local FlatBufferBuilder b(1024);
  b.Clear();
  auto trace_id = EncodeId(b, span.trace_id.bytes);
  auto span_id = EncodeId(b, span.span_id.bytes);
  Offset<flatbuffers::Vector<uint8_t>> parent;
  if (span.parent_span_id) parent = EncodeId(b, span.parent_span_id->bytes);
  auto trace_state = OptionalString(b, span.trace_state);
  auto name = b.CreateString(span.name);
  auto status_message = OptionalString(b, span.status_message);
  auto project = b.CreateString(span.project);
  auto session = OptionalString(b, span.session_id);
  auto user = OptionalString(b, span.user_id);
  auto model = OptionalString(b, span.model_name);
  auto provider = OptionalString(b, span.provider);
  auto attributes = EncodeAttributes(b, span.attributes);
  Offset<flatbuffers::Vector<Offset<fb::Event>>> events;
  if (!span.events.empty()) {
    std::vector<Offset<fb::Event>> ev;
    for (const SpanEvent& e : span.events) {
      auto en = b.CreateString(e.name);
      auto ea = EncodeAttributes(b, e.attributes);
      ev.push_back(fb::CreateEvent(b, en, e.time_unix_nano, ea));
    }
    events = b.CreateVector(ev);
  }
  Offset<flatbuffers::Vector<Offset<fb::Link>>> links;
  if (!span.links.empty()) {
    std::vector<Offset<fb::Link>> lv;
    for (const SpanLink& l : span.links) {
      auto lt = EncodeId(b, l.trace_id.bytes);
      auto ls = EncodeId(b, l.span_id.bytes);
      auto lst = OptionalString(b, l.trace_state);
      auto la = EncodeAttributes(b, l.attributes);
      lv.push_back(fb::CreateLink(b, lt, ls, lst, la));
    }
    links = b.CreateVector(lv);
  }
  auto resource = EncodeAttributes(b, span.resource_attributes);
  auto scope_name = OptionalString(b, span.scope.name);
  auto scope_version = OptionalString(b, span.scope.version);
  auto scope_attributes = EncodeAttributes(b, span.scope.attributes);

  fb::SpanRecordBuilder r(b);
  r.add_trace_id(trace_id);
  r.add_span_id(span_id);
  if (!parent.IsNull()) r.add_parent_span_id(parent);
  if (!trace_state.IsNull()) r.add_trace_state(trace_state);
  r.add_name(name);
  r.add_kind(static_cast<uint8_t>(span.kind));
  r.add_otel_kind(static_cast<uint8_t>(span.otel_kind));
  r.add_status_code(static_cast<uint8_t>(span.status_code));
  if (!status_message.IsNull()) r.add_status_message(status_message);
  r.add_start_unix_nano(span.start_unix_nano);
  r.add_end_unix_nano(span.end_unix_nano);
  r.add_project(project);
  if (!session.IsNull()) r.add_session_id(session);
  if (!user.IsNull()) r.add_user_id(user);
  if (!model.IsNull()) r.add_model_name(model);
  if (!provider.IsNull()) r.add_provider(provider);
  r.add_prompt_tokens(span.prompt_tokens);
  r.add_completion_tokens(span.completion_tokens);
  r.add_total_tokens(span.total_tokens);
  r.add_has_cost(span.cost_usd.has_value());
  r.add_cost_usd(span.cost_usd.value_or(0.0));
  if (!attributes.IsNull()) r.add_attributes(attributes);
  if (!events.IsNull()) r.add_events(events);
  if (!links.IsNull()) r.add_links(links);
  if (!resource.IsNull()) r.add_resource_attributes(resource);
  if (!scope_name.IsNull()) r.add_scope_name(scope_name);
  if (!scope_version.IsNull()) r.add_scope_version(scope_version);
  if (!scope_attributes.IsNull()) r.add_scope_attributes(scope_attributes);
  r.add_cache_read_tokens(span.cache_read_tokens);
  r.add_cache_write_tokens(span.cache_write_tokens);
  r.add_prompt_audio_tokens(span.prompt_audio_tokens);
  r.add_reasoning_tokens(span.reasoning_tokens);
  r.add_completion_audio_tokens(span.completion_audio_tokens);
  b.Finish(r.Finish());
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

Status DecodeFlatSpanRecordInto(std::string_view bytes, Span* span) {
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!verifier.VerifyBuffer<fb::SpanRecord>(nullptr)) {
    return Status::Corruption("span record fails verification");
  }
  const fb::SpanRecord* r = flatbuffers::GetRoot<fb::SpanRecord>(bytes.data());
  if (Status s = DecodeIds(r, span); !s.ok()) return s;
  DecodeFigures(r, span);
  Assign(r->trace_state(), &span->trace_state);
  Assign(r->name(), &span->name);
  Assign(r->status_message(), &span->status_message);
  Assign(r->project(), &span->project);
  Assign(r->session_id(), &span->session_id);
  Assign(r->user_id(), &span->user_id);
  Assign(r->model_name(), &span->model_name);
  Assign(r->provider(), &span->provider);
  DecodeAttributes(r->attributes(), &span->attributes);
  DecodeEvents(r, &span->events);
  if (Status s = DecodeLinks(r, &span->links); !s.ok()) return s;
  DecodeAttributes(r->resource_attributes(), &span->resource_attributes);
  Assign(r->scope_name(), &span->scope.name);
  Assign(r->scope_version(), &span->scope.version);
  DecodeAttributes(r->scope_attributes(), &span->scope.attributes);
  return Status::OK();
}

}  // namespace roost::internal
