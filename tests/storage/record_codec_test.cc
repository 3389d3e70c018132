#include "storage/internal/record_codec.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/internal/flat_record_codec.h"
#include "storage/internal/record_pack.h"
#include "tests/storage/test_util.h"

namespace roost::internal {
namespace {

using test::IsError;
using test::IsOk;
using test::kBaseTime;
using test::MakeFullSpan;
using test::MakeSpan;

TEST(RecordCodecTest, FullSpanRoundTrips) {
  const Span span = MakeFullSpan(1, 2, kBaseTime);
  const std::string bytes = EncodeSpanRecord(span);
  Result<Span> decoded = DecodeSpanRecord(bytes);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, span);
}

TEST(RecordCodecTest, BareSpanRoundTripsWithAbsentFieldsAbsent) {
  Span span = MakeSpan(1, 2, kBaseTime);
  span.name.clear();
  span.otel_kind = OtelSpanKind::kUnspecified;
  Result<Span> decoded = DecodeSpanRecord(EncodeSpanRecord(span));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, span);
  EXPECT_FALSE(decoded->parent_span_id.has_value());
  EXPECT_FALSE(decoded->cost_usd.has_value());
}

// Records are written through a per-thread scratch buffer that grows for big spans (and is not
// kept past 1 MiB): records of every size, in any order, come back whole, and appending to a
// non-empty string keeps what it held.
TEST(RecordCodecTest, RecordsOfEverySizeRoundTripThroughTheScratchBuffer) {
  std::vector<Span> spans;
  for (size_t bytes : {size_t{0}, size_t{100}, size_t{5000}, size_t{3} << 20, size_t{10},
                       size_t{70000}, size_t{2} << 20, size_t{1}}) {
    Span span = MakeFullSpan(static_cast<int>(spans.size()) + 1, 2, kBaseTime);
    span.attributes.push_back({"big", std::string(bytes, 'x')});
    for (int i = 0; i < 50; ++i) span.attributes.push_back({"k" + std::to_string(i), int64_t{i}});
    spans.push_back(std::move(span));
  }
  std::string all = "prefix";
  std::vector<size_t> ends;
  for (const Span& span : spans) {
    AppendSpanRecord(span, &all);
    ends.push_back(all.size());
  }
  ASSERT_EQ(all.substr(0, 6), "prefix");
  size_t begin = 6;
  for (size_t i = 0; i < spans.size(); ++i) {
    Result<Span> decoded = DecodeSpanRecord(std::string_view(all).substr(begin, ends[i] - begin));
    ASSERT_THAT(decoded, IsOk()) << i;
    EXPECT_EQ(*decoded, spans[i]) << i;
    EXPECT_EQ(EncodeSpanRecord(spans[i]), all.substr(begin, ends[i] - begin)) << i;
    begin = ends[i];
  }
}

// Decoding into a Span that held another (larger) span replaces every field.
TEST(RecordCodecTest, DecodingIntoAUsedSpanReplacesEveryField) {
  const Span full = MakeFullSpan(1, 2, kBaseTime);
  Span bare = MakeSpan(3, 4, kBaseTime + 5);
  bare.attributes.insert(bare.attributes.begin(), {"first", std::vector<int64_t>{1, 2}});
  Span reused;
  ASSERT_THAT(DecodeSpanRecordInto(EncodeSpanRecord(full), &reused), IsOk());
  EXPECT_EQ(reused, full);
  ASSERT_THAT(DecodeSpanRecordInto(EncodeSpanRecord(bare), &reused), IsOk());
  EXPECT_EQ(reused, bare);
  ASSERT_THAT(DecodeSpanRecordInto(EncodeSpanRecord(full), &reused), IsOk());
  EXPECT_EQ(reused, full);
}

TEST(RecordCodecTest, ZeroCostStaysPresent) {
  Span span = MakeSpan(1, 2, kBaseTime);
  span.cost_usd = 0.0;
  Result<Span> decoded = DecodeSpanRecord(EncodeSpanRecord(span));
  ASSERT_THAT(decoded, IsOk());
  ASSERT_TRUE(decoded->cost_usd.has_value());
  EXPECT_EQ(*decoded->cost_usd, 0.0);
}

