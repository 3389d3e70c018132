// StoreOptions::direct_writes: flushes and compactions write with O_DIRECT when the data dir's
// filesystem takes it, and the store reads back everything it wrote either way.

#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/internal/store_db.h"
#include "tests/storage/test_util.h"

namespace roost::test {
namespace {

// Writes 3 traces of 4 spans over two hours, seals, compacts, reopens, and checks every span.
void RoundTripThroughFlushAndCompaction(const StoreOptions& options, bool expect_direct) {
  std::vector<Span> spans;
  for (uint64_t t = 0; t < 3; ++t) {
    for (uint64_t s = 0; s < 4; ++s) {
      spans.push_back(MakeFullSpan(
          t + 1, t * 10 + s + 1,
          kBaseTime + static_cast<int64_t>(t) * kHour + static_cast<int64_t>(s) * kSecond));
    }
  }
  {
    Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
    ASSERT_THAT(store, IsOk());
    EXPECT_EQ((*store)->Stats().direct_writes, expect_direct);
    Result<WriteResult> written = (*store)->Write(spans);
    ASSERT_THAT(written, IsOk());
    EXPECT_EQ(written->stored, spans.size());
    ASSERT_THAT((*store)->Flush(), IsOk());
    ASSERT_THAT((*store)->Compact(), IsOk());  // flushes every memtable into SST files
  }
  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
  ASSERT_THAT(store, IsOk());
  for (uint64_t t = 0; t < 3; ++t) {
    Result<std::vector<Span>> trace = (*store)->GetTrace(TraceIdOf(t + 1));
    ASSERT_THAT(trace, IsOk());
    ASSERT_EQ(trace->size(), 4u);
    for (size_t s = 0; s < 4; ++s) EXPECT_EQ((*trace)[s], spans[t * 4 + s]);
  }
  // The probe leaves nothing behind in the data dir.
  EXPECT_FALSE(std::filesystem::exists(options.path + "/direct-io-probe.tmp"));
}

// Options for a store at `path` that seals only on Flush().
StoreOptions OptionsAt(const std::string& path) {
  StoreOptions options;
  options.path = path;
  options.background_sealing = false;
  return options;
}

TEST(DirectWritesTest, FollowTheProbeOfTheDataDirsFilesystem) {
  TempDir dir;
  const StoreOptions options = OptionsAt(dir.path());
  const bool works = internal::DirectWritesWork(dir.path());
  RoundTripThroughFlushAndCompaction(options, works);
}

TEST(DirectWritesTest, OffWhenTheOptionIsOff) {
  TempDir dir;
  StoreOptions options = OptionsAt(dir.path());
  options.direct_writes = false;
  RoundTripThroughFlushAndCompaction(options, false);
}

TEST(DirectWritesTest, ReadOnlyStoresNeverProbe) {
  TempDir dir;
  StoreOptions options = OptionsAt(dir.path());
  RoundTripThroughFlushAndCompaction(options, internal::DirectWritesWork(dir.path()));
  options.read_only = true;
  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
  ASSERT_THAT(store, IsOk());
  EXPECT_FALSE((*store)->Stats().direct_writes);
}

// tmpfs took no O_DIRECT before Linux 6.6; on either kind of kernel the store works there.
TEST(DirectWritesTest, StoreOnTmpfsWorksWhateverTheKernelSays) {
  std::error_code ec;
  if (!std::filesystem::is_directory("/dev/shm", ec)) GTEST_SKIP() << "no /dev/shm";
  std::string pattern = "/dev/shm/roost_direct_XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) GTEST_SKIP() << "/dev/shm is not writable";
  RoundTripThroughFlushAndCompaction(OptionsAt(pattern), internal::DirectWritesWork(pattern));
  std::filesystem::remove_all(pattern, ec);
}

TEST(DirectWritesTest, ProbeFailsForAMissingDir) {
  TempDir dir;
  EXPECT_FALSE(internal::DirectWritesWork(dir.path() + "/missing"));
}

}  // namespace
}  // namespace roost::test
