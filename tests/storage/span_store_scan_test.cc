// Readers: Scan's columns against what was written, time ranges, project isolation, scans while
// sealing runs, sessions and projects against brute force.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/internal/span_hash.h"
#include "storage/key_codec.h"
#include "storage/span_store.h"
#include "tests/storage/test_util.h"

namespace roost::test {
namespace {

// A reproducible mix of spans over two projects, five hours, sessions, models and costs. Start
// times are distinct.
std::vector<Span> RandomSpans(size_t n, uint32_t seed, uint64_t first_key = 1) {
  std::mt19937_64 rng(seed);
  const char* names[] = {"llm", "retrieve", "tool.call", "agent", "embed"};
  const char* models[] = {"", "gpt-4o", "claude-3-5-sonnet"};
  const char* users[] = {"", "u1", "u2"};
  std::vector<Span> out;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t key = first_key + i;
    const int64_t start = kBaseTime + static_cast<int64_t>(rng() % (5 * kHour / 1000)) * 1000 +
                          static_cast<int64_t>(key % 1000);
    Span s = MakeSpan(rng() % 60 + 1, key, start);
    s.end_unix_nano = start + static_cast<int64_t>(rng() % (20 * kSecond));
    s.project = rng() % 3 == 0 ? "beta" : "alpha";
    s.name = names[rng() % 5];
    s.kind = static_cast<SpanKind>(rng() % kSpanKindCount);
    s.status_code = static_cast<StatusCode>(rng() % 3);
    s.model_name = models[rng() % 3];
    s.user_id = users[rng() % 3];
    if (rng() % 4 != 0) s.session_id = "s" + std::to_string(rng() % 6);
    if (rng() % 2 == 0) s.parent_span_id = SpanIdOf(rng() % 1000 + 1);
    s.prompt_tokens = static_cast<int64_t>(rng() % 5000);
    s.completion_tokens = static_cast<int64_t>(rng() % 2000);
    s.total_tokens = s.prompt_tokens + s.completion_tokens;
    if (rng() % 3 != 0) s.cost_usd = static_cast<double>(rng() % 100000) / 1e6 * 1.7;
    out.push_back(s);
  }
  return out;
}

std::vector<Span> OfProject(const std::vector<Span>& spans, const std::string& project) {
  std::vector<Span> out;
  for (const Span& s : spans) {
    if (s.project == project) out.push_back(s);
  }
  return out;
}

std::string Resolve(const SpanStore& store, DictKind kind, uint32_t id) {
  Result<std::string> s = store.DictionaryString(kind, id);
  return s.ok() ? *s : "<" + s.status().ToString() + ">";
}

// Every column of the row equals the span it came from (dictionary ids resolved).
void ExpectRowIs(const SpanStore& store, const ScannedRow& row, const Span& s) {
  SCOPED_TRACE("span " + s.span_id.ToHex());
  EXPECT_EQ(row.start, s.start_unix_nano);
  EXPECT_EQ(row.duration, s.duration_nanos());
  EXPECT_EQ(row.kind, static_cast<uint8_t>(s.kind));
  EXPECT_EQ(row.status, static_cast<uint8_t>(s.status_code));
  EXPECT_EQ(Resolve(store, DictKind::kName, row.name), s.name);
  EXPECT_EQ(Resolve(store, DictKind::kModel, row.model), s.model_name);
  EXPECT_EQ(Resolve(store, DictKind::kSession, row.session), s.session_id);
  EXPECT_EQ(Resolve(store, DictKind::kUser, row.user), s.user_id);
  EXPECT_EQ(row.prompt_tokens, s.prompt_tokens);
  EXPECT_EQ(row.completion_tokens, s.completion_tokens);
  EXPECT_EQ(row.total_tokens, s.total_tokens);
  EXPECT_EQ(row.cost_micros, CostMicrosOf(s));
  EXPECT_EQ(row.span_hash, internal::SpanHash(s.trace_id.bytes, s.span_id.bytes));
  const std::array<uint8_t, 8> parent =
      s.parent_span_id ? s.parent_span_id->bytes : std::array<uint8_t, 8>{};
  EXPECT_EQ(row.parent, parent);
}

// A Scan of `project` holds exactly `spans`, column by column.
void ExpectScanHolds(const SpanStore& store, const std::string& project,
                     const std::vector<Span>& spans) {
  Result<ScanResult> scan = ScanProject(store, project);
  ASSERT_THAT(scan, IsOk());
  EXPECT_EQ(scan->repeated, 0u);
  EXPECT_EQ(scan->total_rows, spans.size());
  for (const Span& s : spans) {
    auto it = scan->rows.find(IdsOf(s));
    if (it == scan->rows.end()) {
      ADD_FAILURE() << "missing from scan: " << s.span_id.ToHex();
      continue;
    }
    ExpectRowIs(store, it->second, s);
  }
}

TEST_F(SpanStoreTest, ScanColumnsEqualWrittenSpansInOpenBlocks) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<Span> spans = RandomSpans(900, 1);
  WriteOk(*store, spans);
  EXPECT_EQ(store->Stats().sealed_rows, 0u);
  ExpectScanHolds(*store, "alpha", OfProject(spans, "alpha"));
  ExpectScanHolds(*store, "beta", OfProject(spans, "beta"));
}

