#include "tools/roost/span_exporter.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/rfc3339.h"
#include "api/span_json.h"
#include "storage/span_store.h"
#include "tests/ingest/test_spans.h"
#include "tests/tools/tools_test_env.h"
#include "tools/roost/otlp_importer.h"

namespace roost::cli {
namespace {

using Key = std::tuple<TraceId, SpanId>;

// Parses RFC 4180 CSV (quoted fields may hold commas, quotes and newlines).
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      field.push_back(c);
    }
  }
  EXPECT_TRUE(field.empty() && row.empty()) << "no final newline";
  return rows;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Spans that stress CSV quoting and the JSON columns, in two projects.
std::vector<Span> TrickySpans() {
  std::vector<Span> out;
  Span full = testing::MakeFullSpan();
  out.push_back(full);
  for (int i = 0; i < 20; ++i) {
    Span s = testing::MakeLlmSpan(i, i % 2 ? "proj" : "other");
    s.name = "name, with \"quotes\"\nand a newline " + std::to_string(i);
    s.status_message = i % 3 ? "" : "bad, \"really\"";
    s.attributes.push_back({"note", std::string("a,b\r\n\"c\"")});
    out.push_back(s);
  }
  return out;
}

class SpanExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenStore(dir_.Path("data"));
    ASSERT_NE(store_, nullptr);
    std::vector<std::vector<Span>> batches = testing::GeneratedBatches(3000, 500);
    batches.push_back(TrickySpans());
    for (size_t b = 0; b < batches.size(); ++b) {
      Result<WriteResult> w = store_->Write(batches[b]);
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      ASSERT_TRUE(w->rejected.empty()) << w->rejected[0].reason;
      for (Span& s : batches[b]) spans_[{s.trace_id, s.span_id}] = std::move(s);
      if (b == 2) {
        ASSERT_TRUE(store_->Flush().ok());  // some sealed, some open
      }
    }
  }

  std::string Export(const ExportOptions& options, uint64_t* count) {
    const std::string path = dir_.Path("out");
    std::FILE* f = std::fopen(path.c_str(), "wb");
    EXPECT_NE(f, nullptr);
    Result<uint64_t> n = ExportSpans(*store_, options, f);
    EXPECT_EQ(std::fclose(f), 0);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    *count = n.ok() ? *n : 0;
    return path;
  }

  testing::TempDir dir_;
  std::unique_ptr<SpanStore> store_;
  std::map<Key, Span> spans_;
};

TEST_F(SpanExporterTest, CsvRowsParseBackToTheStoredSpans) {
  uint64_t count = 0;
  const std::string text = ReadAll(Export(ExportOptions{}, &count));
  std::vector<std::vector<std::string>> rows = ParseCsv(text);
  ASSERT_EQ(rows.size(), spans_.size() + 1);
  EXPECT_EQ(count, spans_.size());
  std::vector<std::string> header = ParseCsv(std::string(kCsvColumns) + "\n")[0];
  ASSERT_EQ(rows[0], header);
  std::map<Key, int> seen;
  for (size_t r = 1; r < rows.size(); ++r) {
    std::map<std::string, std::string> f;
    ASSERT_EQ(rows[r].size(), header.size()) << "row " << r;
    for (size_t c = 0; c < header.size(); ++c) f[header[c]] = rows[r][c];
    Result<TraceId> t = TraceId::FromHex(f["trace_id"]);
    Result<SpanId> s = SpanId::FromHex(f["span_id"]);
    ASSERT_TRUE(t.ok() && s.ok()) << f["trace_id"];
    auto it = spans_.find({*t, *s});
    ASSERT_NE(it, spans_.end());
    const Span& want = it->second;
    seen[it->first]++;
    EXPECT_EQ(f["parent_span_id"], want.parent_span_id ? want.parent_span_id->ToHex() : "");
    EXPECT_EQ(f["name"], want.name);
    EXPECT_EQ(f["kind"], SpanKindName(want.kind));
    EXPECT_EQ(f["status"], StatusCodeName(want.status_code));
    EXPECT_EQ(f["status_message"], want.status_message);
    EXPECT_EQ(f["start_time"], api::FormatRfc3339(want.start_unix_nano));
    EXPECT_EQ(api::ParseRfc3339(f["end_time"]).value(), want.end_unix_nano);
    EXPECT_EQ(std::stoll(f["start_unix_nano"]), want.start_unix_nano);
    EXPECT_EQ(std::stoll(f["duration_ns"]), want.duration_nanos());
    EXPECT_EQ(f["project"], want.project);
    EXPECT_EQ(f["session_id"], want.session_id);
    EXPECT_EQ(f["model"], want.model_name);
    EXPECT_EQ(std::stoll(f["prompt_tokens"]), want.prompt_tokens);
    EXPECT_EQ(std::stoll(f["total_tokens"]), want.total_tokens);
    if (want.cost_usd) {
      EXPECT_EQ(std::stod(f["cost_usd"]), *want.cost_usd);
    } else {
      EXPECT_EQ(f["cost_usd"], "");
    }
    EXPECT_EQ(nlohmann::json::parse(f["attributes"]),
              nlohmann::json::parse(api::AttributesJson(want.attributes)));
    EXPECT_EQ(nlohmann::json::parse(f["events"]).size(), want.events.size());
  }
  EXPECT_EQ(seen.size(), spans_.size());  // every span once
}

