#include "query/span_list.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/span_store.h"
#include "tests/query/query_test_util.h"
#include "tests/storage/test_util.h"

namespace roost::query {
namespace {

using ::roost::test::IsError;
using ::roost::test::IsOk;

using Ids = std::tuple<TraceId, SpanId>;

Ids IdsOf(const Span& s) { return {s.trace_id, s.span_id}; }

// The listing order, computed independently of the engine.
bool ListedBefore(const Span& a, const Span& b) {
  return std::make_tuple(-a.start_unix_nano, a.trace_id, a.span_id) <
         std::make_tuple(-b.start_unix_nano, b.trace_id, b.span_id);
}

std::string TextOf(const AttributeValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return "\x01unmatchable";
}

bool MatchesRequest(const SpanListRequest& r, const Span& s) {
  if (!test::Matches(r.filter, s)) return false;
  if (!r.trace_ids.empty() &&
      std::find(r.trace_ids.begin(), r.trace_ids.end(), s.trace_id) == r.trace_ids.end()) {
    return false;
  }
  if (!r.span_ids.empty() &&
      std::find(r.span_ids.begin(), r.span_ids.end(), s.span_id) == r.span_ids.end()) {
    return false;
  }
  if (r.parent == ParentFilter::kRootsOnly && s.parent_span_id) return false;
  if (r.parent == ParentFilter::kChildOf && s.parent_span_id != r.parent_span_id) return false;
  for (const auto& [key, want] : r.attributes) {
    const AttributeValue* v = FindAttribute(s.attributes, key);
    if (v == nullptr || TextOf(*v) != want) return false;
  }
  return true;
}

std::vector<Span> BruteForce(const std::vector<Span>& spans, const SpanListRequest& r) {
  std::vector<Span> out;
  for (const Span& s : spans) {
    if (MatchesRequest(r, s)) out.push_back(s);
  }
  std::sort(out.begin(), out.end(), ListedBefore);
  return out;
}

class SpanListTest : public ::roost::test::SpanStoreTest {
 protected:
  void SetUp() override {
    store_ = OpenStore(Options());
    ASSERT_NE(store_, nullptr);
  }
  void Write(const std::vector<Span>& spans) {
    for (size_t i = 0; i < spans.size(); i += 2000) {
      std::vector<Span> batch(spans.begin() + i, spans.begin() + std::min(spans.size(), i + 2000));
      WriteResult w = WriteOk(*store_, std::move(batch));
      ASSERT_TRUE(w.rejected.empty());
    }
  }
  void WriteCorpus() {
    spans_ = test::CorpusSpans();
    Write(spans_);
  }

  // The pages of `r` concatenated, at most `max_pages` of them; `complete` tells whether the
  // last page read had no next cursor.
  std::vector<Span> Pages(SpanListRequest r, size_t max_pages, bool* complete) {
    std::vector<Span> out;
    *complete = false;
    for (size_t page = 0; page < max_pages; ++page) {
      Result<SpanListPage> got = ListSpans(*store_, r);
      EXPECT_THAT(got, IsOk());
      if (!got.ok()) return out;
      EXPECT_LE(got->spans.size(), r.limit);
      for (Span& s : got->spans) out.push_back(std::move(s));
      if (!got->next_cursor) {
        *complete = true;
        return out;
      }
      r.cursor = *got->next_cursor;
    }
    return out;
  }

  // Every page of `r`; a failure when paging does not end within `max_pages`.
  std::vector<Span> AllPages(const SpanListRequest& r, size_t max_pages) {
    bool complete = false;
    std::vector<Span> out = Pages(r, max_pages, &complete);
    EXPECT_TRUE(complete) << "paging did not end after " << max_pages << " pages";
    return out;
  }

