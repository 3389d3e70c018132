#include "api/span_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>
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

// A direct JSON writer for the attribute and event columns of `roost export` (millions of spans:
// nlohmann's DOM costs more than reading the records). Same JSON values as SpanValue.

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  uint32_t min = 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else {
      const size_t n = Utf8Length(s, i);
      if (n == 0) {
        out->append("\xEF\xBF\xBD");  // U+FFFD for a bad byte
        ++i;
        continue;
      }
      out->append(s.substr(i, n));
      i += n;
      continue;
    }
    ++i;
  }
  out->push_back('"');
}

void AppendJsonDouble(double v, std::string* out) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  std::string_view text(buf, static_cast<size_t>(end - buf));
  out->append(text);
  // Keep it a JSON double, as nlohmann writes 1.0.
  if (text.find_first_of(".e") == std::string_view::npos) out->append(".0");
}

template <typename T>
void AppendJsonScalar(const T& v, std::string* out) {
  if constexpr (std::is_same_v<T, std::string>) {
    AppendJsonString(v, out);
  } else if constexpr (std::is_same_v<T, bool>) {
    out->append(v ? "true" : "false");
  } else if constexpr (std::is_same_v<T, double>) {
    AppendJsonDouble(v, out);
  } else {
    out->append(std::to_string(v));
  }
}

void AppendJsonValue(const AttributeValue& value, std::string* out) {
  std::visit(
      [out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          out->append("null");
        } else if constexpr (std::is_same_v<T, std::vector<std::string>> ||
                             std::is_same_v<T, std::vector<int64_t>> ||
                             std::is_same_v<T, std::vector<double>> ||
                             std::is_same_v<T, std::vector<bool>>) {
          out->push_back('[');
          bool first = true;
          for (const auto& e : v) {
            if (!first) out->push_back(',');
            first = false;
            AppendJsonScalar(static_cast<typename T::value_type>(e), out);
          }
          out->push_back(']');
        } else {
          AppendJsonScalar(v, out);
        }
      },
      value);
}

void AppendAttributesJson(const Attributes& attributes, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (size_t i = 0; i < attributes.size(); ++i) {
    // A repeated key keeps its last value, as in the span object.
    bool repeated = false;
    for (size_t j = i + 1; j < attributes.size() && !repeated; ++j) {
      repeated = attributes[j].key == attributes[i].key;
    }
    if (repeated) continue;
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(attributes[i].key, out);
    out->push_back(':');
    AppendJsonValue(attributes[i].value, out);
  }
  out->push_back('}');
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
  std::string out;
  AppendAttributesJson(attributes, &out);
  return out;
}

std::string EventsJson(const std::vector<SpanEvent>& events) {
  std::string out = "[";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += "{\"name\":";
    AppendJsonString(events[i].name, &out);
    out += ",\"time\":";
    AppendJsonString(FormatRfc3339(events[i].time_unix_nano), &out);
    out += ",\"attributes\":";
    AppendAttributesJson(events[i].attributes, &out);
    out.push_back('}');
  }
  out.push_back(']');
  return out;
}

}  // namespace roost::api
