#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace roost::internal {

// A bounded LRU cache of immutable decoded values (anything with `size_t bytes() const`) keyed by
// a uint64. A value larger than a quarter of the capacity is not kept. Thread-safe.
template <typename V>
class LruCache {
 public:
  explicit LruCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  std::shared_ptr<const V> Get(uint64_t key) {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->value;
  }

  void Put(uint64_t key, std::shared_ptr<const V> value) {
    if (capacity_ == 0 || value->bytes() > capacity_ / 4) return;
    std::lock_guard lock(mu_);
    if (index_.count(key) != 0) return;
    used_ += value->bytes();
    lru_.push_front(Entry{key, std::move(value)});
    index_[key] = lru_.begin();
    while (used_ > capacity_ && !lru_.empty()) {
      used_ -= lru_.back().value->bytes();
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
  }

 private:
  struct Entry {
    uint64_t key;
    std::shared_ptr<const V> value;
  };

  std::mutex mu_;
  const size_t capacity_;
  size_t used_ = 0;       // guarded by mu_
  std::list<Entry> lru_;  // guarded by mu_, front = newest
  std::unordered_map<uint64_t, typename std::list<Entry>::iterator> index_;  // guarded by mu_
};

}  // namespace roost::internal
