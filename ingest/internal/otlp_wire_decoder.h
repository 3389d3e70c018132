#pragma once

#include <optional>
#include <string_view>

#include "ingest/decoded_batch.h"
#include "storage/result.h"

namespace roost::ingest::internal {

// DecodeProtobuf's two paths. Both give the same DecodedBatch for any body the first one takes.
//
// DecodeProtobufWire reads an ExportTraceServiceRequest straight from the wire into spans, with
// no message objects in between: each string is allocated once, in the Span that keeps it.
// It handles what OTLP exporters send (every field of the trace protos, in any order, unknown
// fields skipped, nested arrays and kvlists) and returns nullopt, leaving the body to
// DecodeProtobufMessages, for anything else: malformed or truncated data, strings that are not
// UTF-8, a known field with an unexpected wire type, groups, a singular message field or an
// AnyValue member given twice (protobuf merges those), nesting near
// DecodeOptions::max_nesting_depth, or more than max_spans spans. So every error message, and
// every rare protobuf rule, comes from libprotobuf itself.
//
// DecodeProtobufMessages parses the body with libprotobuf into generated messages (on an arena)
// and maps them to spans: the fallback, and the reference the tests compare the wire path with.
// Both are thread-safe.
[[nodiscard]] std::optional<DecodedBatch> DecodeProtobufWire(std::string_view body,
                                                             const DecodeOptions& options);
[[nodiscard]] Result<DecodedBatch> DecodeProtobufMessages(std::string_view body,
                                                          const DecodeOptions& options);

}  // namespace roost::ingest::internal
