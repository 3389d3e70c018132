// Retention: ApplyRetention(now) removes every hour bucket that ended before now - retention from
// every reader, keeps the rest whole, and later writes of old spans are refused.
//
// Open() drops spans older than the retention measured from the real clock, so the spans here
// sit around the real current hour and `now` is placed two days ahead of it: the "old" spans are
// recent for Open() and old for ApplyRetention(now).

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/internal/store_db.h"
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

// Session and user ids are dictionary strings, held in memory and on disk. Retention removes those
// no stored row uses any more, as it removes the rows: they would otherwise grow without bound,
// and a user id may be personal data.

// A span of project "p" in `session` (and `user`) at `start`.
Span SessionSpan(uint64_t trace_key, uint64_t span_key, int64_t start, const std::string& session,
                 const std::string& user) {
  Span s = MakeSpan(trace_key, span_key, start);
  s.project = "p";
  s.session_id = session;
  s.user_id = user;
  return s;
}

TEST_F(SpanStoreTest, ApplyRetentionRemovesSessionAndUserIdsNoStoredRowUses) {
  const RetentionWorld world;
  RetentionData data = MakeRetentionData(world);
  for (Span& s : data.old_spans) s.user_id = s.session_id == "old-only" ? "user-old" : "user-both";
  for (Span& s : data.recent_spans) s.user_id = "user-both";
  auto store = OpenStore(WithRetention(Options()));
  ASSERT_NE(store, nullptr);
  WriteOk(*store, All(data));
  ASSERT_THAT(store->Flush(), IsOk());
  const uint64_t strings_before = store->Stats().dictionary_strings;
  Result<uint32_t> old_only = store->DictionaryId(DictKind::kSession, "old-only");
  Result<uint32_t> recent_only = store->DictionaryId(DictKind::kSession, "recent-only");
  ASSERT_THAT(old_only, IsOk());
  ASSERT_THAT(recent_only, IsOk());

  Result<RetentionResult> r = store->ApplyRetention(world.Now());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->strings_removed, 2u);
  EXPECT_EQ(store->Stats().dictionary_strings, strings_before - 2);
  EXPECT_THAT(store->DictionaryId(DictKind::kSession, "old-only"),
              IsError(Status::Code::kNotFound, ""));
  EXPECT_THAT(store->DictionaryString(DictKind::kSession, *old_only),
              IsError(Status::Code::kNotFound, ""));
  EXPECT_THAT(store->DictionaryId(DictKind::kUser, "user-old"),
              IsError(Status::Code::kNotFound, ""));
  EXPECT_THAT(store->DictionaryId(DictKind::kSession, "mixed"), IsOk());
  EXPECT_THAT(store->DictionaryId(DictKind::kUser, "user-both"), IsOk());
  // Projects, span names and models are few, and kept.
  EXPECT_THAT(store->DictionaryId(DictKind::kProject, "old-project"), IsOk());
  ExpectOnlyRecentSpans(*store, world, data);
  r = store->ApplyRetention(world.Now());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->strings_removed, 0u);

  store.reset();
  store = OpenStore(WithRetention(Options()));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Stats().dictionary_strings, strings_before - 2);
  EXPECT_THAT(store->DictionaryId(DictKind::kSession, "old-only"),
              IsError(Status::Code::kNotFound, ""));
  EXPECT_THAT(store->DictionaryId(DictKind::kUser, "user-old"),
              IsError(Status::Code::kNotFound, ""));
  ExpectOnlyRecentSpans(*store, world, data);

  // The session comes back: a new id, never one given before.
  const Span again = SessionSpan(900, 1, world.At(40), "old-only", "user-old");
  EXPECT_EQ(WriteOk(*store, {again}).stored, 1u);
  Result<uint32_t> new_id = store->DictionaryId(DictKind::kSession, "old-only");
  ASSERT_THAT(new_id, IsOk());
  EXPECT_GT(*new_id, *recent_only);
  EXPECT_THAT(store->GetSession("p", "old-only").value(), ::testing::ElementsAre(again));
  ASSERT_THAT(store->Flush(), IsOk());
  EXPECT_THAT(store->GetSession("p", "old-only").value(), ::testing::ElementsAre(again));
}

