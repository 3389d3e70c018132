// Runs every fuzz target over every input kept for it in tests/fuzz/corpus/<target>/: the seeds
// the fuzzers start from, and each input a fuzzer ever found a fault with, so that a fault once
// fixed stays fixed in every build (the ASan one included), with no fuzzer needed.

#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fuzz/fuzz_targets.h"

namespace roost::fuzz {
namespace {

namespace fs = std::filesystem;

struct Target {
  const char* name;
  std::function<std::string(std::string_view)> run;
};

void PrintTo(const Target& target, std::ostream* os) { *os << target.name; }

class FuzzCorpusTest : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzCorpusTest, EveryKeptInputIsHandled) {
  const fs::path dir = fs::path(ROOST_FUZZ_CORPUS) / GetParam().name;
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  // Seeds that reach past the first checks, not only inputs refused at once.
  ASSERT_GE(files.size(), 3u) << "the corpus of " << GetParam().name << " is missing";
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    ASSERT_TRUE(in) << file;
    std::ostringstream bytes;
    bytes << in.rdbuf();
    EXPECT_EQ(GetParam().run(bytes.str()), "") << file;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Targets, FuzzCorpusTest,
    ::testing::Values(Target{"otlp_protobuf", OtlpProtobuf}, Target{"otlp_json", OtlpJson},
                      Target{"decompress", Decompress}, Target{"stored_page", StoredPage},
                      Target{"column_chunk", ColumnChunk}, Target{"http_request", HttpRequest},
                      Target{"otlp_file", OtlpFile}, Target{"store_ops", StoreOps}),
    [](const ::testing::TestParamInfo<Target>& target) { return std::string(target.param.name); });

}  // namespace
}  // namespace roost::fuzz
