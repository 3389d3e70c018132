#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace roost::internal {

// A set of 64-bit hashes (already well mixed): open addressing with linear probing and
// backward-shift deletion, so no tombstones and no per-entry allocation. The all-zero key is
// kept aside. Not thread-safe.
class U64HashSet {
 public:
  U64HashSet() { Rehash(1024); }

  // Returns true when `key` was not present.
  bool Insert(uint64_t key) {
    if (key == 0) return !std::exchange(has_zero_, true);
    if ((size_ + 1) * 4 > slots_.size() * 3) Rehash(slots_.size() * 2);
    for (size_t i = key & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == key) return false;
      if (slots_[i] == 0) {
        slots_[i] = key;
        ++size_;
        return true;
      }
    }
  }

  bool Contains(uint64_t key) const {
    if (key == 0) return has_zero_;
    for (size_t i = key & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == key) return true;
      if (slots_[i] == 0) return false;
    }
  }

  // Returns true when `key` was present.
  bool Erase(uint64_t key) {
    if (key == 0) return std::exchange(has_zero_, false);
    size_t i = key & mask_;
    for (;; i = (i + 1) & mask_) {
      if (slots_[i] == 0) return false;
      if (slots_[i] == key) break;
    }
    // Shift later members of the probe run back so lookups never stop early.
    for (size_t j = (i + 1) & mask_; slots_[j] != 0; j = (j + 1) & mask_) {
      size_t home = slots_[j] & mask_;
      // Move slots_[j] into the hole at i when its home is not in (i, j] cyclically.
      if (((j - home) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        slots_[j] = 0;
        i = j;
      }
    }
    slots_[i] = 0;
    --size_;
    if (slots_.size() > 1024 && size_ * 8 < slots_.size()) Rehash(slots_.size() / 2);
    return true;
  }

  size_t size() const { return size_ + (has_zero_ ? 1 : 0); }

 private:
  void Rehash(size_t capacity) {
    std::vector<uint64_t> old = std::move(slots_);
    slots_.assign(capacity, 0);
    mask_ = capacity - 1;
    size_ = 0;
    for (uint64_t k : old) {
      if (k != 0) Insert(k);
    }
  }

  std::vector<uint64_t> slots_;  // capacity is a power of two
  size_t mask_ = 0;
  size_t size_ = 0;  // non-zero keys
  bool has_zero_ = false;
};

}  // namespace roost::internal
