#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "query/query_types.h"
#include "storage/result.h"

namespace roost {
class SpanStore;
}  // namespace roost

namespace roost::query {

class PricingTable;

// Page sizes of ListSessionStats.
inline constexpr size_t kDefaultSessionListLimit = 100;
inline constexpr size_t kMaxSessionListLimit = 10000;

struct SessionListRequest {
  // Which spans count (project, [from, to) on start, kind, name, model, status). Spans without a
  // session id never count.
  QueryFilter filter;
  // The most recently active sessions to return, 1..kMaxSessionListLimit.
  size_t limit = kDefaultSessionListLimit;
  // Prices for spans without `llm.cost.total` (as RunCost); nullptr = the built-in table.
  const PricingTable* pricing = nullptr;
};

// One session's figures over its matching spans.
struct SessionStats {
  std::string session_id;
  uint64_t span_count = 0;
  uint64_t trace_count = 0;  // distinct trace ids
  int64_t first_start = 0;   // Unix ns, earliest span start
  int64_t last_start = 0;    // Unix ns, latest span start ("last activity")
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t total_tokens = 0;
  // Sum of the spans' cost in USD, as RunCost computes it (`llm.cost.total`, else the price of
  // an LLM span's tokens for its model; unpriced spans add 0).
  double cost_usd = 0;
  uint64_t error_count = 0;  // spans with StatusCode::kError
  double p50_ms = 0;         // exact median span duration (numpy 'linear'), ms
};

// The sessions of request.filter.project with their figures, most recent activity (last_start)
// first, ties by session id; at most request.limit of them. One Scan of the needed columns; memory
// is one duration per matching span with a session (for the exact medians).
//
// kInvalidArgument naming `limit` when outside 1..kMaxSessionListLimit. An unknown project, name
// or model, or an empty range, gives no sessions. Scan errors are passed on. Thread-safe.
[[nodiscard]] Result<std::vector<SessionStats>> ListSessionStats(const SpanStore& store,
                                                                 const SessionListRequest& request);

}  // namespace roost::query
