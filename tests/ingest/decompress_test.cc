#include "ingest/decompress.h"

#include <zlib.h>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/ingest/status_matchers.h"

namespace roost::ingest {
namespace {

using ::roost::testing::IsInvalidArgument;
using ::roost::testing::IsOk;

enum class Format { kGzip, kZlib, kRawDeflate };

// Compresses `count` copies of `data` (streamed, so a 100 MB input needs no 100 MB buffer).
std::string Compress(std::string_view data, Format format, size_t count = 1) {
  z_stream zs{};
  const int bits = format == Format::kGzip   ? 16 + MAX_WBITS
                   : format == Format::kZlib ? MAX_WBITS
                                             : -MAX_WBITS;
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out;
  char buf[1 << 16];
  for (size_t i = 0; i < count; ++i) {
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    const int flush = i + 1 == count ? Z_FINISH : Z_NO_FLUSH;
    int rc = Z_OK;
    do {  // bounded: each pass consumes input or emits output until Z_STREAM_END
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof(buf);
      rc = deflate(&zs, flush);
      out.append(buf, sizeof(buf) - zs.avail_out);
    } while (zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  }
  deflateEnd(&zs);
  return out;
}

const std::string kText = "{\"resourceSpans\":[]} and some more text to compress, repeated. ";

TEST(DecompressTest, IdentityReturnsTheBody) {
  Result<std::string> out = Decompress(kText, ContentEncoding::kIdentity, 1 << 20);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(*out, kText);
}

TEST(DecompressTest, IdentityOverTheLimitIsRejected) {
  EXPECT_THAT(Decompress(kText, ContentEncoding::kIdentity, 10), IsInvalidArgument("10 bytes"));
}

TEST(DecompressTest, GzipRoundTrips) {
  Result<std::string> out =
      Decompress(Compress(kText, Format::kGzip, 1000), ContentEncoding::kGzip, 1 << 20);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->size(), kText.size() * 1000);
  EXPECT_EQ(out->substr(0, kText.size()), kText);
}

TEST(DecompressTest, OutputExactlyAtTheLimitIsAccepted) {
  Result<std::string> out =
      Decompress(Compress(kText, Format::kGzip), ContentEncoding::kGzip, kText.size());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(*out, kText);
}

TEST(DecompressTest, GzipBombIsRejectedNamingTheLimit) {
  const std::string zeros(1 << 20, '\0');
  const std::string bomb = Compress(zeros, Format::kGzip, 100);  // 100 MiB of zeros
  ASSERT_LT(bomb.size(), 1u << 20);
  EXPECT_THAT(Decompress(bomb, ContentEncoding::kGzip, 10 << 20),
              IsInvalidArgument("limit of 10485760 bytes"));
}

// `grow` is asked for every byte the output buffer takes, before it takes it; a refusal stops
// decompression with kUnavailable (retry later), not the limit's error.
TEST(DecompressTest, GrowIsAskedForEveryByteOfOutputAndMayRefuse) {
  const std::string zeros(3 << 20, '\0');
  const std::string gzipped = Compress(zeros, Format::kGzip);
  for (ContentEncoding enc : {ContentEncoding::kGzip, ContentEncoding::kIdentity}) {
    SCOPED_TRACE(enc == ContentEncoding::kGzip ? "gzip" : "identity");
    const std::string& body = enc == ContentEncoding::kGzip ? gzipped : zeros;
    size_t asked = 0;
    Result<std::string> out = Decompress(body, enc, size_t{8} << 20, [&](size_t n) {
      asked += n;
      return true;
    });
    ASSERT_THAT(out, IsOk());
    EXPECT_GE(asked, out->size());
    EXPECT_LE(asked, 2 * out->size() + (64 << 10));  // buffers double; the last is cut to size
    size_t allowed = 0;
    out = Decompress(body, enc, size_t{8} << 20, [&](size_t n) {
      if (allowed + n > (size_t{1} << 20)) return false;
      allowed += n;
      return true;
    });
    ASSERT_FALSE(out.ok());
    EXPECT_TRUE(out.status().IsUnavailable()) << out.status().ToString();
    EXPECT_LE(allowed, size_t{1} << 20);
  }
}

TEST(DecompressTest, ConcatenatedGzipMembersAreJoined) {
  const std::string body = Compress("abc", Format::kGzip) + Compress("def", Format::kGzip);
  Result<std::string> out = Decompress(body, ContentEncoding::kGzip, 100);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(*out, "abcdef");
}

TEST(DecompressTest, TruncatedGzipIsRejected) {
  const std::string gz = Compress(kText, Format::kGzip, 100);
  EXPECT_THAT(Decompress(gz.substr(0, gz.size() / 2), ContentEncoding::kGzip, 1 << 20),
              IsInvalidArgument("truncated gzip"));
  // Cut inside the 8-byte trailer: all data is there, the checksum is not.
  EXPECT_THAT(Decompress(gz.substr(0, gz.size() - 3), ContentEncoding::kGzip, 1 << 20),
              IsInvalidArgument("truncated gzip"));
}

TEST(DecompressTest, CorruptGzipIsRejected) {
  std::string gz = Compress(kText, Format::kGzip, 100);
  gz[gz.size() - 6] ^= 0x55;  // the CRC
  EXPECT_THAT(Decompress(gz, ContentEncoding::kGzip, 1 << 20), IsInvalidArgument("corrupt gzip"));
  EXPECT_THAT(Decompress("not gzip at all", ContentEncoding::kGzip, 1 << 20),
              IsInvalidArgument("corrupt gzip"));
}

TEST(DecompressTest, EmptyGzipBodyIsRejected) {
  EXPECT_THAT(Decompress("", ContentEncoding::kGzip, 100), IsInvalidArgument("empty gzip"));
}

TEST(DecompressTest, TrailingGarbageAfterGzipIsRejected) {
  EXPECT_THAT(Decompress(Compress(kText, Format::kGzip) + "xyz", ContentEncoding::kGzip, 1 << 20),
              IsInvalidArgument("3 trailing bytes"));
}

TEST(DecompressTest, DeflateAcceptsZlibAndRawStreams) {
  for (Format format : {Format::kZlib, Format::kRawDeflate}) {
    Result<std::string> out =
        Decompress(Compress(kText, format, 10), ContentEncoding::kDeflate, 1 << 20);
    ASSERT_THAT(out, IsOk());
    EXPECT_EQ(out->size(), kText.size() * 10);
  }
}

TEST(DecompressTest, DeflateBombAndTruncationAreRejected) {
  const std::string zeros(1 << 20, '\0');
  EXPECT_THAT(Decompress(Compress(zeros, Format::kZlib, 20), ContentEncoding::kDeflate, 1 << 20),
              IsInvalidArgument("limit"));
  const std::string z = Compress(kText, Format::kZlib, 100);
  EXPECT_THAT(Decompress(z.substr(0, z.size() / 2), ContentEncoding::kDeflate, 1 << 20),
              IsInvalidArgument("truncated deflate"));
}

TEST(ParseContentEncodingTest, AcceptsKnownNamesCaseInsensitively) {
  EXPECT_EQ(*ParseContentEncoding(""), ContentEncoding::kIdentity);
  EXPECT_EQ(*ParseContentEncoding("identity"), ContentEncoding::kIdentity);
  EXPECT_EQ(*ParseContentEncoding(" GZIP "), ContentEncoding::kGzip);
  EXPECT_EQ(*ParseContentEncoding("x-gzip"), ContentEncoding::kGzip);
  EXPECT_EQ(*ParseContentEncoding("Deflate"), ContentEncoding::kDeflate);
}

TEST(ParseContentEncodingTest, RejectsUnknownEncodings) {
  EXPECT_THAT(ParseContentEncoding("br"), IsInvalidArgument("'br'"));
  EXPECT_THAT(ParseContentEncoding("gzip, br"), IsInvalidArgument("unsupported"));
}

}  // namespace
}  // namespace roost::ingest
