#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "query/trace_summary.h"
#include "storage/result.h"
#include "storage/span.h"

// The JSON vocabulary of Phoenix's REST API v1 (src/phoenix/server/api/routers/v1/*.py, schema
// in js/packages/phoenix-client/src/__generated__/api/v1.ts): global ids, times and the Span,
// TraceData, SessionData and Project objects, with Phoenix's field names and field order.
namespace roost::api::phoenix {

// The version roost reports as a Phoenix server (header `x-phoenix-server-version`, route
// `GET /arize_phoenix_version`). Phoenix clients gate features on it: 17.16.0 enables every
// parameter of the read routes roost serves (span filters by trace id 13.9, kind/name/status
// 13.15, attribute 14.9; project name_contains 17.16) and none that roost lacks (span_id as a
// gated filter 19.6, trace error/latency filters 20.8, filter expressions 20.12).
inline constexpr std::string_view kServerVersion = "17.16.0";

// Node type names of global ids, as Phoenix's GraphQL types are named.
inline constexpr std::string_view kProjectType = "Project";
inline constexpr std::string_view kSessionType = "ProjectSession";
inline constexpr std::string_view kTraceType = "Trace";
inline constexpr std::string_view kSpanType = "Span";

// A Relay global id as Phoenix (strawberry) writes it: standard base64 of "Type:node_id".
std::string GlobalId(std::string_view type, std::string_view node_id);

// (type, node_id) of a global id; nullopt when `text` is not base64 (standard alphabet, padding
// optional) of a "Type:node_id" string (Phoenix then treats the text as a name).
std::optional<std::pair<std::string, std::string>> ParseGlobalId(std::string_view text);

// A time as Phoenix returns it: Python's datetime.isoformat() of a UTC time with microsecond
// precision ("2026-11-25T10:00:00.250000+00:00"; no fraction when it is zero). Nanoseconds
// below the microsecond are dropped (rounded toward the past).
std::string FormatTime(int64_t unix_nano);

// A time parameter (start_time, end_time) as Phoenix (pydantic) reads one: ISO 8601 / RFC 3339
// with 'Z' or an offset, or without one (then UTC, as Phoenix normalizes naive times), 'T' or a
// space between date and time; or a Unix timestamp in seconds (milliseconds when above 2e10),
// with an optional fraction. kInvalidArgument naming `param` otherwise.
[[nodiscard]] Result<int64_t> ParseTime(std::string_view text, std::string_view param);

// Global ids of roost's objects. Projects and sessions have numeric node ids (dictionary ids:
// a project's, and project << 32 | session for a session, both stable for the life of the
// store); traces and spans, which roost keys by their OpenTelemetry ids, have hex ones
// (the 32-digit trace id; trace id and span id, 48 digits).
std::string ProjectGlobalId(uint32_t project);
std::string SessionGlobalId(uint32_t project, uint32_t session);
std::string TraceGlobalId(const TraceId& trace_id);
std::string SpanGlobalId(const TraceId& trace_id, const SpanId& span_id);

// Phoenix's Project: {"name", "description": null, "id"}.
nlohmann::ordered_json ProjectJson(const std::string& name, uint32_t project);

// Phoenix's Span (GET /v1/projects/{id}/spans): {"id", "name", "context": {"trace_id",
// "span_id"}, "span_kind", "parent_id", "start_time", "end_time", "status_code",
// "status_message", "attributes" (the span's attributes with dotted keys, without
// `openinference.span.kind`, which is `span_kind`), "events": [{"name", "timestamp",
// "attributes"}]}.
nlohmann::ordered_json SpanJson(const Span& span);

// Phoenix's TraceSpanData (a span inside a trace listed with include_spans=true).
nlohmann::ordered_json TraceSpanJson(const Span& span);

// Phoenix's TraceData: {"id", "trace_id", "project_id", "start_time", "end_time",
// "token_count_prompt", "token_count_completion", "token_count_total", "spans"}; `spans` is
// null unless given.
nlohmann::ordered_json TraceJson(const query::TraceSummary& trace, uint32_t project,
                                 std::optional<nlohmann::ordered_json> spans);

// Phoenix's SessionData: {"id", "session_id", "project_id", "start_time", "end_time",
// "traces": [{"id", "trace_id", "start_time", "end_time"}], "token_count_prompt",
// "token_count_completion", "token_count_total"}. `traces` in start order, non-empty.
nlohmann::ordered_json SessionJson(const std::string& session_id, uint32_t project,
                                   uint32_t session,
                                   const std::vector<query::TraceSummary>& traces);

// Serializes a response body (invalid UTF-8 replaced, never thrown on).
std::string Dump(const nlohmann::ordered_json& body);

}  // namespace roost::api::phoenix
