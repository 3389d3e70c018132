#pragma once

#include <string>
#include <vector>

#include "storage/span.h"

namespace roost::api {

// The one JSON shape of a span in roost's own API (/api/v1/spans, traces, sessions, `roost query`):
// {"trace_id","span_id","parent_span_id","name","kind","status","status_message","start_time",
//  "end_time","duration_ms","project","session_id","model","prompt_tokens","completion_tokens",
//  "total_tokens","cost_usd","attributes":{dotted key: value},"events":[{"name","time",
//  "attributes"}]}
// Ids are lowercase hex; kind is the OpenInference name ("LLM", ..., "UNKNOWN"); status is
// "OK" | "ERROR" | "UNSET"; times are RFC 3339 UTC with nanoseconds when not whole seconds.
// parent_span_id, status_message, session_id, model and cost_usd are null when absent (empty).
// Strings that are not valid UTF-8 are written with U+FFFD in place of bad bytes.
std::string SpanJson(const Span& span);

// A JSON array of SpanJson objects.
std::string SpansJson(const std::vector<Span>& spans);

// The "attributes" object of SpanJson alone: {"key": value}; arrays as JSON arrays, an attribute
// without a value as null, non-finite doubles as null.
std::string AttributesJson(const Attributes& attributes);

// The "events" array of SpanJson alone.
std::string EventsJson(const std::vector<SpanEvent>& events);

}  // namespace roost::api
