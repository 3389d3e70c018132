#include "storage/aggregate.h"

namespace roost {

Status Aggregate::Merge(const Aggregate& other) {
  if (Status s = duration.Merge(other.duration); !s.ok()) return s;
  count += other.count;
  errors += other.errors;
  prompt_tokens += other.prompt_tokens;
  completion_tokens += other.completion_tokens;
  total_tokens += other.total_tokens;
  cost_micros += other.cost_micros;
  cost_spans += other.cost_spans;
  return Status::OK();
}

}  // namespace roost
