// `roost gen`: deterministic synthetic LLM-agent traffic, into a data dir or an OTLP file.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "ingest/json_encoder.h"
#include "ingest/protobuf_encoder.h"
#include "storage/span_store.h"
#include "tools/roost/commands.h"
#include "tools/roost/store_flags.h"
#include "tools/workload/span_generator.h"

namespace roost::cli {
namespace {

struct GenFlags {
  uint64_t spans = 0;
  uint64_t seed = 1;
  double days = 1.0;
  std::string project = "default";
  std::string data;
  std::string out;
  std::string format = "otlp-json";
  int64_t end_ms = 0;
  size_t batch = 1000;
  int threads = 4;  // more than the cores: each waits for its commit, so 4 keep 2 cores busier
  bool sync = false;
};

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Generates into the store from `threads` writer threads that share one generator (generation
// is cheap next to the write path, so one mutex-guarded generator keeps output deterministic in
// content while the writes run concurrently).
void GenerateIntoStore(const GenFlags& f, workload::SpanGenerator& gen) {
  StoreOptions options;
  options.path = f.data;
  options.sync = f.sync;
  options.max_queued_spans = std::max(options.max_queued_spans,
                                      static_cast<size_t>(std::max(1, f.threads)) * (f.batch + 1));
  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
  if (!store.ok()) Fail(store.status().ToString());
  std::mutex gen_mu;
  std::atomic<uint64_t> stored{0}, duplicates{0}, rejected{0};
  std::atomic<bool> failed{false};
  std::string failure;
  const auto begin = std::chrono::steady_clock::now();
  auto worker = [&] {
    std::vector<Span> batch;
    for (;;) {
      batch.clear();
      {
        std::lock_guard lock(gen_mu);
        if (failed.load() || gen.Next(f.batch, &batch) == 0) return;
      }
      // Moved, not copied: the write queue holds every worker's batch (see max_queued_spans
      // above), so Write never sheds one and there is nothing to retry.
      Result<WriteResult> r = (*store)->Write(std::move(batch));
      if (!r.ok()) {
        std::lock_guard lock(gen_mu);
        failed = true;
        failure = r.status().ToString();
        return;
      }
      stored += r->stored;
      duplicates += r->duplicates;
      rejected += r->rejected.size();
    }
  };
  std::vector<std::thread> workers;
  for (int i = 0; i < std::max(1, f.threads); ++i) workers.emplace_back(worker);
  for (auto& t : workers) t.join();
  if (failed) Fail("writing spans: " + failure);
  const double write_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  if (Status s = (*store)->Flush(); !s.ok()) Fail("sealing: " + s.ToString());
  const double total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::printf("wrote %llu spans (%llu duplicates, %llu rejected) to %s\n",
              static_cast<unsigned long long>(stored.load()),
              static_cast<unsigned long long>(duplicates.load()),
              static_cast<unsigned long long>(rejected.load()), f.data.c_str());
  std::printf(
      "%.0f spans/s acknowledged (%.2f s), %.0f spans/s including the final seal (%.2f s)\n",
      static_cast<double>(stored.load()) / write_s, write_s,
      static_cast<double>(stored.load()) / total_s, total_s);
}

// One OTLP ExportTraceServiceRequest per batch: JSON lines, or protobuf messages each preceded
// by its length as a base-128 varint (as protobuf's writeDelimitedTo does).
void GenerateIntoFile(const GenFlags& f, workload::SpanGenerator& gen) {
  std::FILE* out = std::fopen(f.out.c_str(), "wb");
  if (out == nullptr) Fail("cannot open " + f.out + " for writing");
  const bool json = f.format == "otlp-json";
  std::vector<Span> batch;
  uint64_t spans = 0, requests = 0;
  const auto begin = std::chrono::steady_clock::now();
  bool ok = true;
  while (ok) {
    batch.clear();
    if (gen.Next(f.batch, &batch) == 0) break;
    std::string body = json ? ingest::EncodeJson(batch) : ingest::EncodeProtobuf(batch);
    if (json) {
      body.push_back('\n');
    } else {
      std::string prefix;
      for (uint64_t n = body.size();; n >>= 7) {
        prefix.push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
        if (n < 0x80) break;
      }
      ok = std::fwrite(prefix.data(), 1, prefix.size(), out) == prefix.size();
    }
    ok = ok && std::fwrite(body.data(), 1, body.size(), out) == body.size();
    spans += batch.size();
    ++requests;
  }
  ok = std::fclose(out) == 0 && ok;
  if (!ok) Fail("writing " + f.out + " failed");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::printf("wrote %llu spans in %llu %s requests to %s (%.0f spans/s)\n",
              static_cast<unsigned long long>(spans), static_cast<unsigned long long>(requests),
              f.format.c_str(), f.out.c_str(), static_cast<double>(spans) / s);
}

void RunGen(const GenFlags& f) {
  if (f.spans == 0) Fail("--spans must be positive");
  if (f.data.empty() == f.out.empty()) Fail("give exactly one of --data DIR or --out FILE");
  if (f.batch == 0 || f.batch > 100000) Fail("--batch must be in [1, 100000]");
  workload::GeneratorOptions g;
  g.seed = f.seed;
  g.days = f.days;
  g.project = f.project;
  g.total_spans = f.spans;
  g.end_unix_nano = f.end_ms != 0 ? f.end_ms * 1'000'000 : NowNanos();
  if (Status s = workload::ValidateGeneratorOptions(g); !s.ok()) Fail(s.message());
  workload::SpanGenerator gen(g);
  if (!f.data.empty()) {
    GenerateIntoStore(f, gen);
    return;
  }
  GenerateIntoFile(f, gen);
}

}  // namespace

void AddGenCommand(CLI::App& app) {
  auto flags = std::make_shared<GenFlags>();
  CLI::App* cmd = app.add_subcommand(
      "gen", "Generate deterministic synthetic LLM-agent traces (sessions of ~20 turns)");
  cmd->add_option("--spans", flags->spans, "How many spans")->required();
  cmd->add_option("--seed", flags->seed, "Random seed (same seed, same traffic)");
  cmd->add_option("--days", flags->days, "Spread start times over this many days before --end");
  cmd->add_option("--end-ms", flags->end_ms, "Period end, Unix ms (default: now)");
  cmd->add_option("--project", flags->project, "Project name");
  cmd->add_option("--data", flags->data, "Write into this data dir through the embedded store");
  cmd->add_option("--out", flags->out, "Write OTLP export requests to this file instead");
  cmd->add_option("--format", flags->format, "otlp-json (one request per line) or otlp-proto")
      ->check(CLI::IsMember({"otlp-json", "otlp-proto"}));
  cmd->add_option("--batch", flags->batch, "Spans per write / per OTLP request");
  cmd->add_option("--threads", flags->threads, "Concurrent writer threads (with --data)");
  cmd->add_flag("--sync", flags->sync, "fsync every group commit");
  cmd->callback([flags] { RunGen(*flags); });
}

}  // namespace roost::cli
