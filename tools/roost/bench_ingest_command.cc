// `roost bench ingest`: an OTLP/HTTP load generator for any OTLP traces endpoint.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "tools/roost/acknowledged_span_check.h"
#include "tools/roost/commands.h"
#include "tools/roost/ingest_bench.h"
#include "tools/roost/otlp_http_client.h"
#include "tools/roost/store_flags.h"
#include "tools/roost/stored_count_check.h"

namespace roost::cli {
namespace {

struct BenchIngestFlags {
  std::string target = "http://127.0.0.1:6006";
  int concurrency = 8;
  size_t batch = 512;
  std::string encoding = "protobuf";
  bool gzip = false;
  uint64_t spans = 0;
  double duration_seconds = 0;
  std::string api_key;
  std::string project;
  uint64_t seed = 1;
  bool json = false;
  std::string verify_data;
  size_t templates = IngestBenchOptions{}.templates;
};

// NaN (no sample) prints as JSON null.
nlohmann::json Number(double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); }

void PrintInterval(const IngestBenchInterval& i) {
  std::fprintf(
      stderr, "%6.1fs  %10.0f spans/s  p50 %7.1f ms  p99 %7.1f ms  errors %llu  503s %llu\n",
      i.elapsed_seconds, i.spans_per_second, i.p50_ms, i.p99_ms,
      static_cast<unsigned long long>(i.errors), static_cast<unsigned long long>(i.retries_503));
}

void PrintSummary(const BenchIngestFlags& f, const IngestBenchResult& r,
                  const std::optional<SpanVerification>& verification,
                  const std::optional<StoredCountCheck>& counted) {
  if (f.json) {
    nlohmann::json out = {
        {"target", f.target},
        {"encoding", f.encoding},
        {"gzip", f.gzip},
        {"batch", f.batch},
        {"concurrency", f.concurrency},
        {"spans", r.spans},
        {"requests", r.requests},
        {"copied_requests", r.copied_requests},
        {"seconds", r.seconds},
        {"spans_per_second", r.spans_per_second()},
        {"p50_ms", Number(r.p50_ms)},
        {"p99_ms", Number(r.p99_ms)},
        {"errors", r.errors},
        {"errors_by_status", r.errors_by_status},
        {"retries_503", r.retries_503},
        {"rejected_spans", r.rejected_spans},
        {"verified", verification ? nlohmann::json(verification->ok()) : nlohmann::json()},
    };
    if (counted) {
      out["stored_check"] = {{"project", counted->project},
                             {"before", counted->before},
                             {"after", counted->after},
                             {"acknowledged", counted->acknowledged},
                             {"exact", counted->exact()}};
    } else {
      out["stored_check"] = nullptr;
    }
    if (verification) {
      out["verification"] = {{"acknowledged", verification->acknowledged},
                             {"found", verification->found},
                             {"missing", verification->missing},
                             {"unexpected", verification->unexpected}};
    }
    std::printf("%s\n", out.dump().c_str());
    return;
  }
  std::printf(
      "%llu spans in %llu requests in %.2f s: %.0f spans/s; latency p50 %.1f ms, p99 %.1f "
      "ms; %llu errors, %llu 503 retries, %llu spans rejected\n",
      static_cast<unsigned long long>(r.spans), static_cast<unsigned long long>(r.requests),
      r.seconds, r.spans_per_second(), r.p50_ms, r.p99_ms,
      static_cast<unsigned long long>(r.errors), static_cast<unsigned long long>(r.retries_503),
      static_cast<unsigned long long>(r.rejected_spans));
  if (r.copied_requests > 0) {
    std::printf("  %llu of the requests were copies of the first %zu under new ids (--templates)\n",
                static_cast<unsigned long long>(r.copied_requests), f.templates);
  }
  for (const auto& [cause, count] : r.errors_by_status) {
    std::printf("  errors %s: %llu\n", cause.c_str(), static_cast<unsigned long long>(count));
  }
  for (const std::string& sample : r.error_samples) std::printf("  e.g. %s\n", sample.c_str());
  if (counted) std::printf("%s\n", counted->Describe().c_str());
  if (verification) {
    std::printf(
        "verified: %llu of %llu acknowledged spans stored, %llu missing, %llu unexpected "
        "(%llu traces)\n",
        static_cast<unsigned long long>(verification->found),
        static_cast<unsigned long long>(verification->acknowledged),
        static_cast<unsigned long long>(verification->missing),
        static_cast<unsigned long long>(verification->unexpected),
        static_cast<unsigned long long>(verification->traces));
    for (const std::string& sample : verification->samples) std::printf("  %s\n", sample.c_str());
  }
}

IngestBenchOptions ToOptions(const BenchIngestFlags& f) {
  Result<HttpUrl> url = ParseHttpUrl(f.target);
  if (!url.ok()) Fail("--target " + url.status().message());
  IngestBenchOptions o;
  o.target = *url;
  o.concurrency = f.concurrency;
  o.batch = f.batch;
  o.encoding = f.encoding == "json" ? OtlpEncoding::kJson : OtlpEncoding::kProtobuf;
  o.gzip = f.gzip;
  o.spans = f.spans;
  if (!(f.duration_seconds >= 0 && f.duration_seconds <= 86400)) {
    Fail("--duration must be in [0, 86400] seconds");
  }
  o.duration = std::chrono::milliseconds(static_cast<int64_t>(f.duration_seconds * 1000));
  o.api_key = f.api_key;
  o.project = f.project;
  o.seed = f.seed;
  o.templates = f.templates;
  // Fresh ids on every run: the server's de-duplication must not make the figure look better.
  o.id_salt = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  o.keep_acknowledged_ids = !f.verify_data.empty();
  if (Status s = ValidateIngestBenchOptions(o); !s.ok()) Fail(s.message());
  return o;
}

void RunBenchIngest(const BenchIngestFlags& f) {
  const IngestBenchOptions options = ToOptions(f);
  // stdout carries only the result (one JSON object with --json); log lines, such as the read-only
  // store's replay notice during verification, go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("roost-bench"));
  std::fprintf(stderr, "POST http://%s:%u%s: %s%s, %zu spans per request, %d connections\n",
               options.target.host.c_str(), static_cast<unsigned>(options.target.port),
               OtlpTracesPath(options.target).c_str(), f.encoding.c_str(), f.gzip ? "+gzip" : "",
               f.batch, f.concurrency);
  // Against roost, the project's span count before and after tells whether exactly the
  // acknowledged spans were stored (other OTLP endpoints have no such route).
  const std::string project = options.project.empty() ? "default" : options.project;
  const ProjectCount before =
      ReadProjectCount(options.target, options.api_key, project, options.http);
  if (before.roost) {
    std::fprintf(stderr, "target is roost: project %s holds %llu spans before the run\n",
                 project.c_str(), static_cast<unsigned long long>(before.spans));
  } else {
    std::fprintf(stderr, "no stored-span count check (the target is not roost: %s)\n",
                 before.reason.c_str());
  }
  Result<IngestBenchResult> result = RunIngestBench(options, PrintInterval);
  if (!result.ok()) Fail(result.status().message());
  std::optional<StoredCountCheck> counted;
  if (before.roost) {
    const ProjectCount after =
        ReadProjectCount(options.target, options.api_key, project, options.http);
    if (!after.roost) Fail("cannot read roost's span count after the run: " + after.reason);
    counted = StoredCountCheck{project, before.spans, after.spans, result->spans, result->errors};
  }
  std::optional<SpanVerification> verification;
  if (!f.verify_data.empty()) {
    Result<SpanVerification> v =
        VerifyAcknowledgedSpansInDir(f.verify_data, std::move(result->acknowledged));
    if (!v.ok()) Fail("verification: " + v.status().message());
    verification = std::move(v).value();
  }
  PrintSummary(f, *result, verification, counted);
  std::fflush(stdout);
  if (result->requests == 0) Fail("every request failed");
  if (counted && !counted->exact() && !counted->explained()) Fail(counted->Describe());
  if (verification && !verification->ok()) {
    Fail("verification failed: " + std::to_string(verification->missing) +
         " acknowledged spans missing, " + std::to_string(verification->unexpected) +
         " unexpected");
  }
}

}  // namespace

