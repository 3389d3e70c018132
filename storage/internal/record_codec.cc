#include "storage/internal/record_codec.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/internal/flat_record_codec.h"

namespace roost::internal {
namespace {

enum Flags : uint8_t { kHasParent = 1, kHasCost = 2 };
enum ValueType : uint8_t {
  kNone = 0,
  kString = 1,
  kBool = 2,
  kInt = 3,
  kDouble = 4,
  kStringArray = 5,
  kBoolArray = 6,
  kIntArray = 7,
  kDoubleArray = 8,
  kSameStringAs = 9,  // span attributes only: varint position of an earlier string attribute
};

// Span attributes that repeat a typed field of the span (the conventions derive those fields
// from them) are stored as a reference to the field: an empty key (varint 0), then the number of
// the entry below. Entry 0 is a literal empty key (type and value follow as usual).
enum class Field : uint8_t {
  kKindName,
  kSession,
  kUser,
  kModel,
  kProvider,
  kPrompt,
  kCompletion,
  kTotal,
  kCacheRead,
  kCacheWrite,
  kPromptAudio,
  kReasoning,
  kCompletionAudio,
  kCost,
};
struct DerivedKey {
  std::string_view key;
  Field field;
};
constexpr uint8_t kLiteralEmptyKey = 0;
// On disk: never reorder or renumber (the index + 1 is stored).
constexpr DerivedKey kDerivedKeys[] = {
    {"openinference.span.kind", Field::kKindName},
    {"session.id", Field::kSession},
    {"user.id", Field::kUser},
    {"llm.model_name", Field::kModel},
    {"llm.provider", Field::kProvider},
    {"llm.token_count.prompt", Field::kPrompt},
    {"llm.token_count.completion", Field::kCompletion},
    {"llm.token_count.total", Field::kTotal},
    {"llm.token_count.prompt_details.cache_read", Field::kCacheRead},
    {"llm.token_count.prompt_details.cache_write", Field::kCacheWrite},
    {"llm.token_count.prompt_details.audio", Field::kPromptAudio},
    {"llm.token_count.completion_details.reasoning", Field::kReasoning},
    {"llm.token_count.completion_details.audio", Field::kCompletionAudio},
    {"llm.cost.total", Field::kCost},
    {"gen_ai.request.model", Field::kModel},
    {"gen_ai.response.model", Field::kModel},
    {"gen_ai.conversation.id", Field::kSession},
    {"gen_ai.usage.input_tokens", Field::kPrompt},
    {"gen_ai.usage.output_tokens", Field::kCompletion},
};
constexpr size_t kDerivedKeyCount = std::size(kDerivedKeys);

// The typed field behind `field` when it is a string (other than the kind's name), else null.
const std::string* TextField(const Span& span, Field field) {
  switch (field) {
    case Field::kSession:
      return &span.session_id;
    case Field::kUser:
      return &span.user_id;
    case Field::kModel:
      return &span.model_name;
    case Field::kProvider:
      return &span.provider;
    default:
      return nullptr;
  }
}

// The typed field behind `field` when it is a token count, else null.
const int64_t* CountField(const Span& span, Field field) {
  switch (field) {
    case Field::kPrompt:
      return &span.prompt_tokens;
    case Field::kCompletion:
      return &span.completion_tokens;
    case Field::kTotal:
      return &span.total_tokens;
    case Field::kCacheRead:
      return &span.cache_read_tokens;
    case Field::kCacheWrite:
      return &span.cache_write_tokens;
    case Field::kPromptAudio:
      return &span.prompt_audio_tokens;
    case Field::kReasoning:
      return &span.reasoning_tokens;
    case Field::kCompletionAudio:
      return &span.completion_audio_tokens;
    default:
      return nullptr;
  }
}

// The field's value as the attribute the conventions read it from; nullopt for a cost the span
// does not have.
std::optional<AttributeValue> FieldValue(const Span& span, Field field) {
  if (field == Field::kKindName) return std::string(SpanKindName(span.kind));
  if (field == Field::kCost) {
    if (!span.cost_usd) return std::nullopt;
    return *span.cost_usd;
  }
  if (const std::string* text = TextField(span, field)) return *text;
  return *CountField(span, field);
}

// Whether `value` is exactly what FieldValue gives (doubles bit for bit), without copying it.
bool SameAsField(const Span& span, Field field, const AttributeValue& value) {
  if (field == Field::kKindName) {
    // Only kinds that decode as themselves (out-of-range ones decode as kUnknown).
    const auto* s = std::get_if<std::string>(&value);
    return static_cast<int>(span.kind) < kSpanKindCount && s != nullptr &&
           *s == SpanKindName(span.kind);
  }
  if (field == Field::kCost) {
    const auto* d = std::get_if<double>(&value);
    return d != nullptr && span.cost_usd && std::memcmp(d, &*span.cost_usd, 8) == 0;
  }
  if (const std::string* text = TextField(span, field)) {
    const auto* s = std::get_if<std::string>(&value);
    return s != nullptr && *s == *text;
  }
  const auto* i = std::get_if<int64_t>(&value);
  return i != nullptr && *i == *CountField(span, field);
}

// kDerivedKeys by key length: for each length, a bit per entry of that length. Every attribute
// of every span is looked up, so most keys are turned away by their length alone.
constexpr size_t kMaxDerivedKeySize = 48;
using KeysOfLength = std::array<uint32_t, kMaxDerivedKeySize + 1>;
constexpr KeysOfLength MakeKeysOfLength() {
  KeysOfLength by_length{};
  for (size_t k = 0; k < kDerivedKeyCount; ++k) by_length[kDerivedKeys[k].key.size()] |= 1u << k;
  return by_length;
}
constexpr KeysOfLength kKeysOfLength = MakeKeysOfLength();
static_assert(kDerivedKeyCount <= 32);

// The number (1-based) of the kDerivedKeys entry `a` repeats, or 0.
uint8_t DerivedKeyOf(const Span& span, const Attribute& a) {
  if (a.key.size() > kMaxDerivedKeySize) return 0;
  for (uint32_t bits = kKeysOfLength[a.key.size()]; bits != 0; bits &= bits - 1) {
    const int k = std::countr_zero(bits);
    if (a.key == kDerivedKeys[k].key) {
      return SameAsField(span, kDerivedKeys[k].field, a.value) ? static_cast<uint8_t>(k + 1) : 0;
    }
  }
  return 0;
}

// A string value at least this long that equals an earlier string value of the same span's
// attributes (OpenInference repeats a call's input as `input.value` and as the message content)
// is stored as the earlier attribute's position.
constexpr size_t kMinRepeatedString = 16;

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

// Writes a record into a per-thread scratch buffer through a raw pointer, each write checked
// against the buffer's end, and Finish() appends it to `out` in one piece: a record is ~60 small
// writes, and appending each to a std::string checked and maybe grew the string every time
// (BM_EncodeRecords: +15-24%). One Writer per thread at a time: they share the scratch.
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out), scratch_(Scratch()) {
    p_ = scratch_.data.get();
    end_ = p_ + scratch_.size;
  }
  ~Writer() {
    if (scratch_.size > kMaxKeptScratch) scratch_ = ScratchBuffer{};  // a huge span's
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void Byte(uint8_t b) {
    Ensure(1);
    *p_++ = static_cast<char>(b);
  }
  void Bytes(const void* p, size_t n) {
    if (n == 0) return;  // `p` may be null when n is 0
    Ensure(n);
    std::memcpy(p_, p, n);
    p_ += n;
  }
  void Varint(uint64_t v) {
    Ensure(10);
    while (v >= 0x80) {
      *p_++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void Signed(int64_t v) { Varint(ZigZag(v)); }
  void Double(double d) { Bytes(&d, 8); }
  void String(std::string_view s) {
    Varint(s.size());
    Bytes(s.data(), s.size());
  }
  // Appends what was written to `out`.
  void Finish() {
    const char* begin = scratch_.data.get();
    if (p_ != begin) out_->append(begin, static_cast<size_t>(p_ - begin));
  }

  void Attributes(const roost::Attributes& attrs) {
    Varint(attrs.size());
    for (const Attribute& a : attrs) {
      String(a.key);
      Value(a.value);
    }
  }

  // The span's own attributes: those repeating a typed field become a reference to it, and long
  // strings repeating an earlier attribute's value a reference to that attribute.
  void SpanAttributes(const Span& span) {
    const roost::Attributes& attrs = span.attributes;
    Varint(attrs.size());
    for (size_t i = 0; i < attrs.size(); ++i) {
      const Attribute& a = attrs[i];
      if (const uint8_t derived = DerivedKeyOf(span, a); derived != 0) {
        Byte(0);
        Byte(derived);
        continue;
      }
      if (a.key.empty()) {
        Byte(0);
        Byte(kLiteralEmptyKey);
      } else {
        String(a.key);
      }
      if (const auto* text = std::get_if<std::string>(&a.value);
          text != nullptr && text->size() >= kMinRepeatedString) {
        if (const std::optional<size_t> earlier = EarlierString(attrs, i, *text)) {
          Byte(kSameStringAs);
          Varint(*earlier);
          continue;
        }
      }
      Value(a.value);
    }
  }

 private:
  static std::optional<size_t> EarlierString(const roost::Attributes& attrs, size_t i,
                                             const std::string& text) {
    for (size_t j = 0; j < i; ++j) {
      const auto* other = std::get_if<std::string>(&attrs[j].value);
      if (other != nullptr && other->size() == text.size() && *other == text) return j;
    }
    return std::nullopt;
  }

  void Value(const AttributeValue& value) {
    switch (value.index()) {
      case 1:
        Byte(kString);
        String(std::get<std::string>(value));
        break;
      case 2:
        Byte(kBool);
        Byte(std::get<bool>(value) ? 1 : 0);
        break;
      case 3:
        Byte(kInt);
        Signed(std::get<int64_t>(value));
        break;
      case 4:
        Byte(kDouble);
        Double(std::get<double>(value));
        break;
      case 5: {
        const auto& v = std::get<std::vector<std::string>>(value);
        Byte(kStringArray);
        Varint(v.size());
        for (const std::string& s : v) String(s);
        break;
      }
      case 6: {
        const auto& v = std::get<std::vector<bool>>(value);
        Byte(kBoolArray);
        Varint(v.size());
        for (bool b : v) Byte(b ? 1 : 0);
        break;
      }
      case 7: {
        const auto& v = std::get<std::vector<int64_t>>(value);
        Byte(kIntArray);
        Varint(v.size());
        for (int64_t x : v) Signed(x);
        break;
      }
      case 8: {
        const auto& v = std::get<std::vector<double>>(value);
        Byte(kDoubleArray);
        Varint(v.size());
        Bytes(v.data(), 8 * v.size());
        break;
      }
      default:
        Byte(kNone);
        break;
    }
  }

  struct ScratchBuffer {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };
  static constexpr size_t kMaxKeptScratch = size_t{1} << 20;
  static ScratchBuffer& Scratch() {
    thread_local ScratchBuffer scratch;
    return scratch;
  }
  // Makes room for `n` more bytes, keeping what was written.
  void Ensure(size_t n) {
    if (static_cast<size_t>(end_ - p_) >= n) return;
    const size_t used = static_cast<size_t>(p_ - scratch_.data.get());
    const size_t size = std::max({size_t{4096}, 2 * scratch_.size, used + n});
    auto data = std::make_unique_for_overwrite<char[]>(size);
    if (used > 0) std::memcpy(data.get(), scratch_.data.get(), used);
    scratch_.data = std::move(data);
    scratch_.size = size;
    p_ = scratch_.data.get() + used;
    end_ = scratch_.data.get() + size;
  }

  std::string* out_;
  ScratchBuffer& scratch_;
  char* p_ = nullptr;
  char* end_ = nullptr;
};

// Bounds-checked reading: the first failure sticks, and every later read returns zeros.
class Reader {
 public:
  explicit Reader(std::string_view bytes)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), end_(p_ + bytes.size()) {}

  bool ok() const { return ok_; }
  bool done() const { return ok_ && p_ == end_; }

  uint8_t Byte() {
    if (!Need(1)) return 0;
    return *p_++;
  }
  void Bytes(void* out, size_t n) {
    if (n == 0) return;  // `out` may be an empty vector's null data()
    if (!Need(n)) {
      std::memset(out, 0, n);
      return;
    }
    std::memcpy(out, p_, n);
    p_ += n;
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!Need(1)) return 0;
      const uint8_t b = *p_++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
    ok_ = false;  // more than 10 bytes
    return 0;
  }
  int64_t Signed() { return UnZigZag(Varint()); }
  double Double() {
    double d = 0;
    Bytes(&d, 8);
    return d;
  }
  uint8_t Peek() { return Need(1) ? *p_ : 0; }
  void String(std::string* out) { StringOfSize(Varint(), out); }
  void StringOfSize(uint64_t n, std::string* out) {
    if (!Need(n)) {
      out->clear();
      return;
    }
    out->assign(reinterpret_cast<const char*>(p_), n);
    p_ += n;
  }
  // A count of items that each take at least `min_bytes`: damaged counts cannot make the
  // decoder allocate more than the record's size.
  size_t Count(size_t min_bytes = 1) {
    const uint64_t n = Varint();
    if (n > static_cast<uint64_t>(end_ - p_) / min_bytes) {
      ok_ = false;
      return 0;
    }
    return static_cast<size_t>(n);
  }

  void Attributes(roost::Attributes* out) {
    out->resize(Count(2));
    for (Attribute& a : *out) {
      String(&a.key);
      Value(&a.value);
    }
  }

  // Writer::SpanAttributes' encoding. REQUIRES: the span's typed fields are decoded.
  void SpanAttributes(Span* span) {
    roost::Attributes& attrs = span->attributes;
    attrs.resize(Count(2));
    for (size_t i = 0; i < attrs.size() && ok_; ++i) {
      Attribute& a = attrs[i];
      const uint64_t key_size = Varint();
      if (key_size == 0) {
        const uint8_t derived = Byte();
        if (derived > kDerivedKeyCount) {
          ok_ = false;
          break;
        }
        if (derived != kLiteralEmptyKey) {
          const DerivedKey& d = kDerivedKeys[derived - 1];
          std::optional<AttributeValue> value = FieldValue(*span, d.field);
          if (!value) {
            ok_ = false;  // a cost reference on a span without one
            break;
          }
          a.key.assign(d.key);
          a.value = std::move(*value);
          continue;
        }
        a.key.clear();
      } else {
        StringOfSize(key_size, &a.key);
      }
      if (Peek() == kSameStringAs) {
        Byte();
        const uint64_t earlier = Varint();
        const std::string* text =
            earlier < i ? std::get_if<std::string>(&attrs[earlier].value) : nullptr;
        if (text == nullptr) {
          ok_ = false;
          break;
        }
        Holding<std::string>(&a.value) = *text;
        continue;
      }
      Value(&a.value);
    }
  }

 private:
  bool Need(uint64_t n) {
    if (ok_ && n <= static_cast<uint64_t>(end_ - p_)) return true;
    ok_ = false;
    return false;
  }

  // The member of `value` holding a T, made the active one if it is not (its memory is reused
  // when it already is).
  template <typename T>
  static T& Holding(AttributeValue* value) {
    if (T* held = std::get_if<T>(value)) return *held;
    return value->emplace<T>();
  }

  void Value(AttributeValue* out) {
    switch (Byte()) {
      case kNone:
        *out = std::monostate{};
        break;
      case kString:
        String(&Holding<std::string>(out));
        break;
      case kBool:
        *out = Byte() != 0;
        break;
      case kInt:
        *out = Signed();
        break;
      case kDouble:
        *out = Double();
        break;
      case kStringArray: {
        auto& v = Holding<std::vector<std::string>>(out);
        v.resize(Count());
        for (std::string& s : v) String(&s);
        break;
      }
      case kBoolArray: {
        auto& v = Holding<std::vector<bool>>(out);
        v.resize(Count());
        for (size_t i = 0; i < v.size(); ++i) v[i] = Byte() != 0;
        break;
      }
      case kIntArray: {
        auto& v = Holding<std::vector<int64_t>>(out);
        v.resize(Count());
        for (int64_t& x : v) x = Signed();
        break;
      }
      case kDoubleArray: {
        auto& v = Holding<std::vector<double>>(out);
        v.resize(Count(8));
        Bytes(v.data(), 8 * v.size());
        break;
      }
      default:
        ok_ = false;
        *out = std::monostate{};
        break;
    }
  }

  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

template <typename E>
E EnumOr(uint8_t v, int count) {
  return static_cast<E>(v < count ? v : 0);
}

}  // namespace

void AppendSpanRecord(const Span& span, std::string* out) {
  Writer w(out);
  w.Byte(static_cast<uint8_t>((span.parent_span_id ? kHasParent : 0) |
                              (span.cost_usd ? kHasCost : 0)));
  w.Bytes(span.trace_id.bytes.data(), 16);
  w.Bytes(span.span_id.bytes.data(), 8);
  if (span.parent_span_id) w.Bytes(span.parent_span_id->bytes.data(), 8);
  w.Byte(static_cast<uint8_t>(span.kind));
  w.Byte(static_cast<uint8_t>(span.otel_kind));
  w.Byte(static_cast<uint8_t>(span.status_code));
  w.Signed(span.start_unix_nano);
  // Wrapping difference: any end decodes back exactly.
  w.Signed(static_cast<int64_t>(static_cast<uint64_t>(span.end_unix_nano) -
                                static_cast<uint64_t>(span.start_unix_nano)));
  for (const std::string* s : {&span.trace_state, &span.name, &span.status_message, &span.project,
                               &span.session_id, &span.user_id, &span.model_name, &span.provider}) {
    w.String(*s);
  }
  for (int64_t t : {span.prompt_tokens, span.completion_tokens, span.total_tokens,
                    span.cache_read_tokens, span.cache_write_tokens, span.prompt_audio_tokens,
                    span.reasoning_tokens, span.completion_audio_tokens}) {
    w.Signed(t);
  }
  if (span.cost_usd) w.Double(*span.cost_usd);
  w.SpanAttributes(span);
  w.Varint(span.events.size());
  for (const SpanEvent& e : span.events) {
    w.String(e.name);
    w.Signed(e.time_unix_nano);
    w.Attributes(e.attributes);
  }
  w.Varint(span.links.size());
  for (const SpanLink& l : span.links) {
    w.Bytes(l.trace_id.bytes.data(), 16);
    w.Bytes(l.span_id.bytes.data(), 8);
    w.String(l.trace_state);
    w.Attributes(l.attributes);
  }
  w.Attributes(span.resource_attributes);
  w.String(span.scope.name);
  w.String(span.scope.version);
  w.Attributes(span.scope.attributes);
  w.Finish();
}

std::string EncodeSpanRecord(const Span& span) {
  std::string out;
  AppendSpanRecord(span, &out);
  return out;
}

Status DecodeSpanRecordInto(std::string_view bytes, Span* span) {
  Reader r(bytes);
  const uint8_t flags = r.Byte();
  if (flags > (kHasParent | kHasCost)) return Status::Corruption("span record has unknown flags");
  r.Bytes(span->trace_id.bytes.data(), 16);
  r.Bytes(span->span_id.bytes.data(), 8);
  span->parent_span_id.reset();
  if (flags & kHasParent) r.Bytes(span->parent_span_id.emplace().bytes.data(), 8);
  span->kind = EnumOr<SpanKind>(r.Byte(), kSpanKindCount);
  span->otel_kind = EnumOr<OtelSpanKind>(r.Byte(), 6);
  span->status_code = EnumOr<StatusCode>(r.Byte(), 3);
  span->start_unix_nano = r.Signed();
  span->end_unix_nano = static_cast<int64_t>(static_cast<uint64_t>(span->start_unix_nano) +
                                             static_cast<uint64_t>(r.Signed()));
  for (std::string* s : {&span->trace_state, &span->name, &span->status_message, &span->project,
                         &span->session_id, &span->user_id, &span->model_name, &span->provider}) {
    r.String(s);
  }
  for (int64_t* t :
       {&span->prompt_tokens, &span->completion_tokens, &span->total_tokens,
        &span->cache_read_tokens, &span->cache_write_tokens, &span->prompt_audio_tokens,
        &span->reasoning_tokens, &span->completion_audio_tokens}) {
    *t = r.Signed();
  }
  span->cost_usd.reset();
  if (flags & kHasCost) span->cost_usd = r.Double();
  r.SpanAttributes(span);
  span->events.resize(r.Count(3));
  for (SpanEvent& e : span->events) {
    r.String(&e.name);
    e.time_unix_nano = r.Signed();
    r.Attributes(&e.attributes);
  }
  span->links.resize(r.Count(26));
  for (SpanLink& l : span->links) {
    r.Bytes(l.trace_id.bytes.data(), 16);
    r.Bytes(l.span_id.bytes.data(), 8);
    r.String(&l.trace_state);
    r.Attributes(&l.attributes);
  }
  r.Attributes(&span->resource_attributes);
  r.String(&span->scope.name);
  r.String(&span->scope.version);
  r.Attributes(&span->scope.attributes);
  if (!r.ok()) return Status::Corruption("span record is truncated or malformed");
  if (!r.done()) return Status::Corruption("span record has trailing bytes");
  return Status::OK();
}

Result<Span> DecodeSpanRecord(std::string_view bytes) {
  Span span;
  if (Status s = DecodeSpanRecordInto(bytes, &span); !s.ok()) return s;
  return span;
}

Status DecodeRecordInto(RecordFormat format, std::string_view bytes, Span* span) {
  return format == RecordFormat::kFlatBuffers ? DecodeFlatSpanRecordInto(bytes, span)
                                              : DecodeSpanRecordInto(bytes, span);
}

Result<Span> DecodeRecord(RecordFormat format, std::string_view bytes) {
  Span span;
  if (Status s = DecodeRecordInto(format, bytes, &span); !s.ok()) return s;
  return span;
}

}  // namespace roost::internal
