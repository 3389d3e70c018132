// A power cut (the machine dies; what the disk had not synced is gone, a write-ahead log keeps a
// random part of it): with StoreOptions::sync every acknowledged span survives; without it the
// store still opens, every batch is whole or absent, each writer keeps a prefix of what it
// wrote, and what was written before the last WAL sync (every wal_sync_interval, and at a clean
// close) survives.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/span_store.h"
#include "tests/storage/power_loss.h"
#include "tests/storage/test_util.h"

namespace roost::test {
namespace {

using roost::testing::PowerLossFileSystem;

constexpr uint32_t kSpansPerBatch = 40;  // 8 traces of 5 spans
constexpr uint32_t kMaxBatches = 400;    // per writer and round: bounds every loop
constexpr uint32_t kWriters = 3;

// A batch is named by (round, writer, number).
struct BatchId {
  uint32_t round = 0;
  uint32_t writer = 0;
  uint32_t number = 0;
  auto operator<=>(const BatchId&) const = default;
};

uint64_t TraceKeyOf(const BatchId& b, uint32_t trace) {
  return (uint64_t{b.round} << 40) | (uint64_t{b.writer} << 32) | (uint64_t{b.number} << 8) | trace;
}

// Full spans (every field set), spread over three hours so that a batch feeds several blocks.
std::vector<Span> BatchSpans(const BatchId& b) {
  std::vector<Span> spans;
  for (uint32_t t = 0; t < kSpansPerBatch / 5; ++t) {
    const uint64_t trace = TraceKeyOf(b, t);
    for (uint32_t s = 0; s < 5; ++s) {
      const int64_t start = kBaseTime +
                            static_cast<int64_t>((b.number * 37 + t * 11) % 180) * 60 * kSecond +
                            s * kSecond;
      spans.push_back(MakeFullSpan(trace, trace * 8 + s, start));
    }
  }
  return spans;
}

// What one round of writers did: the batches acknowledged, and those tried whose Write failed
// (after the power went off; they may or may not have reached the disk).
struct RoundLog {
  std::mutex mu;
  std::set<BatchId> acked;
  std::set<BatchId> failed;
  std::atomic<uint32_t> acked_count{0};
};

class PowerLossTest : public SpanStoreTest {
 protected:
  // Seals often (small blocks, short idle time) so that power cuts meet sealing too.
  StoreOptions PowerOptions(bool sync) const {
    StoreOptions o = Options();
    o.file_system = fs_;
    o.sync = sync;
    o.background_sealing = true;
    o.max_block_rows = 300;
    o.max_open_rows = 2000;
    o.seal_idle = std::chrono::milliseconds(20);
    return o;
  }

  // kWriters threads write batches until a Write fails or kMaxBatches each; once `cut_after`
  // batches are acknowledged (or 20 s passed), the power goes off `delay` later. The store is
  // then closed and the disk keeps what a real one would.
  void RunRoundAndCutPower(bool sync, uint32_t round, uint32_t cut_after,
                           std::chrono::microseconds delay, RoundLog* log) {
    auto store = OpenStore(PowerOptions(sync));
    ASSERT_NE(store, nullptr);
    std::vector<std::thread> writers;
    for (uint32_t w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        for (uint32_t n = 0; n < kMaxBatches; ++n) {
          const BatchId id{round, w, n};
          Result<WriteResult> r = store->Write(BatchSpans(id));
          std::lock_guard lock(log->mu);
          if (!r.ok()) {
            log->failed.insert(id);
            return;
          }
          EXPECT_EQ(r->stored, kSpansPerBatch);
          log->acked.insert(id);
          log->acked_count.fetch_add(1);
        }
      });
    }
    for (int i = 0; i < 20000 && log->acked_count.load() < cut_after; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(delay);
    fs_->PowerOff();
    for (std::thread& t : writers) t.join();
    store.reset();
    fs_->LoseUnsyncedData(&rng_);
  }

