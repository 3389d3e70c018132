#pragma once

// A filesystem for tests whose power can be cut: RocksDB's own FileSystem interface over the real
// one (files are real, in the test's temp dir), which remembers how much of every file it wrote
// has been made durable by a sync. PowerOff() is the moment the machine dies: from then on every
// change to the disk (a write, a sync, a new, renamed or deleted file) fails and changes nothing,
// so the store can be closed without touching the disk. LoseUnsyncedData(), once the store is
// closed, leaves on disk only what a real disk would have kept: every file cut back to what its
// last sync made durable, except that a write-ahead log (*.log) keeps a random part of what it
// wrote after that, cut anywhere, as a disk that wrote some of the unsynced sectors would have.
//
// Directory entries are taken as durable as soon as they are made (RocksDB syncs its directory
// after it creates, renames or deletes files, and these tests are about file contents).

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>

#include <rocksdb/file_system.h>
#include <rocksdb/io_status.h>

namespace roost::testing {

class PowerLossFileSystem : public rocksdb::FileSystemWrapper {
 public:
  PowerLossFileSystem() : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}

  const char* Name() const override { return "PowerLossFileSystem"; }

  // The power goes off: every later change to the disk fails.
  void PowerOff() { off_.store(true); }
  bool off() const { return off_.load(); }

  // Cuts every file written since the power came on back to what a disk would have kept (see
  // above), then turns the power on again with nothing remembered. Call it with every file
  // closed. Returns the bytes dropped.
  uint64_t LoseUnsyncedData(std::mt19937* rng) {
    std::lock_guard lock(mu_);
    uint64_t dropped = 0;
    for (const auto& [path, file] : files_) {
      std::error_code ec;
      const uint64_t size = std::filesystem::file_size(path, ec);
      if (ec || size <= file.synced) continue;
      uint64_t keep = file.synced;
      if (path.ends_with(".log")) keep += (*rng)() % (size - file.synced + 1);
      std::filesystem::resize_file(path, keep, ec);
      if (!ec) dropped += size - keep;
    }
    files_.clear();
    off_.store(false);
    return dropped;
  }

  // Syncs made durable so far (so that a test can tell its writes really were synced).
  uint64_t syncs() const { return syncs_.load(); }