TEST(RecordCodecTest, OutOfRangeEnumsDecodeAsTheirDefaults) {
  Span span = MakeSpan(1, 2, kBaseTime);
  span.kind = static_cast<SpanKind>(200);
  span.otel_kind = static_cast<OtelSpanKind>(9);
  span.status_code = static_cast<StatusCode>(3);
  Result<Span> decoded = DecodeSpanRecord(EncodeSpanRecord(span));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->kind, SpanKind::kUnknown);
  EXPECT_EQ(decoded->otel_kind, OtelSpanKind::kUnspecified);
  EXPECT_EQ(decoded->status_code, StatusCode::kUnset);
}

TEST(RecordCodecTest, FlatBuffersRecordsStillDecode) {
  const Span span = MakeFullSpan(1, 2, kBaseTime);
  Result<Span> decoded = DecodeRecord(RecordFormat::kFlatBuffers, EncodeFlatSpanRecord(span));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, span);
}

TEST(RecordCodecTest, ExtremeValuesRoundTrip) {
  Span span = MakeFullSpan(1, 2, kBaseTime);
  span.start_unix_nano = std::numeric_limits<int64_t>::max();
  span.end_unix_nano = std::numeric_limits<int64_t>::min();
  span.prompt_tokens = -1;
  span.total_tokens = std::numeric_limits<int64_t>::min();
  span.cost_usd = -0.0;
  span.attributes.push_back({"big", std::numeric_limits<int64_t>::min()});
  span.attributes.push_back({"nan", std::vector<double>{1.5, -2.25}});
  span.attributes.push_back({"flags", std::vector<bool>{true, false, true}});
  span.attributes.push_back({"none", std::monostate{}});
  span.attributes.push_back({std::string(300, 'k'), std::string(70000, 'v')});
  Result<Span> decoded = DecodeSpanRecord(EncodeSpanRecord(span));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, span);
  EXPECT_TRUE(std::signbit(*decoded->cost_usd));
}

// An LLM span as OpenInference instrumentation sends it: the typed fields repeat attributes,
// and the call's input appears twice.
Span ConventionalSpan() {
  Span s = MakeFullSpan(1, 2, kBaseTime);  // every typed field set
  const std::string input = "What is the capital of France? Answer in one word.";
  s.attributes = {
      {"openinference.span.kind", std::string(SpanKindName(s.kind))},
      {"session.id", s.session_id},
      {"user.id", s.user_id},
      {"llm.model_name", s.model_name},
      {"llm.provider", s.provider},
      {"input.value", input},
      {"llm.input_messages.0.message.content", input},
      {"llm.token_count.prompt", s.prompt_tokens},
      {"llm.token_count.completion", s.completion_tokens},
      {"llm.token_count.total", s.total_tokens},
      {"llm.token_count.prompt_details.cache_read", s.cache_read_tokens},
      {"llm.token_count.completion_details.reasoning", s.reasoning_tokens},
      {"llm.cost.total", *s.cost_usd},
      {"gen_ai.request.model", s.model_name},
      {"gen_ai.usage.input_tokens", s.prompt_tokens},
      {"output.value", std::string("Paris")},
      {"llm.output_messages.0.message.content", std::string("Paris")},
  };
  return s;
}

// Size of the record of `span` with its attribute values made unlike anything else.
size_t UnsharedRecordSize(Span span) {
  for (size_t i = 0; i < span.attributes.size(); ++i) {
    AttributeValue& v = span.attributes[i].value;
    if (auto* text = std::get_if<std::string>(&v)) {
      text->back() = static_cast<char>('A' + i);  // no longer equal to a field or to each other
    } else if (auto* n = std::get_if<int64_t>(&v)) {
      *n += 1000;
    } else if (auto* d = std::get_if<double>(&v)) {
      *d += 1;
    }
  }
  return EncodeSpanRecord(span).size();
}

