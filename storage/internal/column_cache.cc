#include "storage/internal/column_cache.h"

namespace roost::internal {

std::shared_ptr<const ColumnChunkData> ColumnCache::Get(uint64_t block, Column column) {
  std::lock_guard lock(mu_);
  auto it = index_.find(Key(block, column));
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->chunk;
}

void ColumnCache::Put(uint64_t block, Column column, std::shared_ptr<const ColumnChunkData> chunk) {
  if (capacity_ == 0 || chunk->bytes() > capacity_ / 4) return;
  std::lock_guard lock(mu_);
  uint64_t key = Key(block, column);
  if (index_.count(key) != 0) return;
  used_ += chunk->bytes();
  lru_.push_front(Entry{key, std::move(chunk)});
  index_[key] = lru_.begin();
  while (used_ > capacity_ && !lru_.empty()) {
    used_ -= lru_.back().chunk->bytes();
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

}  // namespace roost::internal
