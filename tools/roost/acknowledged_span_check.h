#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/result.h"
#include "storage/span_store.h"
#include "tools/roost/ingest_bench.h"

namespace roost::cli {

// How the stored spans compare with the acknowledged ones, trace by trace.
struct SpanVerification {
  uint64_t acknowledged = 0;  // distinct acknowledged spans
  uint64_t traces = 0;        // distinct traces among them
  uint64_t found = 0;         // acknowledged and stored
  uint64_t missing = 0;       // acknowledged but not stored
  uint64_t unexpected = 0;    // stored in those traces but never acknowledged
  // A few "trace T: span S missing" / "... unexpected" lines.
  std::vector<std::string> samples;

  bool ok() const { return missing == 0 && unexpected == 0; }
};

// Compares the acknowledged spans with the stored ones, trace by trace, in one scan of the trace
// and span id columns of every project (open and sealed blocks). Returns the first read error.
// Thread-safe as Scan is.
[[nodiscard]] Result<SpanVerification> VerifyAcknowledgedSpans(
    const SpanStore& store, std::vector<AcknowledgedSpan> acknowledged);

// Opens `data_dir` read-only (no lock is taken, so a server may still run on it; unsealed spans
// are replayed from its log, so everything acknowledged is visible) and verifies as above. The
// open is retried a few times, since a running server may be flushing files meanwhile. Returns
// the open error naming the dir when it keeps failing.
[[nodiscard]] Result<SpanVerification> VerifyAcknowledgedSpansInDir(
    const std::string& data_dir, std::vector<AcknowledgedSpan> acknowledged);

}  // namespace roost::cli
