#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/span.h"
#include "storage/span_store.h"
#include "tests/storage/test_util.h"

namespace roost::test {
namespace {

using ::testing::HasSubstr;

struct InvalidCase {
  const char* what;
  std::function<void(Span&)> mutate;
  const char* reason;  // a substring of the rejection message
};

Attributes ManyAttributes(size_t n) {
  Attributes out;
  for (size_t i = 0; i < n; ++i) out.push_back({"k" + std::to_string(i), int64_t{1}});
  return out;
}

const std::string kHuge(SpanLimits{}.max_string_bytes + 1, 'x');

std::vector<InvalidCase> InvalidCases() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  return {
      {"zero trace id", [](Span& s) { s.trace_id = TraceId{}; }, "trace id"},
      {"zero span id", [](Span& s) { s.span_id = SpanId{}; }, "span id"},
      {"zero parent id", [](Span& s) { s.parent_span_id = SpanId{}; }, "parent span id"},
      {"missing start", [](Span& s) { s.start_unix_nano = 0; }, "start time"},
      {"start before 1970", [](Span& s) { s.start_unix_nano = -5; }, "start time"},
      {"end before start", [](Span& s) { s.end_unix_nano = s.start_unix_nano - 1; },
       "end time is before start"},
      {"end after 2100", [](Span& s) { s.end_unix_nano = int64_t{5'000'000'000} * 1'000'000'000; },
       "after 2100"},
      {"empty project", [](Span& s) { s.project.clear(); }, "project is empty"},
      {"negative prompt tokens", [](Span& s) { s.prompt_tokens = -1; }, "token count"},
      {"negative completion tokens", [](Span& s) { s.completion_tokens = -7; }, "-7"},
      {"negative total tokens", [](Span& s) { s.total_tokens = -1; }, "token count"},
      {"too many tokens", [](Span& s) { s.total_tokens = (int64_t{1} << 31) + 1; }, "token count"},
      {"NaN cost", [nan](Span& s) { s.cost_usd = nan; }, "cost"},
      {"infinite cost", [inf](Span& s) { s.cost_usd = inf; }, "cost"},
      {"negative cost", [](Span& s) { s.cost_usd = -0.01; }, "cost"},
      {"huge name", [](Span& s) { s.name = kHuge; }, "name is longer than"},
      {"huge session", [](Span& s) { s.session_id = kHuge; }, "session id is longer than"},
      {"huge attribute value",
       [](Span& s) {
         s.attributes.push_back({"input.value", kHuge});
       },
       "'input.value'"},
      {"huge event name", [](Span& s) { s.events[0].name = kHuge; }, "event name"},
      {"event before 1970", [](Span& s) { s.events[1].time_unix_nano = -1; },
       "event time is before 1970"},
      {"too many attributes", [](Span& s) { s.attributes = ManyAttributes(1025); },
       "more than 1024 attributes"},
      {"too many resource attributes",
       [](Span& s) { s.resource_attributes = ManyAttributes(1025); }, "resource attributes"},
      {"too many event attributes", [](Span& s) { s.events[1].attributes = ManyAttributes(1025); },
       "event attributes"},
      {"too many array values",
       [](Span& s) {
         s.attributes.push_back({"big", std::vector<int64_t>(4097, 1)});
       },
       "more than 4096 values"},
      {"too many events", [](Span& s) { s.events.resize(1025); }, "more than 1024 events"},
      {"too many links", [](Span& s) { s.links.resize(129, s.links[0]); }, "more than 128 links"},
      {"empty attribute key",
       [](Span& s) {
         s.attributes.push_back({"", true});
       },
       "empty key"},
      {"invalid UTF-8 name", [](Span& s) { s.name = "bad \xff byte"; }, "name is not valid UTF-8"},
      {"overlong UTF-8", [](Span& s) { s.model_name = "\xc0\xaf"; }, "model name is not valid"},
      {"UTF-8 surrogate", [](Span& s) { s.user_id = "\xed\xa0\x80"; }, "user id is not valid"},
      {"truncated UTF-8", [](Span& s) { s.status_message = "euro \xe2\x82"; },
       "status message is not valid"},
      {"UTF-8 above U+10FFFF", [](Span& s) { s.provider = "\xf4\x90\x80\x80"; },
       "provider is not valid"},
      {"invalid UTF-8 attribute key",
       [](Span& s) {
         s.attributes.push_back({"k\xfe", true});
       },
       "span attributes key"},
      {"invalid UTF-8 in a string array",
       [](Span& s) {
         s.attributes.push_back({"list", std::vector<std::string>{"ok", "\x80"}});
       },
       "attribute 'list' is not valid UTF-8"},
      {"invalid UTF-8 scope name", [](Span& s) { s.scope.name = "\xc3"; }, "scope name"},
      {"invalid UTF-8 link trace state", [](Span& s) { s.links[0].trace_state = "\xff"; },
       "link trace state"},
      {"zero link id", [](Span& s) { s.links[1].span_id = SpanId{}; }, "link"},
  };
}

TEST(ValidateSpanTest, AcceptsAFullSpan) {
  EXPECT_THAT(ValidateSpan(MakeFullSpan(1, 1, kBaseTime)), IsOk());
}

TEST(ValidateSpanTest, RejectsEachProblemNamingIt) {
  for (const InvalidCase& c : InvalidCases()) {
    Span s = MakeFullSpan(1, 1, kBaseTime);
    c.mutate(s);
    EXPECT_THAT(ValidateSpan(s), IsError(Status::Code::kInvalidArgument, c.reason)) << c.what;
  }
}

// IsValidUtf8 reads ASCII in words (the last one overlapping): one sequence, valid or not, at
// every position of strings of every length up to 80 must be judged as a byte-by-byte reading
// judges it.
TEST(IsValidUtf8Test, EverySequenceAtEveryPositionOfEveryLength) {
  const std::vector<std::pair<std::string, bool>> sequences = {{"\x80", false},
                                                               {"\xff", false},
                                                               {"\xc3\xa9", true},
                                                               {"\xc3", false},
                                                               {"\xc0\xaf", false},
                                                               {"\xe2\x82\xac", true},
                                                               {"\xed\xa0\x80", false},
                                                               {"\xf0\x9f\x98\x80", true},
                                                               {"\xf4\x90\x80\x80", false},
                                                               {std::string(1, '\0'), true}};
  int checked = 0;
  for (size_t n = 0; n <= 80; ++n) {
    const std::string ascii(n, 'a');
    ASSERT_TRUE(IsValidUtf8(ascii)) << n;
    for (const auto& [sequence, valid] : sequences) {
      for (size_t pos = 0; pos + sequence.size() <= n; ++pos) {
        std::string s = ascii;
        s.replace(pos, sequence.size(), sequence);
        ASSERT_EQ(IsValidUtf8(s), valid) << "length " << n << ", position " << pos;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 3000);
}

// Utf8Check::kAlreadyChecked skips exactly the UTF-8 checks: every other problem is still found.
TEST(ValidateSpanTest, AlreadyCheckedUtf8SkipsOnlyTheUtf8Checks) {
  int utf8_cases = 0;
  for (const InvalidCase& c : InvalidCases()) {
    Span s = MakeFullSpan(1, 1, kBaseTime);
    c.mutate(s);
    const Status checked = ValidateSpan(s, SpanLimits{}, Utf8Check::kCheck);
    ASSERT_FALSE(checked.ok()) << c.what;
    if (checked.message().find("UTF-8") != std::string::npos) {
      ++utf8_cases;
      EXPECT_THAT(ValidateSpan(s, SpanLimits{}, Utf8Check::kAlreadyChecked), IsOk()) << c.what;
    } else {
      EXPECT_THAT(ValidateSpan(s, SpanLimits{}, Utf8Check::kAlreadyChecked),
                  IsError(Status::Code::kInvalidArgument, c.reason))
          << c.what;
    }
  }
  EXPECT_GE(utf8_cases, 8);
}

TEST(ValidateSpanTest, AcceptsValuesAtTheLimits) {
  Span s = MakeFullSpan(1, 1, kBaseTime);
  s.end_unix_nano = s.start_unix_nano;
  s.name = std::string(SpanLimits{}.max_string_bytes, 'n');
  s.provider = "\xf4\x8f\xbf\xbf";  // U+10FFFF
  s.attributes = ManyAttributes(1024);
  s.attributes.push_back({"big", std::vector<int64_t>(4096, 1)});
  s.attributes.pop_back();
  s.resource_attributes = {{"big", std::vector<int64_t>(4096, 1)}};
  s.events.resize(1024);
  s.links.resize(128, s.links[0]);
  s.prompt_tokens = 0;
  s.total_tokens = int64_t{1} << 31;
  s.cost_usd = 0.0;
  EXPECT_THAT(ValidateSpan(s), IsOk());
}

TEST(ValidateSpanTest, RejectsSpansLargerThanTheEncodedLimit) {
  SpanLimits limits;
  limits.max_encoded_bytes = 1000;
  Span s = MakeFullSpan(1, 1, kBaseTime);
  EXPECT_THAT(ValidateSpan(s, limits), IsOk());
  s.attributes.push_back({"input.value", std::string(2000, 'v')});
  EXPECT_THAT(ValidateSpan(s, limits), IsError(Status::Code::kInvalidArgument, "larger than 1000"));
}

TEST_F(SpanStoreTest, WriteRejectsInvalidSpansOneByOneAndStoresTheRest) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<InvalidCase> cases = InvalidCases();
  std::vector<Span> batch;
  std::vector<size_t> invalid_index;
  std::vector<Span> valid;
  for (size_t i = 0; i < cases.size(); ++i) {
    Span good = MakeFullSpan(100 + i, 1, kBaseTime + static_cast<int64_t>(i));
    batch.push_back(good);
    valid.push_back(good);
    Span bad = MakeFullSpan(1000 + i, 2, kBaseTime + static_cast<int64_t>(i));
    cases[i].mutate(bad);
    invalid_index.push_back(batch.size());
    batch.push_back(bad);
  }
  Result<WriteResult> result = store->Write(batch);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->stored, valid.size());
  EXPECT_EQ(result->duplicates, 0u);
  ASSERT_EQ(result->rejected.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(result->rejected[i].index, invalid_index[i]) << cases[i].what;
    EXPECT_THAT(result->rejected[i].reason, HasSubstr(cases[i].reason)) << cases[i].what;
  }
  EXPECT_EQ(store->Stats().rejected_spans, cases.size());
  EXPECT_EQ(store->Stats().committed_spans, valid.size());
  for (const Span& s : valid) {
    Result<std::vector<Span>> got = store->GetTrace(s.trace_id);
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->size(), 1u);
  }
}

TEST_F(SpanStoreTest, WriteStoresNothingOfAnInvalidOnlyBatch) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  Span zero_ids = MakeSpan(1, 1, kBaseTime);
  zero_ids.trace_id = TraceId{};
  Span backwards = MakeSpan(2, 2, kBaseTime);
  backwards.end_unix_nano = kBaseTime - 1;
  Result<WriteResult> result = store->Write({zero_ids, backwards});
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->stored, 0u);
  ASSERT_EQ(result->rejected.size(), 2u);
  EXPECT_EQ(result->rejected[1].index, 1u);
  EXPECT_THAT(store->GetTrace(TraceIdOf(2)), IsError(Status::Code::kNotFound, ""));
  Result<ScanResult> scan = ScanProject(*store, "default");
  ASSERT_THAT(scan, IsOk());
  EXPECT_EQ(scan->total_rows, 0u);
}

