#include "storage/span_store.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/storage/test_util.h"

namespace roost::test {
namespace {

using ::testing::SizeIs;

// One trace whose spans cover every field: a full span, a bare one (no parent, no cost, empty
// optional strings, default kinds), one with a present zero cost, and one in another project.
std::vector<Span> RoundTripTrace() {
  std::vector<Span> spans;
  spans.push_back(MakeFullSpan(1, 10, kBaseTime + 5 * kSecond));
  Span bare = MakeSpan(1, 11, kBaseTime + 1 * kSecond);
  bare.name = "";
  spans.push_back(bare);
  Span zero_cost = MakeFullSpan(1, 12, kBaseTime + 3 * kSecond);
  zero_cost.cost_usd = 0.0;
  zero_cost.kind = SpanKind::kEvaluator;
  zero_cost.otel_kind = OtelSpanKind::kConsumer;
  zero_cost.status_code = StatusCode::kOk;
  zero_cost.project = "default";
  spans.push_back(zero_cost);
  Span other = MakeFullSpan(1, 13, kBaseTime + 2 * kSecond);
  other.project = "other-project";
  other.kind = SpanKind::kRetriever;
  other.otel_kind = OtelSpanKind::kUnspecified;
  spans.push_back(other);
  return spans;
}

std::vector<Span> SortedByStart(std::vector<Span> spans) {
  std::stable_sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.start_unix_nano < b.start_unix_nano;
  });
  return spans;
}

TEST_F(SpanStoreTest, GetTraceReturnsEveryFieldOfUnsealedSpans) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<Span> spans = RoundTripTrace();
  EXPECT_EQ(WriteOk(*store, spans).stored, spans.size());
  Result<std::vector<Span>> got = store->GetTrace(spans[0].trace_id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, SortedByStart(spans));
}

TEST_F(SpanStoreTest, GetTraceReturnsEveryFieldOfSealedSpans) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<Span> spans = RoundTripTrace();
  EXPECT_EQ(WriteOk(*store, spans).stored, spans.size());
  ASSERT_THAT(store->Flush(), IsOk());
  EXPECT_EQ(store->Stats().open_rows, 0u);
  EXPECT_EQ(store->Stats().sealed_rows, spans.size());
  Result<std::vector<Span>> got = store->GetTrace(spans[0].trace_id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, SortedByStart(spans));
}

// Reads decompress a payload page only up to the last record they want, and open blocks are
// searched column-wise: every trace and session, whatever rows of which pages its spans sit in
// (traces of three spans straddle the 256-record page boundaries), comes back whole and exact.
TEST_F(SpanStoreTest, GetTraceAndGetSessionFindEverySpanOfMultiPageCommits) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  std::vector<Span> spans;
  std::map<uint64_t, std::vector<Span>> by_trace;
  std::map<std::string, std::vector<Span>> by_session;
  for (uint64_t i = 0; i < 1100; ++i) {
    const uint64_t trace = i / 3 + 1;
    Span s = MakeFullSpan(trace, i + 1, kBaseTime + static_cast<int64_t>(i) * kSecond);
    s.session_id = "session-" + std::to_string(trace % 7);
    by_trace[trace].push_back(s);
    by_session[s.session_id].push_back(s);
    spans.push_back(std::move(s));
  }
  EXPECT_EQ(WriteOk(*store, spans).stored, spans.size());
  for (int sealed = 0; sealed < 2; ++sealed) {
    EXPECT_EQ(store->Stats().open_rows, sealed ? 0u : spans.size());
    for (const auto& [trace, expected] : by_trace) {
      Result<std::vector<Span>> got = store->GetTrace(TraceIdOf(trace));
      ASSERT_THAT(got, IsOk()) << trace;
      ASSERT_EQ(*got, SortedByStart(expected)) << "trace " << trace << " sealed " << sealed;
    }
    for (const auto& [session, expected] : by_session) {
      Result<std::vector<Span>> got = store->GetSession("proj-full", session);
      ASSERT_THAT(got, IsOk()) << session;
      ASSERT_EQ(*got, SortedByStart(expected)) << session << " sealed " << sealed;
    }
    Result<std::vector<Span>> elsewhere = store->GetSession("default", "session-1");
    ASSERT_THAT(elsewhere, IsOk());
    EXPECT_TRUE(elsewhere->empty());
    ASSERT_THAT(store->Flush(), IsOk());
  }
}

TEST_F(SpanStoreTest, GetTraceReturnsEveryFieldAfterReopenWithoutFlush) {
  const std::vector<Span> spans = RoundTripTrace();
  {
    auto store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(WriteOk(*store, spans).stored, spans.size());
  }
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  Result<std::vector<Span>> got = store->GetTrace(spans[0].trace_id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, SortedByStart(spans));
}

