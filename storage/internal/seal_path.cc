// The seal path: freezing open blocks, sealing them into column blocks, advancing the replay
// floor, and retention.

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "storage/internal/block_sealer.h"
#include "storage/internal/record_pack.h"
#include "storage/internal/store_impl.h"
#include "storage/key_codec.h"

namespace roost {
namespace {

int64_t SteadyNowNs() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

}  // namespace

void SpanStore::Impl::FreezeLocked(const BlockKeyPair& key) {
  auto it = open_.find(key);
  if (it == open_.end()) return;
  open_rows_ -= it->second->appended();
  frozen_.emplace_back(std::move(it->second), next_block_++);
  open_.erase(it);
}

void SpanStore::Impl::SealerLoop() {
  // A failure that lasts (a full disk) is logged when it starts, then every half minute.
  bool failing = false;
  std::chrono::steady_clock::time_point next_log;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      seal_cv_.wait_for(lock, std::chrono::milliseconds(200),
                        [&] { return stopping_ || seal_wanted_; });
      if (stopping_) return;
      seal_wanted_ = false;
    }
    std::lock_guard seal_lock(seal_mu_);
    const Status s = SealDueLocked(/*all=*/false);
    const auto now = std::chrono::steady_clock::now();
    if (s.ok()) {
      if (failing) spdlog::info("sealing works again");
      failing = false;
    } else if (!failing || now >= next_log) {
      failing = true;
      next_log = now + std::chrono::seconds(30);
      spdlog::error("sealing failed (will retry): {}", s.ToString());
    }
  }
}

Status SpanStore::Impl::SealDueLocked(bool all) {
  std::vector<FrozenBlock> to_seal;
  {
    std::unique_lock state_lock(state_mu_);
    const int64_t idle_before =
        SteadyNowNs() -
        std::chrono::duration_cast<std::chrono::nanoseconds>(options_.seal_idle).count();
    std::vector<BlockKeyPair> due;
    for (const auto& [key, block] : open_) {
      if (all || block->appended() >= max_block_rows_ ||
          block->last_append_steady_ns() < idle_before) {
        due.push_back(key);
      }
    }
    for (const BlockKeyPair& key : due) FreezeLocked(key);
    // Bound memory: seal the blocks holding the oldest rows first, down to three quarters of the
    // bound, so that a round seals many blocks together (see SealBatch) rather than one block
    // each time a commit crosses the bound.
    PruneOpenPagesLocked();
    if (open_rows_ > options_.max_open_rows ||
        open_page_bytes_total_ > options_.max_open_page_bytes) {
      std::vector<std::pair<uint64_t, BlockKeyPair>> by_age;
      by_age.reserve(open_.size());
      for (const auto& [key, block] : open_) by_age.emplace_back(block->first_seq(), key);
      std::sort(by_age.begin(), by_age.end());
      // Pages: once every block whose first row is in commit `through` or older is frozen, the
      // open blocks hold only pages of newer commits; `through` is the newest commit for which
      // those come to at most three quarters of the bound.
      uint64_t through = 0;
      const size_t page_target = options_.max_open_page_bytes - options_.max_open_page_bytes / 4;
      size_t newer = 0;
      for (auto it = open_page_bytes_.rbegin(); it != open_page_bytes_.rend(); ++it) {
        newer += it->second;
        if (newer > page_target) {
          through = it->first;
          break;
        }
      }
      const size_t row_target = options_.max_open_rows - options_.max_open_rows / 4;
      for (const auto& [first_seq, key] : by_age) {
        if (open_rows_ <= row_target && first_seq > through) break;
        FreezeLocked(key);
      }
      PruneOpenPagesLocked();
    }
    to_seal.assign(frozen_.begin(), frozen_.end());
  }
  for (size_t begin = 0; begin < to_seal.size();) {
    size_t end = begin + 1;
    size_t rows = to_seal[begin].first->rows();
    while (end < to_seal.size() && rows + to_seal[end].first->rows() <= kMaxSealBatchRows) {
      rows += to_seal[end++].first->rows();
    }
    if (Status s = SealBatch({to_seal.data() + begin, end - begin}); !s.ok()) return s;
    begin = end;
  }
  if (!to_seal.empty()) return AdvanceReplayFloor();
  return Status::OK();
}

