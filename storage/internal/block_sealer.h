#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <rocksdb/write_batch.h>

#include "storage/internal/open_block.h"
#include "storage/internal/store_db.h"
#include "storage/key_codec.h"
#include "storage/status.h"

namespace roost::internal {

// meta family key: commits below this seq hold no unsealed row (restart replay starts here).
inline constexpr const char* kReplayFromKey = "replay_from";

// meta family key: the last retention pass removed every row of an hour bucket below its u32
// cutoff from the commits before its u64 seq (rows that restart replay must not bring back;
// records kept for replication remain in payload pages).
inline constexpr const char* kRetentionAppliedKey = "retention_applied";

// meta family key holding the next block number (u64).
inline constexpr const char* kNextBlockKey = "next_block";

// meta family key recording that every row of (project, bucket) with commit seq <= the value
// is sealed; restart replay skips those rows.
std::string SealedThroughKey(uint32_t project, uint32_t bucket);

// A trace index key (keys::EncodeTraceIndexKey), fixed-size so that many sort cheaply.
// Bytes are unsigned so that the array's order is RocksDB's bytewise order.
using TraceIndexKey = std::array<uint8_t, keys::kTraceIndexKeySize>;

// Adds to `batch` what sealing a frozen open block writes: column chunks (rows sorted by start
// time, with a RecordRef column pointing at each whole record), block meta, session index
// entries and the block's rollup (storage/rollup.h). `block_seq` is the new block's number. The
// block's trace index entries, one per trace, are appended to `trace_keys` for the caller to add
// (PutTraceIndex) with those of the other blocks sealed in the same batch; the caller also
// writes the sealed-through marks (SealedThroughKey).
Status BuildSealBatch(const OpenBlock& block, uint64_t block_seq, const StoreDb& db,
                      rocksdb::WriteBatch* batch, std::vector<TraceIndexKey>* trace_keys);

// Sorts `trace_keys` and adds them to `batch`. Trace ids are random, so each key lands far from
// the last in the memtable's skip list unless they go in sorted and many at a time: RocksDB
// then resumes each insert's search where the previous one ended.
void PutTraceIndex(std::vector<TraceIndexKey>* trace_keys, const StoreDb& db,
                   rocksdb::WriteBatch* batch);

}  // namespace roost::internal
