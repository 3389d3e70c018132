#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "storage/column_view.h"
#include "storage/result.h"

namespace roost::internal {

// How a column's values are stored in its ColumnChunk (storage/schema/roost.fbs).
enum class ColumnType { kU8, kU32, kI64, kU64 };
ColumnType TypeOf(Column column);
// Bytes per row: 16 for trace ids, 8 for span ids, otherwise the value size.
size_t RowWidth(Column column);

// Encodes `rows` values of `column` laid out contiguously at `data` (RowWidth bytes each).
std::string EncodeColumnChunk(Column column, const void* data, uint32_t rows);

// A verified column chunk in an aligned buffer of its own, safe to keep (the column cache holds
// these). Immutable; thread-safe.
class ColumnChunkData {
 public:
  // Copies `value` into aligned memory and verifies it: a FlatBuffers ColumnChunk of `column`
  // with exactly `rows` values. kCorruption naming `where` otherwise.
  static Result<std::shared_ptr<const ColumnChunkData>> Decode(std::string_view value,
                                                               Column column, uint32_t rows,
                                                               std::string_view where);
  // A chunk of `rows` zero values of `column`: what a block sealed before `column` existed
  // holds for it (columns from kFirstOptionalColumn on).
  static std::shared_ptr<const ColumnChunkData> Zeros(Column column, uint32_t rows);
  // Points `view`'s member for this column at the values.
  void Fill(ColumnView* view) const;
  size_t bytes() const { return size_; }

 private:
  ColumnChunkData() = default;
  std::unique_ptr<uint64_t[]> buffer_;
  size_t size_ = 0;
  Column column_ = Column::kStart;
  const void* values_ = nullptr;
  uint32_t rows_ = 0;
};

}  // namespace roost::internal