TEST_F(SpanExporterTest, ProjectAndTimeRangeSelectSpans) {
  std::vector<int64_t> starts;
  for (const auto& [k, s] : spans_) {
    if (s.project == "proj") starts.push_back(s.start_unix_nano);
  }
  std::sort(starts.begin(), starts.end());
  ExportOptions options;
  options.project = "proj";
  options.from = starts[starts.size() / 4];
  options.to = starts[starts.size() / 2];
  const auto want = std::count_if(spans_.begin(), spans_.end(), [&](const auto& kv) {
    const Span& s = kv.second;
    return s.project == "proj" && s.start_unix_nano >= options.from &&
           s.start_unix_nano < options.to;
  });
  uint64_t count = 0;
  std::vector<std::vector<std::string>> rows = ParseCsv(ReadAll(Export(options, &count)));
  EXPECT_EQ(count, static_cast<uint64_t>(want));
  EXPECT_EQ(rows.size(), static_cast<size_t>(want) + 1);
  EXPECT_GT(want, 0);
  options.project = "nowhere";
  std::FILE* f = std::fopen(dir_.Path("x").c_str(), "wb");
  Result<uint64_t> n = ExportSpans(*store_, options, f);
  std::fclose(f);
  EXPECT_FALSE(n.ok());
}

TEST_F(SpanExporterTest, OtlpJsonImportsBackToTheSameSpans) {
  ExportOptions options;
  options.format = ExportFormat::kOtlpJson;
  uint64_t count = 0;
  const std::string path = Export(options, &count);
  EXPECT_EQ(count, spans_.size());
  std::unique_ptr<SpanStore> copy = testing::OpenStore(dir_.Path("copy"));
  ASSERT_NE(copy, nullptr);
  {
    OtlpImporter importer(*copy, ImportOptions{});
    ASSERT_TRUE(importer.ImportFile(path).ok());
    EXPECT_EQ(importer.stats().stored, spans_.size());
    EXPECT_EQ(importer.stats().rejected, 0u);
  }
  size_t compared = 0;
  std::map<TraceId, bool> traces;
  for (const auto& [k, s] : spans_) traces[s.trace_id] = true;
  for (const auto& [trace, unused] : traces) {
    Result<std::vector<Span>> got = copy->GetTrace(trace);
    ASSERT_TRUE(got.ok()) << trace.ToHex();
    for (const Span& s : *got) {
      auto it = spans_.find({s.trace_id, s.span_id});
      ASSERT_NE(it, spans_.end());
      EXPECT_EQ(s, it->second);
      ++compared;
    }
  }
  EXPECT_EQ(compared, spans_.size());
}

}  // namespace
}  // namespace roost::cli
