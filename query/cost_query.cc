#include "query/cost_query.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "query/internal/flat_index.h"
#include "query/internal/query_pool.h"
#include "query/internal/row_cost.h"
#include "query/internal/span_matcher.h"
#include "query/pricing.h"
#include "storage/span_store.h"

namespace roost::query {
namespace {

// Sums kept exact during the scan; cost in nano-USD, converted once at the end.
struct Sums {
  uint64_t spans = 0;
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t total_tokens = 0;
  int64_t cost_nanos = 0;
  uint64_t unpriced_spans = 0;

  void AddRow(const ColumnView& v, size_t r, RowCost cost) {
    spans++;
    prompt_tokens += v.prompt_tokens[r];
    completion_tokens += v.completion_tokens[r];
    total_tokens += v.total_tokens[r];
    cost_nanos += cost.nanos;
    unpriced_spans += cost.unpriced ? 1 : 0;
  }
  void Add(const Sums& o) {
    spans += o.spans;
    prompt_tokens += o.prompt_tokens;
    completion_tokens += o.completion_tokens;
    total_tokens += o.total_tokens;
    cost_nanos += o.cost_nanos;
    unpriced_spans += o.unpriced_spans;
  }
  CostFigures Figures() const {
    return CostFigures{spans,
                       prompt_tokens,
                       completion_tokens,
                       total_tokens,
                       static_cast<double>(cost_nanos) / kNanosPerUsd,
                       unpriced_spans};
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

// The groups one shard collects: group key -> slot -> state.
struct Partial {
  FlatIndex index;
  std::vector<GroupState> groups;

  GroupState& At(uint32_t key) {
    const uint32_t slot = index.SlotOf(key);
    if (slot == groups.size()) groups.emplace_back().key = key;
    return groups[slot];
  }
  void Merge(const Partial& other) {
    for (const GroupState& g : other.groups) {
      GroupState& mine = At(g.key);
      mine.sums.Add(g.sums);
      mine.buckets.Add(g.buckets);
    }
  }
};

// Scans every (project, shard) of one snapshot on the query pool, one Partial per task, and
// merges them into `out`.
Status Collect(const SpanStore& store, const CostRequest& request, const SpanMatcher& m,
               Partial& out) {
  Result<std::vector<std::string>> projects = ProjectsOf(store, request.filter);
  if (!projects.ok()) return projects.status();
  ColumnSet columns = m.Columns();
  AddRowCostColumns(columns);
  const int64_t step = request.step_nanos;
  const PricingTable& table = request.pricing != nullptr ? *request.pricing : BuiltInPricing();
  QueryPool& pool = QueryPool::Shared();
  const auto shards = static_cast<uint32_t>(pool.threads());
  const size_t tasks = projects->size() * shards;
  std::vector<Partial> partials(tasks);
  std::shared_ptr<const ReadSnapshot> snapshot = store.Snapshot();
  Status s = pool.RunAll(tasks, [&](size_t t) -> Status {
    Partial& part = partials[t];
    PriceCache prices(store, table);  // per task: not thread-safe
    ScanRequest scan;
    scan.project = (*projects)[t / shards];
    scan.from_unix_nano = request.filter.from;
    scan.to_unix_nano = request.filter.to;
    scan.columns = columns;
    scan.shard = static_cast<uint32_t>(t % shards);
    scan.shards = shards;
    return store.Scan(*snapshot, scan, [&](const ColumnView& v) {
      Status matched = m.ForEachMatch(store, v, [&](size_t r, uint32_t key) {
        const RowCost cost = CostOfRow(v, r, prices);
        GroupState& g = part.At(key);
        g.sums.AddRow(v, r, cost);
        if (step > 0) g.buckets.At(BucketStart(v.start[r], step)).AddRow(v, r, cost);
      });
      if (!matched.ok()) return matched;
      return prices.status();
    });
  });
  if (!s.ok()) return s;
  for (const Partial& part : partials) out.Merge(part);
  return Status::OK();
}

}  // namespace

const PricingTable& BuiltInPricing() {
  static const PricingTable kTable = PricingTable::BuiltIn();
  return kTable;
}

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

  Partial all;
  if (request.group_by == GroupBy::kNone) all.At(0);
  if (!matcher->MatchesNothing()) {
    if (Status s = Collect(store, request, *matcher, all); !s.ok()) return s;
  }

  CostResult out;
  Sums total;
  BucketSums total_buckets;
  for (const GroupState& g : all.groups) {
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
