#include "tools/roost/otlp_importer.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ingest/json_encoder.h"
#include "ingest/protobuf_encoder.h"
#include "tests/ingest/status_matchers.h"
#include "tests/tools/tools_test_env.h"
#include "tools/roost/gzip_compress.h"

namespace roost::cli {
namespace {

using ::roost::testing::IsOk;
using ::roost::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr uint64_t kSpans = 600;
constexpr size_t kBatch = 100;

std::string Varint(uint64_t n) {
  std::string out;
  for (;; n >>= 7) {
    out.push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
    if (n < 0x80) return out;
  }
}

// As `roost gen --format otlp-json` writes: one request per line.
std::string JsonLines(const std::vector<std::vector<Span>>& batches) {
  std::string out;
  for (const auto& b : batches) out += ingest::EncodeJson(b) + "\n";
  return out;
}

// As `roost gen --format otlp-proto` writes: each request preceded by its varint length.
std::string DelimitedProtobuf(const std::vector<std::vector<Span>>& batches) {
  std::string out;
  for (const auto& b : batches) {
    const std::string body = ingest::EncodeProtobuf(b);
    out += Varint(body.size()) + body;
  }
  return out;
}

std::vector<Span> Flatten(const std::vector<std::vector<Span>>& batches) {
  std::vector<Span> out;
  for (const auto& b : batches) out.insert(out.end(), b.begin(), b.end());
  return out;
}

class OtlpImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenStore(dir_.Path("data"));
    ASSERT_NE(store_, nullptr);
    batches_ = testing::GeneratedBatches(kSpans, kBatch);
  }

  Status Import(const std::string& name, const std::string& bytes, ImportOptions options = {}) {
    testing::WriteFile(dir_.Path(name), bytes);
    importer_ = std::make_unique<OtlpImporter>(*store_, options);
    return importer_->ImportFile(dir_.Path(name));
  }

