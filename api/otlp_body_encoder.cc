#include "api/otlp_body_encoder.h"

#include "ingest/protobuf_encoder.h"

namespace roost::api {

OtlpBodyEncoder::OtlpBodyEncoder(int gzip_level) : level_(gzip_level) {}

OtlpBodyEncoder::~OtlpBodyEncoder() {
  if (zs_ready_) deflateEnd(&zs_);
}

std::string_view OtlpBodyEncoder::Encode(std::span<const Span> spans) {
  ingest::EncodeProtobuf(spans, &proto_);
  if (!gzip()) return proto_;
  if (zs_ready_) {
    if (deflateReset(&zs_) != Z_OK) return {};
  } else {
    // 16 + MAX_WBITS: a gzip header and trailer instead of zlib's.
    if (deflateInit2(&zs_, level_, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      return {};
    }
    zs_ready_ = true;
  }
  const size_t bound = deflateBound(&zs_, static_cast<uLong>(proto_.size())) + 64;
  if (bound > out_capacity_) {
    // Not zero-filled: only the bytes deflate writes are ever read.
    out_ = std::make_unique_for_overwrite<char[]>(bound);
    out_capacity_ = bound;
  }
  zs_.next_in = reinterpret_cast<Bytef*>(proto_.data());
  zs_.avail_in = static_cast<uInt>(proto_.size());
  zs_.next_out = reinterpret_cast<Bytef*>(out_.get());
  zs_.avail_out = static_cast<uInt>(out_capacity_);
  if (deflate(&zs_, Z_FINISH) != Z_STREAM_END) return {};
  return {out_.get(), zs_.total_out};
}

}  // namespace roost::api
