// Idempotence on (trace id, span id): within a batch, across batches, across threads, after
// sealing and across restarts. Every count is exact.

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/span_store.h"
#include "tests/storage/test_util.h"

namespace roost::test {
namespace {

// Spans 0..n-1 of a fixed id space: span k is in trace k / 5, in one of three hour buckets.
Span NumberedSpan(uint64_t k) {
  Span s =
      MakeSpan(k / 5 + 1, k + 1,
               kBaseTime + static_cast<int64_t>(k % 3) * kHour + static_cast<int64_t>(k) * 1000);
  s.session_id = "s" + std::to_string(k % 4);
  s.total_tokens = static_cast<int64_t>(k % 50);
  return s;
}

std::vector<Span> NumberedSpans(uint64_t from, uint64_t to) {
  std::vector<Span> out;
  for (uint64_t k = from; k < to; ++k) out.push_back(NumberedSpan(k));
  return out;
}

// Rows of project "default": total, and distinct (trace, span) pairs.
void ExpectStoredExactly(const SpanStore& store, uint64_t distinct) {
  Result<ScanResult> scan = ScanProject(store, "default");
  ASSERT_THAT(scan, IsOk());
  EXPECT_EQ(scan->repeated, 0u);
  EXPECT_EQ(scan->total_rows, distinct);
  EXPECT_EQ(scan->rows.size(), distinct);
}

TEST_F(SpanStoreTest, WriteCountsDuplicatesWithinABatch) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  std::vector<Span> batch = NumberedSpans(0, 40);
  std::vector<Span> again = NumberedSpans(10, 30);
  batch.insert(batch.end(), again.begin(), again.end());
  batch.push_back(NumberedSpan(0));
  WriteResult r = WriteOk(*store, batch);
  EXPECT_EQ(r.stored, 40u);
  EXPECT_EQ(r.duplicates, 21u);
  EXPECT_TRUE(r.rejected.empty());
  ExpectStoredExactly(*store, 40);
}

TEST_F(SpanStoreTest, FirstCopyOfADuplicateWins) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  Span first = NumberedSpan(7);
  first.name = "first";
  Span second = first;
  second.name = "second";
  second.total_tokens = 999;
  EXPECT_EQ(WriteOk(*store, {first, second}).duplicates, 1u);
  EXPECT_EQ(WriteOk(*store, {second}).duplicates, 1u);
  Result<std::vector<Span>> trace = store->GetTrace(first.trace_id);
  ASSERT_THAT(trace, IsOk());
  ASSERT_EQ(trace->size(), 1u);
  EXPECT_EQ(trace->front(), first);
}

TEST_F(SpanStoreTest, WriteCountsDuplicatesAcrossBatches) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(WriteOk(*store, NumberedSpans(0, 100)).stored, 100u);
  WriteResult r = WriteOk(*store, NumberedSpans(50, 150));
  EXPECT_EQ(r.stored, 50u);
  EXPECT_EQ(r.duplicates, 50u);
  EXPECT_EQ(store->Stats().committed_spans, 150u);
  EXPECT_EQ(store->Stats().duplicate_spans, 50u);
  ExpectStoredExactly(*store, 150);
}

