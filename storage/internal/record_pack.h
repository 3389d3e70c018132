#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/result.h"

namespace roost::internal {

// A RecordPack is many byte records in one value, each starting 8-byte aligned relative to the
// value's start (so FlatBuffers records inside can be read in place once the value is aligned):
//
//   | magic u32 'RPK1' | count u32 | tag u32 | offsets u32[count + 1] | pad to 8 | records |
//
// `tag` is the user's (the store puts the newest hour bucket of the records there, for
// retention). offsets[i] is record i's start, offsets[count] the end of the last record; integers
// are little-endian. Payload pages are RecordPacks.
class RecordPackBuilder {
 public:
  explicit RecordPackBuilder(size_t expected_records = 0) { offsets_.reserve(expected_records); }
  void Add(std::string_view record);
  size_t count() const { return offsets_.size(); }
  size_t bytes() const { return body_.size(); }
  // Returns the pack; the builder is left empty.
  std::string Finish(uint32_t tag = 0);

 private:
  std::string body_;
  std::vector<uint32_t> offsets_;
};

// Reads a pack in place. `pack` must outlive the reader.
// The tag of a pack, or nullopt when `pack` is too short to be one.
std::optional<uint32_t> RecordPackTag(std::string_view pack);

class RecordPackReader {
 public:
  // kCorruption when the header or offsets are malformed.
  static Result<RecordPackReader> Open(std::string_view pack);
  size_t count() const { return count_; }
  // REQUIRES: i < count()
  std::string_view Record(size_t i) const;

 private:
  RecordPackReader(std::string_view pack, size_t count, size_t body_start)
      : pack_(pack), count_(count), body_start_(body_start) {}
  uint32_t Offset(size_t i) const;

  std::string_view pack_;
  size_t count_;
  size_t body_start_;
};

}  // namespace roost::internal