TEST(RecordCodecTest, AttributesRepeatingFieldsOrEarlierValuesRoundTripExactlyAndSmaller) {
  const Span span = ConventionalSpan();
  const std::string bytes = EncodeSpanRecord(span);
  Result<Span> decoded = DecodeSpanRecord(bytes);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, span);
  // 14 references to typed fields (2 bytes each instead of key and value) and the repeated input
  // (its position instead of 51 bytes); "Paris" is too short to be referred to.
  EXPECT_LT(bytes.size() + 300, UnsharedRecordSize(span)) << bytes.size();
  // Decoding into a span holding other values replaces every one of them.
  Span reused = MakeFullSpan(7, 8, kBaseTime);
  ASSERT_THAT(DecodeSpanRecordInto(bytes, &reused), IsOk());
  EXPECT_EQ(reused, span);
}

TEST(RecordCodecTest, AttributesThatOnlyLookLikeFieldsAreStoredAsTheyAre) {
  Span span = ConventionalSpan();
  span.attributes = {
      {"session.id", std::string("another-session")},           // differs from the field
      {"llm.token_count.prompt", std::string("1234")},          // a string, the field an int
      {"llm.token_count.completion", 56.0},                     // a double
      {"openinference.span.kind", std::string("llm")},          // another spelling
      {"llm.cost.total", -0.0},                                 // the cost is 0.004321
      {"llm.model_name", std::monostate{}},                     // no value
      {"user.id", std::vector<std::string>{"user-42"}},         // an array
      {"", std::string("an empty key, kept as it is")},         // an empty key
      {"llm.provider", span.provider},                          // this one is the field
      {"again", std::string("an empty key, kept as it is")},    // repeats an earlier value
      {"copy", std::vector<std::string>{"not a repeat here"}},  // arrays are never shared
  };
  Result<Span> decoded = DecodeSpanRecord(EncodeSpanRecord(span));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, span);
  // Costs are compared bit for bit: -0.0 is not the span's 0.0.
  span.cost_usd = 0.0;
  span.attributes = {{"llm.cost.total", -0.0}};
  decoded = DecodeSpanRecord(EncodeSpanRecord(span));
  ASSERT_THAT(decoded, IsOk());
  ASSERT_EQ(decoded->attributes.size(), 1u);
  EXPECT_TRUE(std::signbit(std::get<double>(decoded->attributes[0].value)));
  // A kind out of range decodes as UNKNOWN, so "UNKNOWN" is not taken from it, nor a missing cost.
  span.kind = static_cast<SpanKind>(77);
  span.cost_usd.reset();
  span.attributes = {{"openinference.span.kind", std::string("UNKNOWN")}, {"llm.cost.total", 0.5}};
  decoded = DecodeSpanRecord(EncodeSpanRecord(span));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->attributes, span.attributes);
  // Events, links, resources and scopes keep their attributes literally.
  span = ConventionalSpan();
  span.resource_attributes = span.attributes;
  span.events.push_back({"exception", kBaseTime, span.attributes});
  decoded = DecodeSpanRecord(EncodeSpanRecord(span));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, span);
}

