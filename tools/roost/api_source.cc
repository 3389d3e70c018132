#include "tools/roost/api_source.h"

#include <cctype>
#include <memory>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "api/app_handler.h"
#include "api/http_types.h"
#include "storage/span_store.h"
#include "tools/roost/otlp_http_client.h"
#include "tools/roost/store_flags.h"

namespace roost::cli {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

// Read API answers can be large (a session of many spans): bound them generously.
constexpr size_t kMaxAnswerBytes = size_t{1} << 30;

// The "error" of an error body, or the body itself.
std::string ErrorText(int status, const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    return j["error"].get<std::string>() + " (HTTP " + std::to_string(status) + ")";
  }
  return "HTTP " + std::to_string(status) + ": " + body.substr(0, 200);
}

std::string FetchLocal(const std::string& dir, const std::string& path, const Params& params) {
  // stdout carries the answer: the store's log lines go to stderr.
  if (spdlog::get("roost-query") == nullptr) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("roost-query"));
  }
  StoreOptions options;
  options.path = dir;
  options.read_only = true;
  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
  if (!store.ok()) Fail("cannot open " + dir + " read-only: " + store.status().ToString());
  api::Handler handler = api::MakeAppHandler(**store, api::AppOptions{});
  api::Request request;
  request.method = "GET";
  request.path = path;
  for (const auto& [k, v] : params) {
    if (!v.empty()) request.query.emplace_back(k, v);
  }
  request.target = path + "?" + EncodeQuery(params);
  api::Response response = handler(request);
  if (response.status != 200) Fail(ErrorText(response.status, response.body));
  return std::move(response.body);
}

// Percent-encodes what may not stand in a path (ids in the path can hold any character).
std::string EncodePath(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string FetchRemote(const ApiSource& source, const std::string& path, const Params& params) {
  Result<HttpUrl> url = ParseHttpUrl(source.server);
  if (!url.ok()) Fail("--server: " + url.status().message());
  std::string base = url->path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string query = EncodeQuery(params);
  const std::string target = base + EncodePath(path) + (query.empty() ? "" : "?" + query);
  HttpClientOptions options;
  options.max_response_bytes = kMaxAnswerBytes;
  OtlpHttpClient client(*url, options);
  HttpHeaders headers = {{"Accept", "application/json"}};
  if (!source.api_key.empty()) headers.emplace_back("Authorization", "Bearer " + source.api_key);
  Result<HttpReply> reply = client.Send("GET", target, "", headers);
  if (!reply.ok()) Fail(source.server + ": " + reply.status().message());
  if (reply->status != 200) Fail(source.server + ": " + ErrorText(reply->status, reply->body));
  return std::move(reply->body);
}

}  // namespace

void AddApiSourceFlags(CLI::App* cmd, ApiSource* source) {
  cmd->add_option("--data", source->data, "Data dir (opened read-only)")->envname("ROOST_DATA");
  cmd->add_option("--server", source->server,
                  "Ask a running roost serve instead (http://HOST:PORT)");
  cmd->add_option("--api-key", source->api_key, "API key sent to --server as a Bearer token")
      ->envname("ROOST_API_KEY");
}

std::string FetchApiJson(const ApiSource& source, const std::string& path, const Params& params) {
  if (!source.server.empty()) return FetchRemote(source, path, params);
  return FetchLocal(source.data, path, params);
}

std::string EncodeQuery(const Params& params) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  auto encode = [&](const std::string& s) {
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    }
  };
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    if (!out.empty()) out.push_back('&');
    encode(k);
    out.push_back('=');
    encode(v);
  }
  return out;
}

}  // namespace roost::cli
