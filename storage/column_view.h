#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>

namespace roost {

// The analytic columns of a stored span. On disk (column id in keys): never renumber.
enum class Column : uint8_t {
  kStart = 0,             // int64 start time, Unix ns
  kDuration = 1,          // int64 end - start, ns
  kKind = 2,              // uint8 SpanKind
  kStatus = 3,            // uint8 StatusCode
  kName = 4,              // uint32 name dictionary id
  kModel = 5,             // uint32 model dictionary id, 0 = none
  kSession = 6,           // uint32 session dictionary id, 0 = none
  kPromptTokens = 7,      // uint32
  kCompletionTokens = 8,  // uint32
  kTotalTokens = 9,       // uint32
  kCostMicros = 10,       // int64 micro-USD from `llm.cost.total`, -1 = none
  kSpanHash = 11,         // uint64 hash of (trace id, span id); derived, not stored, in blocks
                          // sealed since 2026-12
  kTraceId = 12,          // 16 bytes per row
  kSpanId = 13,           // 8 bytes per row
  kParentSpanId = 14,     // 8 bytes per row, all zero = root
  kUser = 15,             // uint32 user dictionary id, 0 = none
  kRecordRef = 16,        // uint64 where the whole record is (commit seq << 24 | row)
  // Token-type details (uint32 each, part of the prompt or completion count). Blocks sealed
  // before these columns existed have no chunk for them; readers see zeros.
  kCacheReadTokens = 17,        // `llm.token_count.prompt_details.cache_read`
  kCacheWriteTokens = 18,       // `llm.token_count.prompt_details.cache_write`
  kPromptAudioTokens = 19,      // `llm.token_count.prompt_details.audio`
  kReasoningTokens = 20,        // `llm.token_count.completion_details.reasoning`
  kCompletionAudioTokens = 21,  // `llm.token_count.completion_details.audio`
};
inline constexpr int kColumnCount = 22;
// Columns from this id on may be absent from older blocks, and then read as zeros.
inline constexpr Column kFirstOptionalColumn = Column::kCacheReadTokens;

// The string dictionaries behind dictionary-id columns (store-wide, append-only; id 0 is the
// empty string, "none"). On disk: never renumber.
enum class DictKind : uint8_t {
  kProject = 1,
  kName = 2,
  kModel = 3,
  kSession = 4,
  kUser = 5,
};
inline constexpr int kDictKindCount = 6;  // index 0 unused

// A set of columns, as a bit mask.
class ColumnSet {
 public:
  constexpr ColumnSet() = default;
  constexpr ColumnSet(std::initializer_list<Column> columns) {
    for (Column c : columns) bits_ |= Bit(c);
  }
  static constexpr ColumnSet All() {
    ColumnSet s;
    s.bits_ = (1u << kColumnCount) - 1;
    return s;
  }
  constexpr bool Has(Column c) const { return (bits_ & Bit(c)) != 0; }
  constexpr void Add(Column c) { bits_ |= Bit(c); }
  constexpr uint32_t bits() const { return bits_; }

 private:
  static constexpr uint32_t Bit(Column c) { return 1u << static_cast<uint32_t>(c); }
  uint32_t bits_ = 0;
};

// A read-only column of `T` values that may sit at any address (RocksDB values are not aligned),
// read with memcpy, which compilers turn into plain loads. Cheap to copy.
template <typename T>
class ColumnSpan {
 public:
  ColumnSpan() = default;
  ColumnSpan(const void* data, size_t size) : data_(static_cast<const char*>(data)), size_(size) {}
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // REQUIRES: i < size()
  T operator[](size_t i) const {
    T v;
    std::memcpy(&v, data_ + i * sizeof(T), sizeof(T));
    return v;
  }
  const char* bytes() const { return data_; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

// A run of rows of one block (sealed) or of an open builder, seen column-wise without copies.
// Only the columns asked for are filled; the others are empty spans. Valid only inside the scan
// callback that received it. Rows of a sealed block are in start-time order; rows of an open
// builder in arrival order.
struct ColumnView {
  uint32_t project = 0;    // project dictionary id
  uint32_t bucket = 0;     // hour bucket of every row
  uint64_t block = 0;      // block sequence number; 0 for an open builder
  uint32_t first_row = 0;  // index of this view's row 0 inside its block or builder
  size_t rows = 0;
  ColumnSpan<int64_t> start;
  ColumnSpan<int64_t> duration;
  ColumnSpan<uint8_t> kind;
  ColumnSpan<uint8_t> status;
  ColumnSpan<uint32_t> name;
  ColumnSpan<uint32_t> model;
  ColumnSpan<uint32_t> session;
  ColumnSpan<uint32_t> user;
  ColumnSpan<uint32_t> prompt_tokens;
  ColumnSpan<uint32_t> completion_tokens;
  ColumnSpan<uint32_t> total_tokens;
  ColumnSpan<int64_t> cost_micros;
  ColumnSpan<uint32_t> cache_read_tokens;
  ColumnSpan<uint32_t> cache_write_tokens;
  ColumnSpan<uint32_t> prompt_audio_tokens;
  ColumnSpan<uint32_t> reasoning_tokens;
  ColumnSpan<uint32_t> completion_audio_tokens;
  ColumnSpan<uint64_t> span_hash;
  ColumnSpan<uint64_t> record_ref;
  const uint8_t* trace_id = nullptr;        // 16 * rows bytes
  const uint8_t* span_id = nullptr;         // 8 * rows bytes
  const uint8_t* parent_span_id = nullptr;  // 8 * rows bytes
  // The open block behind the view (nullptr for a sealed block); used by SpanStore::ReadSpans.
  const void* open_block = nullptr;
};

}  // namespace roost
