#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace roost::ingest {

// The body of a successful OTLP/HTTP response: an ExportTraceServiceResponse, whose
// partial_success {rejected_spans, error_message} is set only when `rejected` > 0 (an empty
// message otherwise, meaning "all accepted"). `message` is made valid UTF-8 (bad bytes become
// '?'), as proto3 strings must be. Thread-safe.
std::string EncodeExportResponseProtobuf(uint64_t rejected, std::string_view message);

// The same in OTLP/JSON: `{}`, or
// `{"partialSuccess":{"rejectedSpans":"3","errorMessage":"..."}}`.
std::string EncodeExportResponseJson(uint64_t rejected, std::string_view message);

}  // namespace roost::ingest