TEST_F(SpanStoreTest, GetTraceReturnsEveryFieldAfterFlushAndReopen) {
  const std::vector<Span> spans = RoundTripTrace();
  {
    auto store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(WriteOk(*store, spans).stored, spans.size());
    ASSERT_THAT(store->Flush(), IsOk());
  }
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Stats().open_rows, 0u);
  Result<std::vector<Span>> got = store->GetTrace(spans[0].trace_id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, SortedByStart(spans));
}

TEST_F(SpanStoreTest, StringsAtTheSizeLimitRoundTripThroughSealing) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  Span big = MakeFullSpan(4, 1, kBaseTime);
  const size_t limit = SpanLimits{}.max_string_bytes;
  big.name = std::string(limit, 'n');
  big.attributes.push_back({"input.value", std::string(limit, 'v')});
  big.events[0].attributes.push_back({"output.value", std::string(limit, 'o')});
  big.attributes.push_back({"list", std::vector<std::string>(3, std::string(limit / 2, 'l'))});
  ASSERT_THAT(ValidateSpan(big), IsOk());
  EXPECT_EQ(WriteOk(*store, {big}).stored, 1u);
  ASSERT_THAT(store->Flush(), IsOk());
  Result<std::vector<Span>> got = store->GetTrace(big.trace_id);
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_TRUE(got->front() == big);
}

TEST_F(SpanStoreTest, GetTraceReturnsNotFoundForUnknownId) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriteOk(*store, {MakeSpan(1, 1, kBaseTime)});
  EXPECT_THAT(store->GetTrace(TraceIdOf(2)),
              IsError(Status::Code::kNotFound, TraceIdOf(2).ToHex()));
  ASSERT_THAT(store->Flush(), IsOk());
  EXPECT_THAT(store->GetTrace(TraceIdOf(2)), IsError(Status::Code::kNotFound, "not stored"));
}

TEST_F(SpanStoreTest, GetTraceCombinesOpenAndSealedBlocksInStartOrder) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  std::vector<Span> all;
  for (int i = 0; i < 6; ++i) all.push_back(MakeSpan(9, 100 + i, kBaseTime + (6 - i) * kSecond));
  WriteOk(*store, {all.begin(), all.begin() + 3});
  ASSERT_THAT(store->Flush(), IsOk());
  WriteOk(*store, {all.begin() + 3, all.end()});
  Result<std::vector<Span>> got = store->GetTrace(TraceIdOf(9));
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, SortedByStart(all));
}

// Reads every row of every view of `project` with ReadSpans, keyed by (trace, span).
Result<std::map<IdPair, Span>> ReadAllSpans(const SpanStore& store, const std::string& project) {
  std::map<IdPair, Span> out;
  ScanRequest request;
  request.project = project;
  request.columns = {Column::kTraceId, Column::kSpanId};
  Status s = store.Scan(request, [&](const ColumnView& v) {
    std::vector<uint32_t> rows;
    for (uint32_t r = 0; r < v.rows; ++r) rows.push_back(r);
    Result<std::vector<Span>> spans = store.ReadSpans(v, rows);
    if (!spans.ok()) return spans.status();
    for (Span& span : *spans) out.emplace(IdsOf(span), std::move(span));
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

TEST_F(SpanStoreTest, ReadSpansReturnsEveryFieldBeforeAndAfterFlush) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  std::vector<Span> spans = RoundTripTrace();
  for (int i = 0; i < 300; ++i) {
    Span s = MakeFullSpan(50 + i % 9, 1000 + i, kBaseTime + i * kSecond * 37);
    s.project = "default";
    if (i % 3 == 0) s.cost_usd.reset();
    spans.push_back(s);
  }
  WriteOk(*store, spans);
  std::map<IdPair, Span> want;
  for (const Span& s : spans) {
    if (s.project == "default") want.emplace(IdsOf(s), s);
  }
  Result<std::map<IdPair, Span>> before = ReadAllSpans(*store, "default");
  ASSERT_THAT(before, IsOk());
  EXPECT_EQ(*before, want);
  ASSERT_THAT(store->Flush(), IsOk());
  Result<std::map<IdPair, Span>> after = ReadAllSpans(*store, "default");
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(*after, want);
}

TEST_F(SpanStoreTest, ReadSpansReturnsEveryFieldAfterReopen) {
  std::vector<Span> spans;
  for (int i = 0; i < 400; ++i) {
    Span s = MakeFullSpan(70 + i % 5, 2000 + i, kBaseTime + i * kSecond * 29);
    s.project = "default";
    if (i % 4 == 0) s.parent_span_id.reset();
    spans.push_back(s);
  }
  {
    auto store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    WriteOk(*store, {spans.begin(), spans.begin() + 250});
    ASSERT_THAT(store->Flush(), IsOk());
    WriteOk(*store, {spans.begin() + 250, spans.end()});  // replayed at reopen
  }
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Stats().open_rows, 150u);
  std::map<IdPair, Span> want;
  for (const Span& s : spans) want.emplace(IdsOf(s), s);
  Result<std::map<IdPair, Span>> got = ReadAllSpans(*store, "default");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, want);
}

