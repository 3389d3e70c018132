#include "api/span_json.h"

#include <cmath>
#include <type_traits>
#include <variant>

#include "api/internal/span_json_value.h"
#include "api/rfc3339.h"

namespace roost::api {
namespace {

using json = nlohmann::ordered_json;

json Double(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json OrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json ValueOf(const AttributeValue& value) {
  return std::visit(
      [](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, double>) {
          return Double(v);
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          json a = json::array();
          for (double d : v) a.push_back(Double(d));
          return a;
        } else if constexpr (std::is_same_v<T, std::vector<bool>>) {
          json a = json::array();
          for (bool b : v) a.push_back(b);
          return a;
        } else {
          return json(v);
        }
      },
      value);
}

json AttributesValue(const Attributes& attributes) {
  json out = json::object();
  for (const Attribute& a : attributes) out[a.key] = ValueOf(a.value);
  return out;
}

json EventsValue(const std::vector<SpanEvent>& events) {
  json out = json::array();
  for (const SpanEvent& e : events) {
    out.push_back({{"name", e.name},
                   {"time", FormatRfc3339(e.time_unix_nano)},
                   {"attributes", AttributesValue(e.attributes)}});
  }
  return out;
}

}  // namespace

namespace internal {

json SpanValue(const Span& s) {
  json j = json::object();
  j["trace_id"] = s.trace_id.ToHex();
  j["span_id"] = s.span_id.ToHex();
  j["parent_span_id"] = s.parent_span_id ? json(s.parent_span_id->ToHex()) : json(nullptr);
  j["name"] = s.name;
  j["kind"] = SpanKindName(s.kind);
  j["status"] = StatusCodeName(s.status_code);
  j["status_message"] = OrNull(s.status_message);
  j["start_time"] = FormatRfc3339(s.start_unix_nano);
  j["end_time"] = FormatRfc3339(s.end_unix_nano);
  j["duration_ms"] = static_cast<double>(s.duration_nanos()) / 1e6;
  j["project"] = s.project;
  j["session_id"] = OrNull(s.session_id);
  j["model"] = OrNull(s.model_name);
  j["prompt_tokens"] = s.prompt_tokens;
  j["completion_tokens"] = s.completion_tokens;
  j["total_tokens"] = s.total_tokens;
  j["cost_usd"] = s.cost_usd ? Double(*s.cost_usd) : json(nullptr);
  j["attributes"] = AttributesValue(s.attributes);
  j["events"] = EventsValue(s.events);
  return j;
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace internal

std::string SpanJson(const Span& span) { return internal::Dump(internal::SpanValue(span)); }

std::string SpansJson(const std::vector<Span>& spans) {
  json out = json::array();
  for (const Span& s : spans) out.push_back(internal::SpanValue(s));
  return internal::Dump(out);
}

std::string AttributesJson(const Attributes& attributes) {
  return internal::Dump(AttributesValue(attributes));
}

std::string EventsJson(const std::vector<SpanEvent>& events) {
  return internal::Dump(EventsValue(events));
}

}  // namespace roost::api
