#pragma once

#include <cstdint>
#include <optional>
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

// What a collector's ExportTraceServiceResponse (protobuf) says it did not keep: partial_success
// {rejected_spans (negative read as 0), error_message}. An empty body is "all accepted";
// nullopt when the body is not such a message. Thread-safe.
struct PartialSuccess {
  uint64_t rejected = 0;
  std::string message;
};
std::optional<PartialSuccess> DecodeExportResponseProtobuf(std::string_view body);

}  // namespace roost::ingest