  SpanListRequest RandomRequest(std::mt19937_64& rng) {
    auto pick = [&]() -> const Span& { return spans_[rng() % spans_.size()]; };
    SpanListRequest r;
    r.filter = test::RandomFilter(rng, spans_);
    r.filter.all_projects = false;  // listings are per project
    r.limit = rng() % 3 == 0 ? 1 + rng() % 5 : 1 + rng() % 1000;
    switch (rng() % 6) {
      case 0:
        r.parent = ParentFilter::kRootsOnly;
        break;
      case 1: {
        const Span& s = pick();
        r.parent = ParentFilter::kChildOf;
        r.parent_span_id = s.parent_span_id.value_or(s.span_id);
        break;
      }
      default:
        break;
    }
    if (rng() % 5 == 0) {
      for (int i = 0; i < 3; ++i) r.trace_ids.push_back(pick().trace_id);
    }
    if (rng() % 8 == 0) {
      for (int i = 0; i < 20; ++i) r.span_ids.push_back(pick().span_id);
    }
    if (rng() % 6 == 0) {
      const Span& s = pick();
      if (!s.attributes.empty()) {
        const Attribute& a = s.attributes[rng() % s.attributes.size()];
        r.attributes.emplace_back(a.key, TextOf(a.value));
      }
    }
    return r;
  }

  void CheckRandomRequests(uint64_t seed, int rounds) {
    std::mt19937_64 rng(seed);
    int matching_rounds = 0;  // guards against a generator of requests that match nothing
    for (int round = 0; round < rounds; ++round) {
      SpanListRequest r = RandomRequest(rng);
      SCOPED_TRACE("round " + std::to_string(round));
      std::vector<Span> want = BruteForce(spans_, r);
      // At most 12 pages: the first ones, or all when they are few.
      bool complete = false;
      std::vector<Span> got = Pages(r, 12, &complete);
      if (complete) {
        ASSERT_EQ(got.size(), want.size());
      } else {
        ASSERT_EQ(got.size(), 12 * r.limit);
        want.resize(got.size());
      }
      for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << "at " << i;
      matching_rounds += got.empty() ? 0 : 1;
    }
    EXPECT_GE(matching_rounds, rounds / 4);
  }

  std::unique_ptr<SpanStore> store_;
  std::vector<Span> spans_;
};

TEST_F(SpanListTest, PagesMatchBruteForceOnRandomRequests) {
  WriteCorpus();
  CheckRandomRequests(7, 60);
}

TEST_F(SpanListTest, SameListingAfterFlush) {
  WriteCorpus();
  CheckRandomRequests(11, 15);
  ASSERT_THAT(store_->Flush(), IsOk());
  CheckRandomRequests(11, 15);
}

TEST_F(SpanListTest, TiesOnStartAreOrderedByTraceThenSpanId) {
  std::vector<Span> spans;
  for (uint64_t i = 0; i < 30; ++i) {
    spans.push_back(::roost::test::MakeSpan(50 - i % 4, 1000 - i, test::kBaseTime + (i % 2)));
  }
  spans_ = spans;
  Write(spans);
  SpanListRequest r;
  r.limit = 4;
  std::vector<Span> got = AllPages(r, 10);
  ASSERT_EQ(got.size(), spans.size());
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end(), ListedBefore));
  EXPECT_EQ(got.front().start_unix_nano, test::kBaseTime + 1);
  EXPECT_EQ(got, BruteForce(spans, r));
}

TEST_F(SpanListTest, RootsOnlyAndChildOf) {
  std::vector<Span> spans;
  for (uint64_t t = 1; t <= 5; ++t) {
    Span root = ::roost::test::MakeSpan(t, t * 100, test::kBaseTime + int64_t(t) * test::kSecond);
    spans.push_back(root);
    for (uint64_t c = 1; c <= t; ++c) {
      Span child = ::roost::test::MakeSpan(t, t * 100 + c, root.start_unix_nano + int64_t(c));
      child.parent_span_id = root.span_id;
      spans.push_back(child);
    }
  }
  Write(spans);
  SpanListRequest roots;
  roots.parent = ParentFilter::kRootsOnly;
  std::vector<Span> got = AllPages(roots, 5);
  ASSERT_EQ(got.size(), 5u);
  for (const Span& s : got) EXPECT_FALSE(s.parent_span_id.has_value());
  SpanListRequest children;
  children.parent = ParentFilter::kChildOf;
  children.parent_span_id = spans[6].parent_span_id.value();  // trace 3's root
  got = AllPages(children, 5);
  EXPECT_EQ(got, BruteForce(spans, children));
  EXPECT_EQ(got.size(), 3u);
}

