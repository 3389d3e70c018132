#include "tools/roost/gzip_compress.h"

#include <zlib.h>

#include <algorithm>
#include <cassert>
#include <cstdint>

namespace roost::cli {

std::string GzipCompress(std::string_view data, int level) {
  z_stream zs{};
  // 16 + MAX_WBITS: a gzip header and trailer instead of zlib's.
  [[maybe_unused]] const int init =
      deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  assert(init == Z_OK);
  std::string out;
  // deflateBound covers the whole output for one deflate(Z_FINISH) call over all the input, but
  // avail_in is a 32-bit count, so large inputs go in chunks and the buffer grows as needed.
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 64);
  constexpr size_t kMaxChunk = size_t{1} << 30;
  size_t in_pos = 0;
  size_t out_pos = 0;
  int rc = Z_OK;
  // Each pass either consumes input, produces output or grows the buffer; bounded by sizes.
  while (rc != Z_STREAM_END) {
    if (out_pos == out.size()) out.resize(out.size() * 2);
    const size_t in_chunk = std::min(data.size() - in_pos, kMaxChunk);
    const size_t out_chunk = std::min(out.size() - out_pos, kMaxChunk);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + in_pos));
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    zs.avail_out = static_cast<uInt>(out_chunk);
    const bool last = in_pos + in_chunk == data.size();
    rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
    assert(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR);
    in_pos += in_chunk - zs.avail_in;
    out_pos += out_chunk - zs.avail_out;
  }
  deflateEnd(&zs);
  out.resize(out_pos);
  return out;
}

}  // namespace roost::cli
