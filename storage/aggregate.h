#pragma once

#include <cstdint>

#include "storage/dd_sketch.h"

namespace roost {

// Rollup of the spans of one (hour bucket, dimension, id), kept by the store so that approximate
// percentiles and cost rollups need no rows. Sums are exact; `duration` is a DDSketch of span
// durations in nanoseconds.
struct Aggregate {
  uint64_t count = 0;
  uint64_t errors = 0;
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t total_tokens = 0;
  int64_t cost_micros = 0;  // sum of `llm.cost.total` over the spans that carry it
  uint64_t cost_spans = 0;  // how many spans carry it
  DdSketch duration;

  // Adds `other` in; kInvalidArgument when the sketches are incompatible.
  Status Merge(const Aggregate& other);
};

}  // namespace roost