// A read that began before retention removed the rows can still name their sessions: the ids
// stay until it ends.
TEST_F(SpanStoreTest, RetentionKeepsIdsWhileAReadThatSawTheirRowsIsRunning) {
  const RetentionWorld world;
  RetentionData data = MakeRetentionData(world);
  auto store = OpenStore(WithRetention(Options()));
  ASSERT_NE(store, nullptr);
  WriteOk(*store, All(data));
  ASSERT_THAT(store->Flush(), IsOk());
  Result<uint32_t> old_only = store->DictionaryId(DictKind::kSession, "old-only");
  ASSERT_THAT(old_only, IsOk());
  std::shared_ptr<const ReadSnapshot> before = store->Snapshot();
  Result<RetentionResult> r = store->ApplyRetention(world.Now());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->blocks_removed, 6u);
  EXPECT_EQ(r->strings_removed, 0u);
  ScanRequest request;
  request.project = "p";
  request.columns = ColumnSet{Column::kSession};
  std::set<uint32_t> seen;
  ASSERT_THAT(store->Scan(*before, request,
                          [&](const ColumnView& v) {
                            for (size_t i = 0; i < v.rows; ++i) seen.insert(v.session[i]);
                            return Status::OK();
                          }),
              IsOk());
  EXPECT_EQ(seen.count(*old_only), 1u);
  for (uint32_t id : seen) EXPECT_THAT(store->DictionaryString(DictKind::kSession, id), IsOk());
  before.reset();
  r = store->ApplyRetention(world.Now());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->strings_removed, 1u);
  EXPECT_THAT(store->DictionaryString(DictKind::kSession, *old_only),
              IsError(Status::Code::kNotFound, ""));
}

// A session's last hour moves up with its newest row, also across restarts, and never down.
TEST_F(SpanStoreTest, ApplyRetentionKeepsIdsAStoredRowStillUses) {
  const RetentionWorld world;
  std::vector<Span> old_turns;
  for (int i = 0; i < 20; ++i) {
    old_turns.push_back(SessionSpan(1, 1 + i, world.At(-5 + i % 5, i), "returning", "u1"));
    old_turns.push_back(SessionSpan(2, 1 + i, world.At(-5 + i % 5, i), "newest-first", "u2"));
  }
  const Span returning = SessionSpan(3, 1, world.At(31), "returning", "u1");
  const Span recent = SessionSpan(4, 1, world.At(32), "newest-first", "u2");
  {
    auto store = OpenStore(WithRetention(Options()));
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(WriteOk(*store, {recent}).stored, 1u);
    // Older rows of the same session and user, written after its newest one.
    EXPECT_EQ(WriteOk(*store, old_turns).stored, 40u);
    ASSERT_THAT(store->Flush(), IsOk());
  }
  {
    auto store = OpenStore(WithRetention(Options()));
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(WriteOk(*store, {returning}).stored, 1u);  // stays unsealed: replayed at open
  }
  auto store = OpenStore(WithRetention(Options()));
  ASSERT_NE(store, nullptr);
  Result<RetentionResult> r = store->ApplyRetention(world.Now());
  ASSERT_THAT(r, IsOk());
  EXPECT_GT(r->blocks_removed, 0u);
  EXPECT_EQ(r->strings_removed, 0u);
  for (const char* user : {"u1", "u2"}) {
    EXPECT_THAT(store->DictionaryId(DictKind::kUser, user), IsOk()) << user;
  }
  EXPECT_THAT(store->GetSession("p", "returning").value(), ::testing::ElementsAre(returning));
  EXPECT_THAT(store->GetSession("p", "newest-first").value(), ::testing::ElementsAre(recent));
  ASSERT_THAT(store->Flush(), IsOk());
  Result<std::vector<SessionSummary>> sessions = store->ListSessions("p");
  ASSERT_THAT(sessions, IsOk());
  std::map<std::string, uint64_t> counts;
  for (const SessionSummary& s : *sessions) counts[s.session_id] = s.span_count;
  EXPECT_EQ(counts, (std::map<std::string, uint64_t>{{"newest-first", 1}, {"returning", 1}}));
}