  // Which batches the store holds: every span of a batch, or none of it (else a test failure).
  // Spans of no batch in `possible` are failures too.
  static std::set<BatchId> StoredBatches(const SpanStore& store,
                                         const std::set<BatchId>& possible) {
    Result<ScanResult> scan = ScanProject(store, "proj-full");
    EXPECT_THAT(scan, IsOk());
    if (!scan.ok()) return {};
    EXPECT_EQ(scan->repeated, 0u) << "a span stored twice";
    std::set<BatchId> whole;
    uint64_t rows_in_batches = 0;
    for (const BatchId& b : possible) {
      uint32_t found = 0;
      for (const Span& s : BatchSpans(b)) found += scan->rows.count(IdsOf(s)) ? 1 : 0;
      EXPECT_TRUE(found == 0 || found == kSpansPerBatch)
          << "batch " << b.round << "/" << b.writer << "/" << b.number << " half stored: " << found
          << " of " << kSpansPerBatch;
      if (found == kSpansPerBatch) whole.insert(b);
      rows_in_batches += found;
    }
    EXPECT_EQ(scan->total_rows, rows_in_batches) << "spans stored that no batch wrote";
    return whole;
  }

  // Writes batches 0/0/0 .. 0/0/count-1 one after another, each acknowledged, into `written`.
  static void WriteBatches(SpanStore& store, uint32_t count, std::set<BatchId>* written) {
    for (uint32_t n = 0; n < count; ++n) {
      const BatchId id{0, 0, n};
      ASSERT_EQ(WriteOk(store, BatchSpans(id)).stored, kSpansPerBatch);
      written->insert(id);
    }
  }

  // The store answers the same before and after sealing, and a whole trace reads back.
  static void ExpectConsistentReads(SpanStore& store, const std::set<BatchId>& stored) {
    Result<ScanResult> before = ScanProject(store, "proj-full");
    ASSERT_THAT(before, IsOk());
    ASSERT_THAT(store.Flush(), IsOk());
    Result<ScanResult> after = ScanProject(store, "proj-full");
    ASSERT_THAT(after, IsOk());
    EXPECT_EQ(after->total_rows, before->total_rows);
    if (stored.empty()) return;
    const BatchId last = *stored.rbegin();
    const std::vector<Span> spans = BatchSpans(last);
    Result<std::vector<Span>> trace = store.GetTrace(spans.front().trace_id);
    ASSERT_THAT(trace, IsOk());
    ASSERT_EQ(trace->size(), 5u);
    for (const Span& s : *trace) {
      auto it = std::find_if(spans.begin(), spans.end(),
                             [&](const Span& w) { return w.span_id == s.span_id; });
      ASSERT_NE(it, spans.end());
      EXPECT_EQ(s, *it);
    }
  }

