#include "storage/internal/store_db.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <spdlog/spdlog.h>

#include "storage/internal/agg_merge_operator.h"
#include "storage/internal/record_pack.h"
#include "storage/key_codec.h"

namespace roost::internal {
namespace {

constexpr const char* kFamilyNames[kFamilyCount] = {
    "outbox", "cols", "blockmeta", "payload", "trace_idx", "session_idx", "agg", "dict", "meta",
};

constexpr const char* kFormatKey = "format_version";

// Drops trace_idx and session_idx entries whose bucket fell out of retention: those families are
// keyed by trace or session first, so retention cannot delete them as ranges.
class IndexRetentionFilter : public rocksdb::CompactionFilter {
 public:
  IndexRetentionFilter(std::shared_ptr<RetentionCutoff> cutoff, size_t bucket_offset,
                       size_t key_size, const char* name)
      : cutoff_(std::move(cutoff)),
        bucket_offset_(bucket_offset),
        key_size_(key_size),
        name_(name) {}

  bool Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& /*value*/,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    if (key.size() != key_size_) return false;
    uint32_t bucket = keys::GetU32(key.data() + bucket_offset_);
    return bucket < cutoff_->bucket.load(std::memory_order_relaxed);
  }
  const char* Name() const override { return name_; }

 private:
  std::shared_ptr<RetentionCutoff> cutoff_;
  size_t bucket_offset_;
  size_t key_size_;
  const char* name_;
};

// Drops payload pages whose newest record's hour bucket fell out of retention (the pack's tag),
// unless their commit may still be pending replication.
class PayloadRetentionFilter : public rocksdb::CompactionFilter {
 public:
  explicit PayloadRetentionFilter(std::shared_ptr<RetentionCutoff> cutoff)
      : cutoff_(std::move(cutoff)) {}

  bool Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& value,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    std::optional<uint32_t> tag = RecordPackTag(std::string_view(value.data(), value.size()));
    if (!tag || *tag >= cutoff_->bucket.load(std::memory_order_relaxed)) return false;
    // Records still waiting for replication are kept (retention reports them).
    return key.size() == keys::kPayloadKeySize &&
           keys::GetU64(key.data()) < cutoff_->keep_payload_from.load(std::memory_order_acquire);
  }
  const char* Name() const override { return "roost.PayloadRetention"; }

 private:
  std::shared_ptr<RetentionCutoff> cutoff_;
};

rocksdb::ColumnFamilyOptions FamilyOptions(
    Family f, const std::shared_ptr<rocksdb::Cache>& cache,
    const std::shared_ptr<RetentionCutoff>& cutoff,
    std::vector<std::unique_ptr<rocksdb::CompactionFilter>>* filters) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  t.format_version = 5;
  // Debian's RocksDB computes CRC32C in software (it is built without SSE4.2), which made block
  // checksums a visible cost of flushes and compactions; XXH3 is several times faster.
  t.checksum = rocksdb::kXXH3;
  t.block_size = 16 * 1024;
  o.compression = rocksdb::kLZ4Compression;
  o.bottommost_compression = rocksdb::kZSTD;
  o.level_compaction_dynamic_level_bytes = true;
  // Room to absorb bursts while a flush runs, instead of stalling writers.
  o.max_write_buffer_number = 4;
  switch (f) {
    case kPayload:
      // Written once per span, as pages the writing threads compressed already (record_pack.h):
      // compressing again would cost CPU for nothing. (Pages of data dirs from before 2026-12
      // are bare, in blocks compressed when they were written; RocksDB reads those as before.)
      o.compression = rocksdb::kNoCompression;
      o.bottommost_compression = rocksdb::kNoCompression;
      t.block_size = 64 * 1024;
      o.write_buffer_size = 64 << 20;
      // Pages whose every record fell out of retention go at compaction.
      filters->push_back(std::make_unique<PayloadRetentionFilter>(cutoff));
      o.compaction_filter = filters->back().get();
      break;
    case kCols:
      o.write_buffer_size = 64 << 20;
      break;
    case kTraceIdx:
      // Lookups are "does this trace exist?": a prefix bloom on the 16-byte trace id answers most
      // of them without reading a block.
      o.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(16));
      o.memtable_prefix_bloom_size_ratio = 0.05;
      t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      t.whole_key_filtering = false;
      filters->push_back(std::make_unique<IndexRetentionFilter>(
          cutoff, 20, keys::kTraceIndexKeySize, "roost.TraceIndexRetention"));
      o.compaction_filter = filters->back().get();
      break;
    case kSessionIdx:
      filters->push_back(std::make_unique<IndexRetentionFilter>(
          cutoff, 8, keys::kSessionIndexKeySize, "roost.SessionIndexRetention"));
      o.compaction_filter = filters->back().get();
      break;
    case kAgg:
      o.merge_operator = NewAggMergeOperator();
      break;
    default:
      break;
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

}  // namespace