// Records waiting for replication outlive retention, so a restart's replay meets rows of hours
// retention removed: they stay removed, also when the store reopens with a longer retention (and
// a pass with a lower cutoff runs) or with none, whether their strings were collected or not;
// spans written after that are kept; and replication still gets the removed ones whole.
TEST_F(SpanStoreTest, ReplayNeverBringsBackRowsRetentionRemoved) {
  const RetentionWorld world;
  StoreOptions with_outbox = WithRetention(Options());
  with_outbox.outbox = true;
  std::vector<Span> recent, old;
  for (int i = 0; i < 30; ++i) {
    recent.push_back(SessionSpan(1, 1 + i, world.At(30, i), "recent", "u-recent"));
    // Hour 10: below the first pass's cutoff (26), above the second's (2).
    old.push_back(SessionSpan(2, 1 + i, world.At(10, i), i % 2 ? "gone" : "recent",
                              i % 2 ? "u-gone" : "u-recent"));
  }
  {
    auto store = OpenStore(with_outbox);
    ASSERT_NE(store, nullptr);
    WriteOk(*store, recent);  // first: its open block keeps the replay floor below the old rows
    WriteOk(*store, old);
    Result<RetentionResult> r = store->ApplyRetention(world.Now());
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->open_rows_dropped, 30u);
    EXPECT_EQ(r->strings_removed, 2u);
    EXPECT_GT(r->pending_spans_kept, 0u);
  }
  {
    StoreOptions longer = with_outbox;
    longer.retention = std::chrono::hours(48);
    auto store = OpenStore(longer);
    ASSERT_NE(store, nullptr);
    Result<RetentionResult> r = store->ApplyRetention(world.Now());
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->cutoff_bucket, world.CutoffBucket() - 24);
    EXPECT_EQ(ScanProject(*store, "p").value().total_rows, 30u);
  }
  StoreOptions no_retention = Options();
  no_retention.outbox = true;
  const Span late = SessionSpan(3, 1, world.At(10), "late", "u-late");
  {
    auto store = OpenStore(no_retention);
    ASSERT_NE(store, nullptr);
    Result<ScanResult> scan = ScanProject(*store, "p");
    ASSERT_THAT(scan, IsOk());
    EXPECT_EQ(scan->total_rows, 30u);
    EXPECT_THAT(store->GetSession("p", "gone").value(), IsEmpty());
    EXPECT_EQ(store->GetSession("p", "recent").value().size(), 30u);
    Result<std::vector<OutboxEntry>> outbox = store->ReadOutbox(0, 1000);
    ASSERT_THAT(outbox, IsOk());
    size_t gone = 0;
    for (const OutboxEntry& e : *outbox) {
      for (const Span& s : e.spans) gone += s.session_id == "gone" && s.user_id == "u-gone";
    }
    EXPECT_EQ(gone, 15u);
    // Without retention now, a span of a removed hour is taken, and kept.
    EXPECT_EQ(WriteOk(*store, {late}).stored, 1u);
  }
  auto store = OpenStore(no_retention);
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->GetSession("p", "late").value(), ::testing::ElementsAre(late));
  Result<ScanResult> scan = ScanProject(*store, "p");
  ASSERT_THAT(scan, IsOk());
  EXPECT_EQ(scan->total_rows, 31u);
}

// Commits intern strings while retention collects them: a session whose old rows expire but
// which gets a new row meanwhile keeps a string, whichever comes first.
TEST_F(SpanStoreTest, RetentionAndConcurrentWritesAgreeOnWhichIdsAreUsed) {
  const RetentionWorld world;
  constexpr int kSessions = 3000;
  auto store = OpenStore(WithRetention(Options()));
  ASSERT_NE(store, nullptr);
  std::vector<Span> old;
  for (int k = 0; k < kSessions; ++k) {
    old.push_back(SessionSpan(1 + k, 1, world.At(-2, k), "s" + std::to_string(k), ""));
  }
  WriteOk(*store, old);
  ASSERT_THAT(store->Flush(), IsOk());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int k = 0; k < kSessions; ++k) {
      const std::string session = "s" + std::to_string(k);
      Result<WriteResult> w =
          store->Write({SessionSpan(1 + k, 2, world.At(30 + k % 3, k), session, "")});
      EXPECT_TRUE(w.ok() && w->stored == 1) << session;
    }
    done = true;
  });
  uint64_t removed = 0;
  for (int pass = 0; pass < 200 && !done; ++pass) {
    Result<RetentionResult> r = store->ApplyRetention(world.Now());
    ASSERT_THAT(r, IsOk());
    removed += r->strings_removed;
  }
  writer.join();
  Result<RetentionResult> r = store->ApplyRetention(world.Now());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->strings_removed, 0u);  // the passes during the writes removed every one it could
  EXPECT_LE(removed, static_cast<uint64_t>(kSessions));
  for (int round = 0; round < 2; ++round) {
    Result<std::vector<SessionSummary>> sessions = store->ListSessions("p");
    ASSERT_THAT(sessions, IsOk());
    EXPECT_EQ(sessions->size(), static_cast<size_t>(kSessions));
    for (int k = 0; k < kSessions; k += 97) {
      std::vector<Span> got = store->GetSession("p", "s" + std::to_string(k)).value();
      ASSERT_EQ(got.size(), 1u) << k;
      EXPECT_GE(got[0].start_unix_nano, world.At(30));
    }
    store.reset();
    store = OpenStore(WithRetention(Options()));
    ASSERT_NE(store, nullptr);
  }
}

