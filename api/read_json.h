#pragma once

#include <string>
#include <vector>

#include "query/session_query.h"
#include "query/span_list.h"
#include "storage/span.h"
#include "storage/span_store.h"

namespace roost::api {

// The bodies of roost's read routes (and of `roost query ... --json`, which prints the same).
// Times are RFC 3339 UTC; spans are SpanJson objects (api/span_json.h).

// GET /api/v1/projects: {"projects":[{"name","span_count","first_start","last_start"}]}.
std::string ProjectsJson(const std::vector<ProjectSummary>& projects);

// GET /api/v1/sessions: {"sessions":[{"session_id","span_count","trace_count","first_start",
// "last_start","prompt_tokens","completion_tokens","total_tokens","cost_usd","error_count",
// "p50_ms"}]}.
std::string SessionsJson(const std::vector<query::SessionStats>& sessions);

// GET /api/v1/sessions/{id}: {"session_id","project","spans":[...]}.
std::string SessionJson(const std::string& session_id, const std::string& project,
                        const std::vector<Span>& spans);

// GET /api/v1/traces/{id}: {"trace_id","spans":[...]}.
std::string TraceJson(const TraceId& trace_id, const std::vector<Span>& spans);

// GET /api/v1/spans: {"spans":[...],"next_cursor":STRING|null}.
std::string SpanPageJson(const query::SpanListPage& page);

}  // namespace roost::api
