// A full disk: writes are refused with kUnavailable naming it (nothing half-written), reads go
// on, writes resume by themselves once space is freed, and no acknowledged span is ever lost.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/span_store.h"
#include "tests/storage/full_disk.h"
#include "tests/storage/test_util.h"

namespace roost::test {
namespace {

using roost::testing::FullDiskFileSystem;

class FullDiskTest : public SpanStoreTest {
 protected:
  StoreOptions FullDiskOptions() const {
    StoreOptions o = Options();
    o.file_system = disk_;
    return o;
  }

  // `count` spans of their own traces, ids from `first_key` on, in one hour.
  static std::vector<Span> SpansFrom(uint64_t first_key, uint64_t count) {
    std::vector<Span> spans;
    for (uint64_t i = 0; i < count; ++i) {
      spans.push_back(MakeSpan(first_key + i, first_key + i,
                               kBaseTime + static_cast<int64_t>(first_key + i) * 1000));
    }
    return spans;
  }

  // Calls `attempt` until it gives anything but kUnavailable, at most 1,000 times 10 ms apart:
  // once space is freed, writes resume at the store's next attempt to resume RocksDB
  // (StoreDb::kMaxResumeInterval at most).
  template <typename Attempt>
  static auto RetryWhileUnavailable(Attempt attempt) {
    auto r = attempt();
    for (int i = 0; i < 1000 && StatusOf(r).IsUnavailable(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      r = attempt();
    }
    return r;
  }
  static Result<WriteResult> WriteWithRetries(SpanStore& store, const std::vector<Span>& spans) {
    return RetryWhileUnavailable([&] { return store.Write(spans); });
  }
  static Status FlushWithRetries(SpanStore& store) {
    return RetryWhileUnavailable([&] { return store.Flush(); });
  }

  // Every span of `expected` is in the store exactly once, and nothing else is.
  static void ExpectExactly(const SpanStore& store, const std::vector<Span>& expected) {
    Result<ScanResult> scan = ScanProject(store, "default");
    ASSERT_THAT(scan, IsOk());
    EXPECT_EQ(scan->total_rows, expected.size());
    EXPECT_EQ(scan->repeated, 0u);
    size_t missing = 0;
    for (const Span& s : expected) missing += scan->rows.count(IdsOf(s)) == 0 ? 1 : 0;
    EXPECT_EQ(missing, 0u);
  }

  std::shared_ptr<FullDiskFileSystem> disk_ = std::make_shared<FullDiskFileSystem>();
};

TEST_F(FullDiskTest, WritesAreRefusedWhileTheDiskIsFullAndResumeOnceSpaceIsFreed) {
  const std::vector<Span> before = SpansFrom(1, 50);
  const std::vector<Span> during = SpansFrom(1000, 40);
  {
    auto store = OpenStore(FullDiskOptions());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(WriteOk(*store, before).stored, 50u);

    disk_->SetFull(true);
    for (int attempt = 0; attempt < 3; ++attempt) {
      Result<WriteResult> refused = store->Write(during);
      ASSERT_FALSE(refused.ok());
      EXPECT_THAT(refused, IsError(Status::Code::kUnavailable, "disk is full"));
    }
    EXPECT_GT(disk_->refused(), 0u);
    EXPECT_THAT(store->Stats().writes_stopped, ::testing::HasSubstr("disk is full"));
    // RocksDB logs through roost, not to a LOG file in the data dir: its file logger, as
    // Debian builds it, aborts on the line after a write to a full disk failed.
    EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/LOG"));
    // Reads go on: the spans written before are all there, the refused ones are not.
    ExpectExactly(*store, before);
    Result<std::vector<Span>> trace = store->GetTrace(before.front().trace_id);
    ASSERT_THAT(trace, IsOk());
    ASSERT_EQ(trace->size(), 1u);
    EXPECT_EQ((*trace)[0], before.front());
    EXPECT_EQ(store->Stats().committed_spans, 50u);

    disk_->SetFull(false);
    Result<WriteResult> resumed = WriteWithRetries(*store, during);
    ASSERT_THAT(resumed, IsOk());
    EXPECT_EQ(resumed->stored, 40u);
    EXPECT_EQ(resumed->duplicates, 0u);
    EXPECT_EQ(store->Stats().writes_stopped, "");
    std::vector<Span> all = before;
    all.insert(all.end(), during.begin(), during.end());
    ExpectExactly(*store, all);
    ASSERT_THAT(store->Flush(), IsOk());
    ExpectExactly(*store, all);
  }
  // After a restart, on the ordinary filesystem: every acknowledged span, once.
  StoreOptions plain = Options();
  auto store = OpenStore(plain);
  ASSERT_NE(store, nullptr);
  std::vector<Span> all = before;
  all.insert(all.end(), during.begin(), during.end());
  ExpectExactly(*store, all);
  // Re-sending is still recognised as duplicates.
  Result<WriteResult> again = store->Write(during);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->stored, 0u);
  EXPECT_EQ(again->duplicates, 40u);
}

TEST_F(FullDiskTest, SealingThatFailsOnAFullDiskIsRetriedWithoutLosingOrRepeatingRows) {
  const std::vector<Span> spans = SpansFrom(1, 120);
  auto store = OpenStore(FullDiskOptions());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(WriteOk(*store, spans).stored, 120u);
  EXPECT_EQ(store->Stats().open_rows, 120u);

  disk_->SetFull(true);
  Status sealed = store->Flush();
  EXPECT_THAT(sealed, IsError(Status::Code::kUnavailable, "disk is full"));
  // The rows stay readable, from memory, exactly once.
  ExpectExactly(*store, spans);
  EXPECT_EQ(store->Stats().sealed_rows, 0u);

  disk_->SetFull(false);
  ASSERT_THAT(FlushWithRetries(*store), IsOk());
  EXPECT_EQ(store->Stats().sealed_rows, 120u);
  EXPECT_EQ(store->Stats().open_rows, 0u);
  ExpectExactly(*store, spans);

  store.reset();
  store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  ExpectExactly(*store, spans);
  EXPECT_EQ(store->Stats().open_rows, 0u);
}

// Writers keep writing while the disk fills and frees again: what was acknowledged is stored
// once, what was refused is not stored at all (a refused commit leaves nothing behind).
TEST_F(FullDiskTest, ConcurrentWritersAcrossAFullDiskKeepExactlyWhatWasAcknowledged) {
  StoreOptions options = FullDiskOptions();
  options.background_sealing = true;
  options.max_block_rows = 64;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);

