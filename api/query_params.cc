#include "api/query_params.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "api/rfc3339.h"
#include "storage/column_view.h"
#include "storage/span_store.h"

namespace roost::api {
namespace {

constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

using Params = std::vector<std::pair<std::string, std::string>>;

const std::string* Find(const Params& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v.empty() ? nullptr : &v;
  }
  return nullptr;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Status BadParam(std::string_view name, std::string_view why) {
  return Status::InvalidArgument("bad parameter " + std::string(name) + ": " + std::string(why));
}

Result<SpanKind> ParseKind(const std::string& text) {
  SpanKind kind = ParseSpanKind(text);
  if (kind == SpanKind::kUnknown && Upper(text) != SpanKindName(SpanKind::kUnknown)) {
    return BadParam("kind", "unknown span kind '" + text + "' (LLM, CHAIN, TOOL, AGENT, ...)");
  }
  return kind;
}

Result<StatusCode> ParseStatus(const std::string& text) {
  std::string upper = Upper(text);
  for (StatusCode code : {StatusCode::kOk, StatusCode::kError, StatusCode::kUnset}) {
    if (upper == StatusCodeName(code)) return code;
  }
  return BadParam("status", "'" + text + "' is not one of OK, ERROR, UNSET");
}

Result<query::GroupBy> ParseGroupBy(const std::string& text) {
  if (text == "none") return query::GroupBy::kNone;
  if (text == "model") return query::GroupBy::kModel;
  if (text == "name") return query::GroupBy::kName;
  if (text == "kind") return query::GroupBy::kKind;
  if (text == "session") return query::GroupBy::kSession;
  if (text == "project") return query::GroupBy::kProject;
  if (text.starts_with("attr:")) {
    if (text.size() == 5) return BadParam("group_by", "'attr:' needs an attribute key");
    return query::GroupBy::kAttribute;
  }
  return BadParam("group_by", "'" + text +
                                  "' is not one of none, model, name, kind, session, project, "
                                  "attr:KEY");
}

// Fills quantiles and quantile_keys from "0.5,0.9,0.99".
Status ParseQuantiles(const std::string& text, QueryParams* out) {
  out->quantiles.clear();
  out->quantile_keys.clear();
  size_t begin = 0;
  for (;;) {
    size_t end = text.find(',', begin);
    std::string item = text.substr(begin, end == std::string::npos ? end : end - begin);
    char* stop = nullptr;
    double v = item.empty() ? NAN : std::strtod(item.c_str(), &stop);
    if (item.empty() || stop != item.c_str() + item.size() || std::isnan(v) || v < 0 || v > 1) {
      return BadParam("q", "'" + item + "' is not a number in [0, 1]");
    }
    if (out->quantiles.size() == kMaxQuantiles) {
      return BadParam("q", "more than " + std::to_string(kMaxQuantiles) + " quantiles");
    }
    out->quantiles.push_back(v);
    out->quantile_keys.push_back(item);
    if (end == std::string::npos) return Status::OK();
    begin = end + 1;
  }
}

Status CheckProject(const std::string& project, const SpanStore& store) {
  Result<uint32_t> id = store.DictionaryId(DictKind::kProject, project);
  if (id.ok()) return Status::OK();
  if (id.status().code() == Status::Code::kNotFound) {
    return BadParam("project", "unknown project '" + project + "'");
  }
  return id.status();
}

// Applies one time parameter, naming it in errors.
Status ParseTimeParam(const Params& params, std::string_view name, int64_t* out) {
  const std::string* text = Find(params, name);
  if (text == nullptr) return Status::OK();
  Result<int64_t> t = ParseQueryTime(*text);
  if (!t.ok()) return BadParam(name, t.status().message());
  *out = *t;
  return Status::OK();
}

}  // namespace

Result<int64_t> ParseQueryTime(const std::string& text) {
  int64_t ms = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec == std::errc() && ptr == text.data() + text.size()) {
    if (ms > std::numeric_limits<int64_t>::max() / kNanosPerMilli ||
        ms < std::numeric_limits<int64_t>::min() / kNanosPerMilli) {
      return Status::InvalidArgument("epoch milliseconds out of range: '" + text + "'");
    }
    return ms * kNanosPerMilli;
  }
  Result<int64_t> t = ParseRfc3339(text);
  if (!t.ok()) {
    return Status::InvalidArgument("'" + text +
                                   "' is neither RFC 3339 nor integer epoch milliseconds");
  }
  return t;
}

Result<int64_t> ParseStep(const std::string& text) {
  int64_t n = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || n <= 0 || ptr + 1 != end) {
    return Status::InvalidArgument("'" + text + "' is not a step like 1m, 5m, 1h, 1d or 30s");
  }
  int64_t unit = 0;
  switch (*ptr) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return Status::InvalidArgument("'" + text + "' is not a step like 1m, 5m, 1h, 1d or 30s");
  }
  if (n > kMaxStepSeconds / unit) return Status::InvalidArgument("step '" + text + "' too long");
  return n * unit * kNanosPerSecond;
}

Result<QueryParams> ParseQueryParams(const Params& params, const SpanStore& store) {
  QueryParams out;
  if (const std::string* approx = Find(params, "approx")) {
    if (*approx != "true" && *approx != "false") {
      return BadParam("approx", "'" + *approx + "' is not true or false");
    }
    out.approx = *approx == "true";
  }
  const std::string* project = Find(params, "project");
  if (project != nullptr) out.filter.project = *project;
  if (Status s = ParseTimeParam(params, "from", &out.filter.from); !s.ok()) return s;
  if (Status s = ParseTimeParam(params, "to", &out.filter.to); !s.ok()) return s;
  if (const std::string* kind = Find(params, "kind")) {
    Result<SpanKind> k = ParseKind(*kind);
    if (!k.ok()) return k.status();
    out.filter.kind = *k;
  }
  if (const std::string* name = Find(params, "name")) out.filter.name = *name;
  if (const std::string* model = Find(params, "model")) out.filter.model = *model;
  if (const std::string* status = Find(params, "status")) {
    Result<StatusCode> c = ParseStatus(*status);
    if (!c.ok()) return c.status();
    out.filter.status = *c;
  }
  if (const std::string* group_by = Find(params, "group_by")) {
    Result<query::GroupBy> g = ParseGroupBy(*group_by);
    if (!g.ok()) return g.status();
    out.group_by = *g;
    if (*g == query::GroupBy::kAttribute) out.group_attribute = group_by->substr(5);
    if (*g == query::GroupBy::kProject && project == nullptr) out.filter.all_projects = true;
  }
  for (const auto& [name, value] : params) {
    if (!name.starts_with("attr:")) continue;
    if (name.size() == 5) return BadParam(name, "needs an attribute key: attr:KEY=VALUE");
    if (value.empty()) continue;
    if (out.filter.attributes.size() == kMaxAttributeFilters) {
      return BadParam(name,
                      "more than " + std::to_string(kMaxAttributeFilters) + " attribute filters");
    }
    out.filter.attributes.emplace_back(name.substr(5), value);
  }
  if (const std::string* q = Find(params, "q")) {
    if (Status s = ParseQuantiles(*q, &out); !s.ok()) return s;
  }
  if (const std::string* step = Find(params, "step")) {
    Result<int64_t> n = ParseStep(*step);
    if (!n.ok()) return BadParam("step", n.status().message());
    out.step_nanos = *n;
  }
  if (!out.filter.all_projects) {
    if (Status s = CheckProject(out.filter.project, store); !s.ok()) return s;
  }
  return out;
}

}  // namespace roost::api
