#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "storage/span.h"
#include "tests/api/test_client.h"

namespace roost::api::testing {

// 2026-11-25T10:00:00Z in Unix ns: every Phoenix test span starts within the hour after it.
inline constexpr int64_t kPhoenixBase = int64_t{1795600800} * 1'000'000'000;
inline constexpr int64_t kMs = 1'000'000;

// Traffic for the Phoenix-compatible routes: in project "phx", `traces` traces of a CHAIN root
// ("conversation"), two LLM children ("ChatCompletion", tokens, model) and a TOOL child
// ("search"); statuses, sessions ("s-0".."s-2", some traces none), typed attributes
// (user.tier string, retry.count int, score double, flag bool, user.code int or string, tags
// array) varying by trace and span; times with microsecond and nanosecond parts. Plus two spans
// in project "other-Project". Deterministic.
std::vector<Span> PhoenixSpans(int traces);

// The start of trace `trace`'s root span (the trace's start) in PhoenixSpans.
inline int64_t PhoenixRootStart(int trace) {
  return kPhoenixBase + int64_t{trace} * 4 * 60'000 * kMs + int64_t{trace} * 1'234'567;
}

// Python's datetime.isoformat() of a UTC time truncated to microseconds, computed independently
// of the code under test (via std::chrono formatting).
std::string IsoMicros(int64_t unix_nano);

// The (trace hex, span hex) keys of spans.
std::set<std::pair<std::string, std::string>> Keys(const std::vector<Span>& spans);
// The (context.trace_id, context.span_id) keys of Phoenix Span objects.
std::set<std::pair<std::string, std::string>> Keys(const nlohmann::json& spans);

// GET `target` and parse a JSON body; fails the test (and returns null) unless the status is
// `want_status` and the body is JSON.
nlohmann::json GetJson(TestClient& client, const std::string& target, int want_status = 200);

// Every page of a Phoenix list route: follows next_cursor (percent-encoded) from `target` (which
// must already contain a '?'), at most `max_pages` pages. Fails the test on an error page, a
// repeated cursor or too many pages. Sets *pages when given.
nlohmann::json AllPages(TestClient& client, const std::string& target, int max_pages = 1000,
                        int* pages = nullptr);

// Percent-encodes a query value (everything but unreserved characters).
std::string UrlEncode(std::string_view value);

}  // namespace roost::api::testing
