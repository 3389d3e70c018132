#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/column_view.h"
#include "storage/status.h"

namespace roost::internal {

// One span's analytic fields, as they go into an open block.
struct RowData {
  int64_t start = 0;
  int64_t duration = 0;
  uint8_t kind = 0;
  uint8_t status = 0;
  uint32_t name = 0;
  uint32_t model = 0;
  uint32_t session = 0;
  uint32_t user = 0;
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
  uint32_t total_tokens = 0;
  int64_t cost_micros = -1;
  uint32_t cache_read_tokens = 0;
  uint32_t cache_write_tokens = 0;
  uint32_t prompt_audio_tokens = 0;
  uint32_t reasoning_tokens = 0;
  uint32_t completion_audio_tokens = 0;
  uint64_t hash = 0;
  std::array<uint8_t, 16> trace{};
  std::array<uint8_t, 8> span{};
  std::array<uint8_t, 8> parent{};
  uint64_t ref = 0;         // where the record is stored (keys::MakeRecordRef)
  std::string_view record;  // the whole span (SpanRecord), inside a payload page in memory
};

// The rows of one (project, bucket) not yet sealed, column-wise, in arrival order.
//
// Concurrency: one writer appends (under the store's state lock) and then publishes the new row
// count; readers read rows below a published count without locks. Storage is a fixed set of
// segments of doubling size that never move, so appends never invalidate what readers see.
// A frozen block (being sealed) is immutable.
class OpenBlock {
 public:
  // The first segment is small: a block costs memory from its first row, and a store may hold
  // many nearly empty blocks at once (a client that names a project per session; 256-row first
  // segments made 20,000 one-row projects take 700 MB).
  static constexpr size_t kFirstSegmentRows = 16;
  static constexpr size_t kSegments = 12;
  static constexpr size_t kCapacity = 65280;
  static_assert(kFirstSegmentRows * ((size_t{1} << kSegments) - 1) >= kCapacity);

  OpenBlock(uint32_t project, uint32_t bucket, uint64_t first_seq);
  ~OpenBlock();
  OpenBlock(const OpenBlock&) = delete;
  OpenBlock& operator=(const OpenBlock&) = delete;

  // Writer only. Keeps `pages` (the payload pages holding appended rows' records) alive as long
  // as this block. Call before appending rows whose record points into them.
  void KeepAlive(std::shared_ptr<const void> pages);
  // Writer only. REQUIRES: appended() < kCapacity. Invisible to readers until Publish().
  void Append(const RowData& row, uint64_t seq);
  void Publish() { published_.store(appended_, std::memory_order_release); }

  size_t rows() const { return published_.load(std::memory_order_acquire); }
  size_t appended() const { return appended_; }
  uint32_t project() const { return project_; }
  uint32_t bucket() const { return bucket_; }
  uint64_t first_seq() const { return first_seq_; }
  uint64_t last_seq() const { return last_seq_; }
  int64_t last_append_steady_ns() const { return last_append_ns_.load(std::memory_order_relaxed); }

  // Calls fn with views of rows [0, n), one per segment, with `columns` filled.
  // REQUIRES: n <= rows().
  Status ForEachView(size_t n, ColumnSet columns,
                     const std::function<Status(const ColumnView&)>& fn) const;

  // Row accessors. REQUIRES: row < rows().
  RowData Row(size_t row) const;
  int64_t Start(size_t row) const;
  uint64_t Hash(size_t row) const;
  std::string_view Record(size_t row) const;

 private:
  struct Segment;
  static size_t SegmentOf(size_t row, size_t* offset);

  const uint32_t project_;
  const uint32_t bucket_;
  const uint64_t first_seq_;
  uint64_t last_seq_ = 0;  // writer only until frozen
  size_t appended_ = 0;    // writer only
  std::atomic<size_t> published_{0};
  std::atomic<int64_t> last_append_ns_{0};
  std::array<std::unique_ptr<Segment>, kSegments> segments_;
  std::vector<std::shared_ptr<const void>> packs_;  // writer only until frozen
};

}  // namespace roost::internal