TEST_F(SpanStoreTest, ScanColumnsEqualWrittenSpansInSealedBlocks) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<Span> spans = RandomSpans(900, 2);
  WriteOk(*store, spans);
  ASSERT_THAT(store->Flush(), IsOk());
  EXPECT_EQ(store->Stats().open_rows, 0u);
  ExpectScanHolds(*store, "alpha", OfProject(spans, "alpha"));
  ExpectScanHolds(*store, "beta", OfProject(spans, "beta"));
}

TEST_F(SpanStoreTest, ScanColumnsEqualWrittenSpansAcrossOpenSealedAndReopened) {
  StoreOptions options = Options();
  options.max_block_rows = 64;
  const std::vector<Span> spans = RandomSpans(900, 3);
  {
    auto store = OpenStore(options);
    ASSERT_NE(store, nullptr);
    WriteOk(*store, {spans.begin(), spans.begin() + 300});
    ASSERT_THAT(store->Flush(), IsOk());
    WriteOk(*store, {spans.begin() + 300, spans.end()});
  }
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  ExpectScanHolds(*store, "alpha", OfProject(spans, "alpha"));
  ExpectScanHolds(*store, "beta", OfProject(spans, "beta"));
}

TEST_F(SpanStoreTest, ScanOfUnknownProjectSeesNothing) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriteOk(*store, RandomSpans(50, 4));
  ASSERT_THAT(store->Flush(), IsOk());
  Result<ScanResult> scan = ScanProject(*store, "gamma");
  ASSERT_THAT(scan, IsOk());
  EXPECT_EQ(scan->total_rows, 0u);
}

TEST_F(SpanStoreTest, ScanIsolatesProjects) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<Span> spans = RandomSpans(400, 5);
  WriteOk(*store, {spans.begin(), spans.begin() + 200});
  ASSERT_THAT(store->Flush(), IsOk());
  WriteOk(*store, {spans.begin() + 200, spans.end()});
  for (const std::string project : {"alpha", "beta"}) {
    Result<ScanResult> scan = ScanProject(*store, project);
    ASSERT_THAT(scan, IsOk());
    std::set<IdPair> want;
    for (const Span& s : OfProject(spans, project)) want.insert(IdsOf(s));
    std::set<IdPair> got;
    for (const auto& [ids, row] : scan->rows) got.insert(ids);
    EXPECT_EQ(got, want) << project;
    uint32_t id = store->DictionaryId(DictKind::kProject, project).value();
    Status s = store->Scan(
        ScanRequest{
            project, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), {}},
        [&](const ColumnView& v) {
          EXPECT_EQ(v.project, id);
          return Status::OK();
        });
    EXPECT_THAT(s, IsOk());
  }
}

// Rows of `spans` whose start is in [from, to).
std::set<IdPair> BruteForceRange(const std::vector<Span>& spans, int64_t from, int64_t to) {
  std::set<IdPair> out;
  for (const Span& s : spans) {
    if (s.start_unix_nano >= from && s.start_unix_nano < to) out.insert(IdsOf(s));
  }
  return out;
}