bool DirectWritesWork(const std::string& dir) {
  const std::string probe = dir + "/direct-io-probe.tmp";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0600);
  if (fd < 0) {
    ::unlink(probe.c_str());  // some filesystems create the file, then refuse the flag
    return false;
  }
  // 4 KiB covers the logical block size of every disk RocksDB's direct writes are used with.
  constexpr size_t kBlock = 4096;
  void* raw = std::aligned_alloc(kBlock, kBlock);
  bool ok = false;
  if (raw != nullptr) {
    std::unique_ptr<void, decltype(&std::free)> block(raw, &std::free);
    std::memset(raw, 0, kBlock);
    ok = ::pwrite(fd, raw, kBlock, 0) == static_cast<ssize_t>(kBlock);
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return ok;
}

Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::OK();
  std::string msg = std::string(context) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(msg);
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsInvalidArgument() || s.IsNotSupported()) return Status::InvalidArgument(msg);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) return Status::Unavailable(msg);
  if (s.IsNoSpace() || s.subcode() == rocksdb::Status::kSpaceLimit) {
    // Without RocksDB's text, which names files of the data dir: this reaches HTTP clients.
    // StoreDb::Write logs it.
    return Status::Unavailable("the data dir's disk is full (" + std::string(context) +
                               "); nothing was written, retry once space is freed");
  }
  return Status::IOError(msg);
}

namespace {

// Tells StoreDb when RocksDB stops taking writes after an error, and turns RocksDB's own
// recovery off: for a full disk that polls the free space only every 5 s, and a write it refuses
// meanwhile restarts it. StoreDb::Write asks RocksDB to resume instead, at most every
// kResumeInterval.
class WriteStopListener : public rocksdb::EventListener {
 public:
  explicit WriteStopListener(std::shared_ptr<StoreDb::WriteStop> stop) : stop_(std::move(stop)) {}

  void OnBackgroundError(rocksdb::BackgroundErrorReason /*reason*/,
                         rocksdb::Status* error) override {
    // Soft errors (a compaction short of space) leave writes going.
    if (error == nullptr || error->ok() || error->severity() < rocksdb::Status::kHardError) return;
    std::lock_guard lock(stop_->mu);
    stop_->error = *error;
    stop_->stopped.store(true, std::memory_order_release);
  }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/, rocksdb::Status error,
                            bool* auto_recovery) override {
    error.PermitUncheckedError();
    if (auto_recovery != nullptr) *auto_recovery = false;
  }

 private:
  std::shared_ptr<StoreDb::WriteStop> stop_;
};

