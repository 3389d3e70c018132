#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <optional>
#include <string>

#include "storage/result.h"

namespace roost {
class SpanStore;
}  // namespace roost

namespace roost::cli {

enum class ExportFormat {
  // One row per span, with a header row; RFC 4180 quoting (fields holding a comma, a quote, CR
  // or LF are quoted, quotes doubled); rows end with LF. Columns: see kCsvColumns.
  kCsv,
  // OTLP/JSON lines: one ExportTraceServiceRequest (ingest::EncodeJson) per line, at most
  // kExportChunkSpans spans each; `roost import` reads it back.
  kOtlpJson,
};

// The CSV header: span fields as in the read API's span object, plus numeric times:
// trace_id,span_id,parent_span_id,name,kind,status,status_message,start_time,end_time,
// start_unix_nano,end_unix_nano,duration_ns,duration_ms,project,session_id,user_id,model,
// provider,prompt_tokens,completion_tokens,total_tokens,cost_usd,attributes,events
// Absent values (no parent, no model, no cost, ...) are empty fields; attributes and events are
// the JSON of the span object (api::AttributesJson / EventsJson).
extern const char* const kCsvColumns;

// Spans read and written per step: bounds memory whatever the store's size.
inline constexpr size_t kExportChunkSpans = 4096;

struct ExportOptions {
  ExportFormat format = ExportFormat::kCsv;
  std::optional<std::string> project;  // nullopt: every project, one after the other
  int64_t from = std::numeric_limits<int64_t>::min();  // inclusive, on start
  int64_t to = std::numeric_limits<int64_t>::max();    // exclusive
  // Called after each chunk with the spans written so far (progress display); may be empty.
  std::function<void(uint64_t)> progress;
};

// Writes every span of the selected projects whose start lies in [from, to) to `out`, in storage
// order (project by project, block by block; not sorted), streaming: one Scan per project and
// ReadSpans per chunk of at most kExportChunkSpans rows, so memory stays bounded. Returns the
// spans written. kInvalidArgument for an unknown project; kIOError when writing fails; store
// errors are passed on. The store may be written meanwhile: spans stored before the call are all
// exported; later ones may or may not be.
[[nodiscard]] Result<uint64_t> ExportSpans(const SpanStore& store, const ExportOptions& options,
                                           std::FILE* out);

}  // namespace roost::cli
