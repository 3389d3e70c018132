// Retention: ApplyRetention(now) removes every hour bucket that ended before now - retention from
// every reader, keeps the rest whole, and later writes of old spans are refused.
//
// Open() drops spans older than the retention measured from the real clock, so the spans here
// sit around the real current hour and `now` is placed two days ahead of it: the "old" spans are
// recent for Open() and old for ApplyRetention(now).

#include <chrono>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/key_codec.h"
#include "storage/span_store.h"
#include "tests/storage/test_util.h"

namespace roost::test {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class RetentionWorld {
 public:
  RetentionWorld() {
    const int64_t real_now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    base_ = keys::BucketOf(real_now);
  }
  // Start of hour bucket base + `hours` plus an offset.
  int64_t At(int hours, int64_t offset = 0) const {
    return keys::BucketStart(static_cast<uint32_t>(static_cast<int64_t>(base_) + hours)) + offset;
  }
  // 50 hours ahead: with 24 h retention, buckets below base + 26 are removed.
  int64_t Now() const { return At(50, 10 * 60 * kSecond); }
  uint32_t CutoffBucket() const { return base_ + 26; }

 private:
  uint32_t base_ = 0;
};

struct RetentionData {
  std::vector<Span> old_spans;     // in hours base-5 .. base-1
  std::vector<Span> recent_spans;  // in hours base+30 .. base+33
};

// Project "p" has old and recent spans; trace 1 and session "mixed" have both; trace 2, session
// "old-only" and project "old-project" only old ones.
RetentionData MakeRetentionData(const RetentionWorld& world) {
  RetentionData d;
  uint64_t key = 1;
  for (int i = 0; i < 400; ++i) {
    Span s = MakeSpan(i % 3 == 0 ? 1 : 2 + i % 7, key++, world.At(-5 + i % 5, i * 1000));
    s.project = i % 10 == 0 ? "old-project" : "p";
    s.session_id = i % 2 == 0 ? "mixed" : "old-only";
    s.total_tokens = i;
    d.old_spans.push_back(s);
  }
  for (int i = 0; i < 300; ++i) {
    Span s = MakeSpan(i % 2 == 0 ? 1 : 100 + i % 5, key++, world.At(30 + i % 4, i * 1000));
    s.project = "p";
    s.session_id = i % 3 == 0 ? "mixed" : "recent-only";
    s.total_tokens = i;
    d.recent_spans.push_back(s);
  }
  return d;
}

std::vector<Span> All(const RetentionData& d) {
  std::vector<Span> all = d.old_spans;
  all.insert(all.end(), d.recent_spans.begin(), d.recent_spans.end());
  return all;
}

StoreOptions WithRetention(StoreOptions o) {
  o.retention = std::chrono::hours(24);
  return o;
}

// Only the recent spans are left, whatever reader asks.
void ExpectOnlyRecentSpans(const SpanStore& store, const RetentionWorld& world,
                           const RetentionData& data) {
  Result<ScanResult> scan = ScanProject(store, "p");
  ASSERT_THAT(scan, IsOk());
  std::set<IdPair> got, want;
  for (const auto& [ids, row] : scan->rows) got.insert(ids);
  for (const Span& s : data.recent_spans) want.insert(IdsOf(s));
  EXPECT_EQ(scan->total_rows, want.size());
  EXPECT_EQ(got, want);

  EXPECT_THAT(store.GetTrace(TraceIdOf(2)), IsError(Status::Code::kNotFound, ""));
  Result<std::vector<Span>> trace = store.GetTrace(TraceIdOf(1));
  ASSERT_THAT(trace, IsOk());
  EXPECT_EQ(trace->size(), 150u);
  for (const Span& s : *trace) EXPECT_GE(s.start_unix_nano, world.At(30));

  EXPECT_THAT(store.GetSession("p", "old-only").value(), IsEmpty());
  Result<std::vector<Span>> mixed = store.GetSession("p", "mixed");
  ASSERT_THAT(mixed, IsOk());
  EXPECT_EQ(mixed->size(), 100u);

  Result<std::vector<SessionSummary>> sessions = store.ListSessions("p");
  ASSERT_THAT(sessions, IsOk());
  std::map<std::string, uint64_t> counts;
  for (const SessionSummary& s : *sessions) counts[s.session_id] = s.span_count;
  EXPECT_EQ(counts, (std::map<std::string, uint64_t>{{"mixed", 100}, {"recent-only", 200}}));

  Result<std::vector<ProjectSummary>> projects = store.ListProjects();
  ASSERT_THAT(projects, IsOk());
  ASSERT_EQ(projects->size(), 1u);
  EXPECT_EQ(projects->front().name, "p");
  EXPECT_EQ(projects->front().span_count, 300u);
  EXPECT_EQ(projects->front().first_start, world.At(30));
  EXPECT_EQ(projects->front().last_start, world.At(33, 299 * 1000));
}

TEST_F(SpanStoreTest, ApplyRetentionRemovesSealedOldSpansFromEveryReader) {
  const RetentionWorld world;
  const RetentionData data = MakeRetentionData(world);
  auto store = OpenStore(WithRetention(Options()));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(WriteOk(*store, All(data)).stored, 700u);
  ASSERT_THAT(store->Flush(), IsOk());
  Result<RetentionResult> r = store->ApplyRetention(world.Now());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->cutoff_bucket, world.CutoffBucket());
  EXPECT_EQ(r->blocks_removed, 6u);  // five old hours of "p", one of "old-project"
  EXPECT_EQ(r->open_rows_dropped, 0u);
  ExpectOnlyRecentSpans(*store, world, data);
}

