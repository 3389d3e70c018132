#include "query/latency_query.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "query/internal/flat_index.h"
#include "query/internal/query_pool.h"
#include "query/internal/span_matcher.h"
#include "query/internal/vector_recycler.h"
#include "query/quantile.h"
#include "storage/dd_sketch.h"
#include "storage/span_store.h"

namespace roost::query {
namespace {

constexpr double kNanosPerMilli = 1e6;
constexpr uint8_t kErrorStatus = static_cast<uint8_t>(StatusCode::kError);

// Scratch kept between queries (VectorRecycler): for 10M matching spans, exact quantiles use
// ~80 MB of durations (vectors grown by doubling, plus a sorting copy per group being finished)
// and ~40 MB of bucket slots.
VectorRecycler<double>& DurationBuffers() {
  static VectorRecycler<double> buffers(size_t{192} << 20);
  return buffers;
}
VectorRecycler<uint32_t>& SlotBuffers() {
  static VectorRecycler<uint32_t> buffers(size_t{96} << 20);
  return buffers;
}

// Time buckets of one group: bucket start -> dense slot, and slot -> start.
struct Buckets {
  FlatIndex index;
  std::vector<int64_t> starts;
  // The bucket of the last time asked (rows come in runs of one hour): [last_start, +step).
  bool has_last = false;
  int64_t last_start = 0;
  uint32_t last_slot = 0;

  uint32_t SlotOf(int64_t start) {
    const uint32_t slot = index.SlotOf(static_cast<uint64_t>(start));
    if (slot == starts.size()) starts.push_back(start);
    return slot;
  }
  // The slot of the bucket of width `step` holding time t.
  uint32_t SlotOfTime(int64_t t, int64_t step) {
    // t - last_start, in unsigned arithmetic: exact when t >= last_start.
    if (has_last && t >= last_start &&
        static_cast<uint64_t>(t) - static_cast<uint64_t>(last_start) <
            static_cast<uint64_t>(step)) {
      return last_slot;
    }
    has_last = true;
    last_start = BucketStart(t, step);
    last_slot = SlotOf(last_start);
    return last_slot;
  }
};

// What one group collects for exact quantiles: every duration (ms), and with a step, the bucket
// slot of each. Merging keeps the other shards' groups whole in `others` (no copies); the
// quantiles read every part.
struct ExactGroup {
  uint32_t key = 0;
  uint64_t error_count = 0;
  double sum_ms = 0;
  int64_t max_ns = 0;
  std::vector<double> durations_ms;
  std::vector<uint32_t> bucket_of;
  Buckets buckets;
  std::vector<ExactGroup> others;  // merged in from other shards

  uint64_t count() const {
    uint64_t n = durations_ms.size();
    for (const ExactGroup& o : others) n += o.durations_ms.size();
    return n;
  }

  [[gnu::always_inline]] void AddRow(int64_t ns, bool error, int64_t start, int64_t step) {
    const double ms = static_cast<double>(ns) / kNanosPerMilli;
    if (durations_ms.capacity() == 0) TakeBuffers(step);
    durations_ms.push_back(ms);
    sum_ms += ms;
    max_ns = std::max(max_ns, ns);
    if (error) error_count++;
    if (step > 0) bucket_of.push_back(buckets.SlotOfTime(start, step));
  }

  void TakeBuffers(int64_t step) {
    durations_ms = DurationBuffers().Take();
    if (step > 0) bucket_of = SlotBuffers().Take();
  }
  // Hands the vectors' storage back for later queries and empties the group.
  void GiveBuffers() {
    DurationBuffers().Give(std::move(durations_ms));
    SlotBuffers().Give(std::move(bucket_of));
    for (ExactGroup& o : others) o.GiveBuffers();
    *this = ExactGroup();
  }

  void Merge(ExactGroup& other) {
    error_count += other.error_count;
    sum_ms += other.sum_ms;
    max_ns = std::max(max_ns, other.max_ns);
    std::vector<ExactGroup> more = std::move(other.others);
    other.others.clear();
    if (!other.durations_ms.empty()) others.push_back(std::move(other));
    for (ExactGroup& o : more) others.push_back(std::move(o));
    other = ExactGroup();
  }
};

// What one group collects for approximate quantiles: sketches of the durations (ns).
struct ApproxGroup {
  uint32_t key = 0;
  uint64_t error_count = 0;
  DdSketch all;
  Buckets buckets;
  std::vector<DdSketch> bucket_sketches;  // by bucket slot

