#include "tests/api/test_export.h"

#include <nlohmann/json.hpp>

#include "ingest/json_encoder.h"
#include "ingest/protobuf_encoder.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace roost::api::testing {

std::string ContentTypeOf(Wire wire) {
  return wire == Wire::kProtobuf ? "application/x-protobuf" : "application/json";
}

std::string EncodeSpans(const std::vector<Span>& spans, Wire wire) {
  return wire == Wire::kProtobuf ? ingest::EncodeProtobuf(spans) : ingest::EncodeJson(spans);
}

ClientResponse PostBody(TestClient& client, const std::string& body, Wire wire,
                        std::map<std::string, std::string> headers) {
  headers.emplace("Content-Type", ContentTypeOf(wire));
  return client.Send("POST", "/v1/traces", body, headers);
}

ClientResponse PostSpans(TestClient& client, const std::vector<Span>& spans, Wire wire,
                         std::map<std::string, std::string> headers) {
  return PostBody(client, EncodeSpans(spans, wire), wire, std::move(headers));
}

ExportResult ParseExportResponse(const std::string& body, Wire wire) {
  ExportResult out;
  if (wire == Wire::kProtobuf) {
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
    if (!response.ParseFromString(body)) return out;
    out.parsed = true;
    out.has_partial_success = response.has_partial_success();
    out.rejected_spans = response.partial_success().rejected_spans();
    out.error_message = response.partial_success().error_message();
    return out;
  }
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return out;
  out.parsed = true;
  auto partial = json.find("partialSuccess");
  if (partial == json.end()) return out;
  out.has_partial_success = true;
  if (!partial->is_object()) {
    out.parsed = false;
    return out;
  }
  if (auto rejected = partial->find("rejectedSpans"); rejected != partial->end()) {
    // OTLP/JSON writes int64 as a decimal string; a number is accepted too.
    if (rejected->is_string()) {
      out.rejected_spans = std::stoll(rejected->get<std::string>());
    } else if (rejected->is_number_integer()) {
      out.rejected_spans = rejected->get<int64_t>();
    } else {
      out.parsed = false;
    }
  }
  if (auto message = partial->find("errorMessage"); message != partial->end()) {
    if (message->is_string()) out.error_message = message->get<std::string>();
  }
  return out;
}

}  // namespace roost::api::testing