TEST(RecordCodecTest, BadFieldOrAttributeReferencesAreCorruption) {
  Span span = MakeSpan(1, 2, kBaseTime);
  span.attributes = {{"x", std::string("sixteen or more bytes")}};
  const std::string plain = EncodeSpanRecord(span);
  // The record ends with: attribute count 1, key "x", kString, the value, then 0 events,
  // 0 links, 0 resource attributes, empty scope name and version, 0 scope attributes.
  const size_t attrs_at = plain.size() - 6 - (1 + 1 + 1 + 1 + 1 + 21);
  ASSERT_EQ(plain[attrs_at], '\x01');
  const std::string tail = plain.substr(plain.size() - 6);
  const auto with_attrs = [&](std::string attrs) {
    return plain.substr(0, attrs_at) + attrs + tail;
  };
  ASSERT_THAT(DecodeSpanRecord(with_attrs(plain.substr(attrs_at, plain.size() - 6 - attrs_at))),
              IsOk());
  // A field number past the table, and a reference to the cost of a span without one.
  EXPECT_THAT(DecodeSpanRecord(with_attrs(std::string("\x01\x00\x7f", 3))),
              IsError(Status::Code::kCorruption, ""));
  EXPECT_THAT(DecodeSpanRecord(with_attrs(std::string("\x01\x00\x0e", 3))),
              IsError(Status::Code::kCorruption, ""));
  // A value referring to itself (also when decoding into a span whose attribute there holds a
  // string already), to a later attribute, and to a non-string one.
  EXPECT_THAT(DecodeSpanRecord(with_attrs(std::string("\x01\x01k\x09\x00", 5))),
              IsError(Status::Code::kCorruption, ""));
  Span reused = span;
  EXPECT_THAT(DecodeSpanRecordInto(with_attrs(std::string("\x01\x01k\x09\x00", 5)), &reused),
              IsError(Status::Code::kCorruption, ""));
  EXPECT_THAT(DecodeSpanRecord(with_attrs(std::string("\x02\x01k\x09\x01\x01j\x00", 8))),
              IsError(Status::Code::kCorruption, ""));
  EXPECT_THAT(DecodeSpanRecord(with_attrs(std::string("\x02\x01k\x03\x02\x01j\x09\x00", 9))),
              IsError(Status::Code::kCorruption, ""));
  // A reference outside span attributes (here in the resource's).
  std::string in_resource = plain;
  in_resource.replace(in_resource.size() - 4, 1, std::string("\x01\x01r\x09\x00", 5));
  EXPECT_THAT(DecodeSpanRecord(in_resource), IsError(Status::Code::kCorruption, ""));
  // And the well-formed ones decode.
  Result<Span> ok =
      DecodeSpanRecord(with_attrs(std::string("\x02\x01k\x01\x01v\x01j\x09\x00", 10)));
  ASSERT_THAT(ok, IsOk());
  ASSERT_EQ(ok->attributes.size(), 2u);
  EXPECT_EQ(ok->attributes[1], (Attribute{"j", std::string("v")}));
  ok = DecodeSpanRecord(with_attrs(std::string("\x01\x00\x02", 3)));
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->attributes, (Attributes{{"session.id", std::string()}}));
}

TEST(RecordCodecTest, TrailingBytesAreCorruption) {
  const std::string bytes = EncodeSpanRecord(MakeFullSpan(1, 2, kBaseTime));
  EXPECT_THAT(DecodeSpanRecord(bytes + '\0'), IsError(Status::Code::kCorruption, "trailing"));
}

TEST(RecordCodecTest, EveryTruncationIsCorruption) {
  for (const Span& span : {MakeFullSpan(1, 2, kBaseTime), ConventionalSpan()}) {
    const std::string bytes = EncodeSpanRecord(span);
    for (size_t n = 0; n < bytes.size(); ++n) {
      const std::string prefix = bytes.substr(0, n);  // its own, aligned, buffer
      EXPECT_THAT(DecodeSpanRecord(prefix), IsError(Status::Code::kCorruption, "")) << n;
    }
  }
}

TEST(RecordCodecTest, DamagedBytesDecodeOrFailButNeverCrash) {
  const std::string full = EncodeSpanRecord(MakeFullSpan(1, 2, kBaseTime));
  const std::string conventional = EncodeSpanRecord(ConventionalSpan());
  std::mt19937 rng(17);
  int failed = 0;
  for (int i = 0; i < 6000; ++i) {
    std::string damaged = i % 2 == 0 ? full : conventional;
    for (uint32_t k = 0, n = 1 + rng() % 4; k < n; ++k) {
      damaged[rng() % damaged.size()] = static_cast<char>(rng());
    }
    Result<Span> decoded = DecodeSpanRecord(damaged);
    if (!decoded.ok()) {
      EXPECT_THAT(decoded, IsError(Status::Code::kCorruption, ""));
      ++failed;
    }
  }
  EXPECT_GT(failed, 0);
}

