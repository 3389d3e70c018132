#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/internal/open_block.h"
#include "storage/result.h"
#include "storage/rollup.h"

namespace roost::internal {

// Cols-family column byte under which a block's rollup is stored (not a Column value).
inline constexpr uint8_t kRollupColumnByte = 0xFF;

// A block with more distinct cells than this share of its rows gets no rollup (readers then read
// its rows): a rollup only pays when cells are much fewer than rows.
inline constexpr size_t kMaxRollupCellsPerRow = 4;  // cells <= max(64, rows / 4)

// Encodes the rollup of `rows` (one block), or nullopt when it would have too many cells.
std::optional<std::string> EncodeBlockRollup(const std::vector<RowData>& rows);

// Verifies and decodes a rollup value of block `key` whose meta says `rows` rows; the cells'
// counts must add up to it. kCorruption naming the block otherwise.
Result<std::shared_ptr<const BlockRollup>> DecodeBlockRollup(std::string_view value,
                                                             uint32_t project, uint32_t bucket,
                                                             uint64_t block, uint32_t rows,
                                                             int64_t min_start, int64_t max_start);

}  // namespace roost::internal
