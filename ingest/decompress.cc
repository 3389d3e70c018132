#include "ingest/decompress.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <string>

namespace roost::ingest {
namespace {

// First output buffer size, and the largest piece of input handed to zlib at once (zlib counts
// input in 32-bit `uInt`s).
constexpr size_t kInitialOutputBytes = 64 << 10;
constexpr size_t kMaxInputChunk = size_t{1} << 30;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True when `body` starts with a valid zlib (RFC 1950) header: deflate method, a window of at
// most 32 KiB, and a header checksum that is a multiple of 31.
bool HasZlibHeader(std::string_view body) {
  if (body.size() < 2) return false;
  auto cmf = static_cast<unsigned char>(body[0]);
  auto flg = static_cast<unsigned char>(body[1]);
  return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && (cmf * 256 + flg) % 31 == 0;
}

bool HasGzipMagic(std::string_view rest) {
  return rest.size() >= 2 && static_cast<unsigned char>(rest[0]) == 0x1f &&
         static_cast<unsigned char>(rest[1]) == 0x8b;
}

// Owns a z_stream set up for inflation; ends it on destruction.
class Inflater {
 public:
  Inflater() = default;
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  ~Inflater() {
    if (initialized_) inflateEnd(&zs_);
  }

  bool Init(int window_bits) {
    initialized_ = inflateInit2(&zs_, window_bits) == Z_OK;
    return initialized_;
  }
  z_stream& zs() { return zs_; }

 private:
  z_stream zs_{};
  bool initialized_ = false;
};

Status LimitError(size_t max_output_bytes) {
  return Status::InvalidArgument("decompressed body is larger than the limit of " +
                                 std::to_string(max_output_bytes) + " bytes");
}

Status BusyError() {
  return Status::Unavailable("the server is short of memory for decompressing request bodies now");
}

Result<std::string> Inflate(std::string_view body, int window_bits, bool gzip, size_t max_out,
                            const std::function<bool(size_t)>& grow) {
  const char* what = gzip ? "gzip" : "deflate";
  if (body.empty()) return Status::InvalidArgument(std::string("empty ") + what + " body");
  Inflater inflater;
  if (!inflater.Init(window_bits)) return Status::InvalidArgument("zlib initialization failed");
  z_stream& zs = inflater.zs();
  std::string out;
  // One byte beyond the limit tells "exactly at the limit" from "over the limit".
  const size_t cap = max_out == SIZE_MAX ? max_out : max_out + 1;
  // Resizes `out` to `size`, if `grow` allows the bytes added.
  const auto resize = [&](size_t size) {
    if (grow && !grow(size - out.size())) return false;
    out.resize(size);
    return true;
  };
  if (!resize(std::min(cap, std::max(kInitialOutputBytes, body.size() * 4)))) return BusyError();
  size_t in_pos = 0;
  size_t out_pos = 0;
  // Every pass consumes input or produces output (else we stop), so the loop is bounded by
  // body.size() + cap passes; in practice it runs a handful of times per output buffer.
  while (true) {
    if (out_pos == out.size()) {
      if (out.size() >= cap) return LimitError(max_out);
      if (!resize(std::min(cap, out.size() * 2))) return BusyError();
    }
    const size_t in_chunk = std::min(body.size() - in_pos, kMaxInputChunk);
    const size_t out_chunk = std::min(out.size() - out_pos, kMaxInputChunk);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data() + in_pos));
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    zs.avail_out = static_cast<uInt>(out_chunk);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t consumed = in_chunk - zs.avail_in;
    const size_t produced = out_chunk - zs.avail_out;
    in_pos += consumed;
    out_pos += produced;
    if (out_pos > max_out) return LimitError(max_out);
    if (rc == Z_STREAM_END) {
      const std::string_view rest = body.substr(in_pos);
      if (rest.empty()) break;
      // A gzip body may hold several members (RFC 1952 2.2); anything else after the end of
      // the stream is garbage.
      if (!gzip || !HasGzipMagic(rest)) {
        return Status::InvalidArgument(std::to_string(rest.size()) + " trailing bytes after the " +
                                       what + " stream");
      }
      if (inflateReset(&zs) != Z_OK) return Status::InvalidArgument("zlib reset failed");
      continue;
    }
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR) {
      return Status::InvalidArgument(
          std::string("corrupt ") + what +
          " stream: " + (zs.msg != nullptr ? zs.msg : "zlib error " + std::to_string(rc)));
    }
    // Z_OK or Z_BUF_ERROR: no progress with all input consumed means the stream was cut short.
    if (consumed == 0 && produced == 0 && (in_pos == body.size() || out_pos < out.size())) {
      return Status::InvalidArgument(std::string("truncated ") + what + " stream after " +
                                     std::to_string(body.size()) + " bytes");
    }
  }
  out.resize(out_pos);
  return out;
}

}  // namespace

Result<ContentEncoding> ParseContentEncoding(std::string_view header) {
  const std::string value = Lower(Trim(header));
  if (value.empty() || value == "identity") return ContentEncoding::kIdentity;
  if (value == "gzip" || value == "x-gzip") return ContentEncoding::kGzip;
  if (value == "deflate") return ContentEncoding::kDeflate;
  return Status::InvalidArgument("unsupported Content-Encoding '" + value.substr(0, 64) + "'");
}

Result<std::string> Decompress(std::string_view body, ContentEncoding enc, size_t max_output_bytes,
                               const std::function<bool(size_t)>& grow) {
  switch (enc) {
    case ContentEncoding::kIdentity:
      if (body.size() > max_output_bytes) return LimitError(max_output_bytes);
      if (grow && !grow(body.size())) return BusyError();
      return std::string(body);
    case ContentEncoding::kGzip:
      return Inflate(body, 16 + MAX_WBITS, /*gzip=*/true, max_output_bytes, grow);
    case ContentEncoding::kDeflate:
      return Inflate(body, HasZlibHeader(body) ? MAX_WBITS : -MAX_WBITS, /*gzip=*/false,
                     max_output_bytes, grow);
  }
  return Status::InvalidArgument("unknown content encoding");
}

}  // namespace roost::ingest
