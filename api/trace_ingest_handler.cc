#include "api/trace_ingest_handler.h"

#include <algorithm>
#include <cctype>

#include "ingest/decompress.h"
#include "ingest/export_response.h"
#include "ingest/json_decoder.h"
#include "ingest/protobuf_decoder.h"

namespace roost::api {
namespace {

enum class BodyFormat { kProtobuf, kJson, kOther };

// The media type of a Content-Type header, lowercased, without parameters.
BodyFormat FormatOf(std::string_view content_type) {
  std::string media(content_type.substr(0, content_type.find(';')));
  media.erase(
      std::remove_if(media.begin(), media.end(), [](unsigned char c) { return std::isspace(c); }),
      media.end());
  std::transform(media.begin(), media.end(), media.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (media == "application/x-protobuf" || media == "application/protobuf") {
    return BodyFormat::kProtobuf;
  }
  if (media == "application/json") return BodyFormat::kJson;
  return BodyFormat::kOther;
}

// Decoded spans take about this many bytes of memory per byte of the body they come from
// (measured: 2.5 for `roost gen` spans, in protobuf and in JSON).
constexpr size_t kDecodedBytesPerBodyByte = 3;

}  // namespace

Response TraceIngestHandler::Busy(size_t wanted) const {
  Response r = ErrorResponse(
      503, "other requests being decoded hold " + std::to_string(budget_->used()) + " of the " +
               std::to_string(budget_->limit()) + " bytes allowed for decoding (this one needs " +
               std::to_string(wanted) + " more); retry");
  r.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_seconds));
  return r;
}

Response TraceIngestHandler::Handle(const Request& request) const {
  const BodyFormat format = FormatOf(request.Header("content-type"));
  if (format == BodyFormat::kOther) {
    return ErrorResponse(415, "unsupported Content-Type '" +
                                  std::string(request.Header("content-type")) +
                                  "': send application/x-protobuf or application/json");
  }
  Result<ingest::ContentEncoding> encoding =
      ingest::ParseContentEncoding(request.Header("content-encoding"));
  if (!encoding.ok()) return ErrorResponse(415, encoding.status().message());
  // What this request holds of the decoding budget, given back when it is answered.
  ByteBudget::Lease lease(*budget_);
  size_t refused = 0;
  const auto grow = [&](size_t n) {
    if (lease.Grow(n)) return true;
    refused = n;
    return false;
  };
  // A plain body is decoded where it is; only a compressed one is inflated into `inflated`.
  std::string inflated;
  std::string_view body = request.body;
  if (*encoding != ingest::ContentEncoding::kIdentity ||
      body.size() > options_.max_decompressed_bytes) {
    Result<std::string> out =
        ingest::Decompress(request.body, *encoding, options_.max_decompressed_bytes, grow);
    if (!out.ok()) {
      if (out.status().IsUnavailable()) return Busy(refused);
      const bool too_big = out.status().message().find("limit") != std::string::npos;
      return ErrorResponse(too_big ? 413 : 400, out.status().message());
    }
    inflated = std::move(*out);
    body = inflated;
  }
  if (!grow(kDecodedBytesPerBodyByte * body.size())) return Busy(refused);
  ingest::DecodeOptions decode;
  decode.project_header = std::string(request.Header("x-project-name"));
  // The decoders validate under the store's limits, so the store need not look again.
  decode.span_limits = store_.limits();
  Result<ingest::DecodedBatch> batch = format == BodyFormat::kProtobuf
                                           ? ingest::DecodeProtobuf(body, decode)
                                           : ingest::DecodeJson(body, decode);
  if (!batch.ok()) return ErrorResponse(400, batch.status().message());

  uint64_t rejected = batch->rejected_count;
  std::string message = ingest::DescribeRejections(*batch);
  if (!batch->spans.empty()) {
    Result<WriteResult> written = store_.Write(std::move(batch->spans), {.validated = true});
    if (!written.ok()) {
      if (written.status().IsUnavailable()) {
        Response r = ErrorResponse(503, written.status().message());
        r.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_seconds));
        return r;
      }
      return ErrorResponse(500, "storing spans failed: " + written.status().message());
    }
    rejected += written->rejected.size();
    for (const RejectedSpan& r : written->rejected) {
      if (!message.empty()) message += "; ";
      message += r.reason;
    }
  }
  Response r;
  if (format == BodyFormat::kProtobuf) {
    r.content_type = "application/x-protobuf";
    r.body = ingest::EncodeExportResponseProtobuf(rejected, message);
  } else {
    r.content_type = "application/json";
    r.body = ingest::EncodeExportResponseJson(rejected, message);
  }
  return r;
}

}  // namespace roost::api
