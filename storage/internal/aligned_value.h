#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace roost::internal {

// Bytes from RocksDB sit at any address; FlatBuffers wants its buffer 8-byte aligned. Views the
// bytes in place when they already are, copies them into an aligned buffer otherwise.
class AlignedValue {
 public:
  explicit AlignedValue(std::string_view bytes) : size_(bytes.size()) {
    if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 == 0) {
      data_ = reinterpret_cast<const uint8_t*>(bytes.data());
    } else {
      copy_ = std::make_unique_for_overwrite<uint64_t[]>((bytes.size() + 7) / 8);
      if (!bytes.empty()) std::memcpy(copy_.get(), bytes.data(), bytes.size());
      // The padding of the last word is never read: FlatBuffers stays within size().
      data_ = reinterpret_cast<const uint8_t*>(copy_.get());
    }
  }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const {
    return std::string_view(reinterpret_cast<const char*>(data_), size_);
  }

 private:
  std::unique_ptr<uint64_t[]> copy_;
  const uint8_t* data_ = nullptr;
  size_t size_;
};

}  // namespace roost::internal