void AddBenchCommand(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks");
  bench->require_subcommand(1);
  auto f = std::make_shared<BenchIngestFlags>();
  CLI::App* cmd = bench->add_subcommand(
      "ingest", "OTLP/HTTP load generator: POST synthetic traces to any OTLP traces endpoint");
  cmd->add_option("--target", f->target,
                  "Base URL (http only); /v1/traces is appended unless the URL ends with it");
  cmd->add_option("--concurrency", f->concurrency, "Keep-alive connections");
  cmd->add_option("--batch", f->batch, "Spans per request");
  cmd->add_option("--encoding", f->encoding, "protobuf or json")
      ->check(CLI::IsMember({"protobuf", "json"}));
  cmd->add_flag("--gzip", f->gzip, "Send bodies gzip-compressed");
  cmd->add_option("--spans", f->spans, "Send this many spans in all");
  cmd->add_option("--duration", f->duration_seconds, "Or send for this many seconds");
  cmd->add_option("--api-key", f->api_key, "Authorization: Bearer KEY");
  cmd->add_option("--project", f->project, "x-project-name header");
  cmd->add_option("--seed", f->seed, "Traffic shape seed (ids are fresh on every run)");
  cmd->add_option("--templates", f->templates,
                  "Generate this many requests, then send copies of them with fresh ids (cheap "
                  "for the load generator); 0: generate every request")
      ->capture_default_str();
  cmd->add_flag("--json", f->json, "Print the result as one JSON object");
  cmd->add_option("--verify-data", f->verify_data,
                  "After the run, open this data dir (the target roost's) read-only and check that "
                  "exactly the acknowledged spans are stored");
  cmd->callback([f] { RunBenchIngest(*f); });
}

}  // namespace roost::cli