// For a fixed set of random ranges, the rows of each range: what Scan sees, filtered.
std::vector<std::set<IdPair>> ScanRanges(const SpanStore& store,
                                         const std::vector<std::pair<int64_t, int64_t>>& ranges) {
  std::vector<std::set<IdPair>> out;
  for (const auto& [from, to] : ranges) {
    ScanRequest request;
    request.project = "alpha";
    request.from_unix_nano = from;
    request.to_unix_nano = to;
    Result<ScanResult> scan = ScanRows(store, request);
    EXPECT_THAT(scan, IsOk());
    if (!scan.ok()) return out;
    EXPECT_EQ(scan->repeated, 0u);
    std::set<IdPair> ids;
    for (const auto& [id, row] : scan->rows) ids.insert(id);
    out.push_back(std::move(ids));
  }
  return out;
}

std::vector<std::pair<int64_t, int64_t>> RandomRanges(uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::pair<int64_t, int64_t>> ranges = {
      {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()},
      {kBaseTime + kHour, kBaseTime + kHour},      // empty
      {kBaseTime + 2 * kHour, kBaseTime + kHour},  // reversed: empty
      {0, kBaseTime},
      {kBaseTime + 4 * kHour, std::numeric_limits<int64_t>::max()},
  };
  for (int i = 0; i < 25; ++i) {
    int64_t a = kBaseTime - kHour + static_cast<int64_t>(rng() % (7 * kHour));
    int64_t len = static_cast<int64_t>(rng() % (i < 12 ? kHour / 4 : 3 * kHour));
    ranges.emplace_back(a, a + len);
  }
  return ranges;
}

TEST_F(SpanStoreTest, ScanTimeRangesMatchBruteForce) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<Span> spans = RandomSpans(1200, 6);
  WriteOk(*store, {spans.begin(), spans.begin() + 700});
  ASSERT_THAT(store->Flush(), IsOk());
  WriteOk(*store, {spans.begin() + 700, spans.end()});
  const auto ranges = RandomRanges(6);
  const std::vector<std::set<IdPair>> got = ScanRanges(*store, ranges);
  ASSERT_EQ(got.size(), ranges.size());
  const std::vector<Span> alpha = OfProject(spans, "alpha");
  for (size_t i = 0; i < ranges.size(); ++i) {
    EXPECT_EQ(got[i], BruteForceRange(alpha, ranges[i].first, ranges[i].second))
        << "range " << ranges[i].first << ".." << ranges[i].second;
  }
}

TEST_F(SpanStoreTest, ScanTimeRangesIncludeFromAndExcludeTo) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const int64_t hour = keys::BucketStart(keys::BucketOf(kBaseTime) + 1);
  std::vector<Span> spans;
  uint64_t key = 1;
  for (int64_t t : {hour - kHour, hour - 1, hour, hour + 1, hour + kHour - 1, hour + kHour}) {
    Span s = MakeSpan(1, key++, t);
    s.project = "alpha";
    spans.push_back(s);
  }
  WriteOk(*store, {spans.begin(), spans.begin() + 3});
  ASSERT_THAT(store->Flush(), IsOk());
  WriteOk(*store, {spans.begin() + 3, spans.end()});
  const std::vector<std::pair<int64_t, int64_t>> ranges = {
      {hour, hour + kHour}, {hour, hour + 1},         {hour - 1, hour},
      {hour, hour},         {hour + 1, hour + kHour}, {hour - kHour, hour + kHour + 1},
  };
  for (int pass = 0; pass < 2; ++pass) {
    const std::vector<std::set<IdPair>> got = ScanRanges(*store, ranges);
    ASSERT_EQ(got.size(), ranges.size());
    const std::vector<size_t> sizes = {3, 1, 1, 0, 2, 6};
    for (size_t i = 0; i < ranges.size(); ++i) {
      EXPECT_EQ(got[i], BruteForceRange(spans, ranges[i].first, ranges[i].second)) << i;
      EXPECT_EQ(got[i].size(), sizes[i]) << i;
    }
    ASSERT_THAT(store->Flush(), IsOk());
  }
}

TEST_F(SpanStoreTest, ScanTimeRangesAreTheSameBeforeAndAfterFlush) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriteOk(*store, RandomSpans(1200, 7));
  const auto ranges = RandomRanges(7);
  const std::vector<std::set<IdPair>> before = ScanRanges(*store, ranges);
  ASSERT_THAT(store->Flush(), IsOk());
  EXPECT_EQ(store->Stats().open_rows, 0u);
  const std::vector<std::set<IdPair>> after = ScanRanges(*store, ranges);
  EXPECT_EQ(before, after);
  EXPECT_FALSE(before.front().empty());
}

