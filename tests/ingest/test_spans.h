#pragma once

#include <string>
#include <vector>

#include "storage/span.h"

namespace roost::testing {

// An OpenInference LLM span `i` of a small trace: ids derived from `i`, realistic attributes,
// one event, resource attributes naming project `project`, and derived fields consistent with
// its attributes (ApplySemanticConventions applied), so it survives Encode -> Decode unchanged.
Span MakeLlmSpan(int i, const std::string& project = "proj");

// A span exercising every field and every AttributeValue alternative (except NaN), with events,
// links, a parent, trace state, status, scope attributes. Consistent as MakeLlmSpan.
Span MakeFullSpan();

// `n` hex digits of `c`.
std::string Hex(char c, size_t n);

}  // namespace roost::testing
