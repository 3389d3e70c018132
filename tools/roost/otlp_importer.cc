#include "tools/roost/otlp_importer.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <utility>

#include "ingest/decoded_batch.h"
#include "tools/roost/otlp_file_reader.h"

namespace roost::cli {
namespace {

// `status` with another message, same code.
Status WithMessage(const Status& status, const std::string& message) {
  switch (status.code()) {
    case Status::Code::kOk:
      return Status::OK();
    case Status::Code::kNotFound:
      return Status::NotFound(message);
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(message);
    case Status::Code::kCorruption:
      return Status::Corruption(message);
    case Status::Code::kIOError:
      return Status::IOError(message);
    case Status::Code::kUnavailable:
      return Status::Unavailable(message);
  }
  return Status::IOError(message);
}

std::string Plural(uint64_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

}  // namespace

// One file being imported: the request cursor shared by the workers, and how far they got.
struct OtlpImporter::FileRun {
  FileRun(std::string p, const OtlpFileContent& c, OtlpFileFormat f, ingest::DecodeOptions d)
      : path(std::move(p)), content(c), decode(std::move(d)), format(f), splitter(c.bytes(), f) {}

  const std::string path;
  const OtlpFileContent& content;
  const ingest::DecodeOptions decode;
  const OtlpFileFormat format;

  std::mutex mu;
  OtlpRequestSplitter splitter;                     // guarded by mu
  std::optional<ingest::DecodedBatch> first_batch;  // guarded by mu; request 0, decoded already
  size_t taken = 0;                                 // guarded by mu: requests handed out
  bool stop = false;                                // guarded by mu
  Status error;                                     // guarded by mu: failure of lowest index
  size_t error_index = 0;                           // guarded by mu
  uint64_t error_partial_stored = 0;                // guarded by mu: spans of it stored anyway
  std::vector<size_t> completed;                    // guarded by mu: requests written whole
  uint64_t stored = 0;                              // guarded by mu: new spans from this file

