#pragma once

#include <string_view>

#include "ingest/decoded_batch.h"
#include "storage/result.h"

namespace roost::ingest {

// Decodes an OTLP/HTTP protobuf body (an ExportTraceServiceRequest, already decompressed).
//
// Every span becomes a roost::Span: ids, times, names, OTLP kind, status, trace state, and all
// attributes, events, links, resource attributes and scope kept as they are, except that AnyValue
// kinds roost::AttributeValue lacks are mapped (see below); then ApplySemanticConventions derives
// project, kind, model, tokens etc., and ValidateSpan checks it. A span that fails (bad id
// length, end before start, ...) is listed in `rejected` with the reason; the others are kept.
// An all-zero or empty parent span id means "no parent" (parent_span_id is nullopt). The W3C
// flags, dropped_*_count fields and schema URLs are not kept.
//
// AnyValue mapping: bytes become their standard base64 text (a string attribute); a kvlist is
// flattened into one attribute per leaf with dotted keys (`a` = {b: {c: 1}} -> `a.b.c` = 1; an
// empty kvlist adds nothing); an array becomes a homogeneous array (ints and doubles mixed ->
// doubles; an empty array -> an empty string array; any other mix -> strings: each element's
// text, nested values as compact JSON); an unset value becomes std::monostate. An unknown
// SpanKind or StatusCode number reads as UNSPECIFIED / UNSET, as in Phoenix.
//
// Returns kInvalidArgument, with a message naming the problem, when the body as a whole is
// unusable: not a valid ExportTraceServiceRequest (malformed wire data, truncation, a varint or
// length out of range, nesting deeper than max_nesting_depth, or a string field that is not
// valid UTF-8 -- protobuf itself refuses those for proto3 strings), or more than max_spans spans.
// An empty body is the valid empty request (OTLP's encoding of no spans): OK, no spans.
// Thread-safe. Parses into a google::protobuf::Arena whose first block is a per-thread buffer
// kept between calls (grown to fit the largest request seen, up to 16 MiB).
[[nodiscard]] Result<DecodedBatch> DecodeProtobuf(std::string_view body,
                                                  const DecodeOptions& options);

}  // namespace roost::ingest
