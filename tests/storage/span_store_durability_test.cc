// Durability: what Write acknowledged survives a clean close and a SIGKILL at any point, exactly
// once, including rows of commits that sealing split across blocks.

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/span_store.h"
#include "tests/storage/test_util.h"

#include <sys/types.h>
#include <sys/wait.h>

namespace roost::test {
namespace {

// Waits (bounded) until the store reports at least `blocks` sealed blocks.
bool WaitForSealedBlocks(const SpanStore& store, uint64_t blocks) {
  for (int i = 0; i < 1000; ++i) {
    if (store.Stats().sealed_blocks >= blocks) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

TEST_F(SpanStoreTest, ReopenKeepsEveryRowOfACommitSplitAcrossBlocks) {
  // 150 rows of one hour bucket in one commit, 100 rows per block: the first block fills and is
  // sealed in the background, the commit's last 50 rows stay in the next, open, block.
  StoreOptions options = Options();
  options.background_sealing = true;
  options.max_block_rows = 100;
  std::vector<Span> spans;
  for (int i = 0; i < 150; ++i) spans.push_back(MakeSpan(1 + i / 10, 1 + i, kBaseTime + i));
  {
    auto store = OpenStore(options);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(WriteOk(*store, spans).stored, 150u);
    ASSERT_TRUE(WaitForSealedBlocks(*store, 1));
    EXPECT_EQ(store->Stats().sealed_rows, 100u);
    EXPECT_EQ(store->Stats().open_rows, 50u);
  }
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  Result<ScanResult> scan = ScanProject(*store, "default");
  ASSERT_THAT(scan, IsOk());
  EXPECT_EQ(scan->total_rows, 150u);
  EXPECT_EQ(scan->repeated, 0u);
  size_t missing = 0;
  for (const Span& s : spans) missing += scan->rows.count(IdsOf(s)) == 0 ? 1 : 0;
  EXPECT_EQ(missing, 0u);
}

TEST_F(SpanStoreTest, ReopenAfterPartialSealsNeverDuplicatesRows) {
  StoreOptions options = Options();
  options.background_sealing = true;
  options.max_block_rows = 100;
  std::vector<Span> spans;
  for (int i = 0; i < 1000; ++i) {
    spans.push_back(MakeSpan(1 + i / 10, 1 + i, kBaseTime + (i % 4) * kHour + i));
  }
  for (int round = 0; round < 3; ++round) {
    auto store = OpenStore(options);
    ASSERT_NE(store, nullptr);
    for (size_t k = 0; k < spans.size(); k += 170) {
      const size_t end = std::min(spans.size(), k + 170);
      WriteOk(*store, std::vector<Span>(spans.begin() + k, spans.begin() + end));
    }
    Result<ScanResult> scan = ScanProject(*store, "default");
    ASSERT_THAT(scan, IsOk());
    EXPECT_EQ(scan->total_rows, spans.size()) << "round " << round;
    EXPECT_EQ(scan->repeated, 0u) << "round " << round;
  }
}

// Flush seals every frozen block in one WriteBatch: several blocks of one (project, bucket),
// blocks of other buckets and projects, their trace index entries sorted together. After a
// reopen nothing is replayed twice, every trace is found, and blocks sealed later get new numbers
// (the batch recorded the highest).
TEST_F(SpanStoreTest, OneSealBatchOfManyBlocksKeepsEveryRowOnceAcrossReopens) {
  StoreOptions options = Options();  // background sealing off: only Flush() seals
  options.max_block_rows = 10;
  auto span_at = [](int i) {
    Span s = MakeSpan(100 + i / 3, 1 + i, kBaseTime + (i % 3) * kHour + i);
    s.project = i % 4 == 0 ? "b" : "a";
    return s;
  };
  std::vector<Span> spans;
  for (int i = 0; i < 120; ++i) spans.push_back(span_at(i));
  auto expect_all = [&](SpanStore& store, const std::vector<Span>& want, const char* when) {
    size_t rows = 0;
    for (const char* project : {"a", "b"}) {
      Result<ScanResult> scan = ScanProject(store, project);
      ASSERT_THAT(scan, IsOk()) << when;
      EXPECT_EQ(scan->repeated, 0u) << when;
      rows += scan->total_rows;
    }
    EXPECT_EQ(rows, want.size()) << when;
    for (size_t i = 0; i < want.size(); i += 3) {
      Result<std::vector<Span>> trace = store.GetTrace(want[i].trace_id);
      ASSERT_THAT(trace, IsOk()) << when << " trace of span " << i;
      EXPECT_EQ(trace->size(), std::min<size_t>(3, want.size() - i)) << when << " span " << i;
    }
  };
  {
    auto store = OpenStore(options);
    ASSERT_NE(store, nullptr);
    for (size_t k = 0; k < spans.size(); k += 40) {
      WriteOk(*store, std::vector<Span>(spans.begin() + k, spans.begin() + k + 40));
    }
    ASSERT_THAT(store->Flush(), IsOk());
    EXPECT_EQ(store->Stats().open_rows, 0u);
    EXPECT_EQ(store->Stats().sealed_rows, spans.size());
    EXPECT_GE(store->Stats().sealed_blocks, 12u);  // 120 rows, at most 10 a block
    expect_all(*store, spans, "sealed");
  }
  {
    auto store = OpenStore(options);
    ASSERT_NE(store, nullptr);
    expect_all(*store, spans, "reopened");
    EXPECT_EQ(store->Stats().open_rows, 0u);  // nothing replayed
    std::vector<Span> more;
    for (int i = 120; i < 180; ++i) more.push_back(span_at(i));
    WriteOk(*store, more);
    ASSERT_THAT(store->Flush(), IsOk());
    spans.insert(spans.end(), more.begin(), more.end());
    expect_all(*store, spans, "sealed again");
  }
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  expect_all(*store, spans, "reopened again");
}

// The crash test's spans: batch `batch` of child `child` holds kCrashBatch spans in two projects
// and three hour buckets, so that a 100-row block limit splits most commits.
constexpr uint32_t kCrashBatch = 200;
constexpr uint32_t kCrashMaxBatches = 400;

Span CrashSpan(uint32_t child, uint32_t batch, uint32_t i) {
  const uint64_t base = uint64_t{child + 1} << 40 | uint64_t{batch} << 16;
  Span s =
      MakeSpan(base | i / 25, base | i, kBaseTime + (i % 3) * kHour + int64_t{batch} * 1000 + i);
  s.project = i % 2 == 0 ? "crash-a" : "crash-b";
  s.session_id = "c" + std::to_string(child) + "-" + std::to_string(i % 5);
  s.total_tokens = i;
  return s;
}

std::vector<Span> CrashBatch(uint32_t child, uint32_t batch) {
  std::vector<Span> out;
  for (uint32_t i = 0; i < kCrashBatch; ++i) out.push_back(CrashSpan(child, batch, i));
  return out;
}

StoreOptions CrashOptions(const std::string& path) {
  StoreOptions o;
  o.path = path;
  o.background_sealing = true;
  o.max_block_rows = 100;
  o.seal_idle = std::chrono::milliseconds(3);
  o.block_cache_bytes = size_t{8} << 20;
  return o;
}

// The child: writes batches and reports each acknowledged one on `fd`. Never returns.
[[noreturn]] void RunCrashChild(const std::string& path, uint32_t child, int fd) {
  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(CrashOptions(path));
  if (!store.ok()) _exit(2);
  for (uint32_t b = 0; b < kCrashMaxBatches; ++b) {
    Result<WriteResult> r = (*store)->Write(CrashBatch(child, b));
    if (!r.ok() || r->stored != kCrashBatch) _exit(3);
    if (write(fd, &b, sizeof b) != static_cast<ssize_t>(sizeof b)) _exit(4);
  }
  _exit(0);
}

// Reads acknowledgements from `fd`, `acked` having arrived already, until `want` arrived, EOF,
// or a read waits too long. Returns how many batches were acknowledged in all.
uint32_t ReadAcks(int fd, uint32_t acked, uint32_t want) {
  while (acked < want) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 30'000) <= 0) break;
    uint32_t b = 0;
    ssize_t n = read(fd, &b, sizeof b);
    if (n != static_cast<ssize_t>(sizeof b)) break;
    EXPECT_EQ(b, acked) << "acknowledgements out of order";
    ++acked;
  }
  return acked;
}

// Forks a child writing into `path`, reads about `kill_after` acknowledgements, waits `delay`
// and SIGKILLs it. Returns how many batches the child acknowledged in all.
uint32_t RunChildAndKillIt(const std::string& path, uint32_t child, uint32_t kill_after,
                           std::chrono::microseconds delay) {
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe failed";
    return 0;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    RunCrashChild(path, child, fds[1]);
  }
  close(fds[1]);
  uint32_t acked = 0;
  if (pid > 0) {
    acked = ReadAcks(fds[0], 0, kill_after);
    std::this_thread::sleep_for(delay);
    kill(pid, SIGKILL);
    int wstatus = 0;
    EXPECT_EQ(waitpid(pid, &wstatus, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(wstatus) || (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0))
        << "child failed with exit code " << WEXITSTATUS(wstatus);
    acked = ReadAcks(fds[0], acked, kCrashMaxBatches);  // acknowledged before the kill
  } else {
    ADD_FAILURE() << "fork failed";
  }
  close(fds[0]);
  return acked;
}

// Every span of every acknowledged batch is stored exactly once; nothing else is stored but
// spans of the one batch per child that may have been in flight.
void ExpectAcknowledgedSpansOnce(const SpanStore& store, const std::vector<uint32_t>& acked) {
  std::set<IdPair> stored;
  uint64_t rows = 0;
  for (const char* project : {"crash-a", "crash-b"}) {
    Result<ScanResult> scan = ScanProject(store, project);
    ASSERT_THAT(scan, IsOk());
    EXPECT_EQ(scan->repeated, 0u);
    rows += scan->total_rows;
    for (const auto& [ids, row] : scan->rows) stored.insert(ids);
  }
  uint64_t missing = 0;
  std::set<IdPair> possible;
  for (uint32_t c = 0; c < acked.size(); ++c) {
    for (uint32_t b = 0; b <= acked[c] && b < kCrashMaxBatches; ++b) {
      for (const Span& s : CrashBatch(c, b)) {
        possible.insert(IdsOf(s));
        if (b < acked[c] && stored.count(IdsOf(s)) == 0) ++missing;
      }
    }
  }
  EXPECT_EQ(missing, 0u) << "acknowledged spans lost; " << rows << " rows stored";
  EXPECT_LE(rows, possible.size());
  EXPECT_TRUE(std::includes(possible.begin(), possible.end(), stored.begin(), stored.end()))
      << "spans stored that no child wrote";
}

TEST_F(SpanStoreTest, SigkillAtRandomPointsLosesNothingAcknowledged) {
  std::mt19937 rng(20261125);
  std::vector<uint32_t> acked;
  for (uint32_t child = 0; child < 6; ++child) {
    SCOPED_TRACE("child " + std::to_string(child));
    const uint32_t kill_after = 1 + rng() % 30;
    acked.push_back(
        RunChildAndKillIt(dir_.path(), child, kill_after, std::chrono::microseconds(rng() % 3000)));
    ASSERT_GT(acked.back(), 0u);
    StoreOptions options = CrashOptions(dir_.path());
    options.background_sealing = false;
    auto store = OpenStore(options);
    ASSERT_NE(store, nullptr);
    ExpectAcknowledgedSpansOnce(*store, acked);
    Result<std::vector<Span>> trace =
        store->GetTrace(CrashSpan(child, acked.back() - 1, 0).trace_id);
    ASSERT_THAT(trace, IsOk());
    EXPECT_EQ(trace->size(), 25u);
  }
}

}  // namespace
}  // namespace roost::test
