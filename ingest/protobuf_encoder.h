#pragma once

#include <span>
#include <string>

#include "storage/span.h"

namespace roost::ingest {

// Encodes `spans` as one OTLP ExportTraceServiceRequest in protobuf, ready to POST to
// /v1/traces (Content-Type: application/x-protobuf).
//
// Spans are grouped into ResourceSpans by (resource attributes, project) and within those into
// ScopeSpans by scope, each in order of first appearance; spans keep their relative order. The
// project travels in the resource attribute `openinference.project.name`: added when absent,
// replaced when it names a different project than Span::project. Every Span field roost keeps is
// written (ids, times, name, OTLP kind, status, trace state, attributes, events, links, resource,
// scope); the derived fields (kind, model, tokens, ...) are not written separately: they come
// back from the attributes. Hence DecodeProtobuf(EncodeProtobuf(spans)) gives back equal spans
// when each span's derived fields agree with its attributes and its resource attributes already
// name its project. A string attribute that came from an OTLP bytes value goes out as a string.
// Thread-safe; never fails.
std::string EncodeProtobuf(std::span<const Span> spans);

// The same, written into `*out` (replacing its contents): a caller encoding batch after batch
// reuses the buffer's memory.
void EncodeProtobuf(std::span<const Span> spans, std::string* out);

}  // namespace roost::ingest
