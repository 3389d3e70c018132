#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "storage/internal/column_chunk.h"

namespace roost::internal {

// A bounded LRU cache of decoded (aligned, verified) column chunks of sealed blocks, so warm scans
// touch neither RocksDB nor the verifier. Sealed blocks never change, so entries never go stale.
// Thread-safe.
class ColumnCache {
 public:
  explicit ColumnCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  std::shared_ptr<const ColumnChunkData> Get(uint64_t block, Column column);
  void Put(uint64_t block, Column column, std::shared_ptr<const ColumnChunkData> chunk);

 private:
  static uint64_t Key(uint64_t block, Column column) {
    return block << 5 | static_cast<uint64_t>(column);
  }
  struct Entry {
    uint64_t key;
    std::shared_ptr<const ColumnChunkData> chunk;
  };

  std::mutex mu_;
  const size_t capacity_;
  size_t used_ = 0;       // guarded by mu_
  std::list<Entry> lru_;  // guarded by mu_, front = newest
  std::unordered_map<uint64_t, std::list<Entry>::iterator> index_;  // guarded by mu_
};

}  // namespace roost::internal
