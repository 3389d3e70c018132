// What the store holds in memory for rows not yet sealed stays near its bounds
// (StoreOptions::max_open_rows, max_open_page_bytes) whatever the traffic looks like: one busy
// project, or a busy one beside a trickle whose block never fills up or goes idle. Sealing runs
// in the background, a little behind the writes, so the tests allow it a few commits of lag.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/span_store.h"
#include "tests/storage/test_util.h"

namespace roost::test {
namespace {

class OpenMemoryTest : public SpanStoreTest {
 protected:
  // Background sealing on, but nothing goes idle during a test: only the bounds seal.
  StoreOptions BoundedOptions() const {
    StoreOptions o = Options();
    o.background_sealing = true;
    o.seal_idle = std::chrono::minutes(10);
    return o;
  }

  // Polls `stat` (at most 10 s) until it is at most `bound`; returns its last value.
  template <typename Stat>
  static uint64_t WaitUntilAtMost(Stat stat, uint64_t bound) {
    uint64_t v = stat();
    for (int i = 0; i < 1000 && v > bound; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      v = stat();
    }
    return v;
  }

  // Every span of `project` in `written` is stored once, and nothing else in that project.
  static void ExpectProjectHolds(const SpanStore& store, const std::string& project,
                                 const std::vector<Span>& written) {
    Result<ScanResult> scan = ScanProject(store, project);
    ASSERT_THAT(scan, IsOk());
    EXPECT_EQ(scan->total_rows, written.size());
    EXPECT_EQ(scan->repeated, 0u);
    size_t missing = 0;
    for (const Span& s : written) missing += scan->rows.count(IdsOf(s)) ? 0 : 1;
    EXPECT_EQ(missing, 0u);
  }
};

TEST_F(OpenMemoryTest, ATrickleProjectDoesNotKeepEveryPageItsRowsLandIn) {
  // Each commit is one page of 255 spans of a busy project and 1 of a quiet one. The quiet
  // project's block gets a row in every page, so it would keep every page (~180 KB each) alive
  // until it filled up (65,280 commits) or went idle.
  StoreOptions options = BoundedOptions();
  options.max_open_page_bytes = size_t{1} << 20;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  std::vector<Span> busy, quiet;
  uint64_t key = 1;
  uint64_t most_page_bytes = 0;
  size_t page_bytes_written = 0;
  for (int commit = 0; commit < 300; ++commit) {
    std::vector<Span> spans;
    for (int i = 0; i < 256; ++i, ++key) {
      Span s = MakeFullSpan(key, key, kBaseTime + static_cast<int64_t>(key) * 1000);
      s.project = i == 0 ? "quiet" : "busy";
      (i == 0 ? quiet : busy).push_back(s);
      spans.push_back(std::move(s));
    }
    ASSERT_EQ(WriteOk(*store, std::move(spans)).stored, 256u);
    const uint64_t page_bytes = store->Stats().open_page_bytes;
    if (commit == 0) page_bytes_written = page_bytes;
    most_page_bytes = std::max(most_page_bytes, page_bytes);
  }
  ASSERT_GT(page_bytes_written, 0u);
  // Unbounded, the quiet block would hold all 300 pages (~54 MB); the sealer may lag behind the
  // writes by a few commits.
  EXPECT_LE(most_page_bytes, options.max_open_page_bytes + 16 * page_bytes_written)
      << "one page is " << page_bytes_written << " bytes";
  EXPECT_LE(
      WaitUntilAtMost([&] { return store->Stats().open_page_bytes; }, options.max_open_page_bytes),
      options.max_open_page_bytes);
  EXPECT_GT(store->Stats().sealed_blocks, 2u) << "the quiet block was never sealed";
  ExpectProjectHolds(*store, "quiet", quiet);
  ExpectProjectHolds(*store, "busy", busy);
  // The quiet project's spans read back whole from the blocks the bound sealed.
  ASSERT_THAT(store->Flush(), IsOk());
  for (size_t i = 0; i < quiet.size(); i += 37) {
    Result<std::vector<Span>> trace = store->GetTrace(quiet[i].trace_id);
    ASSERT_THAT(trace, IsOk());
    ASSERT_EQ(trace->size(), 1u);
    EXPECT_EQ((*trace)[0], quiet[i]);
  }
}

TEST_F(OpenMemoryTest, OpenRowsAreSealedDownToTheirBound) {
  StoreOptions options = BoundedOptions();
  options.max_open_rows = 1000;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  std::vector<Span> written;
  uint64_t most_rows = 0;
  for (uint64_t commit = 0; commit < 40; ++commit) {
    std::vector<Span> spans;
    for (uint64_t i = 0; i < 256; ++i) {
      const uint64_t key = commit * 256 + i + 1;
      // Four hours, so four blocks are open at once.
      spans.push_back(MakeSpan(key, key, kBaseTime + static_cast<int64_t>(i % 4) * kHour));
      written.push_back(spans.back());
    }
    ASSERT_EQ(WriteOk(*store, std::move(spans)).stored, 256u);
    most_rows = std::max(most_rows, store->Stats().open_rows);
  }
  // Unbounded: all 10,240 rows.
  EXPECT_LE(most_rows, options.max_open_rows + 16 * 256);
  EXPECT_LE(WaitUntilAtMost([&] { return store->Stats().open_rows; }, options.max_open_rows),
            options.max_open_rows);
  ExpectProjectHolds(*store, "default", written);
}

TEST_F(OpenMemoryTest, ManySmallProjectsAreAllKeptAndSealed) {
  // One open block per project: 3,000 of them at once, each with a few rows.
  StoreOptions options = BoundedOptions();
  options.max_open_rows = 2000;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  std::vector<Span> written;
  uint64_t key = 1;
  for (int commit = 0; commit < 12; ++commit) {
    std::vector<Span> spans;
    for (int p = 0; p < 500; ++p, ++key) {
      Span s = MakeSpan(key, key, kBaseTime + static_cast<int64_t>(key) * 1000);
      s.project = "p" + std::to_string((commit % 6) * 500 + p);
      written.push_back(s);
      spans.push_back(std::move(s));
    }
    ASSERT_EQ(WriteOk(*store, std::move(spans)).stored, 500u);
  }
  EXPECT_LE(WaitUntilAtMost([&] { return store->Stats().open_rows; }, options.max_open_rows),
            options.max_open_rows);
  Result<std::vector<ProjectSummary>> projects = store->ListProjects();
  ASSERT_THAT(projects, IsOk());
  EXPECT_EQ(projects->size(), 3000u);
  ASSERT_THAT(store->Flush(), IsOk());
  size_t found = 0;
  for (int p = 0; p < 3000; p += 97) {
    const std::string name = "p" + std::to_string(p);
    std::vector<Span> of_project;
    for (const Span& s : written) {
      if (s.project == name) of_project.push_back(s);
    }
    ExpectProjectHolds(*store, name, of_project);
    found += of_project.size();
  }
  EXPECT_GT(found, 0u);
}

}  // namespace
}  // namespace roost::test
