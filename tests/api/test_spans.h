#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/span.h"

namespace roost::api::testing {

// The trace id of trace number `trace`: never zero, distinct for distinct numbers.
TraceId TestTraceId(uint32_t trace);

// Span `i` of trace `trace` (ids derived from both; span 0 is the root, the others its children
// with a link to it): attributes of every type (string, bool, int, double, arrays of each),
// OpenInference LLM attributes, an event, resource attributes naming `project`, a scope with an
// attribute. Derived fields (project, kind, model, tokens, session, ...) are set from the
// attributes, so the span survives encode -> HTTP -> decode -> store unchanged.
Span MakeSpan(uint32_t trace, uint32_t i, const std::string& project);

// Spans 0..n-1 of trace `trace`.
std::vector<Span> MakeTrace(uint32_t trace, size_t n, const std::string& project);

// Compares every field of `got` with `want` (EXPECT_*), naming the span and the field.
void ExpectSameSpan(const Span& got, const Span& want);

// The attributes as readable text (`key=type:value; ...`), for comparisons with useful diffs.
std::string AttributesText(const Attributes& attributes);

}  // namespace roost::api::testing
