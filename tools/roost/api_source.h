#pragma once

#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

namespace roost::cli {

// Where `roost query` gets its answers: a data dir opened read-only (the default), or a running
// `roost serve` over HTTP. Either way the answer is the read API's JSON for the same route and
// parameters, computed by the same api/ handler, so both print the same.
struct ApiSource {
  std::string data = "./roost-data";
  std::string server;   // http://HOST:PORT; empty: use `data`
  std::string api_key;  // sent as Authorization: Bearer with `server`
};

// Adds --data (ROOST_DATA), --server and --api-key (ROOST_API_KEY) to `cmd`, bound to `source`.
void AddApiSourceFlags(CLI::App* cmd, ApiSource* source);

// The body of GET `path` with `params` (empty values are left out) from `source`. Exits the
// command (Fail) with the server's error message on a non-200 answer (e.g. a 400 naming a bad
// parameter), or with the reason when the data dir cannot be opened or the server not reached.
std::string FetchApiJson(const ApiSource& source, const std::string& path,
                         const std::vector<std::pair<std::string, std::string>>& params);

// "a=1&b=x%20y": parameters percent-encoded for a URL (empty values left out).
std::string EncodeQuery(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace roost::cli
