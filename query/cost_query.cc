#include "query/cost_query.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <optional>
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
  void AddCell(const RollupCell& c, CellCost cost) {
    spans += c.count;
    prompt_tokens += c.prompt_tokens;
    completion_tokens += c.completion_tokens;
    total_tokens += c.total_tokens;
    cost_nanos += cost.nanos;
    unpriced_spans += cost.unpriced;
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

// One task of a query: one shard of one project's blocks, into one Partial.
struct ShardScan {
  const SpanStore& store;
  const ReadSnapshot& snapshot;
  const CostRequest& request;
  const SpanMatcher& m;
  PriceCache prices;  // per task: not thread-safe

  // Every matching row of a run of rows.
  Status AddRows(const ColumnView& v, Partial& part) {
    const int64_t step = request.step_nanos;
    Status matched = m.ForEachMatch(store, v, [&](size_t r, uint32_t key) {
      const RowCost cost = CostOfRow(v, r, prices);
      GroupState& g = part.At(key);
      g.sums.AddRow(v, r, cost);
      if (step > 0) g.buckets.At(BucketStart(v.start[r], step)).AddRow(v, r, cost);
    });
    if (!matched.ok()) return matched;
    return prices.status();
  }

  // Whether every matching cell of `b` gives its figures from its sums (else: read its rows).
  bool CellsSuffice(const BlockRollup& b) {
    if (!b.token_details) return false;
    return std::all_of(b.cells.begin(), b.cells.end(), [&](const RollupCell& c) {
      return !m.MatchesCell(c) || CostOfCell(c, prices).has_value();
    });
  }

  // Every matching cell of a block CellsSuffice accepted; with a step, the block lies in one
  // bucket (ScanRequest::rollup_granularity).
  Status AddCells(const BlockRollup& b, Partial& part) {
    const int64_t step = request.step_nanos;
    for (const RollupCell& c : b.cells) {
      if (!m.MatchesCell(c)) continue;
      const std::optional<CellCost> cost = CostOfCell(c, prices);
      if (!cost) return Status::Corruption("cost: a rollup cell changed between two reads");
      GroupState& g = part.At(m.KeyOfCell(b, c));
      g.sums.AddCell(c, *cost);
      if (step > 0) g.buckets.At(BucketStart(b.min_start, step)).AddCell(c, *cost);
    }
    return prices.status();
  }

  // Scans shard `shard` of `shards` of `project`: whole blocks from their rollups where the
  // matcher and the cells allow, the other rows one by one.
  Status Run(const std::string& project, uint32_t shard, uint32_t shards, Partial& part) {
    ScanRequest scan;
    scan.project = project;
    scan.from_unix_nano = request.filter.from;
    scan.to_unix_nano = request.filter.to;
    scan.columns = m.Columns();
    AddRowCostColumns(scan.columns);
    scan.shard = shard;
    scan.shards = shards;
    auto on_rows = [&](const ColumnView& v) { return AddRows(v, part); };
    if (!m.CanUseRollups()) return store.Scan(snapshot, scan, on_rows);
    scan.rollup_granularity = request.step_nanos;
    scan.accept_rollup = [&](const BlockRollup& b) { return CellsSuffice(b); };
    return store.ScanRollups(snapshot, scan, on_rows,
                             [&](const BlockRollup& b) { return AddCells(b, part); });
  }
};

// Scans every (project, shard) of one snapshot on the query pool, one Partial per task, and
// merges them into `out`.
Status Collect(const SpanStore& store, const CostRequest& request, const SpanMatcher& m,
               Partial& out) {
  Result<std::vector<std::string>> projects = ProjectsOf(store, request.filter);
  if (!projects.ok()) return projects.status();
  const PricingTable& table = request.pricing != nullptr ? *request.pricing : BuiltInPricing();
  QueryPool& pool = QueryPool::Shared();
  const auto shards = static_cast<uint32_t>(pool.threads());
  const size_t tasks = projects->size() * shards;
  std::vector<Partial> partials(tasks);
  std::shared_ptr<const ReadSnapshot> snapshot = store.Snapshot();
  Status s = pool.RunAll(tasks, [&](size_t t) -> Status {
    ShardScan task{store, *snapshot, request, m, PriceCache(store, table)};
    return task.Run((*projects)[t / shards], static_cast<uint32_t>(t % shards), shards,
                    partials[t]);
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
