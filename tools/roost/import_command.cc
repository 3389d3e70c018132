// `roost import`: load OTLP export requests from files into a data dir.

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "storage/span_store.h"
#include "tools/roost/commands.h"
#include "tools/roost/otlp_importer.h"
#include "tools/roost/store_flags.h"

namespace roost::cli {
namespace {

// Progress redraws at most this often.
constexpr std::chrono::milliseconds kProgressInterval{100};

struct ImportFlags {
  std::vector<std::string> files;
  std::string data = "./roost-data";
  std::string project;
  int threads = 2;
  size_t max_decompressed = kDefaultMaxDecompressedFileBytes;
  bool sync = false;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Redraws one status line on stderr every kProgressInterval until destroyed, then erases it.
class ProgressLine {
 public:
  ProgressLine(const OtlpImporter& importer, uint64_t total_bytes)
      : importer_(importer), total_bytes_(total_bytes), thread_([this] { Run(); }) {}
  ~ProgressLine() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    std::fputs("\r\033[K", stderr);
  }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void Run() {
    const auto begin = std::chrono::steady_clock::now();
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, kProgressInterval, [this] { return stop_; })) {
      const double mb = 1e6;
      const double done = static_cast<double>(importer_.bytes_read());
      const double total = static_cast<double>(total_bytes_);
      const double fraction = total > 0 ? std::min(1.0, done / total) : 0.0;
      constexpr int kWidth = 30;
      char bar[kWidth + 1];
      const int filled = static_cast<int>(fraction * kWidth);
      for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
      bar[kWidth] = '\0';
      const double spans = static_cast<double>(importer_.spans_done());
      std::fprintf(stderr, "\r[%s] %5.1f%%  %.1f / %.1f MB  %.0f spans  %.0f spans/s\033[K", bar,
                   fraction * 100, done / mb, total / mb, spans, spans / Seconds(begin));
      std::fflush(stderr);
    }
  }

  const OtlpImporter& importer_;
  const uint64_t total_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

void PrintSummary(const ImportStats& stats, size_t files, double seconds) {
  std::printf(
      "imported %llu of %zu files (%llu requests) in %.2f s: %llu spans stored, %llu duplicates, "
      "%llu rejected (%.0f spans/s)\n",
      static_cast<unsigned long long>(stats.files), files,
      static_cast<unsigned long long>(stats.requests), seconds,
      static_cast<unsigned long long>(stats.stored),
      static_cast<unsigned long long>(stats.duplicates),
      static_cast<unsigned long long>(stats.rejected),
      static_cast<double>(stats.stored + stats.duplicates + stats.rejected) / seconds);
  for (const std::string& reason : stats.rejection_samples) {
    std::printf("  rejected: %s\n", reason.c_str());
  }
  if (stats.rejected > stats.rejection_samples.size()) {
    std::printf("  ... and %llu more rejected spans\n",
                static_cast<unsigned long long>(stats.rejected - stats.rejection_samples.size()));
  }
  std::fflush(stdout);
}

void RunImport(const ImportFlags& f) {
  if (f.threads < 1 || f.threads > 64) Fail("--threads must be in [1, 64]");
  uint64_t total_bytes = 0;
  for (const std::string& file : f.files) {
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(file, ec);
    if (ec) Fail(file + ": " + ec.message() + ". Nothing was imported.");
    total_bytes += size;
  }
  StoreOptions store_options;
  store_options.path = f.data;
  store_options.sync = f.sync;
  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(store_options);
  if (!store.ok()) Fail(store.status().ToString());

  ImportOptions options;
  options.project = f.project;
  options.threads = f.threads;
  options.max_decompressed_bytes = f.max_decompressed;
  OtlpImporter importer(**store, options);
  const auto begin = std::chrono::steady_clock::now();
  Status failure;
  {
    std::unique_ptr<ProgressLine> progress;
    if (::isatty(STDERR_FILENO) == 1)
      progress = std::make_unique<ProgressLine>(importer, total_bytes);
    for (const std::string& file : f.files) {
      failure = importer.ImportFile(file);
      if (!failure.ok()) break;
    }
  }
  const double seconds = Seconds(begin);
  PrintSummary(importer.stats(), f.files.size(), seconds);
  if (!failure.ok()) Fail(failure.message());
  const auto seal_begin = std::chrono::steady_clock::now();
  if (Status s = (*store)->Flush(); !s.ok()) Fail("sealing: " + s.ToString());
  std::printf("sealed in %.2f s\n", Seconds(seal_begin));
}

}  // namespace

void AddImportCommand(CLI::App& app) {
  auto f = std::make_shared<ImportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Load OTLP trace export requests from files (protobuf, length-delimited protobuf, JSON, "
      "JSON lines; optionally gzip'd) into a data dir");
  cmd->add_option("files", f->files, "OTLP files")->required();
  cmd->add_option("--data", f->data, "Data dir (created if missing)")->envname("ROOST_DATA");
  cmd->add_option("--project", f->project,
                  "Put every span into this project (as the x-project-name header does)");
  cmd->add_option("--threads", f->threads, "Requests decoded and written concurrently");
  cmd->add_option("--max-decompressed", f->max_decompressed,
                  "Largest decompressed size of a gzip file, bytes");
  cmd->add_flag("--sync", f->sync, "fsync every group commit");
  cmd->callback([f] { RunImport(*f); });
}

}  // namespace roost::cli