Status SpanStore::Impl::SealBatch(std::span<const FrozenBlock> blocks) {
  rocksdb::WriteBatch batch;
  std::vector<internal::TraceIndexKey> trace_keys;
  std::map<BlockKeyPair, uint64_t> sealed_through;  // the last commit sealed, per key
  uint64_t next_block = 0;
  for (const auto& [block, block_seq] : blocks) {
    if (block->rows() == 0) continue;
    if (Status s = internal::BuildSealBatch(*block, block_seq, *db_, &batch, &trace_keys);
        !s.ok()) {
      return s;
    }
    uint64_t& through = sealed_through[{block->project(), block->bucket()}];
    through = std::max(through, block->last_seq());
    next_block = std::max(next_block, block_seq + 1);
  }
  if (next_block > 0) {
    internal::PutTraceIndex(&trace_keys, *db_, &batch);
    for (const auto& [key, through] : sealed_through) {
      std::string value;
      keys::PutU64(&value, through);
      batch.Put(db_->cf(internal::kMeta), internal::SealedThroughKey(key.first, key.second), value)
          .PermitUncheckedError();
    }
    std::string next;
    keys::PutU64(&next, next_block);
    batch.Put(db_->cf(internal::kMeta), internal::kNextBlockKey, next).PermitUncheckedError();
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync;
    if (Status s = db_->Write(wo, &batch, "sealing blocks"); !s.ok()) {
      return s;
    }
  }
  // The blocks are in RocksDB: readers and dedupe may now find their rows there.
  std::lock_guard dedupe_lock(dedupe_mu_);
  std::unique_lock state_lock(state_mu_);
  for (const auto& sealed : blocks) {
    const auto& block = sealed.first;
    for (size_t r = 0; r < block->rows(); ++r) pending_hashes_.Erase(block->Row(r).hash);
    auto it = std::find_if(frozen_.begin(), frozen_.end(),
                           [&](const auto& f) { return f.first == block; });
    if (it != frozen_.end()) frozen_.erase(it);
    sealed_blocks_++;
    sealed_rows_ += block->rows();
  }
  return Status::OK();
}

Status SpanStore::Impl::AdvanceReplayFloor() {
  // Commits below the oldest commit any open or frozen block still holds rows of are sealed (or
  // dropped by retention): restart replay may start there.
  uint64_t floor = UINT64_MAX;
  {
    // Same lock order as the writer; under dedupe_mu_ no commit is half-way through.
    std::lock_guard dedupe_lock(dedupe_mu_);
    std::shared_lock state_lock(state_mu_);
    for (const auto& [key, block] : open_) floor = std::min(floor, block->first_seq());
    for (const auto& [block, seq] : frozen_) floor = std::min(floor, block->first_seq());
    floor = std::min(floor, next_seq_);
  }
  if (floor <= replay_floor_) return Status::OK();
  std::string value;
  keys::PutU64(&value, floor);
  rocksdb::WriteBatch batch;
  batch.Put(db_->cf(internal::kMeta), internal::kReplayFromKey, value).PermitUncheckedError();
  Status s = db_->Write(rocksdb::WriteOptions(), &batch, "advancing the replay floor");
  if (s.ok()) replay_floor_ = floor;
  return s;
}

Status SpanStore::Impl::Flush() {
  if (db_->read_only()) return Status::OK();
  std::lock_guard seal_lock(seal_mu_);
  return SealDueLocked(/*all=*/true);
}

