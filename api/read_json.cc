#include "api/read_json.h"

#include <cmath>

#include "api/internal/span_json_value.h"
#include "api/rfc3339.h"

namespace roost::api {
namespace {

using json = nlohmann::ordered_json;

json Spans(const std::vector<Span>& spans) {
  json out = json::array();
  for (const Span& s : spans) out.push_back(internal::SpanValue(s));
  return out;
}

json Double(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

}  // namespace

std::string ProjectsJson(const std::vector<ProjectSummary>& projects) {
  json out = json::array();
  for (const ProjectSummary& p : projects) {
    out.push_back({{"name", p.name},
                   {"span_count", p.span_count},
                   {"first_start", FormatRfc3339(p.first_start)},
                   {"last_start", FormatRfc3339(p.last_start)}});
  }
  return internal::Dump(json{{"projects", std::move(out)}});
}

std::string SessionsJson(const std::vector<query::SessionStats>& sessions) {
  json out = json::array();
  for (const query::SessionStats& s : sessions) {
    out.push_back({{"session_id", s.session_id},
                   {"span_count", s.span_count},
                   {"trace_count", s.trace_count},
                   {"first_start", FormatRfc3339(s.first_start)},
                   {"last_start", FormatRfc3339(s.last_start)},
                   {"prompt_tokens", s.prompt_tokens},
                   {"completion_tokens", s.completion_tokens},
                   {"total_tokens", s.total_tokens},
                   {"cost_usd", Double(s.cost_usd)},
                   {"error_count", s.error_count},
                   {"p50_ms", Double(s.p50_ms)}});
  }
  return internal::Dump(json{{"sessions", std::move(out)}});
}

std::string SessionJson(const std::string& session_id, const std::string& project,
                        const std::vector<Span>& spans) {
  return internal::Dump(
      json{{"session_id", session_id}, {"project", project}, {"spans", Spans(spans)}});
}

std::string TraceJson(const TraceId& trace_id, const std::vector<Span>& spans) {
  return internal::Dump(json{{"trace_id", trace_id.ToHex()}, {"spans", Spans(spans)}});
}

std::string SpanPageJson(const query::SpanListPage& page) {
  return internal::Dump(
      json{{"spans", Spans(page.spans)},
           {"next_cursor", page.next_cursor ? json(*page.next_cursor) : json(nullptr)}});
}

}  // namespace roost::api
