#pragma once

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "storage/span_store.h"
#include "tools/workload/span_generator.h"

namespace roost::testing {

// A fresh directory under the system temp dir, removed with everything in it at destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "roost-tools-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_; }
  std::string Path(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// `total` spans of `roost gen` traffic (seed 7) in batches of up to `batch` spans.
inline std::vector<std::vector<Span>> GeneratedBatches(uint64_t total, size_t batch,
                                                       uint64_t id_salt = 0) {
  workload::GeneratorOptions g;
  g.seed = 7;
  g.id_salt = id_salt;
  g.total_spans = total;
  g.end_unix_nano = 1'750'000'000'000'000'000;
  workload::SpanGenerator gen(g);
  std::vector<std::vector<Span>> out;
  // Each pass appends at least one span until `total` are out.
  for (;;) {
    std::vector<Span> spans;
    if (gen.Next(batch, &spans) == 0) break;
    out.push_back(std::move(spans));
  }
  return out;
}

inline std::unique_ptr<SpanStore> OpenStore(const std::string& dir) {
  StoreOptions options;
  options.path = dir;
  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// Spans of a project, as ListProjects counts them; 0 when the project is unknown.
inline uint64_t ProjectSpanCount(const SpanStore& store, const std::string& project) {
  Result<std::vector<ProjectSummary>> projects = store.ListProjects();
  if (!projects.ok()) return 0;
  for (const ProjectSummary& p : *projects) {
    if (p.name == project) return p.span_count;
  }
  return 0;
}

}  // namespace roost::testing
