#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>

#include "storage/result.h"
#include "storage/span_store.h"

namespace roost::internal {

// RocksDB column families, one per access path (see key_codec.h).
enum Family : int {
  kOutbox = 0,
  kCols,
  kBlockMeta,
  kPayload,
  kTraceIdx,
  kSessionIdx,
  kAgg,
  kDict,
  kMeta,
  kFamilyCount,
};

// The on-disk format this build writes; a data dir with a larger one is refused, and a writable
// open of a data dir with a smaller one raises it (this build reads every older format).
//   1: the first format.
//   2: compact span records may refer to typed fields and to earlier attributes
//      (record_codec.h), which older builds cannot decode.
inline constexpr uint32_t kFormatVersion = 2;

// Shared by the index compaction filter and retention: index entries of buckets below this are
// dropped when compacted.
struct RetentionCutoff {
  std::atomic<uint32_t> bucket{0};
  // Payload pages of commits from this seq on are kept whatever their age: they may still wait
  // in the replication outbox (the oldest pending commit; UINT64_MAX when none is pending).
  std::atomic<uint64_t> keep_payload_from{UINT64_MAX};
};

// The open RocksDB database with its column family handles. Not copyable; closes on destruction.
class StoreDb {
 public:
  // Opens (creating if needed, unless read-only) and checks the format version.
  static Result<std::unique_ptr<StoreDb>> Open(const StoreOptions& options,
                                               std::shared_ptr<RetentionCutoff> cutoff);
  ~StoreDb();

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(Family f) const { return handles_[f]; }
  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }
  // Whether RocksDB writes SST files with O_DIRECT (StoreOptions::direct_writes, when the probe
  // found the filesystem takes it).
  bool direct_writes() const { return direct_writes_; }

 private:
  StoreDb() = default;
  // Compaction filters must outlive db_ (declared first, destroyed last).
  std::vector<std::unique_ptr<rocksdb::CompactionFilter>> filters_;
  std::unique_ptr<rocksdb::DB> db_;
  std::array<rocksdb::ColumnFamilyHandle*, kFamilyCount> handles_{};
  std::string path_;
  bool read_only_ = false;
  bool direct_writes_ = false;
};

// Whether `dir`'s filesystem accepts an O_DIRECT write: creates, writes one aligned block to and
// removes a probe file in `dir` (which must exist). tmpfs, for one, refuses O_DIRECT opens.
bool DirectWritesWork(const std::string& dir);

// Converts a RocksDB status, prefixing `context` to the message.
Status FromRocks(const rocksdb::Status& s, std::string_view context);

}  // namespace roost::internal
