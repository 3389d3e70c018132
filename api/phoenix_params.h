#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http_types.h"
#include "storage/result.h"

namespace roost {
class SpanStore;
}  // namespace roost

// Parameter parsing and project lookup shared by the Phoenix-compatible routes.
namespace roost::api::phoenix {

// Page sizes. Spans and traces: Phoenix's own bounds (limit 1..1000, default 100). Projects and
// sessions: Phoenix sets no upper bound; roost caps them at kMaxListLimit.
inline constexpr size_t kDefaultLimit = 100;
inline constexpr size_t kMaxPageLimit = 1000;
inline constexpr size_t kMaxListLimit = 10000;
// Bound on the values of one repeatable parameter (trace_id, name, attribute, ...).
inline constexpr size_t kMaxParamValues = 1000;

// A project as the Phoenix routes address it: its name and its dictionary id (the node id of
// its global id).
struct Project {
  std::string name;
  uint32_t id = 0;
};

// Every value of the query parameter `name`, in request order (empty values included).
// kInvalidArgument naming it when there are more than kMaxParamValues.
[[nodiscard]] Result<std::vector<std::string>> Values(const Request& request,
                                                      std::string_view name);

// The last value of `name` (as FastAPI reads a single-valued parameter), or nullopt when absent.
std::optional<std::string> Value(const Request& request, std::string_view name);

// `limit`: a decimal integer in 1..max; `default_limit` when absent. kInvalidArgument naming
// `limit` otherwise.
[[nodiscard]] Result<size_t> Limit(const Request& request, size_t default_limit, size_t max);

// The time parameter `name` (see ParseTime), or nullopt when absent or empty.
[[nodiscard]] Result<std::optional<int64_t>> Time(const Request& request, std::string_view name);

// `name` restricted to `allowed` (exact, lowercase as Phoenix spells them); `fallback` when
// absent. kInvalidArgument naming the parameter and the allowed values otherwise.
[[nodiscard]] Result<std::string> Choice(const Request& request, std::string_view name,
                                         const std::vector<std::string_view>& allowed,
                                         std::string_view fallback);

// A boolean as pydantic reads one (true/false, 1/0, yes/no, on/off, t/f, y/n; any case);
// `fallback` when absent. kInvalidArgument naming the parameter otherwise.
[[nodiscard]] Result<bool> Bool(const Request& request, std::string_view name, bool fallback);

// Every project the store has ever seen, by ascending id.
[[nodiscard]] Result<std::vector<Project>> AllProjects(const SpanStore& store);

// A project by identifier, as Phoenix resolves one: a Project global id, else a name.
// kNotFound (HTTP 404) when no such project exists; kInvalidArgument (400) for a global id of
// another type or with a non-numeric node id.
[[nodiscard]] Result<Project> ResolveProject(const SpanStore& store, std::string_view identifier);

// {"data": data, "next_cursor": cursor-or-null} and {"data": data} as 200 responses.
Response PageResponse(nlohmann::ordered_json data, const std::optional<std::string>& next_cursor);
Response ObjectResponse(nlohmann::ordered_json data);

// The HTTP answer for a failed Status: kInvalidArgument 400, kNotFound 404, others 500.
Response StatusResponse(const Status& status);

// The decimal number `text` as an unsigned 64-bit value; nullopt unless all digits and in range.
std::optional<uint64_t> ParseDecimal(std::string_view text);

}  // namespace roost::api::phoenix
