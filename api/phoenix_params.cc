#include "api/phoenix_params.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <utility>

#include "api/phoenix_json.h"
#include "storage/column_view.h"
#include "storage/span_store.h"

namespace roost::api::phoenix {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

Result<std::vector<std::string>> Values(const Request& request, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : request.query) {
    if (k != name) continue;
    if (out.size() == kMaxParamValues) {
      return Status::InvalidArgument(std::string(name) + ": more than " +
                                     std::to_string(kMaxParamValues) + " values");
    }
    out.push_back(v);
  }
  return out;
}

std::optional<std::string> Value(const Request& request, std::string_view name) {
  std::optional<std::string> out;
  for (const auto& [k, v] : request.query) {
    if (k == name) out = v;
  }
  return out;
}

std::optional<uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

Result<size_t> Limit(const Request& request, size_t default_limit, size_t max) {
  std::optional<std::string> text = Value(request, "limit");
  if (!text) return default_limit;
  std::optional<uint64_t> v = ParseDecimal(*text);
  if (!v || *v < 1 || *v > max) {
    return Status::InvalidArgument("limit: must be an integer in 1.." + std::to_string(max) +
                                   ", got '" + *text + "'");
  }
  return static_cast<size_t>(*v);
}

Result<std::optional<int64_t>> Time(const Request& request, std::string_view name) {
  std::optional<std::string> text = Value(request, name);
  if (!text || text->empty()) return std::optional<int64_t>();
  Result<int64_t> t = ParseTime(*text, name);
  if (!t.ok()) return t.status();
  return std::optional<int64_t>(*t);
}

Result<std::string> Choice(const Request& request, std::string_view name,
                           const std::vector<std::string_view>& allowed,
                           std::string_view fallback) {
  std::optional<std::string> text = Value(request, name);
  if (!text) return std::string(fallback);
  std::string list;
  for (std::string_view a : allowed) {
    if (*text == a) return *text;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return Status::InvalidArgument(std::string(name) + ": must be one of " + list + ", got '" +
                                 *text + "'");
}

Result<bool> Bool(const Request& request, std::string_view name, bool fallback) {
  std::optional<std::string> text = Value(request, name);
  if (!text) return fallback;
  const std::string v = Lower(*text);
  if (v == "true" || v == "1" || v == "yes" || v == "on" || v == "t" || v == "y") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off" || v == "f" || v == "n") return false;
  return Status::InvalidArgument(std::string(name) + ": must be true or false, got '" + *text +
                                 "'");
}

Result<std::vector<Project>> AllProjects(const SpanStore& store) {
  std::vector<Project> out;
  // Dictionary ids are dense from 1 and never reused: the first unknown id ends the list.
  for (uint32_t id = 1; id < std::numeric_limits<uint32_t>::max(); ++id) {
    Result<std::string> name = store.DictionaryString(DictKind::kProject, id);
    if (!name.ok()) {
      if (name.status().IsNotFound()) break;
      return name.status();
    }
    out.push_back({std::move(*name), id});
  }
  return out;
}

Result<Project> ResolveProject(const SpanStore& store, std::string_view identifier) {
  if (auto gid = ParseGlobalId(identifier)) {
    if (gid->first != kProjectType) {
      return Status::InvalidArgument("project_identifier: a global id of a " + gid->first +
                                     ", not of a Project: '" + std::string(identifier) + "'");
    }
    std::optional<uint64_t> id = ParseDecimal(gid->second);
    if (!id || *id == 0 || *id > std::numeric_limits<uint32_t>::max()) {
      return Status::InvalidArgument("project_identifier: not a project id: '" +
                                     std::string(identifier) + "'");
    }
    Result<std::string> name =
        store.DictionaryString(DictKind::kProject, static_cast<uint32_t>(*id));
    if (!name.ok()) {
      if (name.status().IsNotFound()) {
        return Status::NotFound("project with ID " + std::string(identifier) + " not found");
      }
      return name.status();
    }
    return Project{std::move(*name), static_cast<uint32_t>(*id)};
  }
  Result<uint32_t> id = store.DictionaryId(DictKind::kProject, identifier);
  if (!id.ok()) {
    if (id.status().IsNotFound()) {
      return Status::NotFound("project with name '" + std::string(identifier) + "' not found");
    }
    return id.status();
  }
  return Project{std::string(identifier), *id};
}

Response PageResponse(nlohmann::ordered_json data, const std::optional<std::string>& next_cursor) {
  nlohmann::ordered_json body;
  body["data"] = std::move(data);
  body["next_cursor"] = next_cursor ? nlohmann::ordered_json(*next_cursor) : nullptr;
  Response r;
  r.body = Dump(body);
  return r;
}

Response ObjectResponse(nlohmann::ordered_json data) {
  nlohmann::ordered_json body;
  body["data"] = std::move(data);
  Response r;
  r.body = Dump(body);
  return r;
}

Response StatusResponse(const Status& status) {
  if (status.IsInvalidArgument()) return ErrorResponse(400, status.message());
  if (status.IsNotFound()) return ErrorResponse(404, status.message());
  return ErrorResponse(500, status.ToString());
}

}  // namespace roost::api::phoenix