// Asks ReadSpans for the rows of each view in reverse and checks the i-th span is the i-th row.
void ExpectReadSpansFollowsRowOrder(const SpanStore& store) {
  ScanRequest request;
  request.columns = {Column::kTraceId, Column::kSpanId};
  size_t checked = 0;
  size_t mismatched = 0;
  Status s = store.Scan(request, [&](const ColumnView& v) {
    std::vector<uint32_t> rows;
    for (uint32_t r = static_cast<uint32_t>(v.rows); r-- > 0;) rows.push_back(r);
    Result<std::vector<Span>> spans = store.ReadSpans(v, rows);
    if (!spans.ok()) return spans.status();
    EXPECT_THAT(*spans, SizeIs(rows.size()));
    for (size_t i = 0; i < spans->size() && i < rows.size(); ++i) {
      if (std::memcmp((*spans)[i].span_id.bytes.data(), v.span_id + 8 * rows[i], 8) != 0) {
        ++mismatched;
      }
      ++checked;
    }
    return Status::OK();
  });
  EXPECT_THAT(s, IsOk());
  EXPECT_EQ(checked, 600u);
  EXPECT_EQ(mismatched, 0u) << "spans not in the order of the rows asked";
}

std::vector<Span> ManySpans(int n) {
  std::vector<Span> spans;
  for (int i = 0; i < n; ++i) spans.push_back(MakeSpan(i % 17 + 1, i + 1, kBaseTime + i * 1000));
  return spans;
}

TEST_F(SpanStoreTest, ReadSpansFollowsTheOrderOfRowsInOpenBlocks) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriteOk(*store, ManySpans(600));
  ExpectReadSpansFollowsRowOrder(*store);
}

TEST_F(SpanStoreTest, ReadSpansFollowsTheOrderOfRowsInSealedBlocks) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriteOk(*store, ManySpans(600));
  ASSERT_THAT(store->Flush(), IsOk());
  ExpectReadSpansFollowsRowOrder(*store);
}

TEST_F(SpanStoreTest, ReadSpansRejectsRowsOutsideTheView) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriteOk(*store, ManySpans(10));
  for (int pass = 0; pass < 2; ++pass) {
    int views = 0;
    Status s = store->Scan(ScanRequest{}, [&](const ColumnView& v) {
      ++views;
      EXPECT_THAT(store->ReadSpans(v, {static_cast<uint32_t>(v.rows)}),
                  IsError(Status::Code::kInvalidArgument, "out of range"));
      return Status::OK();
    });
    EXPECT_THAT(s, IsOk());
    EXPECT_GT(views, 0);
    ASSERT_THAT(store->Flush(), IsOk());
  }
}

TEST_F(SpanStoreTest, ScanStopsAtTheFirstCallbackError) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriteOk(*store, {MakeSpan(1, 1, kBaseTime), MakeSpan(1, 2, kBaseTime + 2 * kHour)});
  ASSERT_THAT(store->Flush(), IsOk());
  int calls = 0;
  Status s = store->Scan(ScanRequest{}, [&](const ColumnView&) {
    ++calls;
    return Status::Unavailable("enough");
  });
  EXPECT_THAT(s, IsError(Status::Code::kUnavailable, "enough"));
  EXPECT_EQ(calls, 1);
}

TEST_F(SpanStoreTest, DictionaryResolvesIdsBothWays) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriteOk(*store, {MakeFullSpan(1, 1, kBaseTime)});
  Result<uint32_t> model = store->DictionaryId(DictKind::kModel, "gpt-4o-mini");
  ASSERT_THAT(model, IsOk());
  EXPECT_NE(*model, 0u);
  EXPECT_EQ(store->DictionaryString(DictKind::kModel, *model).value(), "gpt-4o-mini");
  EXPECT_EQ(store->DictionaryString(DictKind::kModel, 0).value(), "");
  EXPECT_THAT(store->DictionaryString(DictKind::kModel, *model + 100),
              IsError(Status::Code::kNotFound, std::to_string(*model + 100)));
  EXPECT_THAT(store->DictionaryId(DictKind::kModel, "never-used"),
              IsError(Status::Code::kNotFound, "never-used"));
}

