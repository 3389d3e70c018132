// Storage benchmarks: write throughput (realistic `roost gen` spans, batches of 1,000, WAL on,
// no fsync, sealing included), column scans, and bytes on disk per span.
//
// ROOST_BENCH_SPANS sets the data size (default 1,000,000; bench/RESULTS.md records 10,000,000).
// ROOST_BENCH_DIR sets where data dirs go (default: the system temp dir).

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "storage/internal/record_pack.h"
#include "storage/span_store.h"
#include "tools/workload/span_generator.h"

#include <sys/resource.h>

namespace roost {
namespace {

constexpr int64_t kEnd = 1'764'000'000'000'000'000;  // fixed period end: repeatable data

uint64_t BenchSpans() {
  const char* env = std::getenv("ROOST_BENCH_SPANS");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 1'000'000;
}

std::filesystem::path BenchDir(const std::string& name) {
  const char* env = std::getenv("ROOST_BENCH_DIR");
  std::filesystem::path base = env != nullptr ? env : std::filesystem::temp_directory_path();
  return base / ("roost_bench_" + name);
}

// User + system CPU seconds this process has used so far (all threads, the store's included).
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

// Pre-generated batches, so that the write benchmark measures the store, not the generator.
std::vector<std::vector<Span>> Batches(uint64_t spans, uint64_t salt) {
  std::vector<std::vector<Span>> out;
  workload::GeneratorOptions o;
  o.total_spans = spans;
  o.days = 30;
  o.end_unix_nano = kEnd;
  o.id_salt = salt;
  workload::SpanGenerator gen(o);
  for (;;) {
    std::vector<Span> batch;
    if (gen.Next(1000, &batch) == 0) break;
    out.push_back(std::move(batch));
  }
  return out;
}

// Writes (moves) all batches from `threads` threads; returns spans stored. Moving keeps the copy
// of the spans out of the figure: in the server, decoding produces them.
uint64_t WriteAll(SpanStore& store, std::vector<std::vector<Span>>& batches, int threads) {
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> stored{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < batches.size(); i = next++) {
        // The queue (262,144 spans) holds every batch in flight here, so nothing is shed.
        Result<WriteResult> r = store.Write(std::move(batches[i]));
        if (r.ok()) stored += r->stored;
      }
    });
  }
  for (auto& w : workers) w.join();
  return stored;
}

void BM_Write(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const uint64_t spans = BenchSpans();
  uint64_t salt = 0;
  uint64_t total = 0;
  double cpu = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::vector<Span>> batches = Batches(spans, ++salt);
    auto dir = BenchDir("write");
    std::filesystem::remove_all(dir);
    StoreOptions options;
    options.path = dir;
    auto store = SpanStore::Open(options);
    if (!store.ok()) {
      state.SkipWithError(store.status().ToString().c_str());
      return;
    }
    state.ResumeTiming();
    const double cpu_before = ProcessCpuSeconds();
    total += WriteAll(**store, batches, threads);
    if (!(*store)->Flush().ok()) state.SkipWithError("flush failed");
    cpu += ProcessCpuSeconds() - cpu_before;
    state.PauseTiming();
    store->reset();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(total));
  // CPU per span across all cores: steadier than spans/s on a shared machine, and what bounds
  // throughput once every core is busy (2 cores at 500k spans/s leave 4 us a span).
  if (total > 0) state.counters["cpu_us_per_span"] = cpu * 1e6 / static_cast<double>(total);
}
BENCHMARK(BM_Write)
    ->Arg(1)
    ->Arg(4)
    ->Arg(8)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

