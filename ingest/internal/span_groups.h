#pragma once

#include <span>
#include <vector>

#include "storage/span.h"

namespace roost::ingest::internal {

// The spans of one InstrumentationScope within a ResourceGroup.
struct ScopeGroup {
  const InstrumentationScope* scope;  // points into the first span of the group
  std::vector<const Span*> spans;
};

// The spans sharing resource attributes and project, as one OTLP ResourceSpans.
struct ResourceGroup {
  // The spans' resource attributes with `openinference.project.name` set to their project:
  // appended when absent, replaced when it names another project.
  Attributes resource;
  std::vector<ScopeGroup> scopes;
};

// Groups `spans` by (resource attributes, project), then by scope, each level in order of first
// appearance; spans keep their relative order. Pointers refer into `spans`, which must outlive
// the result. Expected O(n) (hashing), whatever the number of groups.
std::vector<ResourceGroup> GroupSpans(std::span<const Span> spans);

}  // namespace roost::ingest::internal
