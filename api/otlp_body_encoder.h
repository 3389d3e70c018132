#pragma once

#include <zlib.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "storage/span.h"

namespace roost::api {

// Builds the request bodies the replicator POSTs (gzip'd OTLP protobuf), keeping its buffers and
// zlib's state from one body to the next: a replicator encoding batch after batch through the
// same encoder allocates (and page-faults) next to nothing once the first batches sized it. Not
// thread-safe; one encoder per batch in preparation.
class OtlpBodyEncoder {
 public:
  // `gzip_level`: 0 (stored blocks, no compression work) to 9; negative: no gzip at all.
  explicit OtlpBodyEncoder(int gzip_level);
  ~OtlpBodyEncoder();
  OtlpBodyEncoder(const OtlpBodyEncoder&) = delete;
  OtlpBodyEncoder& operator=(const OtlpBodyEncoder&) = delete;

  // The gzip'd (unless gzip is off) ExportTraceServiceRequest of `spans`, valid until the next
  // call or the encoder's end. Empty when zlib fails (out of memory).
  std::string_view Encode(std::span<const Span> spans);
  // Whether bodies are gzip'd (Content-Encoding: gzip).
  bool gzip() const { return level_ >= 0; }

 private:
  const int level_;
  z_stream zs_{};
  bool zs_ready_ = false;  // deflateInit2 succeeded; deflateReset before each body
  std::string proto_;      // the protobuf before compression
  std::unique_ptr<char[]> out_;
  size_t out_capacity_ = 0;
};

}  // namespace roost::api