TEST_F(SpanStoreTest, ReadersSeeEveryAcknowledgedRowOnceWhileSealingRuns) {
  StoreOptions options = Options();
  options.background_sealing = true;
  options.max_block_rows = 100;
  options.seal_idle = std::chrono::milliseconds(2);
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  const std::vector<Span> spans = RandomSpans(6000, 8);
  std::atomic<uint64_t> submitted{0};  // alpha spans handed to Write
  std::atomic<uint64_t> acked{0};      // alpha spans whose Write returned
  std::atomic<size_t> acked_batches{0};
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (size_t k = 0; k < spans.size(); k += 150) {
      std::vector<Span> batch(spans.begin() + k, spans.begin() + std::min(spans.size(), k + 150));
      const auto alpha = static_cast<uint64_t>(OfProject(batch, "alpha").size());
      submitted += alpha;
      Result<WriteResult> r = store->Write(std::move(batch));
      EXPECT_THAT(r, IsOk());
      acked += alpha;
      acked_batches++;
    }
    done = true;
  });
  int scans = 0;
  for (; scans < 5000 && !done.load(); ++scans) {
    const uint64_t at_least = acked.load();
    Result<ScanResult> scan = ScanProject(*store, "alpha");
    const uint64_t at_most = submitted.load();
    ASSERT_THAT(scan, IsOk());
    EXPECT_EQ(scan->repeated, 0u) << "scan " << scans;
    EXPECT_GE(scan->total_rows, at_least) << "scan " << scans;
    EXPECT_LE(scan->total_rows, at_most) << "scan " << scans;
    if (const size_t batches = acked_batches.load(); batches > 0) {
      const Span& probe = spans[(batches - 1) * 150];
      Result<std::vector<Span>> trace = store->GetTrace(probe.trace_id);
      ASSERT_THAT(trace, IsOk());
      EXPECT_EQ(std::count(trace->begin(), trace->end(), probe), 1) << "scan " << scans;
    }
  }
  writer.join();
  EXPECT_GT(store->Stats().sealed_blocks, 10u);
  ExpectScanHolds(*store, "alpha", OfProject(spans, "alpha"));
  ExpectScanHolds(*store, "beta", OfProject(spans, "beta"));
}

std::vector<Span> BruteForceSession(const std::vector<Span>& spans, const std::string& project,
                                    const std::string& session) {
  std::vector<Span> out;
  for (const Span& s : spans) {
    if (s.project == project && s.session_id == session) out.push_back(s);
  }
  std::sort(out.begin(), out.end(),
            [](const Span& a, const Span& b) { return a.start_unix_nano < b.start_unix_nano; });
  return out;
}

TEST_F(SpanStoreTest, GetSessionReturnsSpansInStartOrderAcrossOpenAndSealedBlocks) {
  StoreOptions options = Options();
  options.max_block_rows = 50;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  const std::vector<Span> spans = RandomSpans(800, 9);
  WriteOk(*store, {spans.begin(), spans.begin() + 500});
  ASSERT_THAT(store->Flush(), IsOk());
  WriteOk(*store, {spans.begin() + 500, spans.end()});
  for (const std::string project : {"alpha", "beta"}) {
    for (int k = 0; k < 6; ++k) {
      const std::string session = "s" + std::to_string(k);
      Result<std::vector<Span>> got = store->GetSession(project, session);
      ASSERT_THAT(got, IsOk());
      const std::vector<Span> want = BruteForceSession(spans, project, session);
      EXPECT_FALSE(want.empty());
      EXPECT_EQ(*got, want) << project << "/" << session;
    }
  }
}

TEST_F(SpanStoreTest, GetSessionOfUnknownSessionIsEmpty) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  Span s = MakeSpan(1, 1, kBaseTime);
  s.session_id = "only-in-default";
  WriteOk(*store, {s});
  EXPECT_THAT(store->GetSession("default", "nope").value(), ::testing::IsEmpty());
  EXPECT_THAT(store->GetSession("default", "").value(), ::testing::IsEmpty());
  EXPECT_THAT(store->GetSession("other", "only-in-default").value(), ::testing::IsEmpty());
  EXPECT_THAT(store->GetSession("default", "only-in-default").value(), ::testing::SizeIs(1));
}