Result<RetentionResult> SpanStore::Impl::ApplyRetention(int64_t now_unix_nano) {
  RetentionResult result;
  if (options_.retention.count() <= 0 || db_->read_only()) return result;
  const int64_t keep_from =
      now_unix_nano -
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.retention).count();
  const uint32_t cutoff = keep_from <= 0 ? 0 : keys::BucketOf(keep_from);
  result.cutoff_bucket = cutoff;
  if (cutoff == 0) return result;
  std::lock_guard seal_lock(seal_mu_);
  cutoff_->bucket.store(std::max(cutoff_->bucket.load(), cutoff));
  // Records still waiting for replication survive retention (the payload compaction filter keeps
  // them): never silently, so count them and say so.
  Result<uint64_t> kept = PendingSpansBefore(cutoff);
  if (!kept.ok()) return kept.status();
  result.pending_spans_kept = *kept;
  pending_kept_.store(*kept);
  if (*kept > 0) {
    spdlog::warn(
        "retention: {} spans of expired hours are still pending replication; their records are "
        "kept until replicated (queries no longer see them)",
        *kept);
  }
  // Frozen blocks are sealed first so that what is deleted below is all in RocksDB.
  if (Status s = SealDueLocked(/*all=*/false); !s.ok()) return s;
  uint64_t applied_seq = 0;  // commits from this one on come after the pass
  {
    std::lock_guard dedupe_lock(dedupe_mu_);
    applied_seq = next_seq_;
    std::unique_lock state_lock(state_mu_);
    for (auto it = open_.begin(); it != open_.end();) {
      if (it->first.second < cutoff) {
        const auto& block = it->second;
        for (size_t r = 0; r < block->appended(); ++r) pending_hashes_.Erase(block->Row(r).hash);
        result.open_rows_dropped += block->appended();
        open_rows_ -= block->appended();
        it = open_.erase(it);
      } else {
        ++it;
      }
    }
  }
  const uint32_t projects = dict_.max_id(DictKind::kProject);
  rocksdb::WriteBatch batch;
  std::vector<std::pair<std::string, std::string>> removed_ranges;
  for (uint32_t p = 1; p <= projects; ++p) {
    const std::string from = keys::EncodeProjectBucketPrefix(p, 0);
    const std::string to = keys::EncodeProjectBucketPrefix(p, cutoff);
    uint64_t blocks = 0;
    {
      rocksdb::ReadOptions ro;
      rocksdb::Slice upper(to);
      ro.iterate_upper_bound = &upper;
      std::unique_ptr<rocksdb::Iterator> it(
          db_->db()->NewIterator(ro, db_->cf(internal::kBlockMeta)));
      for (it->Seek(from); it->Valid(); it->Next()) ++blocks;
    }
    if (blocks == 0) continue;
    result.blocks_removed += blocks;
    for (internal::Family f : {internal::kCols, internal::kBlockMeta, internal::kAgg}) {
      batch.DeleteRange(db_->cf(f), from, to).PermitUncheckedError();
    }
    removed_ranges.emplace_back(from, to);
  }
  // This pass's mark subsumes every earlier one with a cutoff no higher (their seqs are lower).
  std::vector<internal::RetentionMark> marks;
  for (const internal::RetentionMark& m : retention_marks_) {
    if (m.below > cutoff) marks.push_back(m);
  }
  marks.push_back({cutoff, applied_seq});
  batch
      .Put(db_->cf(internal::kMeta), internal::kRetentionAppliedKey,
           internal::EncodeRetentionMarks(marks))
      .PermitUncheckedError();
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  if (Status s = db_->Write(wo, &batch, "applying retention"); !s.ok()) return s;
  retention_marks_ = std::move(marks);
  if (!removed_ranges.empty() || result.open_rows_dropped > 0) {
    if (Status s = AdvanceReplayFloor(); !s.ok()) return s;
  }
  // Only once the rows are deleted: a crash in between leaves strings for the next pass, never a
  // row naming a string that is gone.
  Result<uint64_t> strings = CollectStrings(cutoff);
  if (!strings.ok()) return strings.status();
  result.strings_removed = *strings;
  if (removed_ranges.empty() && result.open_rows_dropped == 0 && result.strings_removed == 0) {
    return result;
  }
  return ReclaimSpace(cutoff, removed_ranges, result);
}

