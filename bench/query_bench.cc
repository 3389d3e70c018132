// Query benchmarks: p50/p90/p99 of LLM spans by model and p99 by model per hour (exact: arg 0,
// approx from block rollups: arg 1), tokens and cost by model, and one session's spans.
//
// ROOST_BENCH_DATA names an existing data dir made by `roost gen` (opened read-write, queried
// as is). Without it, ROOST_BENCH_SPANS generated spans (default 1,000,000) are written to a fresh
// dir under ROOST_BENCH_DIR (default: the system temp dir), flushed, and removed at exit.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "query/cost_query.h"
#include "query/latency_query.h"
#include "storage/span_store.h"
#include "tools/workload/span_generator.h"

namespace roost::query {
namespace {

constexpr int64_t kEnd = 1'764'000'000'000'000'000;  // fixed period end: repeatable data
constexpr int64_t kHourNanos = int64_t{3600} * 1'000'000'000;

// The store every benchmark reads; opened (and filled, without ROOST_BENCH_DATA) once.
class BenchStore {
 public:
  static SpanStore& Get() {
    static BenchStore instance;
    return *instance.store_;
  }
  ~BenchStore() {
    store_.reset();
    std::error_code ec;
    if (!generated_dir_.empty()) std::filesystem::remove_all(generated_dir_, ec);
  }

 private:
  BenchStore() {
    const char* data = std::getenv("ROOST_BENCH_DATA");
    StoreOptions o;
    // Room for every column the three questions read on 10M spans (~420 MB), so warm means warm.
    o.column_cache_bytes = size_t{1} << 30;
    if (data != nullptr) {
      o.path = data;
    } else {
      const char* dir = std::getenv("ROOST_BENCH_DIR");
      std::filesystem::path base = dir ? dir : std::filesystem::temp_directory_path();
      generated_dir_ = (base / "roost_bench_query").string();
      std::filesystem::remove_all(generated_dir_);
      o.path = generated_dir_;
    }
    Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(o);
    if (!store.ok()) {
      std::fprintf(stderr, "open %s: %s\n", o.path.c_str(), store.status().ToString().c_str());
      std::abort();
    }
    store_ = std::move(*store);
    if (data == nullptr) Fill();
  }

  void Fill() {
    const char* env = std::getenv("ROOST_BENCH_SPANS");
    workload::GeneratorOptions g;
    g.total_spans = env != nullptr ? std::strtoull(env, nullptr, 10) : 1'000'000;
    g.days = 30;
    g.end_unix_nano = kEnd;
    workload::SpanGenerator gen(g);
    for (;;) {
      std::vector<Span> batch;
      if (gen.Next(1000, &batch) == 0) break;
      if (!store_->Write(std::move(batch)).ok()) std::abort();
    }
    if (!store_->Flush().ok()) std::abort();
  }

  std::unique_ptr<SpanStore> store_;
  std::string generated_dir_;
};

void BM_LatencyLlmByModel(benchmark::State& state) {
  SpanStore& store = BenchStore::Get();
  LatencyRequest req;
  req.approx = state.range(0) != 0;
  req.filter.kind = SpanKind::kLlm;
  req.group_by = GroupBy::kModel;
  uint64_t spans = 0;
  (void)RunLatency(store, req);  // warm: dashboards repeat their questions
  for (auto _ : state) {
    Result<std::vector<LatencyGroup>> r = RunLatency(store, req);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    spans = 0;
    for (const LatencyGroup& g : *r) spans += g.count;
  }
  state.counters["spans"] = static_cast<double>(spans);
  state.SetItemsProcessed(static_cast<int64_t>(spans * state.iterations()));
}
BENCHMARK(BM_LatencyLlmByModel)
    ->ArgName("approx")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_LatencyP99ByModelPerHour(benchmark::State& state) {
  SpanStore& store = BenchStore::Get();
  LatencyRequest req;
  req.approx = state.range(0) != 0;
  req.filter.kind = SpanKind::kLlm;
  req.group_by = GroupBy::kModel;
  req.quantiles = {0.99};
  req.step_nanos = kHourNanos;
  uint64_t buckets = 0;
  (void)RunLatency(store, req);  // warm
  for (auto _ : state) {
    Result<std::vector<LatencyGroup>> r = RunLatency(store, req);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    buckets = 0;
    for (const LatencyGroup& g : *r) buckets += g.buckets.size();
  }
  state.counters["buckets"] = static_cast<double>(buckets);
}
BENCHMARK(BM_LatencyP99ByModelPerHour)
    ->ArgName("approx")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_CostByModel(benchmark::State& state) {
  SpanStore& store = BenchStore::Get();
  CostRequest req;
  req.group_by = GroupBy::kModel;
  uint64_t spans = 0;
  (void)RunCost(store, req);  // warm
  for (auto _ : state) {
    Result<CostResult> r = RunCost(store, req);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    spans = r->total.spans;
  }
  state.SetItemsProcessed(static_cast<int64_t>(spans * state.iterations()));
}
BENCHMARK(BM_CostByModel)->Unit(benchmark::kMillisecond)->UseRealTime();

// A session id of the store: the one of the first row that has one.
std::string SomeSession(const SpanStore& store) {
  uint32_t id = 0;
  ScanRequest scan;
  scan.columns = {Column::kSession};
  (void)store.Scan(scan, [&](const ColumnView& v) {
    for (size_t r = 0; r < v.rows && id == 0; ++r) id = v.session[r];
    return id == 0 ? Status::OK() : Status::NotFound("found");  // stop early
  });
  Result<std::string> s = store.DictionaryString(DictKind::kSession, id);
  return s.ok() ? *s : std::string();
}

void BM_OneSessionSpans(benchmark::State& state) {
  SpanStore& store = BenchStore::Get();
  const std::string session = SomeSession(store);
  size_t spans = 0;
  (void)store.GetSession("default", session);  // warm
  for (auto _ : state) {
    Result<std::vector<Span>> r = store.GetSession("default", session);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    spans = r->size();
  }
  state.counters["spans"] = static_cast<double>(spans);
}
BENCHMARK(BM_OneSessionSpans)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace roost::query

BENCHMARK_MAIN();
