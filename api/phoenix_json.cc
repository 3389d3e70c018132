#include "api/phoenix_json.h"

#include <cstdio>
#include <type_traits>
#include <variant>

#include "api/rfc3339.h"
#include "ingest/base64.h"

namespace roost::api::phoenix {
namespace {

using nlohmann::ordered_json;

constexpr int64_t kNanosPerMicro = 1000;
constexpr int64_t kMicrosPerSecond = 1'000'000;

ordered_json AttributeJson(const AttributeValue& value) {
  return std::visit(
      [](const auto& v) -> ordered_json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else {
          return ordered_json(v);
        }
      },
      value);
}

ordered_json AttributesJson(const Attributes& attributes, std::string_view skip_key) {
  ordered_json out = ordered_json::object();
  for (const Attribute& a : attributes) {
    if (a.key == skip_key) continue;
    out[a.key] = AttributeJson(a.value);
  }
  return out;
}

ordered_json ParentJson(const Span& span) {
  return span.parent_span_id ? ordered_json(span.parent_span_id->ToHex()) : ordered_json(nullptr);
}

}  // namespace

std::string GlobalId(std::string_view type, std::string_view node_id) {
  std::string text(type);
  text += ':';
  text += node_id;
  return ingest::Base64Encode(text);
}

std::optional<std::pair<std::string, std::string>> ParseGlobalId(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::optional<std::string> decoded = ingest::Base64Decode(text);
  if (!decoded) return std::nullopt;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  for (char c : *decoded) {
    // Printable ASCII only: a name that happens to be valid base64 decodes to binary noise.
    if (c < 0x20 || c > 0x7e) return std::nullopt;
  }
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

std::string FormatTime(int64_t unix_nano) {
  int64_t micros = unix_nano / kNanosPerMicro;
  if (unix_nano % kNanosPerMicro < 0) --micros;
  int64_t seconds = micros / kMicrosPerSecond;
  int64_t fraction = micros % kMicrosPerSecond;
  if (fraction < 0) {
    fraction += kMicrosPerSecond;
    --seconds;
  }
  // FormatRfc3339 of whole seconds is "YYYY-MM-DDTHH:MM:SSZ".
  std::string out = FormatRfc3339(seconds * 1'000'000'000);
  out.pop_back();
  if (fraction != 0) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), ".%06lld", static_cast<long long>(fraction));
    out += buf;
  }
  out += "+00:00";
  return out;
}