// ValidateSpan on realistic spans already in cache (batches of 1,000, as Write sees them): the
// store's one validation pass, which `roost gen` and embedding callers pay on every span.
void BM_ValidateSpan(benchmark::State& state) {
  std::vector<std::vector<Span>> batches = Batches(1000, 1);
  const std::vector<Span>& spans = batches.front();
  const SpanLimits limits;
  for (auto _ : state) {
    for (const Span& span : spans) {
      Status s = ValidateSpan(span, limits);
      if (!s.ok()) state.SkipWithError(s.ToString().c_str());
      benchmark::DoNotOptimize(s);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(spans.size()));
}
BENCHMARK(BM_ValidateSpan);

// Compact records of realistic spans encoded into payload pages of 256 (RecordPackBuilder, as
// Write does in the caller's thread), spans warm in cache: raw record bytes/s and spans/s.
void BM_EncodeRecords(benchmark::State& state) {
  std::vector<std::vector<Span>> batches = Batches(1024, 1);
  const std::vector<Span>& spans = batches.front();
  size_t bytes = 0;
  for (auto _ : state) {
    internal::RecordPackBuilder builder(256);
    for (const Span& span : spans) {
      builder.AddSpan(span);
      if (builder.count() == 256) {
        bytes += builder.bytes();
        benchmark::DoNotOptimize(builder.Finish());
      }
    }
    if (builder.count() > 0) bytes += builder.bytes();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(spans.size()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EncodeRecords);

// Payload pages as the store writes them (256 compact records of generated spans), compressed
// at zstd level `range(0)`: compressed bytes per span, and compression speed (raw bytes/s, one
// core). Picks StoreOptions::page_compression_level.
void BM_PageCompression(benchmark::State& state) {
  const int level = static_cast<int>(state.range(0));
  std::vector<std::string> packs;
  size_t spans = 0;
  for (std::vector<Span>& batch : Batches(25600, 1)) {
    internal::RecordPackBuilder builder(256);
    for (const Span& s : batch) {
      builder.AddSpan(s);
      if (builder.count() == 256) packs.push_back(builder.Finish());
    }
    if (builder.count() > 0) packs.push_back(builder.Finish());
    spans += batch.size();
  }
  size_t raw = 0, stored = 0;
  for (auto _ : state) {
    for (const std::string& pack : packs) {
      stored += internal::CompressPack(pack, level).size();
      raw += pack.size();
    }
  }
  const double rounds = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(raw));
  state.counters["raw_B_per_span"] = static_cast<double>(raw) / rounds / static_cast<double>(spans);
  state.counters["stored_B_per_span"] =
      static_cast<double>(stored) / rounds / static_cast<double>(spans);
}
BENCHMARK(BM_PageCompression)
    ->Arg(-5)
    ->Arg(-1)
    ->Arg(1)
    ->Arg(2)
    ->Arg(3)
    ->Arg(6)
    ->Arg(9)
    ->Unit(benchmark::kMillisecond);

// Streams `spans` generated spans into `store` from `threads` writers (bounded memory).
void GenerateInto(SpanStore& store, uint64_t spans, int threads) {
  workload::GeneratorOptions o;
  o.total_spans = spans;
  o.days = 30;
  o.end_unix_nano = kEnd;
  workload::SpanGenerator gen(o);
  std::mutex mu;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (;;) {
        std::vector<Span> batch;
        {
          std::lock_guard lock(mu);
          if (gen.Next(1000, &batch) == 0) return;
        }
        for (int attempt = 0; attempt < 100000; ++attempt) {
          if (store.Write(batch).ok()) break;
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& w : workers) w.join();
}

// The store the read benchmarks use: ROOST_BENCH_DATA (a data dir made by `roost gen`, e.g.
// `roost gen --spans 10000000 --days 30 --data DIR`) when set, else BenchSpans() generated spans.
SpanStore& ScanStore() {
  static std::unique_ptr<SpanStore> store = [] {
    const char* data = std::getenv("ROOST_BENCH_DATA");
    StoreOptions options;
    options.path = data != nullptr ? std::string(data) : BenchDir("scan").string();
    if (data == nullptr) std::filesystem::remove_all(options.path);
    auto s = SpanStore::Open(options);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
      std::abort();
    }
    if (data == nullptr) GenerateInto(**s, BenchSpans(), 2);
    if (!(*s)->Flush().ok()) std::abort();
    return std::move(*s);
  }();
  return *store;
}

uint64_t StoredSpans(SpanStore& store) {
  uint64_t n = 0;
  Result<std::vector<ProjectSummary>> projects = store.ListProjects();
  if (projects.ok()) {
    for (const ProjectSummary& p : *projects) n += p.span_count;
  }
  return n;
}

// One pass over the duration, model and kind columns of every span, touching every value.
Status ScanDurationModelKind(SpanStore& store, uint64_t* rows) {
  ScanRequest req;
  req.columns = {Column::kDuration, Column::kModel, Column::kKind};
  int64_t sum = 0;
  Status s = store.Scan(req, [&](const ColumnView& v) {
    for (size_t r = 0; r < v.rows; ++r) sum += v.duration[r] + v.model[r] + v.kind[r];
    *rows += v.rows;
    return Status::OK();
  });
  benchmark::DoNotOptimize(sum);
  return s;
}

// Warm (the columns were read once before timing, as a dashboard's repeated queries are).
void BM_ScanDurationModelKind(benchmark::State& state) {
  SpanStore& store = ScanStore();
  uint64_t warm = 0;
  if (Status s = ScanDurationModelKind(store, &warm); !s.ok()) {
    state.SkipWithError(s.ToString().c_str());
    return;
  }
  uint64_t rows = 0;
  for (auto _ : state) {
    if (Status s = ScanDurationModelKind(store, &rows); !s.ok()) {
      state.SkipWithError(s.ToString().c_str());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(rows));
  state.counters["rows"] = static_cast<double>(warm);
}
BENCHMARK(BM_ScanDurationModelKind)->Unit(benchmark::kMillisecond)->UseRealTime();

// GetTrace of random recent traces (what a trace view asks for), range(0) = 0 while all
// 250,000 spans are still in open blocks (a live server holds up to 262,144 unsealed rows),
// 1 once they are sealed. Each lookup returns one whole trace of ~4 spans.
void BM_GetTrace(benchmark::State& state) {
  const bool sealed = state.range(0) != 0;
  auto dir = BenchDir("get_trace");
  std::filesystem::remove_all(dir);
  StoreOptions options;
  options.path = dir;
  options.background_sealing = false;
  auto store = SpanStore::Open(options);
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  workload::GeneratorOptions o;
  o.total_spans = 250'000;
  o.days = 0.1;
  o.end_unix_nano = kEnd;
  workload::SpanGenerator gen(o);
  std::vector<TraceId> roots;
  for (;;) {
    std::vector<Span> batch;
    if (gen.Next(1000, &batch) == 0) break;
    for (const Span& sp : batch) {
      if (!sp.parent_span_id) roots.push_back(sp.trace_id);
    }
    if (!(*store)->Write(std::move(batch)).ok()) state.SkipWithError("write failed");
  }
  if (sealed && !(*store)->Flush().ok()) state.SkipWithError("flush failed");
  state.counters["open_rows"] = static_cast<double>((*store)->Stats().open_rows);
  uint64_t spans = 0;
  size_t next = 0;
  for (auto _ : state) {
    next = (next + 7919) % roots.size();  // a prime stride: traces all over the data
    Result<std::vector<Span>> trace = (*store)->GetTrace(roots[next]);
    if (!trace.ok()) state.SkipWithError(trace.status().ToString().c_str());
    if (trace.ok()) spans += trace->size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["spans_per_trace"] =
      static_cast<double>(spans) / static_cast<double>(state.iterations());
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_GetTrace)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_BytesPerSpan(benchmark::State& state) {
  SpanStore& store = ScanStore();
  for (auto _ : state) {
    if (Status s = store.Compact(); !s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  StoreStats stats = store.Stats();
  const auto n = static_cast<double>(StoredSpans(store));
  state.counters["columns_B_per_span"] = static_cast<double>(stats.column_bytes) / n;
  state.counters["records_B_per_span"] = static_cast<double>(stats.record_bytes) / n;
  state.counters["indexes_B_per_span"] = static_cast<double>(stats.index_bytes) / n;
  state.counters["outbox_B_per_span"] = static_cast<double>(stats.outbox_bytes) / n;
  state.counters["total_B_per_span"] = static_cast<double>(stats.live_data_bytes) / n;
}
BENCHMARK(BM_BytesPerSpan)->Iterations(1);

}  // namespace
}  // namespace roost

BENCHMARK_MAIN();