// A data dir from before format version 3 has no last hours: a writable open gives its ids the
// newest hour of any stored row, sealed or not, so they are kept while a row may use them and
// removed after.
TEST_F(SpanStoreTest, RetentionRemovesIdsOfADataDirFromBeforeFormatVersion3) {
  const RetentionWorld world;
  for (bool newest_unsealed : {false, true}) {
    SCOPED_TRACE(newest_unsealed ? "newest row unsealed" : "newest row sealed");
    StoreOptions options = WithRetention(Options());
    options.path += newest_unsealed ? "/unsealed" : "/sealed";
    const Span newest = SessionSpan(3, 1, world.At(40), "recent", "u-recent");
    {
      auto store = OpenStore(options);
      ASSERT_NE(store, nullptr);
      std::vector<Span> spans;
      for (int i = 0; i < 20; ++i) {
        spans.push_back(SessionSpan(1, 1 + i, world.At(-5 + i % 5, i), "old-only", "u-old"));
        spans.push_back(SessionSpan(2, 1 + i, world.At(30 + i % 4, i), "recent", "u-recent"));
      }
      if (!newest_unsealed) spans.push_back(newest);
      WriteOk(*store, spans);
      ASSERT_THAT(store->Flush(), IsOk());
      if (newest_unsealed) WriteOk(*store, {newest});  // replayed into an open block at open
    }
    {  // Back to format 2: no last-hour or state entries in the dict family.
      auto db = internal::StoreDb::Open(options, std::make_shared<internal::RetentionCutoff>());
      ASSERT_THAT(db, IsOk());
      rocksdb::DB* raw = (*db)->db();
      rocksdb::ColumnFamilyHandle* dict = (*db)->cf(internal::kDict);
      std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(rocksdb::ReadOptions(), dict));
      rocksdb::WriteBatch batch;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const auto first = static_cast<uint8_t>(it->key()[0]);
        if (first == 0 || (first & 0xc0) == 0x40) {
          ASSERT_TRUE(batch.Delete(dict, it->key()).ok());
        }
      }
      EXPECT_EQ(batch.Count(), 4u);  // two sessions and two users
      std::string version;
      keys::PutU32(&version, 2);
      ASSERT_TRUE(batch.Put((*db)->cf(internal::kMeta), "format_version", version).ok());
      ASSERT_TRUE(raw->Write(rocksdb::WriteOptions(), &batch).ok());
    }
    auto store = OpenStore(options);
    ASSERT_NE(store, nullptr);
    // Every id is kept while the newest row (hour 40) is: also "old-only", whose rows are gone.
    Result<RetentionResult> r = store->ApplyRetention(world.At(60));  // cutoff: hour 36
    ASSERT_THAT(r, IsOk());
    EXPECT_GT(r->blocks_removed, 0u);
    EXPECT_EQ(r->strings_removed, 0u);
    EXPECT_THAT(store->GetSession("p", "recent").value(), ::testing::ElementsAre(newest));

    const Span newer = SessionSpan(4, 1, world.At(80), "recent", "u-recent");
    EXPECT_EQ(WriteOk(*store, {newer}).stored, 1u);
    r = store->ApplyRetention(world.At(70));  // cutoff: hour 46
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->strings_removed, 2u);
    EXPECT_THAT(store->DictionaryId(DictKind::kSession, "old-only"),
                IsError(Status::Code::kNotFound, ""));
    EXPECT_THAT(store->DictionaryId(DictKind::kUser, "u-old"),
                IsError(Status::Code::kNotFound, ""));
    EXPECT_THAT(store->GetSession("p", "recent").value(), ::testing::ElementsAre(newer));
  }
}

}  // namespace
}  // namespace roost::test
