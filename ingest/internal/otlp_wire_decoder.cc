// DecodeProtobufWire: ExportTraceServiceRequest wire bytes -> roost::Span, with no message objects
// in between.
//
// libprotobuf's path parses every string into a message, then the spans take them over and the
// messages are dropped: two passes over every field and an object per KeyValue and AnyValue.
// Here each span is read straight off the wire, the same way ReadSpan maps a parsed one, and
// every string is allocated once, in the Span. Anything the protobuf rules could make mean
// something else (a repeated singular message merges, a repeated oneof member replaces, a known
// field with another wire type is an unknown field, groups, varints with bits beyond 64) and
// anything malformed makes the whole body go to libprotobuf instead: the wire path only has to
// agree with it on well-formed, ordinary requests, and the tests check that it does.

#include "ingest/internal/otlp_wire_decoder.h"

#include <bit>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "ingest/internal/batch_builder.h"
#include "ingest/internal/protobuf_fields.h"
#include "ingest/internal/wire_value.h"
#include "storage/span.h"

namespace roost::ingest::internal {
namespace {

// Wire types.
constexpr uint32_t kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5;

// Nesting levels: the request is 0, a ResourceSpans 1, a ScopeSpans 2, a Span 3, its KeyValue 4,
// their AnyValue 5 (an event's or link's attribute value 6), and nested arrays and kvlists add
// more. A message this close to the parse's recursion limit is left to libprotobuf, which
// decides whether the body is too deep; a limit too low for level 6 leaves it every body.
constexpr int kDepthMargin = 2;
constexpr int kMinDepthLimit = 6 + kDepthMargin;

// Reads one message's fields. A failure ("bail": not something the wire path takes) is sticky
// and shared with the readers of enclosing messages through `bailed`.
class FieldReader {
 public:
  FieldReader(std::string_view message, bool* bailed)
      : p_(reinterpret_cast<const uint8_t*>(message.data())),
        end_(p_ + message.size()),
        bailed_(bailed) {}

  // Reads the next field's tag; false at the end of the message or once bailed.
  bool Next() {
    if (p_ == end_ || *bailed_) return false;
    uint64_t tag = 0;
    // A tag is at most 5 bytes and 32 bits (libprotobuf's ReadTag).
    if (!ReadVarint(5, &tag) || tag > UINT32_MAX) return Bail();
    field_ = static_cast<uint32_t>(tag >> 3);
    type_ = static_cast<uint32_t>(tag & 7);
    if (field_ == 0) return Bail();
    return true;
  }

  uint32_t field() const { return field_; }

