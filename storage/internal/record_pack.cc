#include "storage/internal/record_pack.h"

#include <cstring>
#include <vector>

namespace roost::internal {
namespace {

constexpr uint32_t kMagic = 0x314b5052;  // "RPK1" little-endian
constexpr size_t kMaxRecords = 1 << 24;

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

}  // namespace

void RecordPackBuilder::Add(std::string_view record) {
  offsets_.push_back(static_cast<uint32_t>(body_.size()));
  body_.append(record);
  body_.resize(Align8(body_.size()), '\0');
}

std::string RecordPackBuilder::Finish(uint32_t tag) {
  const size_t count = offsets_.size();
  const size_t header = HeaderSize(count);
  std::string out;
  out.reserve(header + body_.size());
  AppendU32(&out, kMagic);
  AppendU32(&out, static_cast<uint32_t>(count));
  AppendU32(&out, tag);
  for (uint32_t off : offsets_) AppendU32(&out, static_cast<uint32_t>(off + header));
  AppendU32(&out, static_cast<uint32_t>(body_.size() + header));
  out.resize(header, '\0');
  out += body_;
  body_.clear();
  offsets_.clear();
  return out;
}

Result<RecordPackReader> RecordPackReader::Open(std::string_view pack) {
  if (pack.size() < 12 || ReadU32(pack.data()) != kMagic) {
    return Status::Corruption("record pack: bad header");
  }
  const size_t count = ReadU32(pack.data() + 4);
  if (count > kMaxRecords || HeaderSize(count) > pack.size()) {
    return Status::Corruption("record pack: record count " + std::to_string(count) +
                              " does not fit in " + std::to_string(pack.size()) + " bytes");
  }
  const size_t header = HeaderSize(count);
  uint32_t prev = static_cast<uint32_t>(header);
  for (size_t i = 0; i <= count; ++i) {
    uint32_t off = ReadU32(pack.data() + 12 + 4 * i);
    if (off < prev || off > pack.size() || (off % 8 != 0 && i < count)) {
      return Status::Corruption("record pack: offset " + std::to_string(i) + " out of order");
    }
    prev = off;
  }
  return RecordPackReader(pack, count, header);
}

uint32_t RecordPackReader::Offset(size_t i) const { return ReadU32(pack_.data() + 12 + 4 * i); }

std::optional<uint32_t> RecordPackTag(std::string_view pack) {
  if (pack.size() < 12 || ReadU32(pack.data()) != kMagic) return std::nullopt;
  return ReadU32(pack.data() + 8);
}

std::string_view RecordPackReader::Record(size_t i) const {
  uint32_t begin = Offset(i);
  uint32_t end = Offset(i + 1);
  return pack_.substr(begin, end - begin);
}

}  // namespace roost::internal
