// Fuzz targets: each takes arbitrary bytes and checks what roost must do with them, returning ""
// when it did and a description of the fault when not (crashes, leaks and undefined behaviour
// are the sanitizers' to find). The same functions run two ways:
//   - under libFuzzer, one executable per target (the `fuzz` preset, clang; tools/fuzz.sh), where
//     ROOST_FUZZ_MAIN makes the target the fuzzer's entry point and a fault aborts;
//   - in the test suite (fuzz_corpus_test.cc, any compiler), over every input kept in
//     tests/fuzz/corpus/<target>/: the seeds, and each input a fuzzer ever found a fault with.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace roost::fuzz {

// OTLP protobuf bodies: the wire decoder, the public DecodeProtobuf and libprotobuf's reference
// agree; accepted spans pass validation; re-encoded as protobuf and as JSON they decode alike.
std::string OtlpProtobuf(std::string_view input);
// OTLP JSON bodies: DecodeJson accepts only what a strict JSON parser (nlohmann::json::accept)
// accepts; accepted spans pass validation; re-encoded they decode to the same spans.
std::string OtlpJson(std::string_view input);
// Request bodies under Content-Encoding gzip and deflate: never more output than the limit, and
// a memory refusal is kUnavailable.
std::string Decompress(std::string_view input);
// Stored payload pages and the records in them, as read back from disk: damage is kCorruption,
// and every record that decodes re-encodes to a record that decodes to the same span.
std::string StoredPage(std::string_view input);
// Column chunks as read back from disk: damage is kCorruption, never a bad read.
std::string ColumnChunk(std::string_view input);
// OTLP files as `roost import` reads them: the layout is detected or refused with
// kInvalidArgument, and the requests cut from the content lie inside it, in order.
std::string OtlpFile(std::string_view input);
// Sequences of store operations (writes with duplicates and invalid spans, flushes, reopens,
// retention passes): after each, the store holds exactly what the model says was acknowledged.
std::string StoreOps(std::string_view input);
// HTTP requests to every route of `roost serve` (in process, on a small store): never a 500,
// errors are JSON {"error": ...}, JSON answers parse.
std::string HttpRequest(std::string_view input);

}  // namespace roost::fuzz

#ifdef ROOST_LIBFUZZER
#define ROOST_FUZZ_MAIN(target)                                                                    \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {                        \
    const std::string fault = target(std::string_view(reinterpret_cast<const char*>(data), size)); \
    if (!fault.empty()) {                                                                          \
      std::fprintf(stderr, "%s: %s\n", #target, fault.c_str());                                    \
      std::abort();                                                                                \
    }                                                                                              \
    return 0;                                                                                      \
  }
#else
#define ROOST_FUZZ_MAIN(target)
#endif