  constexpr int kThreads = 4;
  constexpr int kBatchesPerThread = 60;
  constexpr uint64_t kBatch = 10;
  std::vector<std::vector<Span>> acknowledged(kThreads);
  std::atomic<int> refusals{0};
  std::atomic<int> other_errors{0};
  std::atomic<int> batches_done{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int b = 0; b < kBatchesPerThread; ++b) {
        const uint64_t first = 1 + (static_cast<uint64_t>(t) * kBatchesPerThread + b) * kBatch;
        std::vector<Span> batch = SpansFrom(first, kBatch);
        Result<WriteResult> r = store->Write(batch);
        if (r.ok()) {
          if (r->stored != kBatch) other_errors++;
          acknowledged[t].insert(acknowledged[t].end(), batch.begin(), batch.end());
        } else if (r.status().IsUnavailable()) {
          refusals++;
        } else {
          other_errors++;
        }
        batches_done++;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  // Fill the disk after some batches, free it after some more (bounded waits: the writers
  // finish whatever the disk does).
  for (int i = 0; i < 2000 && batches_done.load() < kThreads * kBatchesPerThread / 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  disk_->SetFull(true);
  for (int i = 0; i < 2000 && batches_done.load() < kThreads * kBatchesPerThread / 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  disk_->SetFull(false);
  for (auto& w : writers) w.join();

  EXPECT_EQ(other_errors.load(), 0);
  EXPECT_GT(refusals.load(), 0);
  std::vector<Span> all;
  for (const auto& spans : acknowledged) all.insert(all.end(), spans.begin(), spans.end());
  EXPECT_GT(all.size(), 0u);
  ExpectExactly(*store, all);
  ASSERT_THAT(FlushWithRetries(*store), IsOk());
  ExpectExactly(*store, all);

  store.reset();
  store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  ExpectExactly(*store, all);
}

}  // namespace
}  // namespace roost::test
