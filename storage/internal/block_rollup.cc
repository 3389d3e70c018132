#include "storage/internal/block_rollup.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <flatbuffers/flatbuffers.h>

#include "storage/internal/aligned_value.h"
#include "storage/schema/roost_generated.h"

namespace roost {

size_t BlockRollup::bytes() const {
  // Cells, plus a rough share for each sketch's bins (a few hundred bytes each).
  return sizeof(*this) + cells.size() * (sizeof(RollupCell) + 256);
}

namespace internal {
namespace {

using CellKey = std::tuple<uint8_t, uint8_t, bool, uint32_t, uint32_t>;

CellKey KeyOf(const RowData& r) { return {r.kind, r.status, r.cost_micros >= 0, r.model, r.name}; }

// See RollupCell::irregular_tokens.
bool IrregularTokens(const RowData& r) {
  const uint64_t prompt_details =
      uint64_t{r.cache_read_tokens} + r.cache_write_tokens + r.prompt_audio_tokens;
  const uint64_t completion_details = uint64_t{r.reasoning_tokens} + r.completion_audio_tokens;
  return r.total_tokens > uint64_t{r.prompt_tokens} + r.completion_tokens ||
         prompt_details > r.prompt_tokens || completion_details > r.completion_tokens;
}

void AddRow(const RowData& r, RollupCell& c) {
  c.count++;
  c.prompt_tokens += r.prompt_tokens;
  c.completion_tokens += r.completion_tokens;
  c.total_tokens += r.total_tokens;
  if (r.cost_micros >= 0) c.cost_micros += r.cost_micros;
  c.cache_read_tokens += r.cache_read_tokens;
  c.cache_write_tokens += r.cache_write_tokens;
  c.prompt_audio_tokens += r.prompt_audio_tokens;
  c.reasoning_tokens += r.reasoning_tokens;
  c.completion_audio_tokens += r.completion_audio_tokens;
  if (IrregularTokens(r)) c.irregular_tokens++;
  c.duration.Add(static_cast<double>(r.duration));
}

}  // namespace

std::optional<std::string> EncodeBlockRollup(const std::vector<RowData>& rows) {
  const size_t max_cells = std::max<size_t>(64, rows.size() / kMaxRollupCellsPerRow);
  std::map<CellKey, RollupCell> cells;
  for (const RowData& r : rows) {
    auto [it, inserted] = cells.try_emplace(KeyOf(r));
    RollupCell& c = it->second;
    if (inserted) {
      if (cells.size() > max_cells) return std::nullopt;
      c.kind = r.kind;
      c.status = r.status;
      c.has_cost = r.cost_micros >= 0;
      c.model = r.model;
      c.name = r.name;
    }
    AddRow(r, c);
  }
  flatbuffers::FlatBufferBuilder b(256 + cells.size() * 512);
  std::vector<flatbuffers::Offset<fb::RollupCell>> offsets;
  offsets.reserve(cells.size());
  for (const auto& [key, c] : cells) {
    const std::string sketch = c.duration.Serialize();
    auto sv = b.CreateVector(reinterpret_cast<const uint8_t*>(sketch.data()), sketch.size());
    fb::RollupCellBuilder cb(b);
    cb.add_kind(c.kind);
    cb.add_status(c.status);
    cb.add_has_cost(c.has_cost);
    cb.add_model(c.model);
    cb.add_name(c.name);
    cb.add_count(c.count);
    cb.add_prompt_tokens(c.prompt_tokens);
    cb.add_completion_tokens(c.completion_tokens);
    cb.add_total_tokens(c.total_tokens);
    cb.add_cost_micros(c.cost_micros);
    cb.add_sketch(sv);
    cb.add_cache_read_tokens(c.cache_read_tokens);
    cb.add_cache_write_tokens(c.cache_write_tokens);
    cb.add_prompt_audio_tokens(c.prompt_audio_tokens);
    cb.add_reasoning_tokens(c.reasoning_tokens);
    cb.add_completion_audio_tokens(c.completion_audio_tokens);
    cb.add_irregular_tokens(c.irregular_tokens);
    offsets.push_back(cb.Finish());
  }
  auto cv = b.CreateVector(offsets);
  fb::BlockRollupBuilder rb(b);
  rb.add_cells(cv);
  rb.add_token_details(true);
  b.Finish(rb.Finish());
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

Result<std::shared_ptr<const BlockRollup>> DecodeBlockRollup(std::string_view value,
                                                             uint32_t project, uint32_t bucket,
                                                             uint64_t block, uint32_t rows,
                                                             int64_t min_start, int64_t max_start) {
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption("rollup of block " + std::to_string(block) + ": " + why);
  };
  AlignedValue aligned(value);
  flatbuffers::Verifier verifier(aligned.data(), aligned.size());
  if (!verifier.VerifyBuffer<fb::BlockRollup>(nullptr)) return corrupt("fails verification");
  const auto* fb_rollup = flatbuffers::GetRoot<fb::BlockRollup>(aligned.data());
  auto out = std::make_shared<BlockRollup>();
  out->project = project;
  out->bucket = bucket;
  out->block = block;
  out->rows = rows;
  out->min_start = min_start;
  out->max_start = max_start;
  out->token_details = fb_rollup->token_details();
  uint64_t total = 0;
  if (fb_rollup->cells() != nullptr) {
    out->cells.reserve(fb_rollup->cells()->size());
    for (const fb::RollupCell* fc : *fb_rollup->cells()) {
      RollupCell c;
      c.kind = fc->kind();
      c.status = fc->status();
      c.has_cost = fc->has_cost();
      c.model = fc->model();
      c.name = fc->name();
      c.count = fc->count();
      c.prompt_tokens = fc->prompt_tokens();
      c.completion_tokens = fc->completion_tokens();
      c.total_tokens = fc->total_tokens();
      c.cost_micros = fc->cost_micros();
      c.cache_read_tokens = fc->cache_read_tokens();
      c.cache_write_tokens = fc->cache_write_tokens();
      c.prompt_audio_tokens = fc->prompt_audio_tokens();
      c.reasoning_tokens = fc->reasoning_tokens();
      c.completion_audio_tokens = fc->completion_audio_tokens();
      c.irregular_tokens = fc->irregular_tokens();
      if (c.irregular_tokens > c.count)
        return corrupt("a cell has more irregular spans than spans");
      if (fc->sketch() == nullptr) return corrupt("a cell has no sketch");
      Result<DdSketch> sketch = DdSketch::Deserialize(std::string_view(
          reinterpret_cast<const char*>(fc->sketch()->data()), fc->sketch()->size()));
      if (!sketch.ok()) return corrupt(sketch.status().message());
      if (sketch->count() != c.count) return corrupt("a cell's sketch disagrees with its count");
      c.duration = std::move(*sketch);
      total += c.count;
      out->cells.push_back(std::move(c));
    }
  }
  if (total != rows) {
    return corrupt("cells count " + std::to_string(total) + " rows, block meta says " +
                   std::to_string(rows));
  }
  return std::shared_ptr<const BlockRollup>(std::move(out));
}

}  // namespace internal
}  // namespace roost
