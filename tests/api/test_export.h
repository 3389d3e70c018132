#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "storage/span.h"
#include "tests/api/test_client.h"

namespace roost::api::testing {

// The two OTLP/HTTP body formats.
enum class Wire { kProtobuf, kJson };

// "application/x-protobuf" or "application/json".
std::string ContentTypeOf(Wire wire);

// `spans` as an ExportTraceServiceRequest body (ingest::EncodeProtobuf / EncodeJson).
std::string EncodeSpans(const std::vector<Span>& spans, Wire wire);

// POSTs `body` to /v1/traces with the Content-Type of `wire` plus `headers`.
ClientResponse PostBody(TestClient& client, const std::string& body, Wire wire,
                        std::map<std::string, std::string> headers = {});

// POSTs `spans` encoded per `wire`.
ClientResponse PostSpans(TestClient& client, const std::vector<Span>& spans, Wire wire,
                         std::map<std::string, std::string> headers = {});

// An ExportTraceServiceResponse as read from a response body.
struct ExportResult {
  bool parsed = false;  // the body was a well-formed response of the expected format
  bool has_partial_success = false;
  int64_t rejected_spans = 0;
  std::string error_message;
};

// Reads the body of a 200 answer to a `wire` request (protobuf or JSON ExportTraceServiceResponse).
ExportResult ParseExportResponse(const std::string& body, Wire wire);

}  // namespace roost::api::testing
