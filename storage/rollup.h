#pragma once

#include <cstdint>
#include <vector>

#include "storage/dd_sketch.h"

namespace roost {

// The figures of the spans of one sealed block that share a kind, a status, a model, a name and
// whether they carry `llm.cost.total`. Sums are exact; `duration` is a DDSketch of the spans'
// durations in nanoseconds (count, min, max exact; quantiles within its relative accuracy).
struct RollupCell {
  uint8_t kind = 0;       // SpanKind
  uint8_t status = 0;     // StatusCode
  bool has_cost = false;  // the spans carry `llm.cost.total`
  uint32_t model = 0;     // model dictionary id, 0 = none
  uint32_t name = 0;      // name dictionary id
  uint64_t count = 0;
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t total_tokens = 0;
  int64_t cost_micros = 0;  // sum of `llm.cost.total` (0 unless has_cost)
  // Sums of the token-detail columns (BlockRollup::token_details; zeros otherwise).
  uint64_t cache_read_tokens = 0;
  uint64_t cache_write_tokens = 0;
  uint64_t prompt_audio_tokens = 0;
  uint64_t reasoning_tokens = 0;
  uint64_t completion_audio_tokens = 0;
  // Spans whose counts are not regular: total > prompt + completion, or prompt details
  // (cache read + cache write + prompt audio) > prompt, or completion details (reasoning +
  // completion audio) > completion. For regular spans each detail is a part of its count, so
  // per-token-type figures of the cell follow from its sums alone.
  uint64_t irregular_tokens = 0;
  DdSketch duration;
};

// Every cell of one sealed block: together they cover each of its rows exactly once.
// Immutable once built; shared between readers.
struct BlockRollup {
  uint32_t project = 0;  // project dictionary id
  uint32_t bucket = 0;   // hour bucket of every row
  uint64_t block = 0;    // block sequence number
  uint32_t rows = 0;
  int64_t min_start = 0;  // every row starts in [min_start, max_start]
  int64_t max_start = 0;
  // The cells hold token-detail sums and irregular counts (false for blocks sealed before
  // rollups had them: their detail sums read as zeros and mean nothing).
  bool token_details = false;
  std::vector<RollupCell> cells;

  // Memory held, for caches.
  size_t bytes() const;
};

}  // namespace roost