TEST(RecordPackTest, FlatBuffersRecordsRoundTripEightByteAligned) {
  std::vector<std::string> records;
  for (size_t len : {0, 1, 7, 8, 9, 100, 4096}) records.push_back(std::string(len, 'a' + len % 26));
  RecordPackBuilder builder(0, RecordFormat::kFlatBuffers);
  for (const std::string& r : records) builder.Add(r);
  EXPECT_EQ(builder.count(), records.size());
  const std::string pack = builder.Finish();
  EXPECT_EQ(builder.count(), 0u);
  Result<RecordPackReader> reader = RecordPackReader::Open(pack);
  ASSERT_THAT(reader, IsOk());
  EXPECT_EQ(reader->format(), RecordFormat::kFlatBuffers);
  ASSERT_EQ(reader->count(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const std::string_view got = reader->Record(i);
    EXPECT_EQ(got.substr(0, records[i].size()), records[i]) << i;
    EXPECT_LT(got.size(), records[i].size() + 8) << i;
    EXPECT_EQ((got.data() - pack.data()) % 8, 0) << i;
  }
}

TEST(RecordPackTest, CompactRecordsRoundTripExactly) {
  RecordPackBuilder builder;
  const Span full = MakeFullSpan(1, 2, kBaseTime);
  const Span bare = MakeSpan(3, 4, kBaseTime + 9);
  builder.AddSpan(full);
  builder.Add("odd");
  builder.AddSpan(bare);
  const std::string pack = builder.Finish(77);
  EXPECT_EQ(RecordPackTag(pack), 77u);
  Result<RecordPackReader> reader = RecordPackReader::Open(pack);
  ASSERT_THAT(reader, IsOk());
  EXPECT_EQ(reader->format(), RecordFormat::kCompact);
  ASSERT_EQ(reader->count(), 3u);
  EXPECT_EQ(reader->Record(0), EncodeSpanRecord(full));  // no padding between records
  EXPECT_EQ(reader->Record(1), "odd");
  EXPECT_EQ(reader->Record(2), EncodeSpanRecord(bare));
  Result<Span> decoded = DecodeRecord(reader->format(), reader->Record(2));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, bare);
}

// A builder told how many records to expect finishes a pack of exactly that many in place, and
// one of fewer or more by moving them: every pack, built one after another by the same builder,
// holds exactly its records, aligned when the format asks for it.
TEST(RecordPackTest, ExpectedRecordCountDoesNotChangeThePacks) {
  for (RecordFormat format : {RecordFormat::kCompact, RecordFormat::kFlatBuffers}) {
    RecordPackBuilder sized(4, format);
    uint32_t tag = 0;
    int next = 0;
    for (int n : {4, 2, 4, 6, 1, 0, 4}) {
      RecordPackBuilder plain(0, format);
      std::vector<std::string> records;
      for (int i = 0; i < n; ++i, ++next) {
        records.push_back(std::string(static_cast<size_t>(next * 5 % 13), 'a' + next % 26));
        sized.Add(records.back());
        plain.Add(records.back());
      }
      EXPECT_EQ(sized.bytes(), plain.bytes()) << n;
      const std::string pack = sized.Finish(++tag);
      EXPECT_EQ(pack, plain.Finish(tag)) << n;
      EXPECT_EQ(sized.count(), 0u);
      Result<RecordPackReader> reader = RecordPackReader::Open(pack);
      ASSERT_THAT(reader, IsOk()) << n;
      ASSERT_EQ(reader->count(), records.size());
      EXPECT_EQ(RecordPackTag(pack), tag);
      for (size_t i = 0; i < records.size(); ++i) {
        const std::string_view got = reader->Record(i);
        EXPECT_EQ(got.substr(0, records[i].size()), records[i]) << n << " " << i;
        if (format == RecordFormat::kFlatBuffers) {
          EXPECT_EQ((got.data() - pack.data()) % 8, 0) << n << " " << i;
        } else {
          EXPECT_EQ(got.size(), records[i].size()) << n << " " << i;
        }
      }
    }
  }
}

// A pack of `n` full spans (span i: MakeFullSpan(1, 10 + i, kBaseTime + i)).
std::string FullSpanPack(int n, uint32_t tag) {
  RecordPackBuilder builder;
  for (int i = 0; i < n; ++i) builder.AddSpan(MakeFullSpan(1, 10 + i, kBaseTime + i));
  return builder.Finish(tag);
}

TEST(StoredPageTest, CompressedPageRoundTripsAndKeepsItsTagReadable) {
  const std::string pack = FullSpanPack(256, 4242);
  for (int level : {-3, 1, 3, 9}) {
    const std::string stored = CompressPack(pack, level);
    EXPECT_LT(stored.size(), pack.size() / 4) << level;  // the records repeat a lot
    EXPECT_EQ(RecordPackTag(stored), 4242u) << level;
    std::string scratch = "reused";
    Result<std::string_view> opened = OpenStoredPage(stored, &scratch);
    ASSERT_THAT(opened, IsOk()) << level;
    EXPECT_EQ(*opened, pack) << level;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(opened->data()) % 8, 0u);
  }
}

