// ListSpans' any-of sets (kinds, names, statuses) and whole-span predicate, against brute force.

#include <algorithm>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "query/span_list.h"
#include "storage/span_store.h"
#include "tests/query/query_test_util.h"
#include "tests/storage/test_util.h"

namespace roost::query {
namespace {

using ::roost::test::IsOk;

struct SetCase {
  std::vector<SpanKind> kinds;
  std::vector<std::string> names;
  std::vector<StatusCode> statuses;
  std::function<bool(const Span&)> span_filter;
};

bool In(const auto& list, const auto& v) {
  return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
}

class SpanListSetsTest : public ::roost::test::SpanStoreTest {};

TEST_F(SpanListSetsTest, AnyOfSetsAndSpanFilterMatchBruteForce) {
  std::unique_ptr<SpanStore> store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  std::vector<Span> spans = test::HandMadeSpans();
  ASSERT_TRUE(WriteOk(*store, spans).rejected.empty());
  const std::vector<SetCase> cases = {
      {{SpanKind::kLlm, SpanKind::kTool}, {}, {}, nullptr},
      {{}, {"handmade", "never-stored"}, {}, nullptr},
      {{}, {"never-stored"}, {}, nullptr},
      {{}, {}, {StatusCode::kError, StatusCode::kUnset}, nullptr},
      {{SpanKind::kChain, SpanKind::kUnknown, SpanKind::kLlm},
       {""},
       {StatusCode::kOk, StatusCode::kUnset},
       nullptr},
      {{}, {}, {}, [](const Span& s) { return s.prompt_tokens % 20 == 0; }},
      {{SpanKind::kAgent, SpanKind::kLlm},
       {},
       {},
       [](const Span& s) { return s.cost_usd.has_value(); }},
  };
  size_t matched = 0;
  for (size_t c = 0; c < cases.size(); ++c) {
    SCOPED_TRACE("case " + std::to_string(c));
    SpanListRequest r;
    r.kinds = cases[c].kinds;
    r.names = cases[c].names;
    r.statuses = cases[c].statuses;
    r.span_filter = cases[c].span_filter;
    r.limit = 3;
    std::vector<Span> want;
    for (const Span& s : spans) {
      if (s.project == "default" && In(r.kinds, s.kind) && In(r.names, s.name) &&
          In(r.statuses, s.status_code) && (!r.span_filter || r.span_filter(s))) {
        want.push_back(s);
      }
    }
    std::sort(want.begin(), want.end(), [](const Span& a, const Span& b) {
      return std::make_tuple(-a.start_unix_nano, a.trace_id, a.span_id) <
             std::make_tuple(-b.start_unix_nano, b.trace_id, b.span_id);
    });
    std::vector<Span> got;
    for (int page = 0; page < 100; ++page) {
      Result<SpanListPage> p = ListSpans(*store, r);
      ASSERT_THAT(p, IsOk());
      for (Span& s : p->spans) got.push_back(std::move(s));
      if (!p->next_cursor) break;
      r.cursor = *p->next_cursor;
    }
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]) << "at " << i;
    matched += got.size();
  }
  EXPECT_GT(matched, 20u);
}

}  // namespace
}  // namespace roost::query
