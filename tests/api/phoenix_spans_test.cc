// End-to-end tests of GET /v1/projects/{id}/spans (Phoenix-compatible): every filter against a
// brute-force selection of the spans written, page completeness (also while spans keep
// arriving), the Span object's shape, and bad parameters.

#include <algorithm>
#include <atomic>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/phoenix_json.h"
#include "api/rfc3339.h"
#include "tests/api/test_phoenix_data.h"
#include "tests/api/test_server.h"

namespace roost::api {
namespace {

using ::nlohmann::json;
using testing::AllPages;
using testing::GetJson;
using ::testing::HasSubstr;
using testing::IsoMicros;
using testing::Keys;
using testing::kMs;
using testing::UrlEncode;

constexpr int kTraces = 11;
const std::string kSpansUrl = "/v1/projects/phx/spans?";

// An attribute value as JSON, written independently of the code under test.
json ValueJson(const AttributeValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* a = std::get_if<std::vector<std::string>>(&v)) return *a;
  ADD_FAILURE() << "value type not used by the test data";
  return nullptr;
}

// "2026-11-25 10:08:00.123456789": no offset (Phoenix reads it as UTC), a space for the 'T'.
std::string FormatNaive(int64_t unix_nano) {
  std::string t = FormatRfc3339(unix_nano);
  t[10] = ' ';
  t.pop_back();
  return t;
}

// The same instant written at +01:00.
std::string FormatPlusOne(int64_t unix_nano) {
  std::string t = FormatRfc3339(unix_nano + 3600 * int64_t{1'000'000'000});
  t.pop_back();
  return t + "+01:00";
}

const AttributeValue* Attr(const Span& s, const std::string& key) {
  return FindAttribute(s.attributes, key);
}

bool AttrIs(const Span& s, const std::string& key, const AttributeValue& want) {
  const AttributeValue* v = Attr(s, key);
  return v != nullptr && *v == want;
}

class PhoenixSpansTest : public testing::ServerFixture {
 protected:
  void SetUp() override {
    StartServer();
    spans_ = testing::PhoenixSpans(kTraces);
    Result<WriteResult> w = store().Write(spans_);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_EQ(w->stored, spans_.size());
  }

  // The spans of "phx" for which `pred` holds.
  std::vector<Span> Select(const std::function<bool(const Span&)>& pred) const {
    std::vector<Span> out;
    for (const Span& s : spans_) {
      if (s.project == "phx" && pred(s)) out.push_back(s);
    }
    return out;
  }

  std::vector<Span> spans_;
};

TEST_F(PhoenixSpansTest, PagesListEverySpanOnceNewestFirst) {
  testing::TestClient client = Client();
  int pages = 0;
  json all = AllPages(client, kSpansUrl + "limit=7", 100, &pages);
  std::vector<Span> want = Select([](const Span&) { return true; });
  EXPECT_EQ(all.size(), want.size());
  EXPECT_EQ(Keys(all), Keys(want));
  EXPECT_EQ(pages, static_cast<int>((want.size() + 6) / 7));
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_GE(all[i - 1]["start_time"].get<std::string>(), all[i]["start_time"].get<std::string>());
  }
  json one = GetJson(client, kSpansUrl + "limit=1000");
  EXPECT_EQ(one["data"].size(), want.size());
  EXPECT_TRUE(one["next_cursor"].is_null());
}

TEST_F(PhoenixSpansTest, SpanObjectsHavePhoenixShape) {
  testing::TestClient client = Client();
  json page = GetJson(client, kSpansUrl + "limit=1000");
  ASSERT_TRUE(page.is_object());
  for (const json& got : page["data"]) {
    const std::string trace = got["context"]["trace_id"], span = got["context"]["span_id"];
    auto it = std::find_if(spans_.begin(), spans_.end(), [&](const Span& s) {
      return s.trace_id.ToHex() == trace && s.span_id.ToHex() == span;
    });
    ASSERT_NE(it, spans_.end()) << got;
    const Span& w = *it;
    auto gid = api::phoenix::ParseGlobalId(got["id"].get<std::string>());
    ASSERT_TRUE(gid.has_value());
    EXPECT_EQ(gid->first, "Span");
    EXPECT_EQ(gid->second, trace + span);
    EXPECT_EQ(got["name"], w.name);
    EXPECT_EQ(got["span_kind"], SpanKindName(w.kind));
    EXPECT_EQ(got["parent_id"], w.parent_span_id ? json(w.parent_span_id->ToHex()) : json());
    EXPECT_EQ(got["start_time"], IsoMicros(w.start_unix_nano));
    EXPECT_EQ(got["end_time"], IsoMicros(w.end_unix_nano));
    EXPECT_EQ(got["status_code"], StatusCodeName(w.status_code));
    EXPECT_EQ(got["status_message"], w.status_message);
    json attributes = json::object();
    for (const Attribute& a : w.attributes) {
      if (a.key != "openinference.span.kind") attributes[a.key] = ValueJson(a.value);
    }
    EXPECT_EQ(got["attributes"], attributes);
    ASSERT_EQ(got["events"].size(), w.events.size());
    for (size_t i = 0; i < w.events.size(); ++i) {
      EXPECT_EQ(got["events"][i]["name"], w.events[i].name);
      EXPECT_EQ(got["events"][i]["timestamp"], IsoMicros(w.events[i].time_unix_nano));
      EXPECT_EQ(got["events"][i]["attributes"], (json{{"token", "Hi"}}));
    }
  }
  // Trace 1's root starts at 10:04:00 plus 1,234,567 ns: microseconds kept, nanoseconds dropped.
  json root = GetJson(client, kSpansUrl + "parent_id=null&trace_id=" + spans_[4].trace_id.ToHex());
  ASSERT_EQ(root["data"].size(), 1u);
  EXPECT_EQ(root["data"][0]["start_time"], "2026-11-25T10:04:00.001234+00:00");
}

struct FilterCase {
  std::string query;
  std::function<bool(const Span&)> want;
};

TEST_F(PhoenixSpansTest, FiltersMatchBruteForce) {
  const Span& root2 = spans_[8];
  const Span& llm5 = spans_[21];
  ASSERT_EQ(root2.name, "conversation");
  const std::string t2 = root2.trace_id.ToHex(), t5 = llm5.trace_id.ToHex();
  const int64_t from = spans_[9].start_unix_nano;  // an LLM span of trace 2: inclusive
  const int64_t to = spans_[20].start_unix_nano;   // trace 5's root: exclusive
  const std::vector<FilterCase> cases = {
      {"span_kind=LLM", [](const Span& s) { return s.kind == SpanKind::kLlm; }},
      {"span_kind=llm&span_kind=TOOL",
       [](const Span& s) { return s.kind == SpanKind::kLlm || s.kind == SpanKind::kTool; }},
      {"span_kind=DECISION", [](const Span&) { return false; }},
      {"status_code=ERROR&status_code=unset",
       [](const Span& s) { return s.status_code != StatusCode::kOk; }},
      {"name=ChatCompletion&name=search", [](const Span& s) { return s.name != "conversation"; }},
      {"name=nope", [](const Span&) { return false; }},
      {"trace_id=" + t2 + "&trace_id=" + t5,
       [&](const Span& s) { return s.trace_id == root2.trace_id || s.trace_id == llm5.trace_id; }},
      {"trace_id=not-hex", [](const Span&) { return false; }},
      {"span_id=" + llm5.span_id.ToHex(), [&](const Span& s) { return s.span_id == llm5.span_id; }},
      {"parent_id=null", [](const Span& s) { return !s.parent_span_id; }},
      {"parent_id=" + root2.span_id.ToHex(),
       [&](const Span& s) { return s.parent_span_id == root2.span_id; }},
      {"parent_id=zz", [](const Span&) { return false; }},
      {"attribute=user.tier:gold",
       [](const Span& s) { return AttrIs(s, "user.tier", std::string("gold")); }},
      {"attribute=retry.count:2",
       [](const Span& s) {
         return AttrIs(s, "retry.count", int64_t{2}) || AttrIs(s, "retry.count", 2.0);
       }},
      {"attribute=retry.count:2.0", [](const Span& s) { return AttrIs(s, "retry.count", 2.0); }},
      {"attribute=score:0.5", [](const Span& s) { return AttrIs(s, "score", 0.5); }},
      {"attribute=flag:true", [](const Span& s) { return AttrIs(s, "flag", true); }},
      {"attribute=user.code:123",
       [](const Span& s) { return AttrIs(s, "user.code", int64_t{123}); }},
      {"attribute=user.code:" + UrlEncode("\"123\""),
       [](const Span& s) { return AttrIs(s, "user.code", std::string("123")); }},
      {"attribute=input.value:" + UrlEncode("question 3"),
       [](const Span& s) { return AttrIs(s, "input.value", std::string("question 3")); }},
      {"attribute=tags:a", [](const Span&) { return false; }},
      {"attribute=user.tier:gold&attribute=flag:false&span_kind=LLM&status_code=OK",
       [](const Span& s) {
         return AttrIs(s, "user.tier", std::string("gold")) && AttrIs(s, "flag", false) &&
                s.kind == SpanKind::kLlm && s.status_code == StatusCode::kOk;
       }},
      {"start_time=" + UrlEncode(FormatNaive(from)) + "&end_time=" + UrlEncode(FormatPlusOne(to)),
       [&](const Span& s) { return s.start_unix_nano >= from && s.start_unix_nano < to; }},
  };
  testing::TestClient client = Client();
  for (const FilterCase& c : cases) {
    SCOPED_TRACE(c.query);
    json all = AllPages(client, kSpansUrl + "limit=3&" + c.query);
    std::vector<Span> want = Select(c.want);
    EXPECT_EQ(Keys(all), Keys(want));
    EXPECT_EQ(all.size(), want.size());
  }
}

TEST_F(PhoenixSpansTest, BadParametersAre400NamingThem) {
  testing::TestClient client = Client();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"limit=0", "limit"},
      {"limit=1001", "limit"},
      {"limit=-3", "limit"},
      {"cursor=bogus", "cursor"},
      {"start_time=noon", "start_time"},
      {"end_time=2026-11-25T25:00:00Z", "end_time"},
      {"span_kind=BOGUS", "span_kind"},
      {"status_code=maybe", "status_code"},
      {"attribute=nocolon", "attribute"},
      {"attribute=" + UrlEncode(":x"), "attribute"},
      {"attribute=k" + UrlEncode(":"), "attribute"},
      {"attribute=k" + UrlEncode(":[1]"), "attribute"},
      {"attribute=k" + UrlEncode(":null"), "attribute"},
      {"sort=name", "sort"},
      {"order=asc", "order"},
  };
  for (const auto& [query, param] : cases) {
    json body = GetJson(client, kSpansUrl + query, 400);
    EXPECT_THAT(body.value("error", ""), HasSubstr(param)) << query;
  }
}