  // REQUIRES: mu held.
  void RecordFailure(size_t index, Status status, uint64_t partial_stored) {
    stop = true;
    if (!error.ok() && error_index <= index) return;
    error = std::move(status);
    error_index = index;
    error_partial_stored = partial_stored;
  }
};

OtlpImporter::OtlpImporter(SpanStore& store, const ImportOptions& options)
    : store_(store), options_(options) {}

ImportStats OtlpImporter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

Status OtlpImporter::ImportFile(const std::string& path) {
  Result<std::unique_ptr<OtlpFileContent>> content =
      OtlpFileContent::Open(path, options_.max_decompressed_bytes);
  if (!content.ok()) return content.status();
  ingest::DecodeOptions decode;
  decode.project_header = options_.project;
  // The decoder validates under the store's limits, so the store need not look again.
  decode.span_limits = store_.limits();
  Result<DetectedOtlpFormat> detected = DetectOtlpFormat((*content)->bytes(), decode);
  if (!detected.ok()) {
    return Status::InvalidArgument(path + ": " + detected.status().message() +
                                   ". Nothing of this file was stored.");
  }
  FileRun run(path, **content, detected->format, decode);
  run.first_batch = std::move(detected->first_request);

  std::vector<std::thread> helpers;
  for (int i = 1; i < std::max(1, options_.threads); ++i) {
    helpers.emplace_back([this, &run] { RunWorker(run); });
  }
  RunWorker(run);
  for (std::thread& t : helpers) t.join();

  bytes_of_finished_files_ += (*content)->file_bytes();
  bytes_read_.store(bytes_of_finished_files_, std::memory_order_relaxed);
  if (!run.error.ok()) return WithMessage(run.error, DescribeFailure(run));
  std::lock_guard lock(mu_);
  ++stats_.files;
  return Status::OK();
}

// Takes requests in file order until there are none left or one failed. Each iteration takes a
// new request from the splitter, so the loop ends after at most as many passes as requests.
void OtlpImporter::RunWorker(FileRun& run) {
  const std::string_view bytes = run.content.bytes();
  for (;;) {
    OtlpRequestSlice slice;
    std::optional<ingest::DecodedBatch> batch;
    {
      std::lock_guard lock(run.mu);
      if (run.stop) return;
      Result<std::optional<OtlpRequestSlice>> next = run.splitter.Next();
      if (!next.ok()) {
        run.RecordFailure(run.taken, next.status(), 0);
        return;
      }
      if (!next->has_value()) return;
      slice = **next;
      ++run.taken;
      if (slice.index == 0 && run.first_batch) {
        batch = std::move(run.first_batch);
        run.first_batch.reset();
      }
      // Progress in on-disk bytes: for a gzip file, the consumed share of the content.
      const uint64_t done =
          bytes.empty() ? 0
                        : static_cast<uint64_t>(static_cast<double>(run.content.file_bytes()) *
                                                static_cast<double>(slice.end_offset) /
                                                static_cast<double>(bytes.size()));
      bytes_read_.store(bytes_of_finished_files_ + done, std::memory_order_relaxed);
    }
    const std::string where = DescribeRequestPosition(slice);
    if (!batch) {
      Result<ingest::DecodedBatch> decoded = DecodeOtlpRequest(slice.body, run.format, run.decode);
      if (!decoded.ok()) {
        std::lock_guard lock(run.mu);
        run.RecordFailure(slice.index,
                          Status::InvalidArgument(where + ": " + decoded.status().message()), 0);
        return;
      }
      batch = std::move(decoded).value();
    }
    if (batch->rejected_count > 0) {
      std::vector<std::string> reasons;
      for (const ingest::RejectedSpan& r : batch->rejected) {
        reasons.push_back("span " + std::to_string(r.index) + ": " + r.reason);
      }
      AddRejections(run.path + " " + where, reasons, batch->rejected_count);
      spans_done_.fetch_add(batch->rejected_count, std::memory_order_relaxed);
    }
    uint64_t stored = 0;
    Status s = WriteRequest(run, slice, std::move(batch->spans), &stored);
    std::lock_guard lock(run.mu);
    run.stored += stored;
    if (!s.ok()) {
      run.RecordFailure(slice.index, std::move(s), stored);
      return;
    }
    run.completed.push_back(slice.index);
    std::lock_guard stats_lock(mu_);
    ++stats_.requests;
  }
}

// Writes in slices of max_spans_per_write; each retried on kUnavailable with a fixed backoff up
// to max_unavailable_retries times. Write consumes its spans even when it refuses them, so a retry
// decodes the request again (decoding is deterministic) rather than copying every slice up front
// for a case that is rare: this importer alone keeps at most threads * max_spans_per_write spans
// queued. *stored counts the new spans of the slices that made it.
Status OtlpImporter::WriteRequest(const FileRun& run, const OtlpRequestSlice& request,
                                  std::vector<Span> spans, uint64_t* stored) {
  const std::string where = DescribeRequestPosition(request);
  const size_t total = spans.size();
  const size_t per_write = std::max<size_t>(1, options_.max_spans_per_write);
  for (size_t begin = 0; begin < total; begin += per_write) {
    const size_t end = std::min(total, begin + per_write);
    Result<WriteResult> written = Status::Unavailable("not written yet");
    for (int attempt = 0; attempt <= options_.max_unavailable_retries; ++attempt) {
      if (attempt > 0) {
        std::this_thread::sleep_for(options_.unavailable_backoff);
        Result<ingest::DecodedBatch> again =
            DecodeOtlpRequest(request.body, run.format, run.decode);
        if (!again.ok() || again->spans.size() != total) {
          return Status::Corruption(where + ": decoding again for a retry gave different spans");
        }
        spans = std::move(again->spans);
      }
      std::vector<Span> slice;
      if (begin == 0 && end == total) {
        slice.swap(spans);  // the whole request: no copy (a retry refills `spans` first)
      } else {
        slice.assign(std::make_move_iterator(spans.begin() + static_cast<ptrdiff_t>(begin)),
                     std::make_move_iterator(spans.begin() + static_cast<ptrdiff_t>(end)));
      }
      written = store_.Write(std::move(slice), {.validated = true});
      if (written.ok() || !written.status().IsUnavailable()) break;
    }
    if (!written.ok()) {
      return WithMessage(written.status(), where + ": writing spans " + std::to_string(begin) +
                                               ".." + std::to_string(end - 1) +
                                               " failed: " + written.status().ToString());
    }
    *stored += written->stored;
    spans_done_.fetch_add(end - begin, std::memory_order_relaxed);
    std::vector<std::string> reasons;
    for (const RejectedSpan& r : written->rejected) {
      reasons.push_back("span " + std::to_string(begin + r.index) + ": " + r.reason);
    }
    if (!reasons.empty()) AddRejections(run.path + " " + where, reasons, reasons.size());
    std::lock_guard lock(mu_);
    stats_.stored += written->stored;
    stats_.duplicates += written->duplicates;
  }
  return Status::OK();
}

void OtlpImporter::AddRejections(const std::string& where, const std::vector<std::string>& reasons,
                                 uint64_t count) {
  std::lock_guard lock(mu_);
  stats_.rejected += count;
  for (const std::string& reason : reasons) {
    if (stats_.rejection_samples.size() >= options_.max_rejection_samples) break;
    stats_.rejection_samples.push_back(where + ": " + reason);
  }
}

// "FILE: request 7 (line 7): PROBLEM. Stopped there: ..." saying exactly what was stored.
std::string OtlpImporter::DescribeFailure(const FileRun& run) {
  size_t before = 0;
  size_t after = 0;
  for (size_t index : run.completed) (index < run.error_index ? before : after) += 1;
  std::string out = run.path + ": " + run.error.message() + ". ";
  if (run.stored == 0 && before == 0 && after == 0) {
    return out + "Nothing of this file was stored.";
  }
  out += "Stopped there; stored from this file: " + Plural(before, "earlier request");
  if (after > 0) out += ", " + Plural(after, "later request") + " written concurrently";
  if (run.error_partial_stored > 0) {
    out += ", " + Plural(run.error_partial_stored, "span") + " of the failing request";
  }
  out += " (" + Plural(run.stored, "new span") + " in all). Importing the file again is safe: " +
         "spans already stored count as duplicates.";
  return out;
}

}  // namespace roost::cli