TEST(StoredPageTest, BarePacksAreReadAlignedAsTheyAre) {
  RecordPackBuilder builder(0, RecordFormat::kFlatBuffers);
  builder.Add(EncodeFlatSpanRecord(MakeFullSpan(1, 2, kBaseTime)));
  const std::string pack = builder.Finish(5);
  std::string unaligned = "x" + pack;  // as a RocksDB value may sit anywhere in memory
  const std::string_view value = std::string_view(unaligned).substr(1);
  std::string scratch;
  Result<std::string_view> opened = OpenStoredPage(value, &scratch);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(*opened, pack);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(opened->data()) % 8, 0u);
  Result<RecordPackReader> reader = RecordPackReader::Open(*opened);
  ASSERT_THAT(reader, IsOk());
  EXPECT_EQ(reader->format(), RecordFormat::kFlatBuffers);
  Result<Span> decoded = DecodeRecord(reader->format(), reader->Record(0));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, MakeFullSpan(1, 2, kBaseTime));
}

TEST(StoredPageTest, DamagedCompressedPagesAreCorruptionNeverACrash) {
  const std::string pack = FullSpanPack(40, 1);
  const std::string stored = CompressPack(pack, 3);
  std::string scratch;
  for (size_t n = 4; n < stored.size(); n += 7) {
    EXPECT_THAT(OpenStoredPage(stored.substr(0, n), &scratch),
                IsError(Status::Code::kCorruption, "payload page"))
        << n;
  }
  std::mt19937 rng(5);
  int failed = 0;
  for (int i = 0; i < 500; ++i) {
    std::string damaged = stored;
    // Past the header: zstd, or the frame's checksum of the content, catches what changes the
    // pack (a flipped bit zstd never reads changes nothing).
    damaged[12 + rng() % (damaged.size() - 12)] ^= static_cast<char>(1 + rng() % 255);
    Result<std::string_view> opened = OpenStoredPage(damaged, &scratch);
    if (opened.ok()) {
      EXPECT_EQ(*opened, pack);
    } else {
      EXPECT_THAT(opened, IsError(Status::Code::kCorruption, "payload page"));
      ++failed;
    }
  }
  EXPECT_GT(failed, 450);
}

TEST(StoredPageTest, ReadingUpToARecordGivesExactlyTheFirstRecords) {
  const std::string pack = FullSpanPack(256, 9);
  Result<RecordPackReader> whole = RecordPackReader::Open(pack);
  ASSERT_THAT(whole, IsOk());
  for (int level : {1, 3}) {
    const std::string stored = CompressPack(pack, level);
    for (size_t last : {size_t{0}, size_t{1}, size_t{77}, size_t{254}, size_t{255}, size_t{9999}}) {
      std::string scratch = "reused";
      Result<RecordPackReader> prefix = ReadStoredPageUpTo(stored, last, &scratch);
      ASSERT_THAT(prefix, IsOk()) << level << " " << last;
      ASSERT_EQ(prefix->count(), std::min<size_t>(last + 1, 256)) << last;
      for (size_t i = 0; i < prefix->count(); ++i) {
        ASSERT_EQ(prefix->Record(i), whole->Record(i)) << last << " " << i;
      }
      Result<Span> span = DecodeRecord(prefix->format(), prefix->Record(prefix->count() - 1));
      ASSERT_THAT(span, IsOk());
      EXPECT_EQ(*span, MakeFullSpan(1, 10 + static_cast<int>(prefix->count()) - 1,
                                    kBaseTime + static_cast<int64_t>(prefix->count()) - 1));
    }
  }
  // Bare packs (pages written before compression) are read whole and cut the same way.
  std::string scratch;
  Result<RecordPackReader> bare = ReadStoredPageUpTo(pack, 3, &scratch);
  ASSERT_THAT(bare, IsOk());
  ASSERT_EQ(bare->count(), 4u);
  EXPECT_EQ(bare->Record(3), whole->Record(3));
}