TEST_F(SpanStoreTest, ConcurrentWritersStoreEachSpanOnce) {
  StoreOptions options = Options();
  options.background_sealing = true;
  options.max_block_rows = 100;
  options.seal_idle = std::chrono::milliseconds(2);
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 8;
  constexpr uint64_t kPerThread = 600;
  constexpr uint64_t kBatch = 50;
  std::vector<WriteResult> totals(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Thread t writes [t*300, t*300 + 600): each span is written by two threads.
      const uint64_t first = static_cast<uint64_t>(t) * kPerThread / 2;
      for (uint64_t k = first; k < first + kPerThread; k += kBatch) {
        Result<WriteResult> r = store->Write(NumberedSpans(k, k + kBatch));
        if (!r.ok()) {
          ADD_FAILURE() << r.status().ToString();
          return;
        }
        totals[t].stored += r->stored;
        totals[t].duplicates += r->duplicates;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  const uint64_t distinct = (kThreads + 1) * kPerThread / 2;
  uint64_t stored = 0, duplicates = 0;
  for (const WriteResult& r : totals) {
    stored += r.stored;
    duplicates += r.duplicates;
  }
  EXPECT_EQ(stored, distinct);
  EXPECT_EQ(duplicates, kThreads * kPerThread - distinct);
  const StoreStats stats = store->Stats();
  EXPECT_EQ(stats.committed_spans, distinct);
  EXPECT_EQ(stats.duplicate_spans, kThreads * kPerThread - distinct);
  EXPECT_EQ(stats.open_rows + stats.sealed_rows, distinct);
  ExpectStoredExactly(*store, distinct);
  ASSERT_THAT(store->Flush(), IsOk());
  EXPECT_EQ(store->Stats().sealed_rows, distinct);
  ExpectStoredExactly(*store, distinct);
}

TEST_F(SpanStoreTest, WriteRefusedAsUnavailableStoresNothingOfItsBatch) {
  StoreOptions options = Options();
  options.max_queued_spans = 1;  // any write arriving while another waits is shed
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 6;
  constexpr uint64_t kBatches = 40, kBatch = 10;
  std::vector<std::vector<uint64_t>> accepted(kThreads);
  std::vector<int> shed(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t b = 0; b < kBatches; ++b) {
        const uint64_t first = (static_cast<uint64_t>(t) * kBatches + b) * kBatch;
        Result<WriteResult> r = store->Write(NumberedSpans(first, first + kBatch));
        if (r.ok()) {
          EXPECT_EQ(r->stored, kBatch);
          accepted[t].push_back(first);
        } else {
          EXPECT_THAT(r, IsError(Status::Code::kUnavailable, "retry later"));
          ++shed[t];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  std::set<IdPair> want;
  for (const auto& firsts : accepted) {
    for (uint64_t first : firsts) {
      for (const Span& s : NumberedSpans(first, first + kBatch)) want.insert(IdsOf(s));
    }
  }
  Result<ScanResult> scan = ScanProject(*store, "default");
  ASSERT_THAT(scan, IsOk());
  std::set<IdPair> got;
  for (const auto& [ids, row] : scan->rows) got.insert(ids);
  EXPECT_EQ(got, want);
  EXPECT_EQ(scan->total_rows, want.size());
  EXPECT_EQ(store->Stats().committed_spans, want.size());
  RecordProperty("shed_writes", std::accumulate(shed.begin(), shed.end(), 0));
}

TEST_F(SpanStoreTest, DuplicateOfASealedSpanIsNotStored) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriteOk(*store, NumberedSpans(0, 200));
  ASSERT_THAT(store->Flush(), IsOk());
  EXPECT_EQ(store->Stats().open_rows, 0u);
  WriteResult r = WriteOk(*store, NumberedSpans(150, 250));
  EXPECT_EQ(r.stored, 50u);
  EXPECT_EQ(r.duplicates, 50u);
  ExpectStoredExactly(*store, 250);
  ASSERT_THAT(store->Flush(), IsOk());
  ExpectStoredExactly(*store, 250);
}

TEST_F(SpanStoreTest, DuplicateSentAfterReopenIsNotStored) {
  {
    auto store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    WriteOk(*store, NumberedSpans(0, 200));
  }
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Stats().open_rows, 200u);
  WriteResult r = WriteOk(*store, NumberedSpans(0, 300));
  EXPECT_EQ(r.stored, 100u);
  EXPECT_EQ(r.duplicates, 200u);
  ExpectStoredExactly(*store, 300);
}

TEST_F(SpanStoreTest, DuplicateSentAfterSealAndReopenIsNotStored) {
  {
    auto store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    WriteOk(*store, NumberedSpans(0, 200));
    ASSERT_THAT(store->Flush(), IsOk());
    WriteOk(*store, NumberedSpans(200, 260));  // these stay unsealed
  }
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Stats().open_rows, 60u);
  WriteResult r = WriteOk(*store, NumberedSpans(0, 300));
  EXPECT_EQ(r.stored, 40u);
  EXPECT_EQ(r.duplicates, 260u);
  ExpectStoredExactly(*store, 300);
  ASSERT_THAT(store->Flush(), IsOk());
  ExpectStoredExactly(*store, 300);
}

TEST_F(SpanStoreTest, ShuffledResendsNeverAddRows) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  std::mt19937 rng(11);
  std::set<uint64_t> sent;
  for (int round = 0; round < 6; ++round) {
    std::vector<Span> batch;
    uint64_t expect_new = 0;
    std::set<uint64_t> in_batch;
    for (int i = 0; i < 80; ++i) {
      uint64_t k = rng() % 300;
      batch.push_back(NumberedSpan(k));
      if (sent.count(k) == 0 && in_batch.insert(k).second) ++expect_new;
    }
    WriteResult r = WriteOk(*store, batch);
    EXPECT_EQ(r.stored, expect_new) << "round " << round;
    EXPECT_EQ(r.stored + r.duplicates, batch.size());
    sent.insert(in_batch.begin(), in_batch.end());
    if (round % 2 == 1) {
      ASSERT_THAT(store->Flush(), IsOk());
    }
  }
  ExpectStoredExactly(*store, sent.size());
}

}  // namespace
}  // namespace roost::test