TEST_F(PhoenixSpansTest, PagingWhileSpansArriveListsEachStoredSpanOnce) {
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  // New traces at any time, older and newer than the spans already stored.
  std::thread writer([&] {
    for (int t = 0; t < 60 && !stop.load(); ++t) {
      std::vector<Span> batch = testing::PhoenixSpans(1);
      for (Span& s : batch) {
        s.trace_id.bytes[1] = static_cast<uint8_t>(t + 1);
        const int64_t shift = (t % 2 == 0 ? 1 : -1) * int64_t{t} * 7 * 60'000 * kMs;
        s.start_unix_nano += shift;
        s.end_unix_nano += shift;
        for (SpanEvent& e : s.events) e.time_unix_nano += shift;
      }
      if (store().Write(batch).ok()) written.fetch_add(1);
    }
  });
  testing::TestClient client = Client();
  json all = AllPages(client, kSpansUrl + "limit=5", 1000);
  stop.store(true);
  writer.join();
  std::set<std::pair<std::string, std::string>> seen;
  for (const json& s : all) {
    EXPECT_TRUE(seen.emplace(s["context"]["trace_id"], s["context"]["span_id"]).second)
        << "listed twice: " << s["context"];
  }
  for (const auto& key : Keys(Select([](const Span&) { return true; }))) {
    EXPECT_EQ(seen.count(key), 1u) << key.first << " " << key.second;
  }
}

}  // namespace
}  // namespace roost::api
