#pragma once

#include <cstdint>
#include <vector>

#include <rocksdb/write_batch.h>

#include "storage/internal/open_block.h"
#include "storage/internal/store_db.h"
#include "storage/status.h"

namespace roost::internal {

// meta family key: commits below this seq hold no unsealed row (restart replay starts here).
inline constexpr const char* kReplayFromKey = "replay_from";

// meta family key holding the next block number (u64).
inline constexpr const char* kNextBlockKey = "next_block";

// meta family key recording that every row of (project, bucket) with commit seq <= the value
// is sealed; restart replay skips those rows.
std::string SealedThroughKey(uint32_t project, uint32_t bucket);

// Turns a frozen open block into one atomic WriteBatch: column chunks (rows sorted by start
// time, with a RecordRef column pointing at each whole record), block meta, trace and session
// index entries, the block's rollup (storage/rollup.h), aggregate merges and the sealed-through
// mark. `block_seq` is the new block's
// number.
Status BuildSealBatch(const OpenBlock& block, uint64_t block_seq, const StoreDb& db,
                      rocksdb::WriteBatch* batch);

}  // namespace roost::internal