Result<uint64_t> SpanStore::Impl::CollectStrings(uint32_t cutoff) {
  // A reader whose view was taken before the rows went (a snapshot, with the open blocks of that
  // moment) may still map their ids to strings: wait for such views to end, briefly; a view that
  // outlives the wait holds the strings until a later pass.
  const rocksdb::SequenceNumber rows_gone = db_->db()->GetLatestSequenceNumber();
  constexpr int kWaitSteps = 100;  // of 10 ms
  for (int step = 0;; ++step) {
    uint64_t oldest = 0;  // 0: no snapshot
    if (!db_->db()->GetIntProperty(rocksdb::DB::Properties::kOldestSnapshotSequence, &oldest) ||
        oldest == 0 || oldest >= rows_gone) {
      break;
    }
    if (step == kWaitSteps) {
      spdlog::info(
          "retention: a read that began before old rows were removed is still running; "
          "their session and user ids are removed by a later pass");
      return uint64_t{0};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // dedupe_mu_ holds the writer out: no commit interns a string between its choice and its
  // deletion (a commit would otherwise raise the last hour of, or re-add, a string deleted here).
  std::lock_guard dedupe_lock(dedupe_mu_);
  rocksdb::WriteBatch batch;
  const size_t n = dict_.PrepareCollect(cutoff, &batch, db_->cf(internal::kDict));
  if (n == 0) return uint64_t{0};
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  if (Status s = db_->Write(wo, &batch, "removing expired session and user ids"); !s.ok()) {
    dict_.AbortCollect();
    return s;
  }
  dict_.FinishCollect();
  return uint64_t{n};
}

Result<RetentionResult> SpanStore::Impl::ReclaimSpace(
    uint32_t cutoff, const std::vector<std::pair<std::string, std::string>>& removed_ranges,
    RetentionResult result) {
  // Compact only what retention touched, so an hourly pass does not rewrite the whole store.
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  auto compact = [&](internal::Family f, const rocksdb::Slice* begin, const rocksdb::Slice* end) {
    return internal::FromRocks(db_->db()->CompactRange(co, db_->cf(f), begin, end), "compacting");
  };
  for (const auto& [from, to] : removed_ranges) {
    rocksdb::Slice begin(from), end(to);
    for (internal::Family f : {internal::kCols, internal::kBlockMeta, internal::kAgg}) {
      if (Status s = compact(f, &begin, &end); !s.ok()) return s;
    }
  }
  // Payload pages are keyed by commit, and commits come roughly in time order: the expired pages
  // are those before the first page whose newest record is still kept (the compaction filter
  // drops only pages whose every record expired, wherever they are).
  std::string first_kept;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->db()->NewIterator(rocksdb::ReadOptions(), db_->cf(internal::kPayload)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::optional<uint32_t> tag =
          internal::RecordPackTag(std::string_view(it->value().data(), it->value().size()));
      if (!tag || *tag >= cutoff) {
        first_kept = it->key().ToString();
        break;
      }
    }
  }
  rocksdb::Slice payload_end(first_kept);
  if (Status s = compact(internal::kPayload, nullptr, first_kept.empty() ? nullptr : &payload_end);
      !s.ok()) {
    return s;
  }
  // Index entries are keyed by trace or session first: their expired entries are everywhere.
  for (internal::Family f : {internal::kTraceIdx, internal::kSessionIdx}) {
    if (Status s = compact(f, nullptr, nullptr); !s.ok()) return s;
  }
  if (result.strings_removed > 0) {
    if (Status s = compact(internal::kDict, nullptr, nullptr); !s.ok()) return s;
  }
  spdlog::info("retention: removed {} blocks and {} session and user ids below hour bucket {}",
               result.blocks_removed, result.strings_removed, cutoff);
  return result;
}

}  // namespace roost
