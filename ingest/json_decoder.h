#pragma once

#include <string_view>

#include "ingest/decoded_batch.h"
#include "storage/result.h"

namespace roost::ingest {

// Decodes an OTLP/HTTP JSON body (the protobuf JSON mapping of ExportTraceServiceRequest, as
// OTLP/JSON specifies it), with the same mapping, validation and rejection as DecodeProtobuf.
//   - Keys in lowerCamelCase ("resourceSpans") or the proto field names ("resource_spans").
//     Unknown keys are ignored with their values, as OTLP/JSON requires; null means "unset".
//   - traceId, spanId, parentSpanId: hex strings (not base64). Bad hex or a wrong length rejects
//     the span, as does a link with such an id.
//   - 64-bit integers (times, intValue): a JSON number or a decimal string. Enums (kind, code):
//     a number or the enum value name ("SPAN_KIND_SERVER", "STATUS_CODE_ERROR").
//   - doubleValue: a number or a string (a number, "NaN", "Infinity", "-Infinity").
//   - bytesValue: base64 (standard or URL-safe, padding optional).
// A value of the right JSON type but unusable content (an intValue of "abc", bad base64, an
// integer out of range) rejects the span it belongs to; in resource or scope attributes, every
// span of that resource or scope.
// Returns kInvalidArgument, naming the problem, when the body as a whole is unusable: empty, not
// JSON (syntax, invalid UTF-8, trailing bytes), not an object at the top, a field of the wrong
// JSON type anywhere (e.g. resourceSpans a number, spans not an array, startTimeUnixNano an
// object), nesting deeper than max_nesting_depth, or more than max_spans spans.
// Thread-safe. Streams the body through a strict JSON reader (RFC 8259, as strict as
// nlohmann::json::accept); no DOM is built.
[[nodiscard]] Result<DecodedBatch> DecodeJson(std::string_view body, const DecodeOptions& options);

}  // namespace roost::ingest
