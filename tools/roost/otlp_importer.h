#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "storage/span_store.h"
#include "storage/status.h"

namespace roost::cli {

struct OtlpRequestSlice;

// Decompressed size beyond which a gzip file is refused (a "gzip bomb" guard; the whole content
// is held in memory while it is imported).
inline constexpr size_t kDefaultMaxDecompressedFileBytes = size_t{4} << 30;

struct ImportOptions {
  // As the x-project-name header: when non-empty, every span goes into this project.
  std::string project;
  // Requests decoded and written concurrently (the store group-commits concurrent writes).
  int threads = 2;
  size_t max_decompressed_bytes = kDefaultMaxDecompressedFileBytes;
  // A request's spans go to SpanStore::Write in slices of at most this many (bounds the memory
  // of one write and keeps a huge single-request file from monopolizing the write queue).
  size_t max_spans_per_write = 16384;
  // SpanStore::Write answering kUnavailable (queue full) is retried this often, sleeping
  // unavailable_backoff between attempts, before the import gives up.
  int max_unavailable_retries = 3000;
  std::chrono::milliseconds unavailable_backoff{10};
  // At most this many rejection reasons are kept in ImportStats::rejection_samples.
  size_t max_rejection_samples = 5;
};

// What has been imported so far, over all files.
struct ImportStats {
  uint64_t files = 0;     // files imported completely
  uint64_t requests = 0;  // export requests written completely
  uint64_t stored = 0;
  uint64_t duplicates = 0;
  uint64_t rejected = 0;  // spans refused by decoding or by the store
  // "FILE request N (line L): span I: reason" for the first few rejections.
  std::vector<std::string> rejection_samples;
};

// Loads OTLP files (see OtlpFileContent, DetectOtlpFormat) into a SpanStore through Write, as
// the trace ingest endpoint would store the same requests. Files are imported one after another;
// within a file, options.threads threads each take the next request, decode it and write it.
// Thread-safe: progress accessors may be called from any thread while ImportFile runs; ImportFile
// itself must not run concurrently with itself. `store` must outlive the importer.
class OtlpImporter {
 public:
  OtlpImporter(SpanStore& store, const ImportOptions& options);

  // Imports one file. On failure returns a status whose message names the file, the problem and
  // the request (index and line or byte offset), and says what of the file was stored anyway:
  // requests are decoded and written concurrently, so those before the bad one, and possibly one
  // after it per extra thread, may have been stored. kNotFound/kIOError when the file cannot be
  // read, kInvalidArgument when it is not OTLP, kUnavailable when the store stayed busy past the
  // retry bound, other codes as SpanStore::Write returns them.
  [[nodiscard]] Status ImportFile(const std::string& path);

  // A snapshot of the totals so far.
  ImportStats stats() const;
  // Bytes of input consumed so far, counted on disk (compressed for gzip files), over all files;
  // for progress display. Thread-safe.
  uint64_t bytes_read() const { return bytes_read_.load(std::memory_order_relaxed); }
  // Spans written (stored, duplicate or rejected) so far. Thread-safe.
  uint64_t spans_done() const { return spans_done_.load(std::memory_order_relaxed); }

 private:
  struct FileRun;

  void RunWorker(FileRun& run);
  Status WriteRequest(const FileRun& run, const OtlpRequestSlice& request, std::vector<Span> spans,
                      uint64_t* stored);
  void AddRejections(const std::string& where, const std::vector<std::string>& reasons,
                     uint64_t count);
  static std::string DescribeFailure(const FileRun& run);

  SpanStore& store_;
  const ImportOptions options_;
  mutable std::mutex mu_;
  ImportStats stats_;  // guarded by mu_
  uint64_t bytes_of_finished_files_ = 0;
  std::atomic<uint64_t> bytes_read_{0};
  std::atomic<uint64_t> spans_done_{0};
};

}  // namespace roost::cli