  // Bytes written to files whose name ends with `suffix` that no sync has made durable yet.
  uint64_t UnsyncedBytes(std::string_view suffix) {
    std::lock_guard lock(mu_);
    uint64_t n = 0;
    for (const auto& [path, file] : files_) {
      if (path.ends_with(suffix)) n += file.written - std::min(file.written, file.synced);
    }
    return n;
  }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    if (off()) return Dead();
    return Track(f, 0, target()->NewWritableFile(f, options, r, dbg), r);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    if (off()) return Dead();
    std::error_code ec;
    const uint64_t existing = std::filesystem::file_size(f, ec);
    return Track(f, ec ? 0 : existing, target()->ReopenWritableFile(f, options, r, dbg), r);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old_f,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
    if (off()) return Dead();
    {
      std::lock_guard lock(mu_);
      files_.erase(old_f);
    }
    return Track(f, 0, target()->ReuseWritableFile(f, old_f, options, r, dbg), r);
  }
  rocksdb::IOStatus NewRandomRWFile(const std::string& f, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    if (off()) return Dead();
    return target()->NewRandomRWFile(f, options, r, dbg);
  }
  rocksdb::IOStatus DeleteFile(const std::string& f, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
    if (off()) return Dead();
    rocksdb::IOStatus s = target()->DeleteFile(f, options, dbg);
    if (s.ok()) {
      std::lock_guard lock(mu_);
      files_.erase(f);
    }
    return s;
  }
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& dst,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
    if (off()) return Dead();
    rocksdb::IOStatus s = target()->RenameFile(src, dst, options, dbg);
    if (s.ok()) {
      std::lock_guard lock(mu_);
      files_.erase(dst);
      if (auto it = files_.find(src); it != files_.end()) {
        files_[dst] = it->second;
        files_.erase(src);
      }
    }
    return s;
  }
  rocksdb::IOStatus LinkFile(const std::string& src, const std::string& dst,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
    if (off()) return Dead();
    return target()->LinkFile(src, dst, options, dbg);
  }
  rocksdb::IOStatus Truncate(const std::string& f, size_t size, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
    if (off()) return Dead();
    return target()->Truncate(f, size, options, dbg);
  }
  rocksdb::IOStatus CreateDir(const std::string& d, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    if (off()) return Dead();
    return target()->CreateDir(d, options, dbg);
  }
  rocksdb::IOStatus CreateDirIfMissing(const std::string& d, const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override {
    if (off()) return Dead();
    return target()->CreateDirIfMissing(d, options, dbg);
  }
  rocksdb::IOStatus DeleteDir(const std::string& d, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    if (off()) return Dead();
    return target()->DeleteDir(d, options, dbg);
  }
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewDirectory(name, options, result, dbg);
    if (s.ok()) *result = std::make_unique<Directory>(std::move(*result), this);
    return s;
  }

 private:
  struct FileState {
    uint64_t written = 0;  // bytes in the file as this filesystem wrote them
    uint64_t synced = 0;   // of which a sync made this many durable
  };

  static rocksdb::IOStatus Dead() { return rocksdb::IOStatus::IOError("power is off"); }

  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> file, PowerLossFileSystem* fs, std::string path)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), path_(std::move(path)) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->off()) return Dead();
      rocksdb::IOStatus s = target()->Append(data, options, dbg);
      if (s.ok()) fs_->Wrote(path_, std::nullopt, data.size());
      return s;
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->off()) return Dead();
      rocksdb::IOStatus s = target()->Append(data, options, info, dbg);
      if (s.ok()) fs_->Wrote(path_, std::nullopt, data.size());
      return s;
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override {
      if (fs_->off()) return Dead();
      rocksdb::IOStatus s = target()->PositionedAppend(data, offset, options, dbg);
      if (s.ok()) fs_->Wrote(path_, offset, data.size());
      return s;
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       const rocksdb::DataVerificationInfo& info,
                                       rocksdb::IODebugContext* dbg) override {
      if (fs_->off()) return Dead();
      rocksdb::IOStatus s = target()->PositionedAppend(data, offset, options, info, dbg);
      if (s.ok()) fs_->Wrote(path_, offset, data.size());
      return s;
    }
    rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
      if (fs_->off()) return Dead();
      rocksdb::IOStatus s = target()->Truncate(size, options, dbg);
      if (s.ok()) fs_->Truncated(path_, size);
      return s;
    }
    rocksdb::IOStatus Allocate(uint64_t offset, uint64_t len, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
      if (fs_->off()) return Dead();
      return target()->Allocate(offset, len, options, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      if (fs_->off()) return Dead();
      rocksdb::IOStatus s = target()->Sync(options, dbg);
      if (s.ok()) fs_->Synced(path_);
      return s;
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (fs_->off()) return Dead();
      rocksdb::IOStatus s = target()->Fsync(options, dbg);
      if (s.ok()) fs_->Synced(path_);
      return s;
    }
    // sync_file_range starts writeback; it promises nothing about a power cut.
    rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                                rocksdb::IODebugContext* dbg) override {
      if (fs_->off()) return Dead();
      return target()->RangeSync(offset, nbytes, options, dbg);
    }
    rocksdb::IOStatus Flush(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (fs_->off()) return Dead();
      return target()->Flush(options, dbg);
    }

   private:
    PowerLossFileSystem* fs_;
    std::string path_;
  };

  class Directory : public rocksdb::FSDirectoryWrapper {
   public:
    Directory(std::unique_ptr<rocksdb::FSDirectory> dir, PowerLossFileSystem* fs)
        : rocksdb::FSDirectoryWrapper(std::move(dir)), fs_(fs) {}
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (fs_->off()) return Dead();
      return rocksdb::FSDirectoryWrapper::Fsync(options, dbg);
    }
    rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& options,
                                          rocksdb::IODebugContext* dbg,
                                          const rocksdb::DirFsyncOptions& dir_options) override {
      if (fs_->off()) return Dead();
      return rocksdb::FSDirectoryWrapper::FsyncWithDirOptions(options, dbg, dir_options);
    }

   private:
    PowerLossFileSystem* fs_;
  };

  rocksdb::IOStatus Track(const std::string& f, uint64_t existing, rocksdb::IOStatus s,
                          std::unique_ptr<rocksdb::FSWritableFile>* r) {
    if (!s.ok()) return s;
    {
      std::lock_guard lock(mu_);
      files_[f] = FileState{existing, existing};
    }
    *r = std::make_unique<File>(std::move(*r), this, f);
    return s;
  }
  void Wrote(const std::string& f, std::optional<uint64_t> offset, uint64_t n) {
    std::lock_guard lock(mu_);
    FileState& file = files_[f];
    file.written = offset ? std::max(file.written, *offset + n) : file.written + n;
  }
  void Truncated(const std::string& f, uint64_t size) {
    std::lock_guard lock(mu_);
    FileState& file = files_[f];
    file.written = size;
    file.synced = std::min(file.synced, size);
  }
  void Synced(const std::string& f) {
    std::lock_guard lock(mu_);
    FileState& file = files_[f];
    file.synced = file.written;
    syncs_.fetch_add(1);
  }

  std::atomic<bool> off_{false};
  std::atomic<uint64_t> syncs_{0};
  std::mutex mu_;
  std::map<std::string, FileState> files_;
};

}  // namespace roost::testing