  // Every generated span reads back equal through GetTrace, and nothing else is stored.
  void ExpectAllStored() {
    const std::vector<Span> all = Flatten(batches_);
    std::map<TraceId, std::vector<Span>> by_trace;
    for (const Span& s : all) by_trace[s.trace_id].push_back(s);
    for (auto& [trace, expected] : by_trace) {
      Result<std::vector<Span>> stored = store_->GetTrace(trace);
      ASSERT_THAT(stored, IsOk());
      auto by_span = [](const Span& a, const Span& b) { return a.span_id < b.span_id; };
      std::sort(expected.begin(), expected.end(), by_span);
      std::sort(stored->begin(), stored->end(), by_span);
      ASSERT_EQ(*stored, expected) << "trace " << trace.ToHex();
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<SpanStore> store_;
  std::unique_ptr<OtlpImporter> importer_;
  std::vector<std::vector<Span>> batches_;
};

TEST_F(OtlpImporterTest, ImportsOneJsonRequest) {
  ASSERT_THAT(Import("one.json", ingest::EncodeJson(Flatten(batches_))), IsOk());
  EXPECT_EQ(importer_->stats().stored, kSpans);
  EXPECT_EQ(importer_->stats().requests, 1u);
  ExpectAllStored();
}

TEST_F(OtlpImporterTest, ImportsJsonLines) {
  ASSERT_THAT(Import("lines.jsonl", JsonLines(batches_)), IsOk());
  const ImportStats stats = importer_->stats();
  EXPECT_EQ(stats.stored, kSpans);
  EXPECT_EQ(stats.requests, batches_.size());
  EXPECT_EQ(stats.duplicates, 0u);
  EXPECT_EQ(stats.rejected, 0u);
  ExpectAllStored();
}

TEST_F(OtlpImporterTest, ImportsPrettyPrintedJsonValuesOneAfterAnother) {
  std::string text;
  for (const auto& b : batches_) {
    text += nlohmann::json::parse(ingest::EncodeJson(b)).dump(2) + "\n";
  }
  ASSERT_THAT(Import("pretty.json", text), IsOk());
  EXPECT_EQ(importer_->stats().stored, kSpans);
  EXPECT_EQ(importer_->stats().requests, batches_.size());
}

TEST_F(OtlpImporterTest, ImportsOneProtobufRequest) {
  ASSERT_THAT(Import("one.pb", ingest::EncodeProtobuf(Flatten(batches_))), IsOk());
  EXPECT_EQ(importer_->stats().stored, kSpans);
  EXPECT_EQ(importer_->stats().requests, 1u);
  ExpectAllStored();
}

TEST_F(OtlpImporterTest, ImportsLengthDelimitedProtobuf) {
  ASSERT_THAT(Import("many.pb", DelimitedProtobuf(batches_)), IsOk());
  EXPECT_EQ(importer_->stats().stored, kSpans);
  EXPECT_EQ(importer_->stats().requests, batches_.size());
  ExpectAllStored();
}

TEST_F(OtlpImporterTest, ImportsGzippedJsonLines) {
  ASSERT_THAT(Import("lines.jsonl.gz", GzipCompress(JsonLines(batches_))), IsOk());
  EXPECT_EQ(importer_->stats().stored, kSpans);
  EXPECT_EQ(importer_->bytes_read(), GzipCompress(JsonLines(batches_)).size());
  ExpectAllStored();
}

TEST_F(OtlpImporterTest, ImportsGzippedDelimitedProtobuf) {
  ASSERT_THAT(Import("many.pb.gz", GzipCompress(DelimitedProtobuf(batches_))), IsOk());
  EXPECT_EQ(importer_->stats().stored, kSpans);
  ExpectAllStored();
}

TEST_F(OtlpImporterTest, ImportsGzippedSingleProtobufRequest) {
  ASSERT_THAT(Import("one.pb.gz", GzipCompress(ingest::EncodeProtobuf(Flatten(batches_)))), IsOk());
  EXPECT_EQ(importer_->stats().stored, kSpans);
  ExpectAllStored();
}

TEST_F(OtlpImporterTest, ReimportCountsEverySpanAsDuplicate) {
  ASSERT_THAT(Import("many.pb", DelimitedProtobuf(batches_)), IsOk());
  ASSERT_THAT(Import("lines.jsonl", JsonLines(batches_)), IsOk());
  const ImportStats stats = importer_->stats();
  EXPECT_EQ(stats.stored, 0u);
  EXPECT_EQ(stats.duplicates, kSpans);
  ExpectAllStored();
}

TEST_F(OtlpImporterTest, ProjectOptionNamesTheProjectOfEverySpan) {
  ImportOptions options;
  options.project = "imported";
  ASSERT_THAT(Import("many.pb", DelimitedProtobuf(batches_), options), IsOk());
  Result<std::vector<Span>> trace = store_->GetTrace(batches_[0][0].trace_id);
  ASSERT_THAT(trace, IsOk());
  for (const Span& s : *trace) EXPECT_EQ(s.project, "imported");
  ASSERT_THAT(store_->Flush(), IsOk());
  EXPECT_EQ(testing::ProjectSpanCount(*store_, "imported"), kSpans);
}

TEST_F(OtlpImporterTest, BadJsonLineNamesFileLineAndWhatWasStored) {
  std::string text = JsonLines(batches_);
  // Line 3 becomes a request whose resourceSpans is not an array.
  size_t line3 = text.find('\n', text.find('\n') + 1) + 1;
  text.replace(line3, text.find('\n', line3) - line3, R"({"resourceSpans": 5})");
  ImportOptions options;
  options.threads = 1;
  const Status s = Import("bad.jsonl", text, options);
  EXPECT_THAT(s, StatusIs(Status::Code::kInvalidArgument,
                          AllOf(HasSubstr(dir_.Path("bad.jsonl")), HasSubstr("request 3 (line 3)"),
                                HasSubstr("resourceSpans"), HasSubstr("2 earlier requests"))));
  EXPECT_EQ(importer_->stats().stored, batches_[0].size() + batches_[1].size());
  EXPECT_EQ(importer_->stats().files, 0u);
}

TEST_F(OtlpImporterTest, TruncatedDelimitedProtobufNamesTheRequest) {
  std::string bytes = DelimitedProtobuf(batches_);
  bytes.resize(bytes.size() - 10);
  ImportOptions options;
  options.threads = 1;
  const Status s = Import("cut.pb", bytes, options);
  // Cut framing is no longer delimited as a whole, and is no single request either.
  EXPECT_THAT(s, StatusIs(Status::Code::kInvalidArgument,
                          AllOf(HasSubstr(dir_.Path("cut.pb")), HasSubstr("request 1 (byte 0)"),
                                HasSubstr("Nothing of this file was stored"))));
  EXPECT_EQ(importer_->stats().stored, 0u);
}

TEST_F(OtlpImporterTest, CorruptRequestInDelimitedProtobufNamesItsIndex) {
  std::string bytes;
  for (size_t i = 0; i < batches_.size(); ++i) {
    std::string body = ingest::EncodeProtobuf(batches_[i]);
    if (i == 4) body[body.size() / 2] = '\xff';  // an invalid wire type mid-message
    bytes += Varint(body.size()) + body;
  }
  ImportOptions options;
  options.threads = 1;
  const Status s = Import("corrupt.pb", bytes, options);
  EXPECT_THAT(s, StatusIs(Status::Code::kInvalidArgument,
                          AllOf(HasSubstr("request 5 (byte"), HasSubstr("4 earlier requests"))));
}

TEST_F(OtlpImporterTest, GarbageFileIsRefusedWithNothingStored) {
  EXPECT_THAT(Import("garbage.bin", std::string("\x07\xff\xfe garbage", 11)),
              StatusIs(Status::Code::kInvalidArgument,
                       AllOf(HasSubstr("garbage.bin"), HasSubstr("Nothing of this file"))));
}

TEST_F(OtlpImporterTest, UnterminatedJsonIsRefused) {
  EXPECT_THAT(Import("cut.json", ingest::EncodeJson(batches_[0]).substr(0, 500)),
              StatusIs(Status::Code::kInvalidArgument,
                       AllOf(HasSubstr("cut.json"), HasSubstr("request 1 (line 1)"),
                             HasSubstr("not terminated"))));
}

TEST_F(OtlpImporterTest, CorruptGzipIsRefused) {
  std::string gz = GzipCompress(JsonLines(batches_));
  gz.resize(gz.size() / 2);
  EXPECT_THAT(Import("cut.gz", gz), StatusIs(Status::Code::kInvalidArgument, HasSubstr("cut.gz")));
}

TEST_F(OtlpImporterTest, GzipBeyondTheLimitIsRefused) {
  ImportOptions options;
  options.max_decompressed_bytes = 1000;
  EXPECT_THAT(Import("big.gz", GzipCompress(JsonLines(batches_)), options),
              StatusIs(Status::Code::kInvalidArgument, HasSubstr("limit")));
}

TEST_F(OtlpImporterTest, EmptyFileIsRefused) {
  EXPECT_THAT(Import("empty.json", ""),
              StatusIs(Status::Code::kInvalidArgument, HasSubstr("empty")));
}

TEST_F(OtlpImporterTest, MissingFileIsNotFound) {
  importer_ = std::make_unique<OtlpImporter>(*store_, ImportOptions{});
  EXPECT_THAT(importer_->ImportFile(dir_.Path("nope.pb")),
              StatusIs(Status::Code::kNotFound, HasSubstr("nope.pb")));
}

TEST_F(OtlpImporterTest, SpansTheStoreRejectsAreCountedWithReasons) {
  std::vector<std::vector<Span>> batches = {batches_[0]};
  std::swap(batches[0][3].start_unix_nano, batches[0][3].end_unix_nano);  // ends before it starts
  const std::string json = JsonLines(batches);
  ASSERT_THAT(Import("rejects.jsonl", json), IsOk());
  const ImportStats stats = importer_->stats();
  EXPECT_EQ(stats.rejected, 1u);
  EXPECT_EQ(stats.stored, batches[0].size() - 1);
  ASSERT_EQ(stats.rejection_samples.size(), 1u);
  EXPECT_THAT(stats.rejection_samples[0], HasSubstr("request 1 (line 1): span 3"));
}

}  // namespace
}  // namespace roost::cli