  uint64_t count() const { return all.count(); }

  DdSketch& BucketSketch(int64_t start, int64_t step) {
    const uint32_t slot = buckets.SlotOf(BucketStart(start, step));
    if (slot == bucket_sketches.size()) bucket_sketches.emplace_back();
    return bucket_sketches[slot];
  }

  void AddRow(int64_t ns, bool error, int64_t start, int64_t step) {
    const auto v = static_cast<double>(ns);
    all.Add(v);
    if (error) error_count++;
    if (step > 0) BucketSketch(start, step).Add(v);
  }

  // REQUIRES: with a step, every span of the cell lies in the bucket of `start`.
  Status AddCell(const RollupCell& cell, int64_t start, int64_t step) {
    if (cell.status == kErrorStatus) error_count += cell.count;
    if (Status s = all.Merge(cell.duration); !s.ok()) return s;
    if (step > 0) return BucketSketch(start, step).Merge(cell.duration);
    return Status::OK();
  }

  void GiveBuffers() { *this = ApproxGroup(); }

  void Merge(ApproxGroup& other) {
    if (all.count() == 0 && bucket_sketches.empty() && error_count == 0) {
      const uint32_t k = key;
      *this = std::move(other);
      key = k;
      other = ApproxGroup();
      return;
    }
    error_count += other.error_count;
    (void)all.Merge(other.all);  // same accuracy everywhere: cannot fail
    for (size_t s = 0; s < other.bucket_sketches.size(); ++s) {
      (void)BucketSketch(other.buckets.starts[s], 1).Merge(other.bucket_sketches[s]);
    }
    other = ApproxGroup();
  }
};

// The groups one shard collects: group key -> slot -> state.
template <typename Group>
struct Partial {
  FlatIndex index;
  std::vector<Group> groups;

  [[gnu::always_inline]] Group& At(uint32_t key) {
    const uint32_t slot = index.SlotOf(key);
    if (slot == groups.size()) groups.emplace_back().key = key;
    return groups[slot];
  }

