#include "api/read_handlers.h"

#include <charconv>
#include <string_view>

#include "api/query_params.h"
#include "api/read_json.h"
#include "query/session_query.h"
#include "storage/span_store.h"

namespace roost::api {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

// kInvalidArgument is the client's fault; anything else is the store's.
Response StatusResponse(const Status& status) {
  return ErrorResponse(status.IsInvalidArgument() ? 400 : 500, status.message());
}

Status BadParam(std::string_view name, std::string_view why) {
  return Status::InvalidArgument("bad parameter " + std::string(name) + ": " + std::string(why));
}

// The filter parameters of ParseQueryParams (project, from, to, kind, name, model, status) out
// of `params`, so that the latency-only ones (q, step, group_by, approx) are ignored here.
Result<query::QueryFilter> ParseFilter(const Params& params, const SpanStore& store) {
  Params filter_params;
  for (const auto& [k, v] : params) {
    if (k == "project" || k == "from" || k == "to" || k == "kind" || k == "name" || k == "model" ||
        k == "status") {
      filter_params.emplace_back(k, v);
    }
  }
  Result<QueryParams> parsed = ParseQueryParams(filter_params, store);
  if (!parsed.ok()) return parsed.status();
  return parsed->filter;
}

Status ParseIds(const Params& params, query::SpanListRequest* out) {
  for (const auto& [k, v] : params) {
    if (k == "trace_id") {
      Result<TraceId> id = TraceId::FromHex(v);
      if (!id.ok()) return BadParam("trace_id", "'" + v + "' is not 32 hex digits");
      out->trace_ids.push_back(*id);
    } else if (k == "span_id") {
      Result<SpanId> id = SpanId::FromHex(v);
      if (!id.ok()) return BadParam("span_id", "'" + v + "' is not 16 hex digits");
      out->span_ids.push_back(*id);
    } else if (k == "attribute") {
      const size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0) {
        return BadParam("attribute", "'" + v + "' is not KEY=VALUE");
      }
      out->attributes.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    }
  }
  return Status::OK();
}

Status ParseParent(const Params& params, query::SpanListRequest* out) {
  const std::string* parent = nullptr;
  for (const auto& [k, v] : params) {
    if (k == "parent" && !v.empty()) {
      parent = &v;
      break;
    }
  }
  if (parent == nullptr || *parent == "any") return Status::OK();
  if (*parent == "root" || *parent == "null") {
    out->parent = query::ParentFilter::kRootsOnly;
    return Status::OK();
  }
  Result<SpanId> id = SpanId::FromHex(*parent);
  if (!id.ok()) return BadParam("parent", "'" + *parent + "' is not root, any or a span id");
  out->parent = query::ParentFilter::kChildOf;
  out->parent_span_id = *id;
  return Status::OK();
}

const std::string* First(const Params& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name && !v.empty()) return &v;
  }
  return nullptr;
}

}  // namespace

Result<size_t> ParseLimitParam(const Params& params, size_t default_limit, size_t max_limit) {
  const std::string* text = First(params, "limit");
  if (text == nullptr) return default_limit;
  size_t n = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || ptr != text->data() + text->size() || n < 1 || n > max_limit) {
    return BadParam("limit",
                    "'" + *text + "' is not an integer in 1.." + std::to_string(max_limit));
  }
  return n;
}

Result<query::SpanListRequest> ParseSpanListParams(const Params& params, const SpanStore& store) {
  query::SpanListRequest out;
  Result<query::QueryFilter> filter = ParseFilter(params, store);
  if (!filter.ok()) return filter.status();
  out.filter = std::move(*filter);
  Result<size_t> limit =
      ParseLimitParam(params, query::kDefaultSpanListLimit, query::kMaxSpanListLimit);
  if (!limit.ok()) return limit.status();
  out.limit = *limit;
  if (const std::string* cursor = First(params, "cursor")) out.cursor = *cursor;
  if (Status s = ParseIds(params, &out); !s.ok()) return s;
  if (Status s = ParseParent(params, &out); !s.ok()) return s;
  return out;
}

