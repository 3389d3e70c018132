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

TEST(RecordCodecTest, TrailingBytesAreCorruption) {
  const std::string bytes = EncodeSpanRecord(MakeFullSpan(1, 2, kBaseTime));
  EXPECT_THAT(DecodeSpanRecord(bytes + '\0'), IsError(Status::Code::kCorruption, "trailing"));
}

TEST(RecordCodecTest, EveryTruncationIsCorruption) {
  const std::string bytes = EncodeSpanRecord(MakeFullSpan(1, 2, kBaseTime));
  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::string prefix = bytes.substr(0, n);  // its own, aligned, buffer
    EXPECT_THAT(DecodeSpanRecord(prefix), IsError(Status::Code::kCorruption, "")) << n;
  }
}

TEST(RecordCodecTest, DamagedBytesDecodeOrFailButNeverCrash) {
  const std::string bytes = EncodeSpanRecord(MakeFullSpan(1, 2, kBaseTime));
  std::mt19937 rng(17);
  int failed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string damaged = bytes;
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