  // The current field's value, read as the given wire type; bails when the field has another.
  uint64_t Varint() {
    uint64_t v = 0;
    if (type_ != kVarint || !ReadVarint(10, &v)) Bail();
    return v;
  }
  uint64_t Fixed64() {
    uint64_t v = 0;
    if (type_ != kFixed64 || end_ - p_ < 8) {
      Bail();
      return 0;
    }
    std::memcpy(&v, p_, 8);  // little-endian, as the wire
    p_ += 8;
    return v;
  }
  void SkipFixed32() {
    if (type_ != kFixed32 || end_ - p_ < 4) {
      Bail();
      return;
    }
    p_ += 4;
  }
  // A length-delimited field's bytes (bytes fields and messages).
  std::string_view Bytes() {
    if (type_ != kLen) {
      Bail();
      return {};
    }
    uint64_t n = 0;
    // A length is at most 5 bytes and below 2^31 (libprotobuf's ReadSize).
    if (!ReadVarint(5, &n) || n > INT_MAX || n > static_cast<uint64_t>(end_ - p_)) {
      Bail();
      return {};
    }
    std::string_view out(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return out;
  }
  // A proto3 string field: must be UTF-8, which libprotobuf also requires.
  std::string_view String() {
    std::string_view s = Bytes();
    if (!IsValidUtf8(s)) Bail();
    return s;
  }
  // Skips a field this reader does not read. Groups (wire types 3 and 4) are left to
  // libprotobuf.
  void Skip() {
    switch (type_) {
      case kVarint:
        Varint();
        break;
      case kFixed64:
        Fixed64();
        break;
      case kLen:
        Bytes();
        break;
      case kFixed32:
        SkipFixed32();
        break;
      default:
        Bail();
    }
  }

  bool Bail() {
    *bailed_ = true;
    p_ = end_;
    return false;
  }

 private:
  // Reads a varint of at most `max_bytes` bytes. A 10-byte varint's last byte must be 0 or 1
  // (more would not fit 64 bits; libprotobuf drops such bits, the wire path does not guess).
  bool ReadVarint(int max_bytes, uint64_t* out) {
    uint64_t v = 0;
    for (int i = 0; i < max_bytes; ++i) {
      if (p_ == end_) return false;
      const uint8_t b = *p_++;
      if (i == 9 && b > 1) return false;
      v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if (b < 0x80) {
        if (max_bytes == 5 && i == 4 && b >= 16) return false;  // beyond 32 bits
        *out = v;
        return true;
      }
    }
    return false;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  bool* bailed_;
  uint32_t field_ = 0;
  uint32_t type_ = 0;
};

// How many times `field` occurs in `message` (up to where it is malformed), to size vectors.
size_t CountField(std::string_view message, uint32_t field) {
  bool bailed = false;
  FieldReader r(message, &bailed);
  size_t n = 0;
  while (r.Next()) {
    n += r.field() == field;
    r.Skip();
  }
  return n;
}

// An enum or int32 field: the varint's low 32 bits, as libprotobuf keeps them.
int ToInt32(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

class Decoder {
 public:
  explicit Decoder(const DecodeOptions& options) : options_(options), builder_(options) {}

  std::optional<DecodedBatch> Run(std::string_view body) {
    FieldReader r(body, &bailed_);
    while (r.Next()) {
      if (r.field() == 1) {
        ResourceSpans(r.Bytes());
      } else {
        r.Skip();
      }
    }
    if (bailed_) return std::nullopt;
    return std::move(builder_).Finish();
  }

 private:
  // A ResourceSpans (level 1): its resource (which may come after its scope_spans on the wire)
  // first, then each ScopeSpans in order.
  void ResourceSpans(std::string_view message) {
    std::string_view resource;
    bool has_resource = false;
    FieldReader r(message, &bailed_);
    while (r.Next()) {
      switch (r.field()) {
        case 1:
          if (has_resource) r.Bail();  // a second resource merges into the first
          resource = r.Bytes();
          has_resource = true;
          break;
        case 2:
          r.Bytes();
          break;
        case 3:
          r.String();  // schema_url: not kept, but libprotobuf checks its UTF-8
          break;
        default:
          r.Skip();
      }
    }
    if (bailed_) return;
    Attributes resource_attributes;
    FieldReader res(resource, &bailed_);
    while (res.Next()) {
      if (res.field() == 1) {
        KeyValue(res.Bytes(), 3, &resource_attributes);
      } else {
        res.Skip();
      }
    }
    FieldReader again(message, &bailed_);
    while (again.Next()) {
      if (again.field() == 2) {
        ScopeSpans(again.Bytes(), resource_attributes);
      } else {
        again.Skip();
      }
    }
  }

  // A ScopeSpans (level 2): its scope first, then its spans in order.
  void ScopeSpans(std::string_view message, const Attributes& resource) {
    std::string_view scope_message;
    bool has_scope = false;
    FieldReader r(message, &bailed_);
    while (r.Next()) {
      switch (r.field()) {
        case 1:
          if (has_scope) r.Bail();
          scope_message = r.Bytes();
          has_scope = true;
          break;
        case 2:
          r.Bytes();
          break;
        case 3:
          r.String();
          break;
        default:
          r.Skip();
      }
    }
    if (bailed_) return;
    InstrumentationScope scope;
    FieldReader s(scope_message, &bailed_);
    while (s.Next()) {
      switch (s.field()) {
        case 1:
          scope.name = s.String();
          break;
        case 2:
          scope.version = s.String();
          break;
        case 3:
          KeyValue(s.Bytes(), 4, &scope.attributes);
          break;
        default:
          s.Skip();
      }
    }
    FieldReader again(message, &bailed_);
    while (again.Next()) {
      if (again.field() != 2) {
        again.Skip();
        continue;
      }
      std::string_view span_message = again.Bytes();
      if (builder_.added() >= options_.max_spans) {  // libprotobuf's path refuses the body
        again.Bail();
        return;
      }
      Span span;
      std::string error;
      ReadSpan(span_message, &span, &error);
      if (bailed_) return;
      span.resource_attributes = resource;
      span.scope = scope;
      builder_.Add(std::move(span), error);
    }
  }

  // A Span (level 3), mapped as the libprotobuf path's ReadSpan maps a parsed one: ids and
  // times are read once the last occurrence of each is known, and per-span problems are noted in
  // the same order (ids, times, event times, link ids).
  void ReadSpan(std::string_view message, Span* span, std::string* error) {
    std::string_view trace_id, span_id, parent_id;
    uint64_t start = 0, end = 0;
    int kind = 0;
    bool has_status = false;
    std::string event_error, link_error;
    span->attributes.reserve(CountField(message, 9));
    FieldReader r(message, &bailed_);
    while (r.Next()) {
      switch (r.field()) {
        case 1:
          trace_id = r.Bytes();
          break;
        case 2:
          span_id = r.Bytes();
          break;
        case 3:
          span->trace_state = r.String();
          break;
        case 4:
          parent_id = r.Bytes();
          break;
        case 5:
          span->name = r.String();
          break;
        case 6:
          kind = ToInt32(r.Varint());
          break;
        case 7:
          start = r.Fixed64();
          break;
        case 8:
          end = r.Fixed64();
          break;
        case 9:
          KeyValue(r.Bytes(), 4, &span->attributes);
          break;
        case 11:
          Event(r.Bytes(), &span->events.emplace_back(), &event_error);
          break;
        case 13:
          Link(r.Bytes(), &span->links.emplace_back(), &link_error);
          break;
        case 15:
          if (has_status) r.Bail();  // a second status merges into the first
          has_status = true;
          Status(r.Bytes(), span);
          break;
        case 16:
          r.SkipFixed32();  // flags: not kept
          break;
        default:  // dropped_*_count (10, 12, 14) and unknown fields
          r.Skip();
      }
    }
    if (bailed_) return;
    ReadId(trace_id, &span->trace_id.bytes, "trace id", error);
    ReadId(span_id, &span->span_id.bytes, "span id", error);
    SpanId parent;
    ReadId(parent_id, &parent.bytes, "parent span id", error);
    if (!parent.IsZero()) span->parent_span_id = parent;  // all zero or empty: a root span
    span->otel_kind = ReadKind(kind);
    span->start_unix_nano = ReadTime(start, "start time", error);
    span->end_unix_nano = ReadTime(end, "end time", error);
    if (!event_error.empty()) NoteProblem(error, event_error);
    if (!link_error.empty()) NoteProblem(error, link_error);
  }

  void Event(std::string_view message, SpanEvent* event, std::string* error) {
    uint64_t time = 0;
    FieldReader r(message, &bailed_);
    while (r.Next()) {
      switch (r.field()) {
        case 1:
          time = r.Fixed64();
          break;
        case 2:
          event->name = r.String();
          break;
        case 3:
          KeyValue(r.Bytes(), 5, &event->attributes);
          break;
        default:
          r.Skip();
      }
    }
    event->time_unix_nano = ReadTime(time, "event time", error);
  }

  void Link(std::string_view message, SpanLink* link, std::string* error) {
    std::string_view trace_id, span_id;
    FieldReader r(message, &bailed_);
    while (r.Next()) {
      switch (r.field()) {
        case 1:
          trace_id = r.Bytes();
          break;
        case 2:
          span_id = r.Bytes();
          break;
        case 3:
          link->trace_state = r.String();
          break;
        case 4:
          KeyValue(r.Bytes(), 5, &link->attributes);
          break;
        case 6:
          r.SkipFixed32();  // flags
          break;
        default:
          r.Skip();
      }
    }
    ReadId(trace_id, &link->trace_id.bytes, "link trace id", error);
    ReadId(span_id, &link->span_id.bytes, "link span id", error);
  }

  void Status(std::string_view message, Span* span) {
    int code = 0;
    FieldReader r(message, &bailed_);
    while (r.Next()) {
      switch (r.field()) {
        case 2:
          span->status_message = r.String();
          break;
        case 3:
          code = ToInt32(r.Varint());
          break;
        default:
          r.Skip();
      }
    }
    span->status_code = ReadStatusCode(code);
  }

  // An AnyValue's one member, as found on the wire.
  struct AnyWire {
    uint32_t member = 0;     // its field number; 0 when unset
    std::string_view bytes;  // string, bytes, array and kvlist members
    uint64_t scalar = 0;     // bool, int and double members
  };

  // Reads an AnyValue at nesting level `level`. Bails on a second member: protobuf would
  // replace (or, for the same message member, merge) the first.
  AnyWire Any(std::string_view message, int level) {
    AnyWire any;
    if (level >= options_.max_nesting_depth - kDepthMargin) {
      bailed_ = true;
      return any;
    }
    FieldReader r(message, &bailed_);
    while (r.Next()) {
      const uint32_t f = r.field();
      if (f < 1 || f > 7) {
        r.Skip();
        continue;
      }
      if (any.member != 0) {
        r.Bail();
        break;
      }
      any.member = f;
      switch (f) {
        case 1:
          any.bytes = r.String();
          break;
        case 2:
        case 3:
          any.scalar = r.Varint();
          break;
        case 4:
          any.scalar = r.Fixed64();
          break;
        default:  // 5 array, 6 kvlist, 7 bytes
          any.bytes = r.Bytes();
      }
    }
    return any;
  }

  // A KeyValue's fields as found on the wire. Bails on a second value: protobuf would merge it
  // into the first.
  struct KeyValueWire {
    std::string_view key;
    std::string_view value;  // the AnyValue message
    bool has_value = false;
  };
  KeyValueWire ReadKeyValue(std::string_view message) {
    KeyValueWire kv;
    FieldReader r(message, &bailed_);
    while (r.Next()) {
      switch (r.field()) {
        case 1:
          kv.key = r.String();
          break;
        case 2:
          if (kv.has_value) r.Bail();
          kv.value = r.Bytes();
          kv.has_value = true;
          break;
        default:
          r.Skip();
      }
    }
    return kv;
  }

  // A KeyValue at nesting level `level`, appended to `out` as the libprotobuf path's
  // ReadAttributes appends it: scalars directly, the rest through WireValue.
  void KeyValue(std::string_view message, int level, Attributes* out) {
    const KeyValueWire kv = ReadKeyValue(message);
    if (bailed_) return;
    const std::string_view key = kv.key;
    if (!kv.has_value) {
      out->push_back({std::string(key), std::monostate{}});
      return;
    }
    const AnyWire any = Any(kv.value, level + 1);
    if (bailed_) return;
    switch (any.member) {
      case 0:
        out->push_back({std::string(key), std::monostate{}});
        break;
      case 1:
        out->push_back({std::string(key), std::string(any.bytes)});
        break;
      case 2:
        out->push_back({std::string(key), any.scalar != 0});
        break;
      case 3:
        out->push_back({std::string(key), static_cast<int64_t>(any.scalar)});
        break;
      case 4:
        out->push_back({std::string(key), std::bit_cast<double>(any.scalar)});
        break;
      default: {
        WireValue w = ToWire(any, level + 1);
        if (bailed_) return;
        AppendAttribute(std::string(key), std::move(w), out);
      }
    }
  }

  // An AnyValue read at `level` as a WireValue (arrays and kvlists element by element).
  WireValue ToWire(const AnyWire& any, int level) {
    WireValue w;
    switch (any.member) {
      case 1:
        w.type = WireValue::Type::kString;
        w.string_value = any.bytes;
        break;
      case 2:
        w.type = WireValue::Type::kBool;
        w.bool_value = any.scalar != 0;
        break;
      case 3:
        w.type = WireValue::Type::kInt;
        w.int_value = static_cast<int64_t>(any.scalar);
        break;
      case 4:
        w.type = WireValue::Type::kDouble;
        w.double_value = std::bit_cast<double>(any.scalar);
        break;
      case 5: {  // ArrayValue at level + 1, its AnyValues at level + 2
        w.type = WireValue::Type::kArray;
        FieldReader r(any.bytes, &bailed_);
        while (r.Next()) {
          if (r.field() != 1) {
            r.Skip();
            continue;
          }
          const AnyWire element = Any(r.Bytes(), level + 2);
          if (bailed_) break;
          w.array.push_back(ToWire(element, level + 2));
        }
        break;
      }
      case 6: {  // KeyValueList at level + 1, its KeyValues at level + 2
        w.type = WireValue::Type::kKvlist;
        FieldReader r(any.bytes, &bailed_);
        while (r.Next()) {
          if (r.field() != 1) {
            r.Skip();
            continue;
          }
          KeyValueToWire(r.Bytes(), level + 2, &w.kvlist);
        }
        break;
      }
      case 7:
        w.type = WireValue::Type::kBytes;
        w.string_value = any.bytes;
        break;
      default:
        break;  // unset: kEmpty
    }
    return w;
  }

  void KeyValueToWire(std::string_view message, int level, std::vector<WireKeyValue>* out) {
    const KeyValueWire kv = ReadKeyValue(message);
    if (bailed_) return;
    const std::string_view key = kv.key;
    WireValue w;
    if (kv.has_value) {
      const AnyWire any = Any(kv.value, level + 1);
      if (bailed_) return;
      w = ToWire(any, level + 1);
    }
    out->push_back({std::string(key), std::move(w)});
  }

  const DecodeOptions& options_;
  BatchBuilder builder_;
  bool bailed_ = false;
};

}  // namespace

std::optional<DecodedBatch> DecodeProtobufWire(std::string_view body,
                                               const DecodeOptions& options) {
  if (body.size() > static_cast<size_t>(INT_MAX) || options.max_nesting_depth < kMinDepthLimit) {
    return std::nullopt;
  }
  return Decoder(options).Run(body);
}

}  // namespace roost::ingest::internal
