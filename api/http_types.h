#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roost::api {

// A request as handlers see it: no Beast types, so handlers are plain functions testable
// without a socket.
struct Request {
  std::string method;                                      // "GET", "POST", ...
  std::string target;                                      // path and query, as sent
  std::string path;                                        // percent-decoded path, no query
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::map<std::string, std::string> headers;              // names lowercased
  std::string body;

  // The header's value, or "" when absent. `name` must be lowercase.
  std::string_view Header(std::string_view name) const;
  // The first value of a query parameter, or nullptr.
  const std::string* Query(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// {"error": message} with the given status.
Response ErrorResponse(int status, std::string_view message);

// Splits "a=1&b=x%20y" into decoded pairs ('+' is a space). Malformed escapes are kept as-is.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);
// Percent-decodes a path or query component.
std::string PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace roost::api