std::vector<SessionSummary> BruteForceSessions(const std::vector<Span>& spans,
                                               const std::string& project) {
  std::map<std::string, SessionSummary> by_session;
  std::map<std::string, std::set<TraceId>> traces;
  for (const Span& s : spans) {
    if (s.project != project || s.session_id.empty()) continue;
    SessionSummary& sum = by_session[s.session_id];
    if (sum.span_count == 0 || s.start_unix_nano < sum.first_start) {
      sum.first_start = s.start_unix_nano;
    }
    if (sum.span_count == 0 || s.start_unix_nano > sum.last_start) {
      sum.last_start = s.start_unix_nano;
    }
    sum.session_id = s.session_id;
    sum.span_count++;
    sum.prompt_tokens += static_cast<uint64_t>(s.prompt_tokens);
    sum.completion_tokens += static_cast<uint64_t>(s.completion_tokens);
    sum.total_tokens += static_cast<uint64_t>(s.total_tokens);
    sum.cost_micros += std::max<int64_t>(CostMicrosOf(s), 0);
    sum.error_count += s.status_code == StatusCode::kError ? 1 : 0;
    traces[s.session_id].insert(s.trace_id);
  }
  std::vector<SessionSummary> out;
  for (auto& [id, sum] : by_session) {
    sum.trace_count = traces[id].size();
    out.push_back(sum);
  }
  std::sort(out.begin(), out.end(), [](const SessionSummary& a, const SessionSummary& b) {
    return a.last_start > b.last_start;
  });
  return out;
}

void ExpectSessionsAre(const std::vector<SessionSummary>& got,
                       const std::vector<SessionSummary>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("session " + want[i].session_id);
    EXPECT_EQ(got[i].session_id, want[i].session_id);
    EXPECT_EQ(got[i].span_count, want[i].span_count);
    EXPECT_EQ(got[i].trace_count, want[i].trace_count);
    EXPECT_EQ(got[i].first_start, want[i].first_start);
    EXPECT_EQ(got[i].last_start, want[i].last_start);
    EXPECT_EQ(got[i].prompt_tokens, want[i].prompt_tokens);
    EXPECT_EQ(got[i].completion_tokens, want[i].completion_tokens);
    EXPECT_EQ(got[i].total_tokens, want[i].total_tokens);
    EXPECT_EQ(got[i].cost_micros, want[i].cost_micros);
    EXPECT_EQ(got[i].error_count, want[i].error_count);
  }
}

TEST_F(SpanStoreTest, ListSessionsTotalsMatchBruteForceBeforeAndAfterFlush) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<Span> spans = RandomSpans(1000, 10);
  WriteOk(*store, {spans.begin(), spans.begin() + 400});
  ASSERT_THAT(store->Flush(), IsOk());
  WriteOk(*store, {spans.begin() + 400, spans.end()});
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "open and sealed" : "all sealed");
    for (const std::string project : {"alpha", "beta"}) {
      Result<std::vector<SessionSummary>> got = store->ListSessions(project);
      ASSERT_THAT(got, IsOk());
      ExpectSessionsAre(*got, BruteForceSessions(spans, project));
    }
    ASSERT_THAT(store->Flush(), IsOk());
  }
}

TEST_F(SpanStoreTest, ListProjectsCountsAndRangesMatchBruteForce) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<Span> spans = RandomSpans(700, 11);
  WriteOk(*store, {spans.begin(), spans.begin() + 300});
  ASSERT_THAT(store->Flush(), IsOk());
  WriteOk(*store, {spans.begin() + 300, spans.end()});
  for (int pass = 0; pass < 2; ++pass) {
    Result<std::vector<ProjectSummary>> got = store->ListProjects();
    ASSERT_THAT(got, IsOk());
    ASSERT_EQ(got->size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      const std::vector<Span> mine = OfProject(spans, i == 0 ? "alpha" : "beta");
      auto [lo, hi] = std::minmax_element(
          mine.begin(), mine.end(),
          [](const Span& a, const Span& b) { return a.start_unix_nano < b.start_unix_nano; });
      EXPECT_EQ((*got)[i].name, i == 0 ? "alpha" : "beta");
      EXPECT_EQ((*got)[i].span_count, mine.size());
      EXPECT_EQ((*got)[i].first_start, lo->start_unix_nano);
      EXPECT_EQ((*got)[i].last_start, hi->start_unix_nano);
    }
    ASSERT_THAT(store->Flush(), IsOk());
  }
}

}  // namespace
}  // namespace roost::test