TEST(StoredPageTest, ReadingUpToARecordOfADamagedPageIsCorruptionNeverACrash) {
  const std::string pack = FullSpanPack(60, 1);
  Result<RecordPackReader> whole = RecordPackReader::Open(pack);
  ASSERT_THAT(whole, IsOk());
  const std::string stored = CompressPack(pack, 3);
  std::string scratch;
  int cut_ok = 0;
  int cut_failed = 0;
  for (size_t n = 4; n < stored.size(); n += 5) {
    // A cut past the bytes the first records need may still read them, and must read them right.
    Result<RecordPackReader> r = ReadStoredPageUpTo(stored.substr(0, n), 2, &scratch);
    if (r.ok()) {
      ++cut_ok;
      ASSERT_EQ(r->count(), 3u);
      for (size_t i = 0; i < 3; ++i) EXPECT_EQ(r->Record(i), whole->Record(i)) << n;
    } else {
      ++cut_failed;
      EXPECT_THAT(r, IsError(Status::Code::kCorruption, "payload page")) << n;
    }
    // The last record needs the whole frame, its checksum included.
    EXPECT_THAT(ReadStoredPageUpTo(stored.substr(0, n), 59, &scratch),
                IsError(Status::Code::kCorruption, "payload page"))
        << n;
  }
  EXPECT_GT(cut_ok, 0);
  EXPECT_GT(cut_failed, 0);
  std::mt19937 rng(11);
  for (int i = 0; i < 500; ++i) {
    std::string damaged = stored;
    damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
    const size_t last = rng() % 70;
    Result<RecordPackReader> r = ReadStoredPageUpTo(damaged, last, &scratch);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << i;
      continue;
    }
    // What zstd decodes without its end-of-frame checksum is bounds-checked all the same.
    ASSERT_LE(r->count(), last + 1);
    for (size_t k = 0; k < r->count(); ++k) {
      Result<Span> span = DecodeRecord(r->format(), r->Record(k));
      if (!span.ok()) {
        EXPECT_EQ(span.status().code(), Status::Code::kCorruption);
      }
    }
  }
}

TEST(RecordPackTest, EmptyPackHasNoRecords) {
  RecordPackBuilder builder;
  const std::string pack = builder.Finish();
  Result<RecordPackReader> reader = RecordPackReader::Open(pack);
  ASSERT_THAT(reader, IsOk());
  EXPECT_EQ(reader->count(), 0u);
}

TEST(RecordPackTest, EveryTruncationIsCorruption) {
  RecordPackBuilder builder;
  for (int i = 0; i < 5; ++i) builder.Add(std::string(13 * i, 'x'));
  const std::string pack = builder.Finish();
  for (size_t n = 0; n < pack.size(); ++n) {
    EXPECT_THAT(RecordPackReader::Open(pack.substr(0, n)),
                IsError(Status::Code::kCorruption, "record pack"))
        << n;
  }
}

TEST(RecordPackTest, DamagedHeadersAreCorruption) {
  RecordPackBuilder builder;
  for (int i = 0; i < 3; ++i) builder.Add(std::string(20, 'y'));
  const std::string pack = builder.Finish();
  auto with = [&](size_t at, uint32_t v) {
    std::string out = pack;
    std::memcpy(out.data() + at, &v, 4);
    return out;
  };
  EXPECT_THAT(RecordPackReader::Open(with(0, 0x12345678)),
              IsError(Status::Code::kCorruption, "bad header"));
  EXPECT_THAT(RecordPackReader::Open(with(4, 1u << 30)),
              IsError(Status::Code::kCorruption, "does not fit"));
  EXPECT_THAT(RecordPackReader::Open(with(4, 1000)),
              IsError(Status::Code::kCorruption, "does not fit"));
  EXPECT_THAT(RecordPackReader::Open(with(8 + 4, 3)),  // record 1 before record 0, unaligned
              IsError(Status::Code::kCorruption, "out of order"));
  EXPECT_THAT(RecordPackReader::Open(with(8 + 4 * 3, static_cast<uint32_t>(pack.size() + 8))),
              IsError(Status::Code::kCorruption, "out of order"));
}

}  // namespace
}  // namespace roost::internal
