#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "storage/span.h"
#include "storage/status.h"

namespace roost::workload {

// Longest period a generator accepts (100 years).
inline constexpr double kMaxGeneratorDays = 36500.0;

// What SpanGenerator produces. The same options always give byte-identical spans on a given
// platform, whatever batch sizes Next() is called with.
struct GeneratorOptions {
  // Seeds the traffic: session times, turn shapes, models, latencies, tokens, texts, errors.
  uint64_t seed = 1;
  // Mixed into trace and span ids only: the same traffic shape (times, models, texts, session
  // and user ids) with fresh trace/span ids, for repeated ingest benchmarks.
  uint64_t id_salt = 0;
  // End of the period, in Unix nanoseconds. 0 means unset: the caller must set it (the CLI
  // passes "now").
  int64_t end_unix_nano = 0;
  // Period length. Session start times spread uniformly at random over
  // [end - days, end); a session's later turns may run a few hours past the end.
  double days = 1.0;
  // Span::project and the `openinference.project.name` resource attribute.
  std::string project = "default";
  // Stop after exactly this many spans; 0 means unbounded. When unbounded, sessions arrive at a
  // fixed rate (kUnboundedSessionsPerDay) from the period start on and keep arriving past its end.
  uint64_t total_spans = 0;
};

// Session arrival rate when GeneratorOptions::total_spans is 0 (about 700k spans a day).
inline constexpr double kUnboundedSessionsPerDay = 10000.0;

// Returns kInvalidArgument naming the problem unless `options` describe a usable period:
// end_unix_nano set and before 2100, days finite and in (0, kMaxGeneratorDays], the period
// starting after 1970, and a non-empty project.
[[nodiscard]] Status ValidateGeneratorOptions(const GeneratorOptions& options);

// Deterministic generator of realistic LLM-agent traffic as OpenInference instrumentation emits
// it (the conventions Arize Phoenix uses), behind `roost gen`, tests and benchmarks.
//
// Traffic: sessions of 5..40 turns (about 20 on average) with think time of seconds to a few
// minutes between turns. Each turn is one trace: a root CHAIN span "conversation" whose children,
// laid out one after another inside the root's time window, are 1-4 LLM spans "ChatCompletion"
// and 0-2 TOOL spans (named after the tool, e.g. "run_sql"). Six models from four providers with
// skewed popularity; LLM latency lognormal around 2 s; about 2% of LLM and TOOL spans fail with
// status ERROR and an "exception" event. Spans come out session by session in order of session
// start, each trace root first, so start times increase only approximately.
//
// Every span passes ValidateSpan. Cost: about 1M spans/s on one core in batches of ~1000 spans
// (allocating the spans' strings dominates; batches far larger than that fall out of the cache
// and run about half as fast). Not thread-safe; distinct instances are independent. A moved-from
// generator may only be destroyed or assigned to.
class SpanGenerator {
 public:
  // REQUIRES: ValidateGeneratorOptions(options).ok(). Debug builds assert it; release builds
  // clamp days into range and, given no end, place the traffic just after 1970.
  explicit SpanGenerator(const GeneratorOptions& options);
  ~SpanGenerator();
  SpanGenerator(SpanGenerator&&) noexcept;
  SpanGenerator& operator=(SpanGenerator&&) noexcept;
  SpanGenerator(const SpanGenerator&) = delete;
  SpanGenerator& operator=(const SpanGenerator&) = delete;

  // Appends up to `max_spans` spans to *out and returns how many were appended; 0 once
  // total_spans spans have been generated (or when max_spans is 0). A call appends whole traces
  // when it can: it stops before a trace that would not fit, unless it has appended nothing yet,
  // in which case it appends the first max_spans spans of that trace and the rest come first in
  // the next call. The very last trace is cut short only to honour total_spans (its root comes
  // first, so cut traces keep their root). Existing elements of *out are left alone.
  // REQUIRES: out != nullptr.
  size_t Next(size_t max_spans, std::vector<Span>* out);

  // Spans appended by Next() so far.
  uint64_t generated() const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace roost::workload
