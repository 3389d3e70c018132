// Writes seed inputs for every fuzz target into DIR/<target>/: OTLP requests of generated and
// hand-made spans (protobuf, JSON, gzip, deflate), stored payload pages in both record formats,
// and column chunks of every column. Built with the fuzz preset; tools/fuzz.sh runs it before the
// fuzzers. Usage: fuzz_seeds DIR

#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ingest/json_encoder.h"
#include "ingest/protobuf_encoder.h"
#include "storage/internal/column_chunk.h"
#include "storage/internal/flat_record_codec.h"
#include "storage/internal/record_pack.h"
#include "tests/ingest/test_spans.h"
#include "tools/workload/span_generator.h"

namespace roost::fuzz {
namespace {

namespace fs = std::filesystem;

void Put(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

// windowBits 31: gzip; 15: zlib-wrapped deflate.
std::string Deflate(const std::string& in, int window_bits) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

int MakeSeeds(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
    return 2;
  }
  const fs::path root = argv[1];
  workload::GeneratorOptions options;
  options.end_unix_nano = 1'760'000'000'000'000'000;
  options.total_spans = 12;
  workload::SpanGenerator gen(options);
  std::vector<Span> generated;
  gen.Next(12, &generated);
  std::vector<std::vector<Span>> batches = {
      {testing::MakeFullSpan()},
      {testing::MakeLlmSpan(0), testing::MakeLlmSpan(1)},
      {generated[0], generated[1], generated[2]},
      {generated[3]},
  };
  for (size_t i = 0; i < batches.size(); ++i) {
    const std::string n = std::to_string(i);
    const std::string proto = ingest::EncodeProtobuf(batches[i]);
    Put(root / "otlp_protobuf", "seed-" + n + ".pb", proto);
    Put(root / "otlp_json", "seed-" + n + ".json", ingest::EncodeJson(batches[i]));
    Put(root / "decompress", "seed-gzip-" + n, Deflate(proto, 31));
    Put(root / "decompress", "seed-deflate-" + n, Deflate(proto, 15));
  }
  // HTTP requests: a selector byte (method = byte % 5: GET POST DELETE PUT HEAD; content type =
  // byte / 5 % 3: JSON, protobuf, none), the target, a newline, the body.
  const std::vector<std::string> gets = {
      "/healthz",
      "/metrics",
      "/api/v1/projects",
      "/api/v1/latency?kind=LLM&group_by=model&q=0.5,0.9,0.99",
      "/api/v1/latency?model=gpt-4o&step=1h&from=2026-11-25T00:00:00Z&to=1764115200000",
      "/api/v1/latency?group_by=attr:llm.provider&sketch=true&step=5m",
      "/api/v1/cost?group_by=model&step=1d",
      "/api/v1/cost?group_by=session&project=default&attr=llm.system%3Dopenai",
      "/api/v1/sessions?project=default&limit=5",
      "/api/v1/spans?project=default&limit=3&kind=TOOL",
      "/api/v1/traces/5b8efff798038103d269b633813fc60c",
      "/api/v1/replication",
      "/api/v1/replication/dead_letters?limit=100",
      "/v1/projects?limit=2&name_contains=def",
      "/v1/projects/default",
      "/v1/projects/default/spans?limit=5&sort_direction=desc",
      "/v1/projects/default/traces?limit=3&include_spans=true",
      "/v1/projects/default/sessions?limit=3",
      "/v1/sessions/abc",
      "/arize_phoenix_version",
      "/",
  };
  for (size_t i = 0; i < gets.size(); ++i) {
    Put(root / "http_request", "seed-get-" + std::to_string(i), std::string(1, '\0') + gets[i]);
  }
  // POST (1) with a JSON (1) or protobuf (6) body.
  Put(root / "http_request", "seed-post-json",
      std::string(1, '\1') + "/v1/traces\n" + ingest::EncodeJson(batches[1]));
  Put(root / "http_request", "seed-post-protobuf",
      std::string(1, '\6') + "/v1/traces\n" + ingest::EncodeProtobuf(batches[2]));

  // OTLP files as `roost import` reads them: JSON lines, length-delimited protobuf, one request.
  std::string jsonl;
  std::string delimited;
  for (size_t i = 1; i < 3; ++i) {
    jsonl += ingest::EncodeJson(batches[i]) + "\n";
    const std::string body = ingest::EncodeProtobuf(batches[i]);
    for (size_t n = body.size();; n >>= 7) {
      delimited.push_back(static_cast<char>((n & 0x7f) | (n > 0x7f ? 0x80 : 0)));
      if (n <= 0x7f) break;
    }
    delimited += body;
  }
  Put(root / "otlp_file", "seed-jsonl", jsonl);
  Put(root / "otlp_file", "seed-delimited", delimited);
  Put(root / "otlp_file", "seed-single", ingest::EncodeProtobuf(batches[0]));

  Put(root / "otlp_protobuf", "seed-empty", "");
  Put(root / "otlp_json", "seed-empty", "{}");

  // Stored pages: compact packs, compressed and bare, and a FlatBuffers pack of before 2026-12.
  for (size_t count : {size_t{1}, size_t{3}}) {
    internal::RecordPackBuilder pack(count);
    internal::RecordPackBuilder flat(count, internal::RecordFormat::kFlatBuffers);
    for (size_t i = 0; i < count; ++i) {
      pack.AddSpan(generated[4 + i]);
      flat.Add(internal::EncodeFlatSpanRecord(generated[4 + i]));
    }
    const std::string bare = pack.Finish(7);
    const std::string n = std::to_string(count);
    Put(root / "stored_page", "seed-bare-" + n, bare);
    Put(root / "stored_page", "seed-zstd-" + n, internal::CompressPack(bare, 1));
    Put(root / "stored_page", "seed-flat-" + n, flat.Finish(7));
  }

  // Column chunks: the column byte, rows (u16 little-endian), the stored value.
  for (int c = 0; c < kColumnCount; ++c) {
    const auto column = static_cast<Column>(c);
    const uint32_t rows = 3;
    std::string values(rows * internal::RowWidth(column), '\0');
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<char>(i * 37 + c);
    std::string input = {static_cast<char>(c), static_cast<char>(rows), 0};
    input += internal::EncodeColumnChunk(column, values.data(), rows);
    Put(root / "column_chunk", "seed-column-" + std::to_string(c), input);
  }
  return 0;
}

}  // namespace roost::fuzz

int main(int argc, char** argv) { return roost::fuzz::MakeSeeds(argc, argv); }