TEST_F(SpanListTest, BadLimitAndCursorAreInvalidArguments) {
  WriteCorpus();
  SpanListRequest r;
  r.limit = 0;
  EXPECT_THAT(ListSpans(*store_, r), IsError(Status::Code::kInvalidArgument, "limit"));
  r.limit = kMaxSpanListLimit + 1;
  EXPECT_THAT(ListSpans(*store_, r), IsError(Status::Code::kInvalidArgument, "limit"));
  r.limit = 10;
  for (const std::string& bad :
       std::vector<std::string>{"x", "v1zz", std::string(66, 'g'), "v2" + std::string(64, '0')}) {
    r.cursor = bad;
    EXPECT_THAT(ListSpans(*store_, r), IsError(Status::Code::kInvalidArgument, "cursor")) << bad;
  }
}

TEST_F(SpanListTest, CursorFromSpanResumesAfterIt) {
  WriteCorpus();
  std::vector<Span> all = BruteForce(spans_, SpanListRequest{});
  SpanListRequest r;
  r.cursor = SpanListCursor(all[123]);
  r.limit = 5;
  Result<SpanListPage> got = ListSpans(*store_, r);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->spans, std::vector<Span>(all.begin() + 124, all.begin() + 129));
  ASSERT_TRUE(got->next_cursor.has_value());
}

// A writer keeps adding spans of any start time (older than every cursor too) while a reader
// pages: every span stored before the first page appears exactly once.
TEST_F(SpanListTest, PagingIsCompleteWhileIngestContinues) {
  WriteCorpus();
  ASSERT_THAT(store_->Flush(), IsOk());
  std::set<Ids> before;
  for (const Span& s : spans_) {
    if (s.project == "default") before.insert(IdsOf(s));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> batches{0};
  std::thread writer([&] {
    std::mt19937_64 rng(3);
    for (uint64_t b = 0; b < 400 && !stop.load(); ++b) {
      std::vector<Span> batch;
      for (uint64_t i = 0; i < 50; ++i) {
        const int64_t start = test::kBaseTime - int64_t(rng() % (3 * test::kDay));
        batch.push_back(::roost::test::MakeSpan(7'000'000 + b, 7'000'000 + b * 50 + i, start));
      }
      if (!store_->Write(std::move(batch)).ok()) return;
      batches++;
      if (b % 40 == 39) (void)store_->Flush();
    }
  });
  for (int i = 0; i < 2000 && batches.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  SpanListRequest r;
  r.limit = 97;
  std::set<Ids> seen;
  size_t duplicates = 0;
  std::vector<Span> listed;
  const size_t max_pages = 400 * 50 / r.limit + before.size() / r.limit + 10;
  size_t pages = 0;
  for (; pages < max_pages; ++pages) {
    Result<SpanListPage> got = ListSpans(*store_, r);
    ASSERT_THAT(got, IsOk());
    for (const Span& s : got->spans) {
      duplicates += !seen.insert(IdsOf(s)).second;
      listed.push_back(s);
    }
    if (!got->next_cursor) break;
    r.cursor = *got->next_cursor;
  }
  stop = true;
  writer.join();
  EXPECT_LT(pages, max_pages);
  EXPECT_EQ(duplicates, 0u);
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end(), ListedBefore));
  for (const Ids& ids : before) {
    ASSERT_TRUE(seen.count(ids)) << std::get<0>(ids).ToHex() << "/" << std::get<1>(ids).ToHex();
  }
  EXPECT_GT(batches.load(), 0);
}

}  // namespace
}  // namespace roost::query