TEST_F(SpanStoreTest, DictionaryKeepsThousandsOfStringsOfEveryLengthAcrossReopen) {
  // Short strings live inside std::string, long ones outside; the dictionary views both while
  // it grows, and again after loading them at open.
  auto session_of = [](uint64_t i) {
    return std::string(1 + i % 70, 'a' + i % 26) + std::to_string(i);
  };
  std::vector<Span> spans;
  for (uint64_t i = 0; i < 5000; ++i) {
    Span s = MakeSpan(i + 1, i + 1, kBaseTime + static_cast<int64_t>(i) * 1000);
    s.session_id = session_of(i);
    spans.push_back(std::move(s));
  }
  std::vector<uint32_t> ids;
  {
    auto store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    for (size_t i = 0; i < spans.size(); i += 500) {
      WriteOk(*store, std::vector<Span>(spans.begin() + i, spans.begin() + i + 500));
    }
    for (uint64_t i = 0; i < 5000; ++i) {
      Result<uint32_t> id = store->DictionaryId(DictKind::kSession, session_of(i));
      ASSERT_THAT(id, IsOk());
      ids.push_back(*id);
    }
  }
  EXPECT_EQ(std::set<uint32_t>(ids.begin(), ids.end()).size(), ids.size());
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  for (uint64_t i = 0; i < 5000; ++i) {
    EXPECT_EQ(store->DictionaryString(DictKind::kSession, ids[i]).value(), session_of(i));
    EXPECT_EQ(store->DictionaryId(DictKind::kSession, session_of(i)).value(), ids[i]);
  }
  // New strings after the load get new ids; known ones keep theirs.
  Span again = MakeSpan(9001, 9001, kBaseTime);
  again.session_id = session_of(7);
  Span fresh = MakeSpan(9002, 9002, kBaseTime);
  fresh.session_id = "a session after the reopen";
  WriteOk(*store, {again, fresh});
  EXPECT_EQ(store->DictionaryId(DictKind::kSession, session_of(7)).value(), ids[7]);
  Result<uint32_t> fresh_id = store->DictionaryId(DictKind::kSession, fresh.session_id);
  ASSERT_THAT(fresh_id, IsOk());
  EXPECT_EQ(std::count(ids.begin(), ids.end(), *fresh_id), 0);
}

TEST_F(SpanStoreTest, DictionarySurvivesReopen) {
  uint32_t session = 0;
  {
    auto store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    WriteOk(*store, {MakeFullSpan(3, 1, kBaseTime)});
    Result<uint32_t> id = store->DictionaryId(DictKind::kSession, "session-3");
    ASSERT_THAT(id, IsOk());
    session = *id;
  }
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->DictionaryString(DictKind::kSession, session).value(), "session-3");
}

TEST_F(SpanStoreTest, ReadOnlyOpenReadsWhatWasWritten) {
  const std::vector<Span> spans = RoundTripTrace();
  {
    auto store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    WriteOk(*store, {spans[0], spans[1]});
    ASSERT_THAT(store->Flush(), IsOk());
    WriteOk(*store, {spans[2], spans[3]});  // left unsealed: read back from the staging log
  }
  StoreOptions options = Options();
  options.read_only = true;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  Result<std::vector<Span>> got = store->GetTrace(spans[0].trace_id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, SortedByStart(spans));
  Result<ScanResult> scan = ScanProject(*store, "default");
  ASSERT_THAT(scan, IsOk());
  EXPECT_EQ(scan->total_rows, 2u);
}

TEST_F(SpanStoreTest, ReadOnlyStoreRefusesWrites) {
  {
    auto store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    WriteOk(*store, {MakeSpan(1, 1, kBaseTime)});
  }
  StoreOptions options = Options();
  options.read_only = true;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->Write({MakeSpan(1, 2, kBaseTime)}),
              IsError(Status::Code::kUnavailable, "read-only"));
  EXPECT_THAT(store->GetTrace(TraceIdOf(1)), IsOk());
  EXPECT_THAT(store->GetTrace(TraceIdOf(1)).value(), SizeIs(1));
}

TEST_F(SpanStoreTest, ReadOnlyOpenOfMissingDirIsNotFound) {
  StoreOptions options = Options();
  options.path += "/missing";
  options.read_only = true;
  EXPECT_THAT(SpanStore::Open(options), IsError(Status::Code::kNotFound, "missing"));
}

TEST_F(SpanStoreTest, SecondOpenOfTheSameDirIsUnavailable) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(SpanStore::Open(Options()), IsError(Status::Code::kUnavailable, dir_.path()));
  // The first store is unharmed.
  EXPECT_EQ(WriteOk(*store, {MakeSpan(1, 1, kBaseTime)}).stored, 1u);
}

}  // namespace
}  // namespace roost::test
