#include "storage/internal/record_pack.h"

#include <zstd.h>

#include <cstring>
#include <memory>
#include <vector>

namespace roost::internal {
namespace {

constexpr uint32_t kFlatMagic = 0x314b5052;     // "RPK1" little-endian
constexpr uint32_t kCompactMagic = 0x324b5052;  // "RPK2"
constexpr uint32_t kStoredMagic = 0x315a5052;   // "RPZ1"
constexpr size_t kStoredHeader = 12;
constexpr size_t kMaxRecords = 1 << 24;
// Compression buffers up to this size stay with their thread for the next page.
constexpr size_t kKeptScratchBytes = size_t{16} << 20;
// zstd's hash table at level 1, log2 of its entries (see CompressPack).
constexpr int kLevel1HashLog = 16;

size_t Align8(size_t n) { return (n + 7) & ~size_t{7}; }

void AppendU32(std::string* out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out->append(b, 4);
}

uint32_t ReadU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

size_t HeaderSize(size_t count) { return Align8(12 + 4 * (count + 1)); }

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

}  // namespace

RecordPackBuilder::RecordPackBuilder(size_t expected_records, RecordFormat format)
    : format_(format), expected_(expected_records) {
  offsets_.reserve(expected_records);
  Reset();
}

void RecordPackBuilder::Reset() {
  reserved_ = expected_ > 0 ? HeaderSize(expected_) : 0;
  body_.assign(reserved_, '\0');
}

void RecordPackBuilder::Add(std::string_view record) {
  offsets_.push_back(static_cast<uint32_t>(body_.size() - reserved_));
  body_.append(record);
  if (format_ == RecordFormat::kFlatBuffers) body_.resize(Align8(body_.size()), '\0');
}

void RecordPackBuilder::AddSpan(const Span& span) {
  offsets_.push_back(static_cast<uint32_t>(body_.size() - reserved_));
  AppendSpanRecord(span, &body_);
}

std::string RecordPackBuilder::Finish(uint32_t tag) {
  const size_t count = offsets_.size();
  const size_t header = HeaderSize(count);
  const size_t records = body_.size() - reserved_;
  std::string head;
  head.reserve(header);
  AppendU32(&head, format_ == RecordFormat::kFlatBuffers ? kFlatMagic : kCompactMagic);
  AppendU32(&head, static_cast<uint32_t>(count));
  AppendU32(&head, tag);
  for (uint32_t off : offsets_) AppendU32(&head, static_cast<uint32_t>(off + header));
  AppendU32(&head, static_cast<uint32_t>(records + header));
  head.resize(header, '\0');
  std::string out;
  if (header <= reserved_) {
    // In place: the header goes at the end of the reserved room, the room before it is dropped
    // (a memmove only for a pack of fewer records than expected). Both sizes are multiples of
    // 8, so FlatBuffers records keep their alignment.
    body_.replace(0, reserved_, head);
    const size_t capacity = body_.capacity();
    out = std::move(body_);
    body_ = std::string();
    body_.reserve(capacity);
  } else {
    out.reserve(header + records);
    out = std::move(head);
    out.append(body_, reserved_);
  }
  offsets_.clear();
  Reset();
  return out;
}

Result<RecordPackReader> RecordPackReader::Open(std::string_view pack) {
  const uint32_t magic = pack.size() >= 12 ? ReadU32(pack.data()) : 0;
  if (magic != kFlatMagic && magic != kCompactMagic) {
    return Status::Corruption("record pack: bad header");
  }
  const RecordFormat format =
      magic == kFlatMagic ? RecordFormat::kFlatBuffers : RecordFormat::kCompact;
  const size_t count = ReadU32(pack.data() + 4);
  if (count > kMaxRecords || HeaderSize(count) > pack.size()) {
    return Status::Corruption("record pack: record count " + std::to_string(count) +
                              " does not fit in " + std::to_string(pack.size()) + " bytes");
  }
  const size_t header = HeaderSize(count);
  const bool aligned = format == RecordFormat::kFlatBuffers;
  uint32_t prev = static_cast<uint32_t>(header);
  for (size_t i = 0; i <= count; ++i) {
    uint32_t off = ReadU32(pack.data() + 12 + 4 * i);
    if (off < prev || off > pack.size() || (aligned && off % 8 != 0 && i < count)) {
      return Status::Corruption("record pack: offset " + std::to_string(i) + " out of order");
    }
    prev = off;
  }
  return RecordPackReader(pack, format, count);
}

uint32_t RecordPackReader::Offset(size_t i) const { return ReadU32(pack_.data() + 12 + 4 * i); }

std::optional<uint32_t> RecordPackTag(std::string_view value) {
  if (value.size() < 12) return std::nullopt;
  switch (ReadU32(value.data())) {
    case kStoredMagic:
      return ReadU32(value.data() + 4);
    case kFlatMagic:
    case kCompactMagic:
      return ReadU32(value.data() + 8);
    default:
      return std::nullopt;
  }
}

std::string_view RecordPackReader::Record(size_t i) const {
  uint32_t begin = Offset(i);
  uint32_t end = Offset(i + 1);
  return pack_.substr(begin, end - begin);
}

std::string CompressPack(std::string_view pack, int level) {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> cctx(ZSTD_createCCtx());
  // Compressed into a buffer kept by the thread, then copied at its exact size: a fresh
  // compressBound-sized string per page would be zero-filled and page-faulted in every time.
  thread_local std::unique_ptr<char[]> kept;
  thread_local size_t kept_size = 0;
  const size_t bound = ZSTD_compressBound(pack.size());
  std::unique_ptr<char[]> oversized;  // a page of huge spans: not kept afterwards
  if (bound > kept_size && bound <= kKeptScratchBytes) {
    kept = std::make_unique_for_overwrite<char[]>(bound);
    kept_size = bound;
  } else if (bound > kept_size) {
    oversized = std::make_unique_for_overwrite<char[]>(bound);
  }
  char* scratch = oversized ? oversized.get() : kept.get();
  const size_t scratch_size = oversized ? bound : kept_size;
  // Compressing into ZSTD_compressBound bytes with valid parameters fails only when zstd's
  // memory cannot be had; the page is then stored bare, which every reader reads too.
  if (cctx == nullptr) return std::string(pack);
  ZSTD_CCtx_reset(cctx.get(), ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level);
  // Level 1 picks a 2^14-entry hash table for a page this size; 2^16 (256 KB a thread) finds
  // longer matches, so zstd skips more of the input: 4% faster and 1.2% smaller on roost gen pages
  // (bench/RESULTS.md, BM_PageCompression).
  if (level == 1) ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_hashLog, kLevel1HashLog);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  const size_t n = ZSTD_compress2(cctx.get(), scratch, scratch_size, pack.data(), pack.size());
  if (ZSTD_isError(n)) return std::string(pack);
  const uint32_t tag = RecordPackTag(pack).value_or(0);
  const auto raw = static_cast<uint32_t>(pack.size());
  std::string out(kStoredHeader + n, '\0');
  std::memcpy(out.data(), &kStoredMagic, 4);
  std::memcpy(out.data() + 4, &tag, 4);
  std::memcpy(out.data() + 8, &raw, 4);
  std::memcpy(out.data() + kStoredHeader, scratch, n);
  return out;
}

