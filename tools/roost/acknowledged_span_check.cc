#include "tools/roost/acknowledged_span_check.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iterator>
#include <thread>

namespace roost::cli {
namespace {

constexpr size_t kMaxSamples = 5;
constexpr int kOpenAttempts = 5;
constexpr std::chrono::milliseconds kOpenRetryDelay{200};

bool SameSpan(const AcknowledgedSpan& a, const AcknowledgedSpan& b) {
  return a.trace_id == b.trace_id && a.span_id == b.span_id;
}

void AddSample(SpanVerification* v, const TraceId& trace, const SpanId& span, const char* what) {
  if (v->samples.size() >= kMaxSamples) return;
  v->samples.push_back("trace " + trace.ToHex() + ": span " + span.ToHex() + " " + what);
}

bool Less(const AcknowledgedSpan& a, const AcknowledgedSpan& b) {
  return a.trace_id != b.trace_id ? a.trace_id < b.trace_id : a.span_id < b.span_id;
}

}  // namespace

Result<SpanVerification> VerifyAcknowledgedSpans(const SpanStore& store,
                                                 std::vector<AcknowledgedSpan> acknowledged) {
  std::sort(acknowledged.begin(), acknowledged.end(), Less);
  acknowledged.erase(std::unique(acknowledged.begin(), acknowledged.end(), SameSpan),
                     acknowledged.end());
  SpanVerification v;
  v.acknowledged = acknowledged.size();
  for (size_t i = 0; i < acknowledged.size(); ++i) {
    if (i == 0 || acknowledged[i].trace_id != acknowledged[i - 1].trace_id) ++v.traces;
  }
  // One pass over the id columns of every project: each stored span of an acknowledged trace is
  // found (once) or unexpected.
  std::vector<bool> seen(acknowledged.size(), false);
  Result<std::vector<ProjectSummary>> projects = store.ListProjects();
  if (!projects.ok()) return projects.status();
  for (const ProjectSummary& project : *projects) {
    ScanRequest request;
    request.project = project.name;
    request.columns = {Column::kTraceId, Column::kSpanId};
    Status s = store.Scan(request, [&](const ColumnView& view) {
      AcknowledgedSpan row;
      for (size_t r = 0; r < view.rows; ++r) {
        std::memcpy(row.trace_id.bytes.data(), view.trace_id + 16 * r, 16);
        std::memcpy(row.span_id.bytes.data(), view.span_id + 8 * r, 8);
        auto it = std::lower_bound(acknowledged.begin(), acknowledged.end(), row, Less);
        if (it != acknowledged.end() && SameSpan(*it, row)) {
          seen[static_cast<size_t>(it - acknowledged.begin())] = true;
        } else if ((it != acknowledged.end() && it->trace_id == row.trace_id) ||
                   (it != acknowledged.begin() && std::prev(it)->trace_id == row.trace_id)) {
          ++v.unexpected;
          AddSample(&v, row.trace_id, row.span_id, "stored but never acknowledged");
        }
      }
      return Status::OK();
    });
    if (!s.ok()) return Status::IOError("scanning project " + project.name + ": " + s.ToString());
  }
  for (size_t i = 0; i < acknowledged.size(); ++i) {
    if (seen[i]) {
      ++v.found;
    } else {
      ++v.missing;
      AddSample(&v, acknowledged[i].trace_id, acknowledged[i].span_id, "missing");
    }
  }
  return v;
}

Result<SpanVerification> VerifyAcknowledgedSpansInDir(const std::string& data_dir,
                                                      std::vector<AcknowledgedSpan> acknowledged) {
  StoreOptions options;
  options.path = data_dir;
  options.read_only = true;
  options.background_sealing = false;
  Result<std::unique_ptr<SpanStore>> store = Status::Unavailable("not opened");
  for (int attempt = 0; attempt < kOpenAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(kOpenRetryDelay);
    store = SpanStore::Open(options);
    if (store.ok()) break;
  }
  if (!store.ok()) {
    return Status::IOError("opening " + data_dir + " read-only: " + store.status().ToString());
  }
  return VerifyAcknowledgedSpans(**store, std::move(acknowledged));
}

}  // namespace roost::cli
