#include "api/phoenix_routes.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "api/phoenix_json.h"
#include "api/phoenix_listing.h"
#include "api/phoenix_params.h"
#include "query/trace_summary.h"
#include "storage/column_view.h"
#include "storage/span_store.h"

namespace roost::api {
namespace {

using nlohmann::ordered_json;
using phoenix::Project;
using query::TraceSummary;

// The path segments of the request target, each percent-decoded on its own (so "%2F" inside a
// project name stays part of the name). Empty segments are dropped.
std::vector<std::string> Segments(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= target.size()) {
    size_t slash = target.find('/', pos);
    if (slash == std::string_view::npos) slash = target.size();
    if (slash > pos) out.push_back(PercentDecode(target.substr(pos, slash - pos), false));
    pos = slash + 1;
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// GET /v1/projects: newest project first (descending id); the cursor is the global id of the
// first project of the next page, as in Phoenix.
Response ListProjects(const Request& request, const SpanStore& store) {
  Result<size_t> limit = phoenix::Limit(request, phoenix::kDefaultLimit, phoenix::kMaxListLimit);
  if (!limit.ok()) return phoenix::StatusResponse(limit.status());
  std::optional<uint64_t> cursor;
  if (std::optional<std::string> text = phoenix::Value(request, "cursor"); text && !text->empty()) {
    auto gid = phoenix::ParseGlobalId(*text);
    if (gid && gid->first == phoenix::kProjectType) cursor = phoenix::ParseDecimal(gid->second);
    if (!cursor) return ErrorResponse(400, "cursor: not a project cursor: '" + *text + "'");
  }
  const std::string contains = Lower(phoenix::Value(request, "name_contains").value_or(""));
  Result<std::vector<Project>> projects = phoenix::AllProjects(store);
  if (!projects.ok()) return phoenix::StatusResponse(projects.status());
  ordered_json data = ordered_json::array();
  std::optional<std::string> next;
  for (auto it = projects->rbegin(); it != projects->rend(); ++it) {
    if (cursor && it->id > *cursor) continue;
    if (!contains.empty() && Lower(it->name).find(contains) == std::string::npos) continue;
    if (data.size() == *limit) {
      next = phoenix::ProjectGlobalId(it->id);
      break;
    }
    data.push_back(phoenix::ProjectJson(it->name, it->id));
  }
  return phoenix::PageResponse(std::move(data), next);
}

// The traces of a project grouped by session dictionary id (traces in start order).
std::map<uint32_t, std::vector<TraceSummary>> BySession(const std::vector<TraceSummary>& traces) {
  std::map<uint32_t, std::vector<TraceSummary>> out;
  for (const TraceSummary& t : traces) {
    if (t.session != 0) out[t.session].push_back(t);
  }
  for (auto& [session, list] : out) {
    std::sort(list.begin(), list.end(), [](const TraceSummary& a, const TraceSummary& b) {
      return std::tie(a.start_unix_nano, a.trace_id) < std::tie(b.start_unix_nano, b.trace_id);
    });
  }
  return out;
}

// GET /v1/projects/{id}/sessions: sessions by id (first appearance in the store), ascending by
// default; the cursor is the global id of the first session of the next page, as in Phoenix.
Response ListSessions(const Request& request, const SpanStore& store, const Project& project) {
  Result<size_t> limit = phoenix::Limit(request, phoenix::kDefaultLimit, phoenix::kMaxListLimit);
  if (!limit.ok()) return phoenix::StatusResponse(limit.status());
  Result<std::string> order = phoenix::Choice(request, "order", {"asc", "desc"}, "asc");
  if (!order.ok()) return phoenix::StatusResponse(order.status());
  const bool desc = *order == "desc";
  std::optional<uint32_t> cursor;
  if (std::optional<std::string> text = phoenix::Value(request, "cursor"); text && !text->empty()) {
    auto gid = phoenix::ParseGlobalId(*text);
    std::optional<uint64_t> id;
    if (gid && gid->first == phoenix::kSessionType) id = phoenix::ParseDecimal(gid->second);
    if (!id) return ErrorResponse(400, "cursor: not a session cursor: '" + *text + "'");
    cursor = static_cast<uint32_t>(*id & 0xffffffffu);
  }
  Result<std::vector<TraceSummary>> traces = query::SummarizeTraces(store, project.name);
  if (!traces.ok()) return phoenix::StatusResponse(traces.status());
  std::map<uint32_t, std::vector<TraceSummary>> sessions = BySession(*traces);
  std::vector<uint32_t> ids;
  for (const auto& [id, list] : sessions) {
    if (!cursor || (desc ? id <= *cursor : id >= *cursor)) ids.push_back(id);
  }
  if (desc) std::reverse(ids.begin(), ids.end());
  ordered_json data = ordered_json::array();
  std::optional<std::string> next;
  for (uint32_t id : ids) {
    if (data.size() == *limit) {
      next = phoenix::SessionGlobalId(project.id, id);
      break;
    }
    Result<std::string> session_id = store.DictionaryString(DictKind::kSession, id);
    if (!session_id.ok()) return phoenix::StatusResponse(session_id.status());
    data.push_back(phoenix::SessionJson(*session_id, project.id, id, sessions[id]));
  }
  return phoenix::PageResponse(std::move(data), next);
}

// The traces of a session (whole traces, read with GetTrace and limited to the project), in
// start order; empty when the session has no span in the project.
Result<std::vector<TraceSummary>> SessionTraces(const SpanStore& store, const Project& project,
                                                const std::string& session_id) {
  Result<std::vector<Span>> spans = store.GetSession(project.name, session_id);
  if (!spans.ok()) return spans.status();
  std::set<TraceId> ids;
  for (const Span& s : *spans) ids.insert(s.trace_id);
  std::vector<TraceSummary> out;
  for (const TraceId& id : ids) {
    Result<std::vector<Span>> trace = store.GetTrace(id);
    if (!trace.ok()) return trace.status();
    std::erase_if(*trace, [&](const Span& s) { return s.project != project.name; });
    if (!trace->empty()) out.push_back(query::SummarizeSpans(*trace));
  }
  std::sort(out.begin(), out.end(), [](const TraceSummary& a, const TraceSummary& b) {
    return std::tie(a.start_unix_nano, a.trace_id) < std::tie(b.start_unix_nano, b.trace_id);
  });
  return out;
}

// GET /v1/sessions/{session_identifier}: a ProjectSession global id, else a session.id value
// (looked up in every project, oldest project first, as Phoenix takes the first match).
Response GetSession(const SpanStore& store, const std::string& identifier) {
  std::vector<Project> candidates;
  std::string session_id = identifier;
  if (auto gid = phoenix::ParseGlobalId(identifier); gid && gid->first == phoenix::kSessionType) {
    std::optional<uint64_t> id = phoenix::ParseDecimal(gid->second);
    if (!id) {
      return ErrorResponse(400, "session_identifier: not a session id: '" + identifier + "'");
    }
    Result<std::string> project = store.DictionaryString(DictKind::kProject, *id >> 32);
    Result<std::string> session =
        store.DictionaryString(DictKind::kSession, static_cast<uint32_t>(*id & 0xffffffffu));
    if (!project.ok() || !session.ok()) {
      return ErrorResponse(404, "session with ID " + identifier + " not found");
    }
    candidates.push_back({*project, static_cast<uint32_t>(*id >> 32)});
    session_id = *session;
  } else {
    Result<std::vector<Project>> all = phoenix::AllProjects(store);
    if (!all.ok()) return phoenix::StatusResponse(all.status());
    candidates = std::move(*all);
  }
  Result<uint32_t> session = store.DictionaryId(DictKind::kSession, session_id);
  if (session.ok() && *session != 0) {
    for (const Project& project : candidates) {
      Result<std::vector<TraceSummary>> traces = SessionTraces(store, project, session_id);
      if (!traces.ok()) return phoenix::StatusResponse(traces.status());
      if (traces->empty()) continue;
      return phoenix::ObjectResponse(
          phoenix::SessionJson(session_id, project.id, *session, *traces));
    }
  }
  return ErrorResponse(404, "session with session_id '" + session_id + "' not found");
}

}  // namespace

bool IsPhoenixReadRoute(std::string_view path) {
  if (path == "/arize_phoenix_version") return true;
  return path == "/v1/projects" || path.starts_with("/v1/projects/") ||
         path.starts_with("/v1/sessions/");
}

Response HandlePhoenixRead(const Request& request, const SpanStore& store) {
  if (request.method != "GET") {
    Response r = ErrorResponse(405, "method not allowed; use GET");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  if (request.path == "/arize_phoenix_version") {
    Response r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::string(phoenix::kServerVersion);
    return r;
  }
  const std::vector<std::string> seg = Segments(request.target);
  // seg[0] == "v1" (IsPhoenixReadRoute).
  if (seg.size() == 2 && seg[1] == "projects") return ListProjects(request, store);
  if (seg.size() == 3 && seg[1] == "sessions") return GetSession(store, seg[2]);
  if (seg.size() < 3 || seg.size() > 4 || seg[1] != "projects") {
    return ErrorResponse(404, "no route for GET " + request.path);
  }
  Result<Project> project = phoenix::ResolveProject(store, seg[2]);
  if (!project.ok()) return phoenix::StatusResponse(project.status());
  if (seg.size() == 3) {
    return phoenix::ObjectResponse(phoenix::ProjectJson(project->name, project->id));
  }
  if (seg[3] == "sessions") return ListSessions(request, store, *project);
  if (seg[3] == "traces") return phoenix::HandleTraces(request, store, project->name, project->id);
  if (seg[3] == "spans") return phoenix::HandleSpans(request, store, project->name, project->id);
  return ErrorResponse(404, "no route for GET " + request.path);
}

}  // namespace roost::api