Result<std::string_view> OpenStoredPage(std::string_view stored, std::string* scratch) {
  if (stored.size() < 4 || ReadU32(stored.data()) != kStoredMagic) {
    // A bare pack: FlatBuffers records are read in place, so they need 8-aligned memory.
    if (reinterpret_cast<uintptr_t>(stored.data()) % 8 == 0) return stored;
    scratch->assign(stored);
    return std::string_view(*scratch);
  }
  if (stored.size() < kStoredHeader) return Status::Corruption("payload page: truncated header");
  const size_t raw = ReadU32(stored.data() + 8);
  const unsigned long long content =
      ZSTD_getFrameContentSize(stored.data() + kStoredHeader, stored.size() - kStoredHeader);
  if (content != raw) {
    return Status::Corruption("payload page: size " + std::to_string(raw) +
                              " disagrees with its frame");
  }
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx(ZSTD_createDCtx());
  if (dctx == nullptr) return Status::Unavailable("payload page: out of memory for zstd");
  scratch->resize(raw);
  const size_t n =
      ZSTD_decompressDCtx(dctx.get(), scratch->data(), raw, stored.data() + kStoredHeader,
                          stored.size() - kStoredHeader);
  if (ZSTD_isError(n) || n != raw) {
    return Status::Corruption(std::string("payload page: ") +
                              (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short frame"));
  }
  return std::string_view(*scratch);
}

Result<RecordPackReader> ReadStoredPageUpTo(std::string_view stored, size_t last,
                                            std::string* scratch) {
  if (stored.size() < kStoredHeader || ReadU32(stored.data()) != kStoredMagic) {
    Result<RecordPackReader> whole = ReadStoredPage(stored, scratch);
    if (!whole.ok()) return whole;
    return whole->Prefix(last + 1);
  }
  const size_t raw = ReadU32(stored.data() + 8);
  const std::string_view frame = stored.substr(kStoredHeader);
  if (ZSTD_getFrameContentSize(frame.data(), frame.size()) != raw) {
    return Status::Corruption("payload page: size " + std::to_string(raw) +
                              " disagrees with its frame");
  }
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx(ZSTD_createDCtx());
  if (dctx == nullptr) return Status::Unavailable("payload page: out of memory for zstd");
  ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_only);
  scratch->resize(raw);
  ZSTD_inBuffer in{frame.data(), frame.size(), 0};
  ZSTD_outBuffer out{scratch->data(), 0, 0};
  // Decompresses until the first `target` bytes of the pack are there.
  const auto fill = [&](size_t target) -> Status {
    while (out.pos < target) {
      out.size = target;
      const size_t before_in = in.pos;
      const size_t before_out = out.pos;
      const size_t r = ZSTD_decompressStream(dctx.get(), &out, &in);
      if (ZSTD_isError(r)) {
        return Status::Corruption(std::string("payload page: ") + ZSTD_getErrorName(r));
      }
      if (out.pos < target && (r == 0 || (in.pos == before_in && out.pos == before_out))) {
        return Status::Corruption("payload page: short frame");
      }
    }
    return Status::OK();
  };
  if (Status s = fill(std::min<size_t>(raw, 12)); !s.ok()) return s;
  const size_t count = raw >= 12 ? ReadU32(scratch->data() + 4) : 0;
  if (raw < 12 || count > kMaxRecords || HeaderSize(count) > raw) {
    return Status::Corruption("payload page: bad record pack header");
  }
  if (Status s = fill(HeaderSize(count)); !s.ok()) return s;
  const size_t end = ReadU32(scratch->data() + 12 + 4 * std::min(last + 1, count));
  if (end > raw) return Status::Corruption("payload page: record offsets out of range");
  if (end == raw) {
    // The whole page is wanted: decompress it in one go, which checks zstd's content checksum.
    return ReadStoredPage(stored, scratch);
  }
  if (Status s = fill(end); !s.ok()) return s;
  // Open checks every offset against the whole pack; the records past `end` are never read.
  Result<RecordPackReader> reader = RecordPackReader::Open(*scratch);
  if (!reader.ok()) return reader.status();
  return reader->Prefix(last + 1);
}

Result<RecordPackReader> ReadStoredPage(std::string_view stored, std::string* scratch) {
  Result<std::string_view> pack = OpenStoredPage(stored, scratch);
  if (!pack.ok()) return pack.status();
  return RecordPackReader::Open(*pack);
}

}  // namespace roost::internal