// RocksDB's messages go to roost's log (spdlog, stderr) instead of a LOG file in the data dir:
// one place to read, and nothing to write on a disk that may be full. (RocksDB's file logger,
// as Debian builds it, aborts the process on the line after a failed write: an assertion in
// WritableFileWriter. A full disk killed `roost serve` that way.)
// A message RocksDB repeats (one per failed retry while a disk is full) is logged at most every
// half minute, with a count of the ones left out.
class RocksLogger : public rocksdb::Logger {
 public:
  explicit RocksLogger(rocksdb::InfoLogLevel level) : rocksdb::Logger(level) {}

  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    uint64_t left_out = 0;
    {
      // Keyed by the format string: the same message with other values counts as a repeat.
      std::lock_guard lock(mu_);
      const auto now = std::chrono::steady_clock::now();
      Repeats& r = repeats_[format];
      if (now < r.quiet_until) {
        r.left_out++;
        return;
      }
      left_out = std::exchange(r.left_out, 0);
      r.quiet_until = now + std::chrono::seconds(30);
      if (repeats_.size() > 1024) repeats_.clear();  // formats are literals: a bound, not a leak
    }
    char line[1024];
    const int n = std::vsnprintf(line, sizeof(line), format, ap);
    if (n < 0) return;
    // By InfoLogLevel: DEBUG, INFO, WARN, ERROR, FATAL, HEADER.
    constexpr spdlog::level::level_enum kLevels[] = {spdlog::level::debug,    spdlog::level::info,
                                                     spdlog::level::warn,     spdlog::level::err,
                                                     spdlog::level::critical, spdlog::level::info};
    const auto index = static_cast<size_t>(level);
    const spdlog::level::level_enum to =
        index < std::size(kLevels) ? kLevels[index] : spdlog::level::info;
    const std::string_view text(line, std::min<size_t>(n, sizeof(line) - 1));
    if (left_out == 0) {
      spdlog::log(to, "rocksdb: {}", text);
    } else {
      spdlog::log(to, "rocksdb: {} ({} more like it left out)", text, left_out);
    }
  }

 private:
  struct Repeats {
    std::chrono::steady_clock::time_point quiet_until;
    uint64_t left_out = 0;
  };
  std::mutex mu_;
  std::unordered_map<const char*, Repeats> repeats_;
};

}  // namespace

std::string StoreDb::WritesStopped() const {
  std::lock_guard lock(stop_->mu);
  return stop_->error ? FromRocks(*stop_->error, "writes stopped").message() : std::string();
}

Status StoreDb::Write(const rocksdb::WriteOptions& options, rocksdb::WriteBatch* batch,
                      std::string_view context) {
  std::optional<rocksdb::Status> stopped;
  if (stop_->stopped.load(std::memory_order_acquire)) stopped = WhileStopped();
  const rocksdb::Status raw = stopped ? *stopped : db_->Write(options, batch);
  Status s = FromRocks(raw, context);
  if (s.ok() && !write_failed_.load(std::memory_order_relaxed)) return s;
  std::lock_guard lock(failure_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (s.ok()) {
    if (write_failed_) spdlog::info("{}: writes succeed again", path_);
    write_failed_ = false;
  } else if (!write_failed_ || now >= next_failure_log_) {
    // Logged when writes start failing, then every half minute while they still do; with
    // RocksDB's own words, which the returned status may leave out.
    spdlog::error("{}{} ({})", write_failed_ ? "writes still fail: " : "", s.ToString(),
                  raw.ToString());
    write_failed_ = true;
    next_failure_log_ = now + std::chrono::seconds(30);
  }
  return s;
}

std::optional<rocksdb::Status> StoreDb::WhileStopped() {
  std::lock_guard lock(resume_mu_);  // one Resume() at a time
  std::optional<rocksdb::Status> error;
  {
    std::lock_guard stop_lock(stop_->mu);
    error = stop_->error;
  }
  if (!error) return std::nullopt;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_resume_) return error;
  // Retries what failed (for a full disk, flushing the memtables); if that works RocksDB takes
  // writes again, else it stays stopped with a fresh error (OnBackgroundError). Each failed try
  // may write part of a file, so tries back off: kResumeInterval, doubling to kMaxResumeInterval.
  const rocksdb::Status resumed = db_->Resume();
  if (!resumed.ok()) {
    spdlog::debug("resuming writes: {}", resumed.ToString());
    next_resume_ = now + resume_delay_;
    resume_delay_ = std::min<std::chrono::milliseconds>(2 * resume_delay_, kMaxResumeInterval);
    return error;
  }
  resume_delay_ = kResumeInterval;
  std::lock_guard stop_lock(stop_->mu);
  stop_->error.reset();
  stop_->stopped.store(false, std::memory_order_release);
  return std::nullopt;
}

