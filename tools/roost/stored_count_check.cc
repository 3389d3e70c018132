#include "tools/roost/stored_count_check.h"

#include <string_view>

#include <nlohmann/json.hpp>

namespace roost::cli {

ProjectCount ReadProjectCount(const HttpUrl& target, const std::string& api_key,
                              const std::string& project, const HttpClientOptions& http) {
  ProjectCount out;
  std::string path = OtlpTracesPath(target);
  path.resize(path.size() - std::string_view("/v1/traces").size());
  path += "/api/v1/projects";
  OtlpHttpClient client(target, http);
  HttpHeaders headers = {{"Accept", "application/json"}};
  if (!api_key.empty()) headers.emplace_back("Authorization", "Bearer " + api_key);
  Result<HttpReply> reply = client.Send("GET", path, "", headers);
  if (!reply.ok()) {
    out.reason = reply.status().message();
    return out;
  }
  if (reply->status != 200) {
    out.reason = "GET " + path + " answered " + std::to_string(reply->status);
    return out;
  }
  const nlohmann::json j = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("projects") || !j["projects"].is_array()) {
    out.reason = "GET " + path + " answered something other than roost's project list";
    return out;
  }
  for (const nlohmann::json& p : j["projects"]) {
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string() ||
        !p.contains("span_count") || !p["span_count"].is_number_unsigned()) {
      out.reason = "GET " + path + " answered a project list in another shape than roost's";
      return out;
    }
    if (p["name"].get<std::string>() == project) out.spans = p["span_count"].get<uint64_t>();
  }
  out.roost = true;
  return out;
}

std::string StoredCountCheck::Describe() const {
  const std::string counts = "project " + project + " went from " + std::to_string(before) +
                             " to " + std::to_string(after) + " spans, " +
                             std::to_string(acknowledged) + " acknowledged";
  if (exact()) {
    return "roost stored exactly the " + std::to_string(acknowledged) + " acknowledged spans (" +
           counts + ")";
  }
  // after - before - acknowledged, without unsigned wrap-around.
  const int64_t surplus = static_cast<int64_t>(after) - static_cast<int64_t>(before) -
                          static_cast<int64_t>(acknowledged);
  if (surplus < 0) {
    return "MISMATCH: roost holds " + std::to_string(-surplus) +
           " fewer spans than it acknowledged (" + counts + "; did retention remove some?)";
  }
  if (explained()) {
    return "roost stored " + std::to_string(surplus) +
           " spans more than it acknowledged: " + std::to_string(failed_requests) +
           " requests failed, and the server may have stored some of them before their answers "
           "were lost (" +
           counts + ")";
  }
  return "MISMATCH: roost stored " + std::to_string(surplus) +
         " more spans than it acknowledged (" + counts +
         "; did another client write to this project? --project isolates a run)";
}

}  // namespace roost::cli