  void Merge(Partial& other) {
    for (Group& g : other.groups) At(g.key).Merge(g);
  }
};

// Every row of `v` that passes the matcher, into `out`: ForEachMatch without records, in one
// loop the compiler can inline whole (the per-row work of exact quantiles on large stores).
// REQUIRES: !m.NeedsRecords().
template <typename Group>
void AddRows(const ColumnView& v, const SpanMatcher& m, int64_t step, Partial<Group>& out) {
  for (size_t r = 0; r < v.rows; ++r) {
    if (!m.Matches(v, r)) continue;
    out.At(m.KeyOf(v, r)).AddRow(v.duration[r], v.status[r] == kErrorStatus, v.start[r], step);
  }
}

Status Validate(const LatencyRequest& request) {
  for (double q : request.quantiles) {
    if (!(q >= 0 && q <= 1)) {
      return Status::InvalidArgument("latency: quantile " + std::to_string(q) +
                                     " is outside [0, 1]");
    }
  }
  if (request.step_nanos < 0) {
    return Status::InvalidArgument("latency: step " + std::to_string(request.step_nanos) +
                                   " ns is negative");
  }
  if (request.group_by == GroupBy::kAttribute && request.group_attribute.empty()) {
    return Status::InvalidArgument("latency: grouping by attribute needs an attribute key");
  }
  return Status::OK();
}

// Scans every (project, shard) of one snapshot on the query pool into one Partial per task, and
// merges them. With approx and a matcher that allows it, rollups stand in for whole blocks.
template <typename Group>
Result<Partial<Group>> Collect(const SpanStore& store, const LatencyRequest& request,
                               const SpanMatcher& m, bool use_rollups) {
  Result<std::vector<std::string>> projects = ProjectsOf(store, request.filter);
  if (!projects.ok()) return projects.status();
  QueryPool& pool = QueryPool::Shared();
  const auto shards = static_cast<uint32_t>(pool.threads());
  const size_t tasks = projects->size() * shards;
  std::vector<Partial<Group>> partials(tasks);
  std::shared_ptr<const ReadSnapshot> snapshot = store.Snapshot();
  const int64_t step = request.step_nanos;
  Status s = pool.RunAll(tasks, [&](size_t t) -> Status {
    Partial<Group>& out = partials[t];
    ScanRequest scan;
    scan.project = (*projects)[t / shards];
    scan.from_unix_nano = request.filter.from;
    scan.to_unix_nano = request.filter.to;
    scan.columns = m.Columns();
    scan.columns.Add(Column::kDuration);
    scan.columns.Add(Column::kStatus);
    scan.shard = static_cast<uint32_t>(t % shards);
    scan.shards = shards;
    auto on_rows = [&](const ColumnView& v) {
      if (!m.NeedsRecords()) {
        AddRows(v, m, step, out);
        return Status::OK();
      }
      return m.ForEachMatch(store, v, [&](size_t r, uint32_t key) {
        out.At(key).AddRow(v.duration[r], v.status[r] == kErrorStatus, v.start[r], step);
      });
    };
    if constexpr (std::is_same_v<Group, ApproxGroup>) {
      if (use_rollups) {
        scan.rollup_granularity = step;
        return store.ScanRollups(*snapshot, scan, on_rows, [&](const BlockRollup& b) -> Status {
          for (const RollupCell& cell : b.cells) {
            if (!m.MatchesCell(cell)) continue;
            if (Status st = out.At(m.KeyOfCell(b, cell)).AddCell(cell, b.min_start, step);
                !st.ok()) {
              return st;
            }
          }
          return Status::OK();
        });
      }
    }
    return store.Scan(*snapshot, scan, on_rows);
  });
  if (!s.ok()) return s;
  for (size_t t = 1; t < tasks; ++t) partials[0].Merge(partials[t]);
  if (tasks == 0) partials.emplace_back();
  return std::move(partials[0]);
}

// The parts of a group: its own durations, then those of each merged group.
std::vector<const ExactGroup*> PartsOf(const ExactGroup& g) {
  std::vector<const ExactGroup*> parts{&g};
  for (const ExactGroup& o : g.others) parts.push_back(&o);
  return parts;
}

// Exact buckets of one group: a counting sort by bucket into `scratch` (every duration of the
// group, bucket after bucket), then exact quantiles over each bucket's slice.
std::vector<LatencyBucket> MakeBuckets(const ExactGroup& g, const std::vector<double>& qs,
                                       std::vector<double>& scratch) {
  // One slot numbering for all parts, and each part's slots mapped to it.
  Buckets all;
  std::vector<std::vector<uint32_t>> remap;
  for (const ExactGroup* part : PartsOf(g)) {
    std::vector<uint32_t>& m = remap.emplace_back(part->buckets.starts.size());
    for (size_t s = 0; s < m.size(); ++s) m[s] = all.SlotOf(part->buckets.starts[s]);
  }
  const size_t slots = all.starts.size();
  std::vector<size_t> offset(slots + 1, 0);
  size_t p = 0;
  for (const ExactGroup* part : PartsOf(g)) {
    for (uint32_t slot : part->bucket_of) offset[remap[p][slot] + 1]++;
    ++p;
  }
  for (size_t s = 0; s < slots; ++s) offset[s + 1] += offset[s];
  scratch.resize(offset[slots]);
  std::vector<size_t> next(offset.begin(), offset.end() - 1);
  p = 0;
  for (const ExactGroup* part : PartsOf(g)) {
    for (size_t i = 0; i < part->durations_ms.size(); ++i) {
      scratch[next[remap[p][part->bucket_of[i]]]++] = part->durations_ms[i];
    }
    ++p;
  }
  std::vector<LatencyBucket> buckets(slots);
  for (size_t s = 0; s < slots; ++s) {
    LatencyBucket& b = buckets[s];
    b.start_unix_nano = all.starts[s];
    b.count = offset[s + 1] - offset[s];
    b.quantiles_ms = ExactQuantiles(std::span<double>(scratch.data() + offset[s], b.count), qs);
  }
  return buckets;
}

std::vector<double> SketchQuantilesMs(const DdSketch& sketch, const std::vector<double>& qs) {
  std::vector<double> out;
  out.reserve(qs.size());
  for (double q : qs) out.push_back(sketch.Quantile(q) / kNanosPerMilli);
  return out;
}

LatencyGroup Finish(ExactGroup& g, const LatencyRequest& request, std::vector<double>& scratch) {
  LatencyGroup out;
  out.count = g.count();
  out.error_count = g.error_count;
  if (out.count > 0) {
    out.mean_ms = g.sum_ms / static_cast<double>(out.count);
    out.max_ms = static_cast<double>(g.max_ns) / kNanosPerMilli;
  }
  if (request.step_nanos > 0) {
    out.buckets = MakeBuckets(g, request.quantiles, scratch);
    out.quantiles_ms = ExactQuantiles(scratch, request.quantiles);  // every duration, reordered
    return out;
  }
  std::vector<std::span<double>> parts;
  parts.emplace_back(g.durations_ms);
  for (ExactGroup& o : g.others) parts.emplace_back(o.durations_ms);
  out.quantiles_ms = ExactQuantilesOfParts(parts, request.quantiles);
  return out;
}

LatencyGroup Finish(ApproxGroup& g, const LatencyRequest& request, std::vector<double>&) {
  LatencyGroup out;
  out.count = g.count();
  out.error_count = g.error_count;
  if (out.count > 0) {
    out.mean_ms = g.all.sum() / static_cast<double>(out.count) / kNanosPerMilli;
    out.max_ms = g.all.max() / kNanosPerMilli;
  }
  out.quantiles_ms = SketchQuantilesMs(g.all, request.quantiles);
  for (size_t s = 0; s < g.bucket_sketches.size(); ++s) {
    LatencyBucket& b = out.buckets.emplace_back();
    b.start_unix_nano = g.buckets.starts[s];
    b.count = g.bucket_sketches[s].count();
    b.quantiles_ms = SketchQuantilesMs(g.bucket_sketches[s], request.quantiles);
  }
  return out;
}

template <typename Group>
Result<std::vector<LatencyGroup>> Run(const SpanStore& store, const LatencyRequest& request,
                                      const SpanMatcher& m) {
  Partial<Group> all;
  if (request.group_by == GroupBy::kNone) all.At(0);
  if (!m.MatchesNothing()) {
    Result<Partial<Group>> collected =
        Collect<Group>(store, request, m, request.approx && m.CanUseRollups());
    if (!collected.ok()) return collected.status();
    all.Merge(*collected);
  }
  // Quantiles of the groups in parallel on the pool (selection dominates large groups).
  std::vector<uint32_t> keys;
  keys.reserve(all.groups.size());
  for (const Group& g : all.groups) keys.push_back(g.key);
  std::vector<LatencyGroup> out(all.groups.size());
  Status finished = QueryPool::Shared().RunAll(all.groups.size(), [&](size_t i) -> Status {
    std::vector<double> scratch = DurationBuffers().Take();
    out[i] = Finish(all.groups[i], request, scratch);
    DurationBuffers().Give(std::move(scratch));
    std::sort(out[i].buckets.begin(), out[i].buckets.end(),
              [](const LatencyBucket& a, const LatencyBucket& b) {
                return a.start_unix_nano < b.start_unix_nano;
              });
    all.groups[i].GiveBuffers();  // early: the next group's scratch may reuse them
    return Status::OK();
  });
  if (!finished.ok()) return finished;
  for (size_t i = 0; i < out.size(); ++i) {
    Result<std::optional<std::string>> key = m.KeyName(store, keys[i]);
    if (!key.ok()) return key.status();
    out[i].key = std::move(*key);
  }
  SortByKey(out);
  return out;
}

}  // namespace

Result<std::vector<LatencyGroup>> RunLatency(const SpanStore& store,
                                             const LatencyRequest& request) {
  if (Status s = Validate(request); !s.ok()) return s;
  Result<SpanMatcher> matcher =
      SpanMatcher::Make(store, request.filter, request.group_by, request.group_attribute);
  if (!matcher.ok()) return matcher.status();
  if (request.approx) return Run<ApproxGroup>(store, request, *matcher);
  return Run<ExactGroup>(store, request, *matcher);
}

}  // namespace roost::query