Response HandleProjects(const Request& /*request*/, const SpanStore& store) {
  Result<std::vector<ProjectSummary>> projects = store.ListProjects();
  if (!projects.ok()) return StatusResponse(projects.status());
  Response r;
  r.body = ProjectsJson(*projects);
  return r;
}

Response HandleSessions(const Request& request, const SpanStore& store,
                        const query::PricingTable* pricing) {
  query::SessionListRequest q;
  q.pricing = pricing;
  Result<query::QueryFilter> filter = ParseFilter(request.query, store);
  if (!filter.ok()) return StatusResponse(filter.status());
  q.filter = std::move(*filter);
  Result<size_t> limit =
      ParseLimitParam(request.query, query::kDefaultSessionListLimit, query::kMaxSessionListLimit);
  if (!limit.ok()) return StatusResponse(limit.status());
  q.limit = *limit;
  Result<std::vector<query::SessionStats>> sessions = query::ListSessionStats(store, q);
  if (!sessions.ok()) return StatusResponse(sessions.status());
  Response r;
  r.body = SessionsJson(*sessions);
  return r;
}

Response HandleSession(const Request& request, const SpanStore& store,
                       const std::string& session_id) {
  if (session_id.empty()) return ErrorResponse(400, "bad parameter session_id: empty");
  Result<query::QueryFilter> filter = ParseFilter(request.query, store);
  if (!filter.ok()) return StatusResponse(filter.status());
  Result<std::vector<Span>> spans = store.GetSession(filter->project, session_id);
  if (!spans.ok()) return StatusResponse(spans.status());
  if (spans->empty()) {
    return ErrorResponse(
        404, "unknown session '" + session_id + "' in project '" + filter->project + "'");
  }
  Response r;
  r.body = SessionJson(session_id, filter->project, *spans);
  return r;
}

Response HandleTrace(const Request& /*request*/, const SpanStore& store,
                     const std::string& trace_id) {
  Result<TraceId> id = TraceId::FromHex(trace_id);
  if (!id.ok()) {
    return ErrorResponse(400, "bad parameter trace_id: '" + trace_id + "' is not 32 hex digits");
  }
  Result<std::vector<Span>> spans = store.GetTrace(*id);
  if (!spans.ok()) {
    if (spans.status().code() == Status::Code::kNotFound) {
      return ErrorResponse(404, "unknown trace " + id->ToHex());
    }
    return StatusResponse(spans.status());
  }
  Response r;
  r.body = TraceJson(*id, *spans);
  return r;
}

std::optional<Response> RouteRead(const Request& request, const SpanStore& store,
                                  const query::PricingTable* pricing) {
  constexpr std::string_view kSessions = "/api/v1/sessions";
  constexpr std::string_view kTraces = "/api/v1/traces/";
  const std::string& path = request.path;
  const bool mine = path == "/api/v1/projects" || path == "/api/v1/spans" ||
                    path.starts_with(kSessions) || path.starts_with(kTraces);
  if (!mine) return std::nullopt;
  if (path.starts_with(kSessions) && path.size() > kSessions.size() &&
      path[kSessions.size()] != '/') {
    return std::nullopt;  // "/api/v1/sessionsX"
  }
  if (request.method != "GET") {
    Response r = ErrorResponse(405, "method not allowed; use GET");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  if (path == "/api/v1/projects") return HandleProjects(request, store);
  if (path == "/api/v1/spans") return HandleSpans(request, store);
  if (path.starts_with(kTraces)) return HandleTrace(request, store, path.substr(kTraces.size()));
  if (path == kSessions || path.size() == kSessions.size() + 1) {
    return HandleSessions(request, store, pricing);
  }
  return HandleSession(request, store, path.substr(kSessions.size() + 1));
}

Response HandleSpans(const Request& request, const SpanStore& store) {
  Result<query::SpanListRequest> q = ParseSpanListParams(request.query, store);
  if (!q.ok()) return StatusResponse(q.status());
  Result<query::SpanListPage> page = query::ListSpans(store, *q);
  if (!page.ok()) return StatusResponse(page.status());
  Response r;
  r.body = SpanPageJson(*page);
  return r;
}

}  // namespace roost::api
