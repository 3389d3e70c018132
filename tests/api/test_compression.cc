#include "tests/api/test_compression.h"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace roost::api::testing {
namespace {

int WindowBits(Framing framing) {
  switch (framing) {
    case Framing::kGzip:
      return 16 + MAX_WBITS;
    case Framing::kZlib:
      return MAX_WBITS;
    case Framing::kRawDeflate:
      return -MAX_WBITS;
  }
  return MAX_WBITS;
}

// Deflates the pieces `next(&piece)` hands out until it returns false. Aborts on a zlib error
// (a broken test environment, not a test failure).
template <typename Next>
std::string Deflate(Framing framing, Next next) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, WindowBits(framing), 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    std::abort();
  }
  std::string out;
  std::vector<unsigned char> buffer(1 << 16);
  std::string_view piece;
  bool more = true;
  while (more) {
    more = next(&piece);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
    zs.avail_in = static_cast<uInt>(piece.size());
    const int flush = more ? Z_NO_FLUSH : Z_FINISH;
    int rc = Z_OK;
    do {
      zs.next_out = buffer.data();
      zs.avail_out = static_cast<uInt>(buffer.size());
      rc = deflate(&zs, flush);
      if (rc == Z_STREAM_ERROR) std::abort();
      out.append(reinterpret_cast<const char*>(buffer.data()), buffer.size() - zs.avail_out);
    } while (zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  }
  deflateEnd(&zs);
  return out;
}

}  // namespace

std::string Compress(std::string_view data, Framing framing) {
  bool given = false;
  return Deflate(framing, [&](std::string_view* piece) {
    *piece = given ? std::string_view() : data;
    given = true;
    return false;
  });
}

std::string GzipZeros(size_t zeros) {
  const std::string block(size_t{1} << 20, '\0');
  size_t left = zeros;
  return Deflate(Framing::kGzip, [&](std::string_view* piece) {
    const size_t n = std::min(left, block.size());
    *piece = std::string_view(block.data(), n);
    left -= n;
    return left > 0;
  });
}

}  // namespace roost::api::testing