TEST_F(SpanStoreTest, ValidatedWriteSkipsOnlyTheStoresOwnValidation) {
  StoreOptions options = Options();
  options.limits.max_string_bytes = 64;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->limits().max_string_bytes, 64u);
  Span long_value = MakeSpan(1, 1, kBaseTime);
  long_value.attributes.push_back({"input.value", std::string(100, 'v')});
  // Without the flag the store validates: over its own limit, rejected.
  Result<WriteResult> checked = store->Write({long_value});
  ASSERT_THAT(checked, IsOk());
  ASSERT_EQ(checked->rejected.size(), 1u);
  EXPECT_THAT(checked->rejected[0].reason, HasSubstr("longer than 64 bytes"));
  // With it, the caller's word stands (WriteOptions::validated): stored as given.
  Result<WriteResult> trusted = store->Write({long_value}, {.validated = true});
  ASSERT_THAT(trusted, IsOk());
  EXPECT_EQ(trusted->stored, 1u);
  EXPECT_TRUE(trusted->rejected.empty());
  EXPECT_EQ(store->GetTrace(long_value.trace_id).value(), std::vector<Span>{long_value});
}

TEST_F(SpanStoreTest, RejectedSpanCanBeStoredOnceCorrected) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  Span s = MakeSpan(1, 1, kBaseTime);
  s.prompt_tokens = -3;
  EXPECT_EQ(WriteOk(*store, {s}).rejected.size(), 1u);
  s.prompt_tokens = 3;
  WriteResult second = WriteOk(*store, {s});
  EXPECT_EQ(second.stored, 1u);
  EXPECT_EQ(second.duplicates, 0u);
  EXPECT_EQ(store->GetTrace(s.trace_id).value().at(0).prompt_tokens, 3);
}

}  // namespace
}  // namespace roost::test
