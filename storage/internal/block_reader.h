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
#include "storage/internal/store_db.h"
#include "storage/key_codec.h"
#include "storage/result.h"
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
  BlockReader(const StoreDb& db, ColumnCache* cache, const rocksdb::Snapshot* snapshot)
      : db_(db), cache_(cache), snapshot_(snapshot) {}

  // Calls fn for every block of `project` whose start range meets [from, to), skipping block
  // numbers in `skip`, with `columns` filled.
  Status ForEachBlock(uint32_t project, int64_t from, int64_t to, ColumnSet columns,
                      const std::unordered_set<uint64_t>& skip,
                      const std::function<Status(const BlockInfo&, const ColumnView&)>& fn) const;

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
  rocksdb::ReadOptions Options() const;

  const StoreDb& db_;
  ColumnCache* cache_;
  const rocksdb::Snapshot* snapshot_;
};

// Verifies and decodes a BlockMeta value.
Result<BlockInfo> DecodeBlockInfo(const keys::BlockKey& key, std::string_view value);

}  // namespace roost::internal
