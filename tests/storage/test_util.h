#pragma once

// Shared by the storage tests: a temp-dir fixture, span factories, Status matchers and a Scan
// collector that turns column views into rows keyed by (trace id, span id).

#include <stdlib.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/span.h"
#include "storage/span_store.h"
#include "storage/status.h"

namespace roost {

// Readable failure messages for the model types (found by gtest through ADL).
inline void PrintTo(const Status& s, std::ostream* os) { *os << s.ToString(); }
template <typename T>
void PrintTo(const Result<T>& r, std::ostream* os) {
  *os << (r.ok() ? std::string("OK with a value") : r.status().ToString());
}
inline void PrintTo(const TraceId& id, std::ostream* os) { *os << id.ToHex(); }
inline void PrintTo(const SpanId& id, std::ostream* os) { *os << id.ToHex(); }
inline void PrintTo(const Attribute& a, std::ostream* os) {
  *os << a.key << "=" << ::testing::PrintToString(a.value);
}
inline void PrintTo(const SpanEvent& e, std::ostream* os) {
  *os << "event " << e.name << "@" << e.time_unix_nano << " "
      << ::testing::PrintToString(e.attributes);
}
inline void PrintTo(const SpanLink& l, std::ostream* os) {
  *os << "link " << l.trace_id.ToHex() << "/" << l.span_id.ToHex() << " '" << l.trace_state << "' "
      << ::testing::PrintToString(l.attributes);
}
inline void PrintTo(const Span& s, std::ostream* os) {
  *os << "span " << s.trace_id.ToHex() << "/" << s.span_id.ToHex() << " '" << s.name << "' "
      << s.project << " start " << s.start_unix_nano;
}

namespace test {

inline Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

// Matches an OK Status or a Result holding a value.
MATCHER(IsOk, "is OK") {
  Status s = StatusOf(arg);
  *result_listener << s.ToString();
  return s.ok();
}

// Matches a Status (or failed Result) of `code` whose message contains `substring`.
MATCHER_P2(IsError, code, substring,
           "fails with code " + ::testing::PrintToString(static_cast<int>(code)) +
               " mentioning \"" + std::string(substring) + "\"") {
  Status s = StatusOf(arg);
  *result_listener << s.ToString();
  return s.code() == code && s.message().find(substring) != std::string::npos;
}

// A fresh directory under the test temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "roost_test_XXXXXX";
    char* made = mkdtemp(pattern.data());
    if (made == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << pattern;
    } else {
      path_ = made;
    }
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// 2023-11-14T22:13:20Z: a fixed instant, so bucket boundaries are the same on every run.
inline constexpr int64_t kBaseTime = 1'700'000'000'000'000'000;
inline constexpr int64_t kHour = int64_t{3600} * 1'000'000'000;
inline constexpr int64_t kSecond = 1'000'000'000;

// Deterministic, never-zero ids derived from small keys.
inline TraceId TraceIdOf(uint64_t key) {
  TraceId id;
  for (int i = 0; i < 8; ++i) id.bytes[i] = static_cast<uint8_t>(key >> (8 * (7 - i)));
  id.bytes[8] = 0xa5;
  id.bytes[15] = 0x01;
  return id;
}
inline SpanId SpanIdOf(uint64_t key) {
  SpanId id;
  for (int i = 0; i < 8; ++i) id.bytes[i] = static_cast<uint8_t>(key >> (8 * (7 - i)));
  id.bytes[0] |= 0x80;  // never all zero
  return id;
}

// A small valid span: ids from keys, 1 ms long, in project "default".
inline Span MakeSpan(uint64_t trace_key, uint64_t span_key, int64_t start) {
  Span s;
  s.trace_id = TraceIdOf(trace_key);
  s.span_id = SpanIdOf(span_key);
  s.name = "op";
  s.start_unix_nano = start;
  s.end_unix_nano = start + 1'000'000;
  return s;
}

// `count` small spans (MakeSpan), `per_trace` to a trace, one second apart from kBaseTime.
inline std::vector<Span> MakeSpans(uint64_t count, uint64_t per_trace) {
  std::vector<Span> spans;
  spans.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    spans.push_back(
        MakeSpan(i / per_trace + 1, i + 1, kBaseTime + static_cast<int64_t>(i) * kSecond));
  }
  return spans;
}

// A span with every field set, including every AttributeValue alternative (and empty arrays).
inline Span MakeFullSpan(uint64_t trace_key, uint64_t span_key, int64_t start) {
  Span s = MakeSpan(trace_key, span_key, start);
  s.parent_span_id = SpanIdOf(span_key ^ 0x5555);
  s.trace_state = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
  s.name = "ChatCompletion ünïcødé 🚀";
  s.kind = SpanKind::kLlm;
  s.otel_kind = OtelSpanKind::kClient;
  s.status_code = StatusCode::kError;
  s.status_message = "rate limited by upstream";
  s.end_unix_nano = start + 1'234'567'891;
  s.project = "proj-full";
  s.session_id = "session-" + std::to_string(trace_key % 7);
  s.user_id = "user-42";
  s.model_name = "gpt-4o-mini";
  s.provider = "openai";
  s.prompt_tokens = 1200;
  s.completion_tokens = 345;
  s.total_tokens = 1545;
  s.cost_usd = 0.004321;
  s.cache_read_tokens = 600;
  s.cache_write_tokens = 50;
  s.prompt_audio_tokens = 20;
  s.reasoning_tokens = 100;
  s.completion_audio_tokens = 5;
  s.attributes = {
      {"input.value", std::string("What is the capital of France?")},
      {"empty.string", std::string()},
      {"flag.true", true},
      {"flag.false", false},
      {"int.max", std::numeric_limits<int64_t>::max()},
      {"int.min", std::numeric_limits<int64_t>::min()},
      {"int.zero", int64_t{0}},
      {"double.pi", 3.14159265358979},
      {"double.tiny", 5e-324},
      {"double.neg", -1.5e300},
      {"strings", std::vector<std::string>{"a", "", "€"}},
      {"strings.empty", std::vector<std::string>{}},
      {"bools", std::vector<bool>{true, false, true}},
      {"bools.empty", std::vector<bool>{}},
      {"ints", std::vector<int64_t>{-1, 0, std::numeric_limits<int64_t>::max()}},
      {"ints.empty", std::vector<int64_t>{}},
      {"doubles", std::vector<double>{0.5, -2.25, 1e-9}},
      {"doubles.empty", std::vector<double>{}},
      {"no.value", std::monostate{}},
  };
  s.events = {
      {"exception",
       start + 10,
       {{"exception.type", std::string("Timeout")}, {"exception.count", int64_t{3}}}},
      {"retry", start + 20, {}},
  };
  s.links = {
      {TraceIdOf(trace_key + 1000), SpanIdOf(77), "k=v", {{"link.kind", std::string("follows")}}},
      {TraceIdOf(trace_key + 2000), SpanIdOf(78), "", {}},
  };
  s.resource_attributes = {{"service.name", std::string("chatbot")},
                           {"service.replicas", int64_t{3}}};
  s.scope.name = "openinference.instrumentation.openai";
  s.scope.version = "0.1.12";
  s.scope.attributes = {{"scope.flag", true}};
  return s;
}

// (trace id, span id): what the store dedupes on.
using IdPair = std::pair<std::array<uint8_t, 16>, std::array<uint8_t, 8>>;
inline IdPair IdsOf(const Span& s) { return {s.trace_id.bytes, s.span_id.bytes}; }

// One row of a ColumnView, every column copied out.
struct ScannedRow {
  int64_t start = 0;
  int64_t duration = 0;
  uint8_t kind = 0;
  uint8_t status = 0;
  uint32_t name = 0;
  uint32_t model = 0;
  uint32_t session = 0;
  uint32_t user = 0;
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
  uint32_t total_tokens = 0;
  int64_t cost_micros = 0;
  uint64_t span_hash = 0;
  std::array<uint8_t, 8> parent{};
  uint64_t sealed_block = 0;  // 0: read from an open block
};

struct ScanResult {
  std::map<IdPair, ScannedRow> rows;
  uint64_t total_rows = 0;  // rows seen, including any repeated (trace, span)
  uint64_t repeated = 0;    // rows whose (trace, span) was seen before
};

// Scans `request` (all columns) and collects every row in [from, to).
inline Result<ScanResult> ScanRows(const SpanStore& store, ScanRequest request) {
  request.columns = ColumnSet::All();
  ScanResult out;
  Status s = store.Scan(request, [&](const ColumnView& v) {
    for (size_t r = 0; r < v.rows; ++r) {
      if (v.start[r] < request.from_unix_nano || v.start[r] >= request.to_unix_nano) continue;
      IdPair key;
      std::memcpy(key.first.data(), v.trace_id + 16 * r, 16);
      std::memcpy(key.second.data(), v.span_id + 8 * r, 8);
      ScannedRow row;
      row.start = v.start[r];
      row.duration = v.duration[r];
      row.kind = v.kind[r];
      row.status = v.status[r];
      row.name = v.name[r];
      row.model = v.model[r];
      row.session = v.session[r];
      row.user = v.user[r];
      row.prompt_tokens = v.prompt_tokens[r];
      row.completion_tokens = v.completion_tokens[r];
      row.total_tokens = v.total_tokens[r];
      row.cost_micros = v.cost_micros[r];
      row.span_hash = v.span_hash[r];
      std::memcpy(row.parent.data(), v.parent_span_id + 8 * r, 8);
      row.sealed_block = v.block;
      out.total_rows++;
      if (!out.rows.emplace(key, row).second) out.repeated++;
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

inline Result<ScanResult> ScanProject(const SpanStore& store, const std::string& project) {
  ScanRequest request;
  request.project = project;
  return ScanRows(store, request);
}

// Micro-dollars as the store computes them; -1 when the span carries no cost.
inline int64_t CostMicrosOf(const Span& s) {
  return s.cost_usd ? static_cast<int64_t>(std::llround(*s.cost_usd * 1e6)) : -1;
}

// Fixture: a fresh data dir per test and helpers to open a store in it.
class SpanStoreTest : public ::testing::Test {
 protected:
  // Options for this test's dir. Background sealing is off so that only Flush() seals, unless a
  // test turns it on.
  StoreOptions Options() const {
    StoreOptions o;
    o.path = dir_.path();
    o.background_sealing = false;
    o.block_cache_bytes = size_t{8} << 20;
    return o;
  }

  // Opens a store; nullptr (and a test failure) when Open fails.
  static std::unique_ptr<SpanStore> OpenStore(const StoreOptions& options) {
    Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
    if (!store.ok()) {
      ADD_FAILURE() << "Open(" << options.path << "): " << store.status().ToString();
      return nullptr;
    }
    return std::move(*store);
  }

  // Writes `spans`; a test failure unless the write succeeds.
  static WriteResult WriteOk(SpanStore& store, std::vector<Span> spans) {
    Result<WriteResult> r = store.Write(std::move(spans));
    if (!r.ok()) {
      ADD_FAILURE() << "Write: " << r.status().ToString();
      return WriteResult{};
    }
    return std::move(*r);
  }

  TempDir dir_;
};

}  // namespace test
}  // namespace roost
