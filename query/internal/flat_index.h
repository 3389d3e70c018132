#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace roost::query {

// Maps 64-bit keys to dense slots 0, 1, 2, ... in order of first appearance: open addressing
// with linear probing in one flat array, so a lookup never allocates (only growth does).
// Used to give each group (dictionary id) and each time bucket an index into a plain vector.
// Thread-compatible.
class FlatIndex {
 public:
  FlatIndex() : table_(16) {}

  // The slot of `key`, assigning the next free one when `key` is new. Keys below kDirect
  // (dictionary ids, span kinds) are looked up in a plain array, without hashing.
  [[gnu::always_inline]] uint32_t SlotOf(uint64_t key) {
    if (key < kDirect) {
      uint32_t& d = direct_[key];
      if (d == 0) d = SlotOfHashed(key) + 1;
      return d - 1;
    }
    return SlotOfHashed(key);
  }

  uint32_t size() const { return size_; }

 private:
  static constexpr uint64_t kDirect = 256;

  uint32_t SlotOfHashed(uint64_t key) {
    size_t i = Probe(key);
    if (table_[i].used) return table_[i].slot;
    if ((size_ + 1) * 4 > table_.size() * 3) {
      Grow();
      i = Probe(key);
    }
    table_[i] = Entry{key, size_, true};
    return size_++;
  }

  struct Entry {
    uint64_t key = 0;
    uint32_t slot = 0;
    bool used = false;
  };

  size_t Probe(uint64_t key) const {
    const size_t mask = table_.size() - 1;
    // Fibonacci hashing spreads consecutive dictionary ids and bucket starts alike.
    size_t i = static_cast<size_t>((key * 0x9e3779b97f4a7c15ULL) >> 17) & mask;
    while (table_[i].used && table_[i].key != key) i = (i + 1) & mask;
    return i;
  }

  void Grow() {
    std::vector<Entry> old;
    old.swap(table_);
    table_.resize(old.size() * 2);
    for (const Entry& e : old) {
      if (e.used) table_[Probe(e.key)] = e;
    }
  }

  std::vector<Entry> table_;                // size is a power of two, at most 3/4 full
  std::array<uint32_t, kDirect> direct_{};  // key -> slot + 1 for small keys; 0 = not yet
  uint32_t size_ = 0;
};

}  // namespace roost::query
