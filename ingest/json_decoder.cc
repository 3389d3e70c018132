#include "ingest/json_decoder.h"

#include <new>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "ingest/internal/batch_builder.h"
#include "ingest/internal/otlp_json_handler.h"

namespace roost::ingest {

Result<DecodedBatch> DecodeJson(std::string_view body, const DecodeOptions& options) {
  if (body.empty()) return Status::InvalidArgument("JSON body is empty");
  try {
    internal::BatchBuilder builder(options);
    internal::OtlpJsonHandler handler(options, &builder);
    const bool parsed = nlohmann::json::sax_parse(body.data(), body.data() + body.size(), &handler,
                                                  nlohmann::json::input_format_t::json,
                                                  /*strict=*/true, /*ignore_comments=*/false);
    if (!parsed) {
      if (!handler.status().ok()) return handler.status();
      return Status::InvalidArgument("invalid JSON");
    }
    return std::move(builder).Finish();
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("invalid JSON: ") + e.what());
  } catch (const std::bad_alloc&) {
    return Status::Unavailable("out of memory while decoding a JSON request");
  }
}

}  // namespace roost::ingest
