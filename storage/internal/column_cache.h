#pragma once

#include <cstdint>
#include <memory>

#include "storage/internal/column_chunk.h"
#include "storage/internal/lru_cache.h"

namespace roost::internal {

// A bounded LRU cache of decoded (aligned, verified) column chunks of sealed blocks, so warm scans
// touch neither RocksDB nor the verifier. Sealed blocks never change, so entries never go stale.
// Thread-safe.
class ColumnCache {
 public:
  explicit ColumnCache(size_t capacity_bytes) : lru_(capacity_bytes) {}

  std::shared_ptr<const ColumnChunkData> Get(uint64_t block, Column column) {
    return lru_.Get(Key(block, column));
  }
  void Put(uint64_t block, Column column, std::shared_ptr<const ColumnChunkData> chunk) {
    lru_.Put(Key(block, column), std::move(chunk));
  }

 private:
  static uint64_t Key(uint64_t block, Column column) {
    return block << 5 | static_cast<uint64_t>(column);
  }
  LruCache<ColumnChunkData> lru_;
};

}  // namespace roost::internal
