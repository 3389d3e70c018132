#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/write_batch.h>

#include "storage/internal/open_block.h"
#include "storage/internal/store_db.h"
#include "storage/key_codec.h"
#include "storage/status.h"

namespace roost::internal {

// meta family key: commits below this seq hold no unsealed row (restart replay starts here).
inline constexpr const char* kReplayFromKey = "replay_from";

// meta family key: what retention passes removed, rows restart replay must not bring back
// (records kept for replication remain in payload pages): a list of (u32 cutoff, u64 seq), each
// meaning every row of an hour bucket below the cutoff from the commits before the seq. A pass
// drops the marks its own subsumes; a mark stays beside it when a pass has a lower cutoff than
// an earlier one (the store reopened with a longer retention).
inline constexpr const char* kRetentionAppliedKey = "retention_applied";

struct RetentionMark {
  uint32_t below = 0;
  uint64_t before_seq = 0;
  bool Removed(uint32_t bucket, uint64_t seq) const { return bucket < below && seq < before_seq; }
};

inline std::string EncodeRetentionMarks(const std::vector<RetentionMark>& marks) {
  std::string out;
  for (const RetentionMark& m : marks) {
    keys::PutU32(&out, m.below);
    keys::PutU64(&out, m.before_seq);
  }
  return out;
}

// nullopt when `value` is not a whole number of marks.
inline std::optional<std::vector<RetentionMark>> DecodeRetentionMarks(std::string_view value) {
  if (value.empty() || value.size() % 12 != 0) return std::nullopt;
  std::vector<RetentionMark> marks;
  for (size_t i = 0; i < value.size(); i += 12) {
    marks.push_back({keys::GetU32(value.data() + i), keys::GetU64(value.data() + i + 4)});
  }
  return marks;
}

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
