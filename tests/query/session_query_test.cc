#include "query/session_query.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "query/cost_query.h"
#include "storage/span_store.h"
#include "tests/query/query_test_util.h"
#include "tests/storage/test_util.h"

namespace roost::query {
namespace {

using ::roost::test::IsError;
using ::roost::test::IsOk;

// numpy 'linear' median.
double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const double rank = 0.5 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = static_cast<size_t>(std::ceil(rank));
  const double t = rank - static_cast<double>(lo);
  if (t == 0) return v[lo];
  const double d = v[hi] - v[lo];
  return t >= 0.5 ? v[hi] - d * (1 - t) : v[lo] + d * t;
}

struct Want {
  SessionStats stats;
  std::set<TraceId> traces;
  std::vector<double> ms;
  int64_t cost_nanos = 0;
};

// Every session's figures computed from the spans themselves, most recent first.
std::vector<SessionStats> BruteForce(const std::vector<Span>& spans, const QueryFilter& f) {
  std::map<std::string, Want> by_id;
  for (const Span& s : spans) {
    if (s.session_id.empty() || !test::Matches(f, s)) continue;
    Want& w = by_id[s.session_id];
    SessionStats& st = w.stats;
    if (st.span_count == 0 || s.start_unix_nano < st.first_start)
      st.first_start = s.start_unix_nano;
    if (st.span_count == 0 || s.start_unix_nano > st.last_start) st.last_start = s.start_unix_nano;
    st.span_count++;
    st.prompt_tokens += s.prompt_tokens;
    st.completion_tokens += s.completion_tokens;
    st.total_tokens += s.total_tokens;
    st.error_count += s.status_code == StatusCode::kError;
    bool unpriced = false;
    w.cost_nanos += test::ReferenceNanos(s, BuiltInPricing(), &unpriced);
    w.traces.insert(s.trace_id);
    w.ms.push_back(static_cast<double>(s.duration_nanos()) / 1e6);
  }
  std::vector<SessionStats> out;
  for (auto& [id, w] : by_id) {
    w.stats.session_id = id;
    w.stats.trace_count = w.traces.size();
    w.stats.cost_usd = static_cast<double>(w.cost_nanos) / 1e9;
    w.stats.p50_ms = Median(w.ms);
    out.push_back(w.stats);
  }
  std::sort(out.begin(), out.end(), [](const SessionStats& a, const SessionStats& b) {
    return a.last_start != b.last_start ? a.last_start > b.last_start : a.session_id < b.session_id;
  });
  return out;
}

class SessionQueryTest : public ::roost::test::SpanStoreTest {
 protected:
  void SetUp() override {
    store_ = OpenStore(Options());
    ASSERT_NE(store_, nullptr);
    spans_ = test::CorpusSpans();
    for (size_t i = 0; i < spans_.size(); i += 2000) {
      std::vector<Span> batch(spans_.begin() + i,
                              spans_.begin() + std::min(spans_.size(), i + 2000));
      ASSERT_TRUE(WriteOk(*store_, std::move(batch)).rejected.empty());
    }
  }

  void CheckRandomRequests(uint64_t seed, int rounds) {
    std::mt19937_64 rng(seed);
    size_t sessions = 0;
    for (int round = 0; round < rounds; ++round) {
      SessionListRequest r;
      r.filter = test::RandomFilter(rng, spans_);
      r.filter.all_projects = false;  // listings are per project
      r.limit = rng() % 2 ? kMaxSessionListLimit : 1 + rng() % 20;
      SCOPED_TRACE("round " + std::to_string(round));
      std::vector<SessionStats> want = BruteForce(spans_, r.filter);
      if (want.size() > r.limit) want.resize(r.limit);
      Result<std::vector<SessionStats>> got = ListSessionStats(*store_, r);
      ASSERT_THAT(got, IsOk());
      ASSERT_EQ(got->size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) {
        const SessionStats& g = (*got)[i];
        const SessionStats& w = want[i];
        ASSERT_EQ(g.session_id, w.session_id) << i;
        EXPECT_EQ(g.span_count, w.span_count);
        EXPECT_EQ(g.trace_count, w.trace_count);
        EXPECT_EQ(g.first_start, w.first_start);
        EXPECT_EQ(g.last_start, w.last_start);
        EXPECT_EQ(g.prompt_tokens, w.prompt_tokens);
        EXPECT_EQ(g.completion_tokens, w.completion_tokens);
        EXPECT_EQ(g.total_tokens, w.total_tokens);
        EXPECT_EQ(g.error_count, w.error_count);
        EXPECT_DOUBLE_EQ(g.cost_usd, w.cost_usd);
        EXPECT_EQ(g.p50_ms, w.p50_ms);
      }
      sessions += want.size();
    }
    EXPECT_GT(sessions, 100u);
  }

  std::unique_ptr<SpanStore> store_;
  std::vector<Span> spans_;
};

TEST_F(SessionQueryTest, MatchesBruteForceOnRandomFilters) { CheckRandomRequests(5, 25); }

TEST_F(SessionQueryTest, SameAnswersAfterFlush) {
  ASSERT_THAT(store_->Flush(), IsOk());
  CheckRandomRequests(5, 10);
}

TEST_F(SessionQueryTest, LimitOutOfRangeIsInvalid) {
  SessionListRequest r;
  r.limit = 0;
  EXPECT_THAT(ListSessionStats(*store_, r), IsError(Status::Code::kInvalidArgument, "limit"));
  r.limit = kMaxSessionListLimit + 1;
  EXPECT_THAT(ListSessionStats(*store_, r), IsError(Status::Code::kInvalidArgument, "limit"));
}

}  // namespace
}  // namespace roost::query
