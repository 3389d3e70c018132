#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/internal/record_codec.h"
#include "storage/result.h"
#include "storage/span.h"

namespace roost::internal {

// A RecordPack is many byte records in one value:
//
//   | magic u32 | count u32 | tag u32 | offsets u32[count + 1] | pad to 8 | records |
//
// The magic says how the records are encoded: 'RPK2' compact records (record_codec.h), packed
// back to back; 'RPK1' FlatBuffers records (pages written before 2026-12), each starting 8-byte
// aligned relative to the pack's start so they can be read in place once the value is aligned.
// `tag` is the user's (the store puts the newest hour bucket of the records there, for
// retention). offsets[i] is record i's start, offsets[count] the end of the last record; integers
// are little-endian.
//
// Payload pages are stored compressed (CompressPack): | 'RPZ1' | tag u32 | pack size u32 | zstd
// frame of the pack, with its checksum |. The tag is outside the frame so retention reads it
// without decompressing. Pages written before 2026-12 are bare 'RPK1' packs (RocksDB compressed
// them); OpenStoredPage reads both.
class RecordPackBuilder {
 public:
  // Builds a pack of `format` records (kFlatBuffers packs align each record).
  explicit RecordPackBuilder(size_t expected_records = 0,
                             RecordFormat format = RecordFormat::kCompact);
  void Add(std::string_view record);
  // Adds a compact record encoded straight into the pack. REQUIRES: a kCompact builder.
  void AddSpan(const Span& span);
  size_t count() const { return offsets_.size(); }
  size_t bytes() const { return body_.size() - reserved_; }
  // Returns the pack; the builder is left empty.
  std::string Finish(uint32_t tag = 0);

 private:
  // Starts body_ with room for the header of `expected_` records.
  void Reset();

  RecordFormat format_;
  size_t expected_;
  // The header's room at the front of body_: a pack of expected_ records is finished in place,
  // without copying its records behind a header.
  size_t reserved_ = 0;
  std::string body_;
  std::vector<uint32_t> offsets_;  // of records, from the end of the reserved room
};

// The tag of a pack or of a stored page, or nullopt when `value` is neither.
std::optional<uint32_t> RecordPackTag(std::string_view value);

// Reads a pack in place. `pack` must outlive the reader.
class RecordPackReader {
 public:
  // kCorruption when the header or offsets are malformed.
  static Result<RecordPackReader> Open(std::string_view pack);
  size_t count() const { return count_; }
  RecordFormat format() const { return format_; }
  std::string_view bytes() const { return pack_; }
  // REQUIRES: i < count()
  std::string_view Record(size_t i) const;
  // This reader limited to its first `n` records.
  RecordPackReader Prefix(size_t n) const {
    return RecordPackReader(pack_, format_, n < count_ ? n : count_);
  }

 private:
  RecordPackReader(std::string_view pack, RecordFormat format, size_t count)
      : pack_(pack), format_(format), count_(count) {}
  uint32_t Offset(size_t i) const;

  std::string_view pack_;
  RecordFormat format_;
  size_t count_;
};

// Compresses a pack (zstd at `level`, with a content checksum) into a stored payload page; the
// bare pack when zstd cannot get memory.
std::string CompressPack(std::string_view pack, int level);

// The pack inside a stored payload page, 8-aligned: the page itself when it is a bare aligned
// pack, else the pack decompressed (or copied) into `*scratch` (whose memory is reused). The view
// is valid while both `stored` and `*scratch` are unchanged. kCorruption when the page is damaged.
Result<std::string_view> OpenStoredPage(std::string_view stored, std::string* scratch);

// OpenStoredPage, then a reader of the pack: the records of a stored payload page.
Result<RecordPackReader> ReadStoredPage(std::string_view stored, std::string* scratch);

// Records [0, last] of a stored payload page (fewer when the page is shorter): a reader whose
// count() is at most last + 1. A compressed page is decompressed only as far as those records
// reach, so reading one trace's spans from the front of a page skips the rest of it. zstd's
// content checksum sits at the end of the frame and is only checked when the whole page is
// decompressed; a partial read relies on RocksDB's block checksums, and every length in the
// pack is bounds-checked all the same. kCorruption when the page is damaged.
Result<RecordPackReader> ReadStoredPageUpTo(std::string_view stored, size_t last,
                                            std::string* scratch);

}  // namespace roost::internal
