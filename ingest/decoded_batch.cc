#include "ingest/decoded_batch.h"

#include <algorithm>
#include <string>

namespace roost::ingest {

std::string DescribeRejections(const DecodedBatch& batch, size_t max_listed) {
  if (batch.rejected_count == 0) return "";
  std::string out = std::to_string(batch.rejected_count) +
                    (batch.rejected_count == 1 ? " span rejected" : " spans rejected");
  const size_t n = std::min(max_listed, batch.rejected.size());
  for (size_t i = 0; i < n; ++i) {
    const RejectedSpan& r = batch.rejected[i];
    out += "; span ";
    out += std::to_string(r.index);
    if (!r.trace_id_hex.empty()) out += " (trace " + r.trace_id_hex + ")";
    out += ": " + r.reason;
  }
  if (batch.rejected_count > n) out += "; ...";
  return out;
}

}  // namespace roost::ingest
