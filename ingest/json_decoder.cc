#include "ingest/json_decoder.h"

#include <new>
#include <string>
#include <utility>

#include "ingest/internal/batch_builder.h"
#include "ingest/internal/json_reader.h"
#include "ingest/internal/otlp_json_handler.h"

namespace roost::ingest {

Result<DecodedBatch> DecodeJson(std::string_view body, const DecodeOptions& options) {
  if (body.empty()) return Status::InvalidArgument("JSON body is empty");
  try {
    internal::BatchBuilder builder(options);
    internal::OtlpJsonHandler handler(options, &builder);
    internal::JsonReader reader(body, options.max_nesting_depth);
    if (!reader.Read(handler)) {
      if (!reader.error().ok()) return reader.error();
      return handler.status();
    }
    return std::move(builder).Finish();
  } catch (const std::bad_alloc&) {
    return Status::Unavailable("out of memory while decoding a JSON request");
  }
}

}  // namespace roost::ingest