Result<std::unique_ptr<StoreDb>> StoreDb::Open(const StoreOptions& options,
                                               std::shared_ptr<RetentionCutoff> cutoff) {
  if (options.path.empty()) return Status::InvalidArgument("data dir path is empty");
  std::error_code ec;
  if (!options.read_only) {
    std::filesystem::create_directories(options.path, ec);
    if (ec) {
      return Status::IOError("cannot create data dir " + options.path + ": " + ec.message());
    }
  } else if (!std::filesystem::exists(options.path + "/CURRENT", ec)) {
    return Status::NotFound("no roost data dir at " + options.path);
  }

  std::unique_ptr<StoreDb> store(new StoreDb());
  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  // The WAL is written back as it grows, so that the fsync of a commit (StoreOptions::sync, or
  // the one every wal_sync_interval) has little left to write and stalls the writer briefly.
  db_options.wal_bytes_per_sync = 1 << 20;
  db_options.max_total_wal_size = 512 << 20;
  db_options.enable_pipelined_write = true;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.info_log = std::make_shared<RocksLogger>(db_options.info_log_level);
  db_options.keep_log_file_num = 3;
  db_options.listeners.push_back(std::make_shared<WriteStopListener>(store->stop_));
  if (options.file_system) {
    store->env_ = rocksdb::NewCompositeEnv(options.file_system);
    db_options.env = store->env_.get();
  }
  // Decided before the DB exists, so that RocksDB never meets a filesystem refusing the flag.
  const bool direct = options.direct_writes && !options.read_only && DirectWritesWork(options.path);
  db_options.use_direct_io_for_flush_and_compaction = direct;
  if (options.direct_writes && !options.read_only && !direct) {
    spdlog::info(
        "data dir {}: its filesystem refuses O_DIRECT writes; RocksDB writes its files "
        "through the page cache",
        options.path);
  }

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int f = 0; f < kFamilyCount; ++f) {
    descriptors.emplace_back(
        kFamilyNames[f], FamilyOptions(static_cast<Family>(f), cache, cutoff, &store->filters_));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options.read_only) {
    s = rocksdb::DB::OpenForReadOnly(db_options, options.path, descriptors, &handles, &raw);
  } else {
    s = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw);
  }
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return Status::Unavailable("data dir " + options.path +
                                 " is in use by another roost process (" + s.ToString() + ")");
    }
    return FromRocks(s, "opening " + options.path);
  }
  store->db_.reset(raw);
  store->path_ = options.path;
  store->read_only_ = options.read_only;
  store->direct_writes_ = direct;
  for (int f = 0; f < kFamilyCount; ++f) store->handles_[f] = handles[f + 1];
  // The default family is unused; its handle is owned by the DB.
  raw->DestroyColumnFamilyHandle(handles[0]);

  std::string version;
  s = raw->Get(rocksdb::ReadOptions(), store->cf(kMeta), kFormatKey, &version);
  uint32_t found = 0;  // none yet: a new data dir
  if (s.IsNotFound()) {
    if (options.read_only) return Status::Corruption("data dir has no format version");
  } else if (!s.ok()) {
    return FromRocks(s, "reading format version");
  } else {
    if (version.size() != 4) return Status::Corruption("format version value is malformed");
    found = keys::GetU32(version.data());
    if (found > kFormatVersion) {
      return Status::InvalidArgument(
          "data dir " + options.path + " was written by format version " + std::to_string(found) +
          ", newer than this roost (" + std::to_string(kFormatVersion) + "): upgrade roost");
    }
  }
  // Before this process writes anything in the current format, so that older builds refuse the
  // data dir rather than misread it.
  if (found < kFormatVersion && !options.read_only) {
    std::string v;
    keys::PutU32(&v, kFormatVersion);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    if (Status st = FromRocks(raw->Put(wo, store->cf(kMeta), kFormatKey, v), "format version");
        !st.ok()) {
      return st;
    }
    if (found != 0) {
      spdlog::info("data dir {}: format version {} -> {}", options.path, found, kFormatVersion);
    }
  }
  return store;
}

StoreDb::~StoreDb() {
  if (!db_) return;
  // Without StoreOptions::sync the WAL's last commits are only in the page cache; a power cut
  // even minutes after a clean shutdown would lose them. One fsync at close makes the shutdown
  // durable. Not while writes are stopped by an error: Debian's RocksDB aborts the process on a
  // WAL flush after a failed WAL write (an assertion in WritableFileWriter).
  if (!read_only_ && !stop_->stopped.load(std::memory_order_acquire)) {
    if (rocksdb::Status s = db_->FlushWAL(/*sync=*/true); !s.ok()) {
      spdlog::warn("closing the data dir: syncing the write-ahead log failed: {}", s.ToString());
    }
  }
  for (auto* h : handles_) {
    if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
  }
  db_->Close().PermitUncheckedError();
}

}  // namespace roost::internal
