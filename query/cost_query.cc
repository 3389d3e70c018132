#include "query/cost_query.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

#include "query/internal/flat_index.h"
#include "query/internal/span_matcher.h"
#include "storage/span_store.h"

namespace roost::query {
namespace {

// Sums kept exact during the scan; cost in micro-USD, converted once at the end.
struct Sums {
  uint64_t spans = 0;
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t total_tokens = 0;
  int64_t cost_micros = 0;

  void AddRow(const ColumnView& v, size_t r) {
    spans++;
    prompt_tokens += v.prompt_tokens[r];
    completion_tokens += v.completion_tokens[r];
    total_tokens += v.total_tokens[r];
    const int64_t cost = v.cost_micros[r];
    if (cost >= 0) cost_micros += cost;  // -1: the span carries no `llm.cost.total`
  }
  void Add(const Sums& o) {
    spans += o.spans;
    prompt_tokens += o.prompt_tokens;
    completion_tokens += o.completion_tokens;
    total_tokens += o.total_tokens;
    cost_micros += o.cost_micros;
  }
  CostFigures Figures() const {
    return CostFigures{spans, prompt_tokens, completion_tokens, total_tokens,
                       static_cast<double>(cost_micros) / 1e6};
  }
};

// Sums per time bucket, buckets in order of first appearance.
struct BucketSums {
  FlatIndex index;  // bucket start -> slot
  std::vector<std::pair<int64_t, Sums>> slots;

  Sums& At(int64_t start) {
    const uint32_t slot = index.SlotOf(static_cast<uint64_t>(start));
    if (slot == slots.size()) slots.emplace_back(start, Sums{});
    return slots[slot].second;
  }
  void Add(const BucketSums& o) {
    for (const auto& [start, sums] : o.slots) At(start).Add(sums);
  }
  std::vector<CostBucket> Buckets() const {
    std::vector<CostBucket> out;
    out.reserve(slots.size());
    for (const auto& [start, sums] : slots) out.push_back(CostBucket{start, sums.Figures()});
    std::sort(out.begin(), out.end(), [](const CostBucket& a, const CostBucket& b) {
      return a.start_unix_nano < b.start_unix_nano;
    });
    return out;
  }
};

struct GroupState {
  uint32_t key = 0;
  Sums sums;
  BucketSums buckets;
};

// Scans the matching rows into `groups` (slot per group key in `group_index`).
Status Collect(const SpanStore& store, const CostRequest& request, const SpanMatcher& m,
               FlatIndex& group_index, std::vector<GroupState>& groups) {
  Result<std::vector<std::string>> projects = ProjectsOf(store, request.filter);
  if (!projects.ok()) return projects.status();
  ScanRequest scan;
  scan.from_unix_nano = request.filter.from;
  scan.to_unix_nano = request.filter.to;
  scan.columns = m.Columns();
  for (Column c : {Column::kPromptTokens, Column::kCompletionTokens, Column::kTotalTokens,
                   Column::kCostMicros}) {
    scan.columns.Add(c);
  }
  const int64_t step = request.step_nanos;
  for (const std::string& project : *projects) {
    scan.project = project;
    Status s = store.Scan(scan, [&](const ColumnView& v) {
      return m.ForEachMatch(store, v, [&](size_t r, uint32_t key) {
        const uint32_t slot = group_index.SlotOf(key);
        if (slot == groups.size()) groups.emplace_back().key = key;
        GroupState& g = groups[slot];
        g.sums.AddRow(v, r);
        if (step > 0) g.buckets.At(BucketStart(v.start[r], step)).AddRow(v, r);
      });
    });
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace

Result<CostResult> RunCost(const SpanStore& store, const CostRequest& request) {
  if (request.step_nanos < 0) {
    return Status::InvalidArgument("cost: step " + std::to_string(request.step_nanos) +
                                   " ns is negative");
  }
  if (request.group_by == GroupBy::kAttribute && request.group_attribute.empty()) {
    return Status::InvalidArgument("cost: grouping by attribute needs an attribute key");
  }
  Result<SpanMatcher> matcher =
      SpanMatcher::Make(store, request.filter, request.group_by, request.group_attribute);
  if (!matcher.ok()) return matcher.status();

  FlatIndex group_index;
  std::vector<GroupState> groups;
  if (request.group_by == GroupBy::kNone) {
    group_index.SlotOf(0);
    groups.emplace_back();
  }
  if (!matcher->MatchesNothing()) {
    if (Status s = Collect(store, request, *matcher, group_index, groups); !s.ok()) return s;
  }

  CostResult out;
  Sums total;
  BucketSums total_buckets;
  for (const GroupState& g : groups) {
    Result<std::optional<std::string>> key = matcher->KeyName(store, g.key);
    if (!key.ok()) return key.status();
    out.groups.push_back(CostGroup{std::move(*key), g.sums.Figures(), g.buckets.Buckets()});
    total.Add(g.sums);
    total_buckets.Add(g.buckets);
  }
  SortByKey(out.groups);
  out.total = total.Figures();
  out.total_buckets = total_buckets.Buckets();
  return out;
}

}  // namespace roost::query
