// Decoding speed of OTLP/HTTP requests of 512 realistic OpenInference LLM spans (~1 KB of
// attributes each), in protobuf and JSON, and the encoders for reference.
// Reports items_per_second (spans/s) and bytes_per_second (request bytes/s).

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "ingest/decompress.h"
#include "ingest/internal/otlp_wire_decoder.h"
#include "ingest/json_decoder.h"
#include "ingest/json_encoder.h"
#include "ingest/protobuf_decoder.h"
#include "ingest/protobuf_encoder.h"
#include "ingest/semantic_conventions.h"
#include "storage/span.h"

namespace roost::ingest {
namespace {

constexpr int kSpansPerRequest = 512;

// Deterministic filler text of about `n` bytes.
std::string Text(std::mt19937_64& rng, size_t n) {
  static constexpr const char* kWords[] = {"the",   "model", "answer", "question", "Paris",
                                           "token", "agent", "tool",   "context",  "retrieval",
                                           "user",  "data",  "with",   "summary",  "result"};
  std::string out;
  while (out.size() < n) {
    if (!out.empty()) out += ' ';
    out += kWords[rng() % std::size(kWords)];
  }
  return out;
}

Span MakeSpan(std::mt19937_64& rng, int i) {
  Span s;
  for (uint8_t& b : s.trace_id.bytes) b = static_cast<uint8_t>(rng());
  for (uint8_t& b : s.span_id.bytes) b = static_cast<uint8_t>(rng());
  if (i % 4 != 0) {
    SpanId parent;
    for (uint8_t& b : parent.bytes) b = static_cast<uint8_t>(rng() | 1);
    s.parent_span_id = parent;
  }
  s.name = "ChatCompletion";
  s.start_unix_nano = 1'700'000'000'000'000'000 + i * 1'000'000LL;
  s.end_unix_nano = s.start_unix_nano + static_cast<int64_t>(rng() % 2'000'000'000);
  s.status_code = StatusCode::kOk;
  const int64_t prompt = static_cast<int64_t>(rng() % 2000);
  const int64_t completion = static_cast<int64_t>(rng() % 500);
  s.attributes = {
      {"openinference.span.kind", std::string("LLM")},
      {"llm.model_name", std::string("gpt-4o-mini-2024-07-18")},
      {"llm.provider", std::string("openai")},
      {"llm.system", std::string("openai")},
      {"llm.invocation_parameters", std::string(R"({"temperature":0.2,"max_tokens":512})")},
      {"llm.input_messages.0.message.role", std::string("system")},
      {"llm.input_messages.0.message.content", Text(rng, 100)},
      {"llm.input_messages.1.message.role", std::string("user")},
      {"llm.input_messages.1.message.content", Text(rng, 150)},
      {"llm.output_messages.0.message.role", std::string("assistant")},
      {"llm.output_messages.0.message.content", Text(rng, 150)},
      {"input.value", Text(rng, 80)},
      {"input.mime_type", std::string("text/plain")},
      {"output.value", Text(rng, 40)},
      {"output.mime_type", std::string("text/plain")},
      {"llm.token_count.prompt", prompt},
      {"llm.token_count.completion", completion},
      {"llm.token_count.total", prompt + completion},
      {"llm.cost.total", static_cast<double>(prompt + completion) * 1.5e-7},
      {"session.id", "session-" + std::to_string(rng() % 1000)},
      {"user.id", "user-" + std::to_string(rng() % 100)},
      {"metadata", std::string(R"({"env":"prod","region":"eu-west-1"})")},
      {"tag.tags", std::vector<std::string>{"prod", "chat"}},
  };
  s.resource_attributes = {{"service.name", std::string("chat-service")},
                           {"telemetry.sdk.language", std::string("python")},
                           {"telemetry.sdk.version", std::string("1.27.0")},
                           {"openinference.project.name", std::string("bench")}};
  s.scope = {"openinference.instrumentation.openai", "0.1.18", {}};
  ApplySemanticConventions("", &s);
  return s;
}

const std::vector<Span>& Spans() {
  static const std::vector<Span> spans = [] {
    std::mt19937_64 rng(42);
    std::vector<Span> out;
    out.reserve(kSpansPerRequest);
    for (int i = 0; i < kSpansPerRequest; ++i) out.push_back(MakeSpan(rng, i));
    return out;
  }();
  return spans;
}

double AttributeBytesPerSpan() {
  size_t bytes = 0;
  for (const Span& s : Spans()) {
    for (const Attribute& a : s.attributes) {
      bytes += a.key.size();
      if (const auto* v = std::get_if<std::string>(&a.value)) bytes += v->size();
    }
  }
  return static_cast<double>(bytes) / kSpansPerRequest;
}

void Report(benchmark::State& state, size_t body_bytes) {
  state.SetItemsProcessed(state.iterations() * kSpansPerRequest);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body_bytes));
  state.counters["body_bytes"] = static_cast<double>(body_bytes);
  state.counters["attr_bytes_per_span"] = AttributeBytesPerSpan();
}

void BM_DecodeProtobuf(benchmark::State& state) {
  const std::string body = EncodeProtobuf(Spans());
  for (auto _ : state) {
    Result<DecodedBatch> batch = DecodeProtobuf(body, DecodeOptions{});
    if (!batch.ok() || batch->spans.size() != kSpansPerRequest) state.SkipWithError("decode");
    benchmark::DoNotOptimize(batch);
  }
  Report(state, body.size());
}
BENCHMARK(BM_DecodeProtobuf);

// The same body through libprotobuf's generated messages: DecodeProtobuf's fallback path, which
// every request took before the wire decoder.
void BM_DecodeProtobufMessages(benchmark::State& state) {
  const std::string body = EncodeProtobuf(Spans());
  for (auto _ : state) {
    Result<DecodedBatch> batch = internal::DecodeProtobufMessages(body, DecodeOptions{});
    if (!batch.ok() || batch->spans.size() != kSpansPerRequest) state.SkipWithError("decode");
    benchmark::DoNotOptimize(batch);
  }
  Report(state, body.size());
}
BENCHMARK(BM_DecodeProtobufMessages);

void BM_DecodeJson(benchmark::State& state) {
  const std::string body = EncodeJson(Spans());
  for (auto _ : state) {
    Result<DecodedBatch> batch = DecodeJson(body, DecodeOptions{});
    if (!batch.ok() || batch->spans.size() != kSpansPerRequest) state.SkipWithError("decode");
    benchmark::DoNotOptimize(batch);
  }
  Report(state, body.size());
}
BENCHMARK(BM_DecodeJson);

// For reference: what the replicator (protobuf) and `roost gen --format json` pay per span.
void BM_EncodeProtobuf(benchmark::State& state) {
  size_t bytes = 0;
  for (auto _ : state) {
    std::string body = EncodeProtobuf(Spans());
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  Report(state, bytes);
}
BENCHMARK(BM_EncodeProtobuf);

void BM_EncodeJson(benchmark::State& state) {
  size_t bytes = 0;
  for (auto _ : state) {
    std::string body = EncodeJson(Spans());
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  Report(state, bytes);
}
BENCHMARK(BM_EncodeJson);

}  // namespace
}  // namespace roost::ingest

BENCHMARK_MAIN();