// A Unix timestamp as pydantic reads one from a string: seconds, or milliseconds when above
// 2e10, with an optional fraction of up to 9 digits. nullopt when `text` is not one.
std::optional<int64_t> ParseTimestamp(std::string_view text) {
  const size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 15 || fraction.size() > 9) return std::nullopt;
  if (dot != std::string_view::npos && fraction.empty()) return std::nullopt;
  int64_t v = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  int64_t f = 0;
  for (size_t i = 0; i < 9; ++i) {
    const char c = i < fraction.size() ? fraction[i] : '0';
    if (c < '0' || c > '9') return std::nullopt;
    f = f * 10 + (c - '0');
  }
  // f is the fraction in billionths of the unit.
  if (v > 20'000'000'000) return v * 1'000'000 + f / 1000;
  if (v > 9'000'000'000) return std::nullopt;  // past year 2255: out of int64 ns range soon
  return v * 1'000'000'000 + f;
}

Result<int64_t> ParseTime(std::string_view text, std::string_view param) {
  if (std::optional<int64_t> ts = ParseTimestamp(text)) return *ts;
  std::string t(text);
  if (t.size() > 10 && t[10] == ' ') t[10] = 'T';
  Result<int64_t> parsed = ParseRfc3339(t);
  if (!parsed.ok() && !t.empty() && t.back() >= '0' && t.back() <= '9') {
    // No offset: a naive time, which Phoenix reads as UTC.
    Result<int64_t> naive = ParseRfc3339(t + "Z");
    if (naive.ok()) return naive;
  }
  if (!parsed.ok()) {
    return Status::InvalidArgument(std::string(param) + ": not an ISO 8601 time: '" +
                                   std::string(text) + "'");
  }
  return parsed;
}

std::string ProjectGlobalId(uint32_t project) {
  return GlobalId(kProjectType, std::to_string(project));
}

std::string SessionGlobalId(uint32_t project, uint32_t session) {
  return GlobalId(kSessionType, std::to_string(uint64_t{project} << 32 | session));
}

std::string TraceGlobalId(const TraceId& trace_id) {
  return GlobalId(kTraceType, trace_id.ToHex());
}

std::string SpanGlobalId(const TraceId& trace_id, const SpanId& span_id) {
  return GlobalId(kSpanType, trace_id.ToHex() + span_id.ToHex());
}

ordered_json ProjectJson(const std::string& name, uint32_t project) {
  ordered_json out;
  out["name"] = name;
  out["description"] = nullptr;
  out["id"] = ProjectGlobalId(project);
  return out;
}

ordered_json SpanJson(const Span& span) {
  ordered_json out;
  out["id"] = SpanGlobalId(span.trace_id, span.span_id);
  out["name"] = span.name;
  out["context"] = {{"trace_id", span.trace_id.ToHex()}, {"span_id", span.span_id.ToHex()}};
  out["span_kind"] = SpanKindName(span.kind);
  out["parent_id"] = ParentJson(span);
  out["start_time"] = FormatTime(span.start_unix_nano);
  out["end_time"] = FormatTime(span.end_unix_nano);
  out["status_code"] = StatusCodeName(span.status_code);
  out["status_message"] = span.status_message;
  out["attributes"] = AttributesJson(span.attributes, "openinference.span.kind");
  ordered_json events = ordered_json::array();
  for (const SpanEvent& e : span.events) {
    ordered_json event;
    event["name"] = e.name;
    event["timestamp"] = FormatTime(e.time_unix_nano);
    event["attributes"] = AttributesJson(e.attributes, {});
    events.push_back(std::move(event));
  }
  out["events"] = std::move(events);
  return out;
}

ordered_json TraceSpanJson(const Span& span) {
  ordered_json out;
  out["id"] = SpanGlobalId(span.trace_id, span.span_id);
  out["span_id"] = span.span_id.ToHex();
  out["parent_id"] = ParentJson(span);
  out["name"] = span.name;
  out["span_kind"] = SpanKindName(span.kind);
  out["status_code"] = StatusCodeName(span.status_code);
  out["start_time"] = FormatTime(span.start_unix_nano);
  out["end_time"] = FormatTime(span.end_unix_nano);
  return out;
}

ordered_json TraceJson(const query::TraceSummary& trace, uint32_t project,
                       std::optional<ordered_json> spans) {
  ordered_json out;
  out["id"] = TraceGlobalId(trace.trace_id);
  out["trace_id"] = trace.trace_id.ToHex();
  out["project_id"] = ProjectGlobalId(project);
  out["start_time"] = FormatTime(trace.start_unix_nano);
  out["end_time"] = FormatTime(trace.end_unix_nano);
  out["token_count_prompt"] = trace.llm_prompt_tokens;
  out["token_count_completion"] = trace.llm_completion_tokens;
  out["token_count_total"] = trace.llm_prompt_tokens + trace.llm_completion_tokens;
  out["spans"] = spans ? std::move(*spans) : ordered_json(nullptr);
  return out;
}

ordered_json SessionJson(const std::string& session_id, uint32_t project, uint32_t session,
                         const std::vector<query::TraceSummary>& traces) {
  ordered_json out;
  out["id"] = SessionGlobalId(project, session);
  out["session_id"] = session_id;
  out["project_id"] = ProjectGlobalId(project);
  int64_t start = 0;
  int64_t end = 0;
  uint64_t prompt = 0;
  uint64_t completion = 0;
  ordered_json trace_list = ordered_json::array();
  for (size_t i = 0; i < traces.size(); ++i) {
    const query::TraceSummary& t = traces[i];
    if (i == 0 || t.start_unix_nano < start) start = t.start_unix_nano;
    if (i == 0 || t.end_unix_nano > end) end = t.end_unix_nano;
    prompt += t.llm_prompt_tokens;
    completion += t.llm_completion_tokens;
    ordered_json j;
    j["id"] = TraceGlobalId(t.trace_id);
    j["trace_id"] = t.trace_id.ToHex();
    j["start_time"] = FormatTime(t.start_unix_nano);
    j["end_time"] = FormatTime(t.end_unix_nano);
    trace_list.push_back(std::move(j));
  }
  out["start_time"] = FormatTime(start);
  out["end_time"] = FormatTime(end);
  out["traces"] = std::move(trace_list);
  out["token_count_prompt"] = prompt;
  out["token_count_completion"] = completion;
  out["token_count_total"] = prompt + completion;
  return out;
}

std::string Dump(const ordered_json& body) {
  return body.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace roost::api::phoenix
