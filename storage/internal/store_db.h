#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
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
//   3: the dictionary keeps the last hour of each session and user id, and its own state, in
//      entries older builds take for corruption; ids may be missing (collected by retention).
inline constexpr uint32_t kFormatVersion = 3;

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

  // Every write of the store goes through here. A write refused for want of disk space is
  // kUnavailable naming the full disk; nothing of it was applied (RocksDB writes a batch
  // atomically). RocksDB then stops taking writes until it recovers. Its own recovery is turned
  // off (for a full disk it polls the free space every 5 s, and any write refused meanwhile
  // restarts it); instead, while stopped, a write here first asks RocksDB to resume, after
  // kResumeInterval and then after twice the wait of the try before, up to kMaxResumeInterval,
  // and otherwise fails at once with the error that stopped it, without reaching RocksDB. So
  // writes go on within kMaxResumeInterval of space being freed.
  // Failures are logged when they start and every half minute while they last. Thread-safe.
  Status Write(const rocksdb::WriteOptions& options, rocksdb::WriteBatch* batch,
               std::string_view context);
  static constexpr auto kResumeInterval = std::chrono::milliseconds(250);
  static constexpr auto kMaxResumeInterval = std::chrono::milliseconds(2000);

  // Empty while RocksDB takes writes; otherwise the error that stopped them.
  std::string WritesStopped() const;

  // Why RocksDB stopped taking writes, shared with the listener that learns it.
  struct WriteStop {
    std::atomic<bool> stopped{false};  // whether `error` is set, read without the lock
    std::mutex mu;
    std::optional<rocksdb::Status> error;  // set while stopped
  };

 private:
  StoreDb() = default;
  // The env of StoreOptions::file_system, when one is given; must outlive db_.
  std::unique_ptr<rocksdb::Env> env_;
  // Compaction filters must outlive db_ (declared first, destroyed last).
  std::vector<std::unique_ptr<rocksdb::CompactionFilter>> filters_;
  std::unique_ptr<rocksdb::DB> db_;
  std::array<rocksdb::ColumnFamilyHandle*, kFamilyCount> handles_{};
  std::string path_;
  bool read_only_ = false;
  bool direct_writes_ = false;
  // Write's part while RocksDB is stopped: nullopt once it resumes, else the error that stopped
  // it.
  std::optional<rocksdb::Status> WhileStopped();

  std::shared_ptr<WriteStop> stop_ = std::make_shared<WriteStop>();
  std::mutex resume_mu_;
  std::chrono::steady_clock::time_point next_resume_;         // under resume_mu_
  std::chrono::milliseconds resume_delay_ = kResumeInterval;  // under resume_mu_
  // Whether the last write failed, and when to log again if they go on failing.
  std::mutex failure_mu_;
  std::atomic<bool> write_failed_{false};  // written under failure_mu_
  std::chrono::steady_clock::time_point next_failure_log_;
};

// Whether `dir`'s filesystem accepts an O_DIRECT write: creates, writes one aligned block to and
// removes a probe file in `dir` (which must exist). tmpfs, for one, refuses O_DIRECT opens.
bool DirectWritesWork(const std::string& dir);

// Converts a RocksDB status, prefixing `context` to the message. Out of disk space (the
// filesystem's, or RocksDB's space limit) is kUnavailable: it passes once space is freed.
Status FromRocks(const rocksdb::Status& s, std::string_view context);

}  // namespace roost::internal