TEST_F(SpanStoreTest, ApplyRetentionDropsUnsealedOldSpans) {
  const RetentionWorld world;
  const RetentionData data = MakeRetentionData(world);
  auto store = OpenStore(WithRetention(Options()));
  ASSERT_NE(store, nullptr);
  WriteOk(*store, All(data));
  Result<RetentionResult> r = store->ApplyRetention(world.Now());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->open_rows_dropped, 400u);
  EXPECT_EQ(r->blocks_removed, 0u);
  ExpectOnlyRecentSpans(*store, world, data);
  ASSERT_THAT(store->Flush(), IsOk());
  ExpectOnlyRecentSpans(*store, world, data);
}

TEST_F(SpanStoreTest, ApplyRetentionKeepsRecentSpansAcrossReopen) {
  const RetentionWorld world;
  const RetentionData data = MakeRetentionData(world);
  {
    auto store = OpenStore(WithRetention(Options()));
    ASSERT_NE(store, nullptr);
    WriteOk(*store, All(data));
    ASSERT_THAT(store->Flush(), IsOk());
    ASSERT_THAT(store->ApplyRetention(world.Now()), IsOk());
  }
  auto store = OpenStore(WithRetention(Options()));
  ASSERT_NE(store, nullptr);
  ExpectOnlyRecentSpans(*store, world, data);
}

TEST_F(SpanStoreTest, WriteRefusesSpansOlderThanTheAppliedCutoff) {
  const RetentionWorld world;
  const RetentionData data = MakeRetentionData(world);
  auto store = OpenStore(WithRetention(Options()));
  ASSERT_NE(store, nullptr);
  WriteOk(*store, data.recent_spans);
  ASSERT_THAT(store->ApplyRetention(world.Now()), IsOk());
  Span old = MakeSpan(500, 1, world.At(-1));
  Span just_before = MakeSpan(500, 2, world.At(26) - 1);
  Span at_cutoff = MakeSpan(500, 3, world.At(26));
  Result<WriteResult> r = store->Write({old, at_cutoff, just_before});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->stored, 1u);
  ASSERT_EQ(r->rejected.size(), 2u);
  EXPECT_EQ(r->rejected[0].index, 0u);
  EXPECT_THAT(r->rejected[0].reason, HasSubstr("retention"));
  EXPECT_EQ(r->rejected[1].index, 2u);
  EXPECT_THAT(store->GetTrace(TraceIdOf(500)).value(), ::testing::ElementsAre(at_cutoff));

  // A batch its caller validated (WriteOptions::validated) still meets the retention check.
  Span old_again = MakeSpan(501, 1, world.At(-1));
  Span kept = MakeSpan(501, 2, world.At(30));
  r = store->Write({old_again, kept}, {.validated = true});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->stored, 1u);
  ASSERT_EQ(r->rejected.size(), 1u);
  EXPECT_EQ(r->rejected[0].index, 0u);
  EXPECT_THAT(r->rejected[0].reason, HasSubstr("retention"));
  EXPECT_THAT(store->GetTrace(TraceIdOf(501)).value(), ::testing::ElementsAre(kept));
}

TEST_F(SpanStoreTest, ApplyRetentionWithoutRetentionSettingKeepsEverything) {
  const RetentionWorld world;
  const RetentionData data = MakeRetentionData(world);
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriteOk(*store, All(data));
  ASSERT_THAT(store->Flush(), IsOk());
  Result<RetentionResult> r = store->ApplyRetention(world.Now());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->blocks_removed, 0u);
  Result<ScanResult> scan = ScanProject(*store, "p");
  ASSERT_THAT(scan, IsOk());
  EXPECT_EQ(scan->total_rows, 660u);
}

TEST_F(SpanStoreTest, ApplyRetentionShrinksLiveData) {
  const RetentionWorld world;
  const RetentionData data = MakeRetentionData(world);
  std::mt19937_64 rng(5);
  std::vector<Span> bulky;
  for (int i = 0; i < 4000; ++i) {
    Span s = MakeSpan(1000 + i / 20, 10'000 + i, world.At(-4 + i % 3, i));
    std::string text(1500, ' ');
    for (char& c : text) c = static_cast<char>('a' + rng() % 26);
    s.attributes = {{"input.value", text}};
    s.project = "p";
    bulky.push_back(std::move(s));
  }
  {
    auto store = OpenStore(WithRetention(Options()));
    ASSERT_NE(store, nullptr);
    for (size_t k = 0; k < bulky.size(); k += 500) {
      WriteOk(*store, std::vector<Span>(bulky.begin() + k, bulky.begin() + k + 500));
    }
    WriteOk(*store, data.recent_spans);
    ASSERT_THAT(store->Flush(), IsOk());
  }
  // Reopening moves what the memtables held into SST files, which live_data_bytes counts.
  auto store = OpenStore(WithRetention(Options()));
  ASSERT_NE(store, nullptr);
  const uint64_t before = store->Stats().live_data_bytes;
  EXPECT_GT(before, uint64_t{2} << 20);
  Result<RetentionResult> r = store->ApplyRetention(world.Now());
  ASSERT_THAT(r, IsOk());
  EXPECT_GT(r->blocks_removed, 0u);
  const uint64_t after = store->Stats().live_data_bytes;
  EXPECT_LT(after, before / 4) << "before " << before << ", after " << after;
  Result<ScanResult> scan = ScanProject(*store, "p");
  ASSERT_THAT(scan, IsOk());
  EXPECT_EQ(scan->total_rows, data.recent_spans.size());
}

}  // namespace
}  // namespace roost::test
