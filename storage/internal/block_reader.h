#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include <rocksdb/db.h>

#include "storage/column_view.h"
#include "storage/internal/column_cache.h"
#include "storage/internal/lru_cache.h"
#include "storage/internal/store_db.h"
#include "storage/key_codec.h"
#include "storage/result.h"
#include "storage/rollup.h"
#include "storage/span.h"

namespace roost::internal {

// What a sealed block's meta says (the parts readers use).
struct BlockInfo {
  keys::BlockKey key;
  uint32_t rows = 0;
  int64_t min_start = 0;
  int64_t max_start = 0;
};

// Reads sealed blocks at a RocksDB snapshot. Thread-safe; cheap to construct.
class BlockReader {
 public:
  BlockReader(const StoreDb& db, ColumnCache* cache, const rocksdb::Snapshot* snapshot,
              LruCache<BlockRollup>* rollup_cache = nullptr)
      : db_(db), cache_(cache), snapshot_(snapshot), rollup_cache_(rollup_cache) {}

  // Calls fn for every block of `project` whose start range meets [from, to), skipping block
  // numbers in `skip`, with `columns` filled.
  Status ForEachBlock(uint32_t project, int64_t from, int64_t to, ColumnSet columns,
                      const std::unordered_set<uint64_t>& skip,
                      const std::function<Status(const BlockInfo&, const ColumnView&)>& fn) const;

  // Which blocks ForEachBlockOrRollup visits: those of `project` whose start range meets
  // [from, to), in shard `shard` of `shards` (block number modulo shards), not in `skip`.
  struct BlockScan {
    uint32_t project = 0;
    int64_t from = 0;
    int64_t to = 0;
    ColumnSet columns;
    uint32_t shard = 0;
    uint32_t shards = 1;
    int64_t rollup_granularity = 0;                                   // see ScanRequest
    std::function<bool(const BlockRollup&)> accept_rollup = nullptr;  // see ScanRequest
  };

  // As ForEachBlock, but when `on_rollup` is set, a block whose rows all start in [from, to)
  // and that has a rollup goes to `on_rollup` instead of `fn` (REQUIRES: a rollup cache).
  Status ForEachBlockOrRollup(const BlockScan& scan, const std::unordered_set<uint64_t>& skip,
                              const std::function<Status(const BlockInfo&, const ColumnView&)>& fn,
                              const std::function<Status(const BlockRollup&)>& on_rollup) const;

  // The rollup of a block, or nullptr when it has none (too many cells, or sealed by a version
  // without rollups). kCorruption when it fails verification.
  Result<std::shared_ptr<const BlockRollup>> ReadRollup(const BlockInfo& info) const;

  // The meta of one block; kNotFound when it is gone (retention).
  Result<BlockInfo> ReadInfo(const keys::BlockKey& key) const;

  // Fills `view` with `columns` of the block.
  Status ReadColumns(const BlockInfo& info, ColumnSet columns, ColumnView* view,
                     std::vector<std::shared_ptr<const ColumnChunkData>>* keep) const;

  // Whole spans of the given rows of a block, in the order given.
  Result<std::vector<Span>> ReadSpans(const BlockInfo& info,
                                      const std::vector<uint32_t>& rows) const;

  // Whole spans by RecordRef, in the order given. `where` names the referrer in errors.
  Result<std::vector<Span>> ReadRecords(const std::vector<uint64_t>& refs,
                                        const std::string& where) const;

 private:
  // The kSpanHash column of a block sealed without it, computed from its id columns.
  Result<std::shared_ptr<const ColumnChunkData>> DeriveSpanHashes(const BlockInfo& info) const;

  rocksdb::ReadOptions Options() const;

  const StoreDb& db_;
  ColumnCache* cache_;
  const rocksdb::Snapshot* snapshot_;
  LruCache<BlockRollup>* rollup_cache_;
};

// Verifies and decodes a BlockMeta value.
Result<BlockInfo> DecodeBlockInfo(const keys::BlockKey& key, std::string_view value);

}  // namespace roost::internal