  std::shared_ptr<PowerLossFileSystem> fs_ = std::make_shared<PowerLossFileSystem>();
  std::mt19937 rng_{20261206};
};

TEST_F(PowerLossTest, WithSyncEveryAcknowledgedSpanSurvivesAPowerCut) {
  std::set<BatchId> acked, possible;
  for (uint32_t round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    RoundLog log;
    const uint64_t syncs_before = fs_->syncs();
    RunRoundAndCutPower(/*sync=*/true, round, 3 + rng_() % 40,
                        std::chrono::microseconds(rng_() % 4000), &log);
    ASSERT_GT(log.acked.size(), 0u);
    EXPECT_GE(fs_->syncs() - syncs_before, log.acked.size() / kWriters) << "writes not synced";
    acked.insert(log.acked.begin(), log.acked.end());
    possible.insert(log.acked.begin(), log.acked.end());
    possible.insert(log.failed.begin(), log.failed.end());

    auto store = OpenStore(PowerOptions(/*sync=*/true));
    ASSERT_NE(store, nullptr);
    const std::set<BatchId> stored = StoredBatches(*store, possible);
    std::vector<BatchId> lost;
    std::set_difference(acked.begin(), acked.end(), stored.begin(), stored.end(),
                        std::back_inserter(lost));
    EXPECT_TRUE(lost.empty()) << lost.size() << " acknowledged batches lost, the first "
                              << lost.front().round << "/" << lost.front().writer << "/"
                              << lost.front().number;
    // A batch that failed but reached the disk is stored whole; from now on it counts as stored.
    acked = stored;
    // Re-sending an acknowledged batch finds it.
    Result<WriteResult> again = store->Write(BatchSpans(*log.acked.begin()));
    ASSERT_THAT(again, IsOk());
    EXPECT_EQ(again->duplicates, kSpansPerBatch);
    ExpectConsistentReads(*store, stored);
  }
}

TEST_F(PowerLossTest, WithoutSyncAPowerCutKeepsWholeBatchesAndAPrefixOfEachWriter) {
  std::set<BatchId> possible, durable;
  for (uint32_t round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    RoundLog log;
    RunRoundAndCutPower(/*sync=*/false, round, 3 + rng_() % 60,
                        std::chrono::microseconds(rng_() % 4000), &log);
    ASSERT_GT(log.acked.size(), 0u);
    possible.insert(log.acked.begin(), log.acked.end());
    possible.insert(log.failed.begin(), log.failed.end());

    auto store = OpenStore(PowerOptions(/*sync=*/false));
    ASSERT_NE(store, nullptr) << "the store must open after a power cut";
    const std::set<BatchId> stored = StoredBatches(*store, possible);
    // What earlier rounds found stored, and then sealed and closed cleanly, stays.
    EXPECT_TRUE(std::includes(stored.begin(), stored.end(), durable.begin(), durable.end()))
        << "a batch stored before this round's power cut is gone";
    // A writer's batches commit in order, so what survives of them is a prefix.
    for (uint32_t w = 0; w < kWriters; ++w) {
      uint32_t count = 0;
      for (const BatchId& b : stored) count += (b.round == round && b.writer == w) ? 1 : 0;
      for (uint32_t n = 0; n < count; ++n) {
        EXPECT_TRUE(stored.count(BatchId{round, w, n}))
            << "writer " << w << " kept " << count << " batches but not its batch " << n;
      }
    }
    ExpectConsistentReads(*store, stored);
    durable = stored;
    store.reset();
    // A clean close is durable: a power cut right after it loses nothing.
    fs_->PowerOff();
    fs_->LoseUnsyncedData(&rng_);
  }
}

TEST_F(PowerLossTest, WithoutSyncTheWalIsSyncedWithinTheIntervalWhenWritesStop) {
  std::set<BatchId> written;
  StoreOptions options = PowerOptions(/*sync=*/false);
  options.wal_sync_interval = std::chrono::milliseconds(100);
  // Seals after the last commit are WAL writes too, and need no sync (they are made again from
  // the spans at replay); without them the WAL ends fully synced.
  options.background_sealing = false;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  // A burst of commits, then nothing: the last ones are synced by a write of the store's own.
  WriteBatches(*store, 20, &written);
  uint64_t unsynced = fs_->UnsyncedBytes(".log");
  for (int i = 0; i < 1000 && unsynced > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    unsynced = fs_->UnsyncedBytes(".log");
  }
  // Stated before the cut: the sync came by itself, not from the close below.
  EXPECT_EQ(unsynced, 0u) << "the WAL was not synced within 5 s of the last write";
  fs_->PowerOff();
  store.reset();
  fs_->LoseUnsyncedData(&rng_);
  store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(StoredBatches(*store, written), written);
}

TEST_F(PowerLossTest, WithoutSyncACleanCloseIsDurable) {
  std::set<BatchId> written;
  {
    StoreOptions options = PowerOptions(/*sync=*/false);
    options.wal_sync_interval = std::chrono::milliseconds(0);  // only the close syncs
    auto store = OpenStore(options);
    ASSERT_NE(store, nullptr);
    WriteBatches(*store, 30, &written);
  }
  fs_->PowerOff();
  const uint64_t dropped = fs_->LoseUnsyncedData(&rng_);
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(StoredBatches(*store, written), written) << dropped << " unsynced bytes were dropped";
}

}  // namespace
}  // namespace roost::test
