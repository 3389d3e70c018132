#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/span.h"

namespace roost::query {

// Which spans a query covers. Every set field must match; unset fields match everything.
struct QueryFilter {
  std::string project = "default";
  int64_t from = std::numeric_limits<int64_t>::min();  // inclusive, on start time (Unix ns)
  int64_t to = std::numeric_limits<int64_t>::max();    // exclusive
  std::optional<SpanKind> kind;
  std::optional<std::string> name;   // exact span name
  std::optional<std::string> model;  // exact `llm.model_name`
  std::optional<StatusCode> status;
  // `attr:KEY=VALUE` filters: the span's attribute KEY, as text (see AttributeText), equals
  // VALUE. Every pair must match. Reading attributes means reading whole records: slower.
  std::vector<std::pair<std::string, std::string>> attributes;
  // Cover every project, ignoring `project` (group_by=project without a project).
  bool all_projects = false;
};

// What a query groups by. Spans lacking the value (no model, no session) form one group whose
// key is null; kNone gives exactly one group with a null key.
// kAttribute groups by the text of one attribute (the request names it), kProject by project.
enum class GroupBy { kNone, kModel, kName, kKind, kSession, kProject, kAttribute };

}  // namespace roost::query
