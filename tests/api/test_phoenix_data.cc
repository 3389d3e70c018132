#include "tests/api/test_phoenix_data.h"

#include <time.h>

#include <cstdio>
#include <utility>

#include <gtest/gtest.h>

namespace roost::api::testing {
namespace {

Span Base(int trace, uint8_t index, const std::string& project) {
  Span s;
  s.trace_id.bytes[0] = 0xab;
  s.trace_id.bytes[14] = static_cast<uint8_t>(trace >> 8);
  s.trace_id.bytes[15] = static_cast<uint8_t>(trace + 1);
  s.span_id.bytes[0] = static_cast<uint8_t>(trace + 1);
  s.span_id.bytes[7] = static_cast<uint8_t>(index + 1);
  s.project = project;
  return s;
}

void SetKind(Span* s, SpanKind kind) {
  s->kind = kind;
  s->attributes.push_back({"openinference.span.kind", std::string(SpanKindName(kind))});
}

void SetSession(Span* s, const std::string& session) {
  if (session.empty()) return;
  s->session_id = session;
  s->attributes.push_back({"session.id", session});
}

Span Llm(int t, int i, const Span& root, const std::string& session) {
  Span s = Base(t, static_cast<uint8_t>(1 + i), "phx");
  s.parent_span_id = root.span_id;
  s.name = "ChatCompletion";
  SetKind(&s, SpanKind::kLlm);
  s.status_code = (t + i) % 5 == 0 ? StatusCode::kError : StatusCode::kOk;
  if (s.status_code == StatusCode::kError) s.status_message = "rate limited";
  s.start_unix_nano = root.start_unix_nano + (10 + i * 500) * kMs;
  s.end_unix_nano = s.start_unix_nano + (300 + t * 10) * kMs;
  s.model_name = i == 0 ? "gpt-4o" : "claude";
  s.prompt_tokens = 100 + t + i;
  s.completion_tokens = 20 + i;
  s.total_tokens = s.prompt_tokens + s.completion_tokens;
  s.attributes.push_back({"llm.model_name", s.model_name});
  s.attributes.push_back({"llm.token_count.prompt", s.prompt_tokens});
  s.attributes.push_back({"llm.token_count.completion", s.completion_tokens});
  s.attributes.push_back({"user.tier", std::string(t % 2 == 1 ? "gold" : "silver")});
  // retry.count 2 is an integer on some spans and the double 2.0 on others.
  if (i == 1 && t % 2 == 1) {
    s.attributes.push_back({"retry.count", 2.0});
  } else {
    s.attributes.push_back({"retry.count", int64_t{i + 1}});
  }
  s.attributes.push_back({"score", 0.5 * (i + 1)});
  s.attributes.push_back({"flag", t % 2 == 0});
  if (t % 3 == 0) {
    s.attributes.push_back({"user.code", int64_t{123}});
  } else {
    s.attributes.push_back({"user.code", std::string("123")});
  }
  s.attributes.push_back({"tags", std::vector<std::string>{"a", "b"}});
  SetSession(&s, session);
  s.events.push_back({"first_token", s.start_unix_nano + 50 * kMs, {{"token", std::string("Hi")}}});
  return s;
}

}  // namespace

std::vector<Span> PhoenixSpans(int traces) {
  std::vector<Span> out;
  for (int t = 0; t < traces; ++t) {
    const std::string session = t % 4 == 3 ? "" : "s-" + std::to_string(t % 4);
    Span root = Base(t, 0, "phx");
    root.name = "conversation";
    SetKind(&root, SpanKind::kChain);
    // Minutes apart, with microsecond and nanosecond parts.
    root.start_unix_nano = PhoenixRootStart(t);
    SetSession(&root, session);
    root.attributes.push_back({"input.value", "question " + std::to_string(t)});
    Span llm0 = Llm(t, 0, root, session);
    Span llm1 = Llm(t, 1, root, session);
    Span tool = Base(t, 3, "phx");
    tool.parent_span_id = root.span_id;
    tool.name = "search";
    SetKind(&tool, SpanKind::kTool);
    tool.status_code = StatusCode::kOk;
    tool.start_unix_nano = root.start_unix_nano + 900 * kMs;
    tool.end_unix_nano = tool.start_unix_nano + 40 * kMs;
    root.end_unix_nano = std::max(llm1.end_unix_nano, tool.end_unix_nano) + 5 * kMs;
    out.push_back(std::move(root));
    out.push_back(std::move(llm0));
    out.push_back(std::move(llm1));
    out.push_back(std::move(tool));
  }
  for (uint8_t i = 0; i < 2; ++i) {
    Span s = Base(500, i, "other-Project");
    s.name = "job";
    SetKind(&s, SpanKind::kChain);
    if (i == 1) s.parent_span_id = out.back().span_id;
    s.start_unix_nano = kPhoenixBase + i * kMs;
    s.end_unix_nano = s.start_unix_nano + 10 * kMs;
    out.push_back(std::move(s));
  }
  return out;
}

std::string IsoMicros(int64_t unix_nano) {
  const time_t seconds = static_cast<time_t>(unix_nano / 1'000'000'000);
  const long micros = static_cast<long>(unix_nano % 1'000'000'000 / 1000);
  struct tm tm {};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf);
  if (micros != 0) {
    std::snprintf(buf, sizeof(buf), ".%06ld", micros);
    out += buf;
  }
  return out + "+00:00";
}

std::set<std::pair<std::string, std::string>> Keys(const std::vector<Span>& spans) {
  std::set<std::pair<std::string, std::string>> out;
  for (const Span& s : spans) out.emplace(s.trace_id.ToHex(), s.span_id.ToHex());
  return out;
}

std::set<std::pair<std::string, std::string>> Keys(const nlohmann::json& spans) {
  std::set<std::pair<std::string, std::string>> out;
  for (const nlohmann::json& s : spans) {
    out.emplace(s["context"].value("trace_id", ""), s["context"].value("span_id", ""));
  }
  return out;
}

nlohmann::json GetJson(TestClient& client, const std::string& target, int want_status) {
  ClientResponse r = client.Send("GET", target);
  EXPECT_EQ(r.status, want_status) << target << ": " << r.error << r.body;
  nlohmann::json body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(body.is_discarded()) << target << ": " << r.body;
  if (r.status != want_status || body.is_discarded()) return nullptr;
  return body;
}

std::string UrlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

nlohmann::json AllPages(TestClient& client, const std::string& target, int max_pages, int* pages) {
  nlohmann::json all = nlohmann::json::array();
  std::set<std::string> cursors;
  std::string cursor;
  int n = 0;
  for (; n < max_pages; ++n) {
    const std::string url = cursor.empty() ? target : target + "&cursor=" + UrlEncode(cursor);
    nlohmann::json page = GetJson(client, url);
    if (!page.is_object() || !page["data"].is_array()) return all;
    for (nlohmann::json& item : page["data"]) all.push_back(std::move(item));
    if (page["next_cursor"].is_null()) break;
    cursor = page["next_cursor"].get<std::string>();
    if (!cursors.insert(cursor).second) {
      ADD_FAILURE() << "cursor repeated: " << cursor;
      return all;
    }
  }
  EXPECT_LT(n, max_pages) << target << ": too many pages";
  if (pages != nullptr) *pages = n + 1;
  return all;
}

}  // namespace roost::api::testing
