#include "tools/roost/otlp_file_reader.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ingest/protobuf_encoder.h"
#include "tests/ingest/status_matchers.h"
#include "tests/ingest/test_spans.h"

namespace roost::cli {
namespace {

using ::roost::testing::IsOk;
using ::testing::HasSubstr;

// Every request of `content`, or the first error.
Result<std::vector<OtlpRequestSlice>> SplitAll(std::string_view content, OtlpFileFormat format) {
  OtlpRequestSplitter splitter(content, format);
  std::vector<OtlpRequestSlice> out;
  for (int i = 0; i < 1000; ++i) {
    Result<std::optional<OtlpRequestSlice>> next = splitter.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) return out;
    out.push_back(**next);
  }
  return Status::Corruption("splitter did not stop");
}

TEST(OtlpRequestSplitterTest, JsonValuesEndAtTheirClosingBraceNotAtBracesInStrings) {
  const std::string text = "{\"a\":\"}{\\\"}\"}\n\n  {\"b\":[{},{}]}\n";
  Result<std::vector<OtlpRequestSlice>> slices = SplitAll(text, OtlpFileFormat::kJson);
  ASSERT_THAT(slices, IsOk());
  ASSERT_EQ(slices->size(), 2u);
  EXPECT_EQ((*slices)[0].body, "{\"a\":\"}{\\\"}\"}");
  EXPECT_EQ((*slices)[0].line, 1u);
  EXPECT_EQ((*slices)[1].body, "{\"b\":[{},{}]}");
  EXPECT_EQ((*slices)[1].line, 3u);
  EXPECT_EQ(DescribeRequestPosition((*slices)[1]), "request 2 (line 3)");
}

TEST(OtlpRequestSplitterTest, JsonThatIsNotAnObjectNamesTheLine) {
  Result<std::vector<OtlpRequestSlice>> slices = SplitAll("{}\n[1]\n", OtlpFileFormat::kJson);
  EXPECT_THAT(slices, ::roost::testing::IsInvalidArgument("request 2 (line 2)"));
}

TEST(OtlpRequestSplitterTest, DelimitedLengthsCutTheRequests) {
  const std::string content = std::string(
      "\x03"
      "abc"
      "\x00"
      "\x01"
      "z",
      7);
  Result<std::vector<OtlpRequestSlice>> slices =
      SplitAll(content, OtlpFileFormat::kProtobufDelimited);
  ASSERT_THAT(slices, IsOk());
  ASSERT_EQ(slices->size(), 3u);
  EXPECT_EQ((*slices)[0].body, "abc");
  EXPECT_EQ((*slices)[1].body, "");
  EXPECT_EQ((*slices)[2].body, "z");
  EXPECT_EQ(DescribeRequestPosition((*slices)[2]), "request 3 (byte 6)");
  EXPECT_TRUE(IsLengthDelimited(content));
}

TEST(OtlpRequestSplitterTest, DelimitedLengthPastTheEndIsAnError) {
  EXPECT_THAT(SplitAll(std::string("\x02"
                                   "ab"
                                   "\x05"
                                   "x",
                                   5),
                       OtlpFileFormat::kProtobufDelimited),
              ::roost::testing::IsInvalidArgument("request 2 (byte 3): length 5 runs past"));
  EXPECT_FALSE(
      IsLengthDelimited(std::string("\x02"
                                    "ab"
                                    "\x05"
                                    "x",
                                    5)));
}

// A protobuf request whose first ResourceSpans is 123 bytes long starts with "\n{", as if it
// were JSON; detection must still find protobuf.
TEST(DetectOtlpFormatTest, ProtobufThatBeginsLikeJsonIsProtobuf) {
  std::string body;
  for (int extra = 0; extra < 200; ++extra) {
    Span span = testing::MakeLlmSpan(0);
    span.attributes.clear();
    span.events.clear();
    span.resource_attributes = {{"openinference.project.name", std::string("proj")}};
    span.scope = {};
    span.name = std::string(static_cast<size_t>(extra) + 1, 'n');
    body = ingest::EncodeProtobuf(std::vector<Span>{span});
    if (body.size() > 2 && body[1] == '{' && body.size() == 125) break;
  }
  ASSERT_EQ(body.substr(0, 2), "\n{") << "could not craft the body";
  Result<DetectedOtlpFormat> detected = DetectOtlpFormat(body, ingest::DecodeOptions{});
  ASSERT_THAT(detected, IsOk());
  EXPECT_NE(detected->format, OtlpFileFormat::kJson);
  EXPECT_EQ(detected->first_request.spans.size(), 1u);
}

TEST(DetectOtlpFormatTest, SingleProtobufRequestIsNotTakenForDelimited) {
  std::vector<Span> spans;
  for (int i = 0; i < 5; ++i) spans.push_back(testing::MakeLlmSpan(i));
  const std::string body = ingest::EncodeProtobuf(spans);
  Result<DetectedOtlpFormat> detected = DetectOtlpFormat(body, ingest::DecodeOptions{});
  ASSERT_THAT(detected, IsOk());
  EXPECT_EQ(detected->format, OtlpFileFormat::kProtobufSingle);
  EXPECT_EQ(detected->first_request.spans.size(), 5u);
}

TEST(DetectOtlpFormatTest, WhitespaceOnlyIsEmpty) {
  EXPECT_THAT(DetectOtlpFormat(" \n\t", ingest::DecodeOptions{}),
              ::roost::testing::IsInvalidArgument("empty"));
}

}  // namespace
}  // namespace roost::cli
