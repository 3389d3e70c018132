#include "ingest/export_response.h"

#include <algorithm>
#include <optional>
#include <string>

#include "ingest/internal/json_text.h"
#include "ingest/internal/utf8.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace roost::ingest {
namespace {

int64_t Clamp(uint64_t rejected) {
  return static_cast<int64_t>(std::min<uint64_t>(rejected, INT64_MAX));
}

}  // namespace

std::string EncodeExportResponseProtobuf(uint64_t rejected, std::string_view message) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
  if (rejected > 0) {
    auto* partial = response.mutable_partial_success();
    partial->set_rejected_spans(Clamp(rejected));
    partial->set_error_message(internal::ToValidUtf8(message));
  }
  return response.SerializeAsString();
}

std::string EncodeExportResponseJson(uint64_t rejected, std::string_view message) {
  if (rejected == 0) return "{}";
  std::string out = R"({"partialSuccess":{"rejectedSpans":)";
  internal::AppendJsonInt64String(Clamp(rejected), &out);
  out += R"(,"errorMessage":)";
  internal::AppendJsonString(internal::ToValidUtf8(message), &out);
  out += "}}";
  return out;
}

std::optional<PartialSuccess> DecodeExportResponseProtobuf(std::string_view body) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
  if (!response.ParseFromArray(body.data(), static_cast<int>(body.size()))) return std::nullopt;
  PartialSuccess out;
  out.rejected =
      static_cast<uint64_t>(std::max<int64_t>(0, response.partial_success().rejected_spans()));
  out.message = response.partial_success().error_message();
  return out;
}

}  // namespace roost::ingest
