#include "storage/internal/block_sealer.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>
#include <unordered_map>

#include <flatbuffers/flatbuffers.h>

#include "storage/internal/agg_merge_operator.h"
#include "storage/internal/block_rollup.h"
#include "storage/internal/column_chunk.h"
#include "storage/key_codec.h"
#include "storage/schema/roost_generated.h"

namespace roost::internal {
namespace {

// Gathers one column of the sorted rows into contiguous memory.
template <typename T, typename Get>
std::vector<T> Gather(const std::vector<RowData>& rows, const std::vector<uint32_t>& order,
                      Get get) {
  std::vector<T> out;
  out.reserve(order.size());
  for (uint32_t i : order) out.push_back(get(rows[i]));
  return out;
}

template <size_t N, typename Get>
std::vector<uint8_t> GatherIds(const std::vector<RowData>& rows, const std::vector<uint32_t>& order,
                               Get get) {
  std::vector<uint8_t> out(order.size() * N);
  for (size_t k = 0; k < order.size(); ++k) {
    const std::array<uint8_t, N>& id = get(rows[order[k]]);
    std::memcpy(&out[k * N], id.data(), N);
  }
  return out;
}

void PutColumn(rocksdb::WriteBatch* batch, const StoreDb& db, const keys::BlockKey& key,
               Column column, const void* data, uint32_t rows) {
  batch
      ->Put(db.cf(kCols), keys::EncodeColumnKey(key, static_cast<uint8_t>(column)),
            EncodeColumnChunk(column, data, rows))
      .PermitUncheckedError();
}

std::string EncodeBlockMeta(const std::vector<RowData>& rows, const std::vector<uint32_t>& order,
                            const OpenBlock& block) {
  std::vector<uint32_t> models, names;
  uint32_t kinds = 0, errors = 0;
  uint64_t prompt = 0, completion = 0, total = 0;
  int64_t cost = 0, min_d = INT64_MAX, max_d = INT64_MIN;
  for (const RowData& r : rows) {
    models.push_back(r.model);
    names.push_back(r.name);
    kinds |= 1u << r.kind;
    if (r.status == static_cast<uint8_t>(StatusCode::kError)) ++errors;
    prompt += r.prompt_tokens;
    completion += r.completion_tokens;
    total += r.total_tokens;
    if (r.cost_micros > 0) cost += r.cost_micros;
    min_d = std::min(min_d, r.duration);
    max_d = std::max(max_d, r.duration);
  }
  for (auto* v : {&models, &names}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  flatbuffers::FlatBufferBuilder b(256);
  auto mv = b.CreateVector(models);
  auto nv = b.CreateVector(names);
  fb::BlockMetaBuilder m(b);
  m.add_rows(static_cast<uint32_t>(rows.size()));
  m.add_min_start(rows[order.front()].start);
  m.add_max_start(rows[order.back()].start);
  m.add_min_duration(min_d);
  m.add_max_duration(max_d);
  m.add_kinds_mask(kinds);
  m.add_models(mv);
  m.add_names(nv);
  m.add_error_count(errors);
  m.add_prompt_tokens(prompt);
  m.add_completion_tokens(completion);
  m.add_total_tokens(total);
  m.add_cost_micros(cost);
  m.add_first_seq(block.first_seq());
  m.add_last_seq(block.last_seq());
  b.Finish(m.Finish());
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

}  // namespace

std::string SealedThroughKey(uint32_t project, uint32_t bucket) {
  std::string key = "sealed/";
  keys::PutU32(&key, project);
  keys::PutU32(&key, bucket);
  return key;
}

Status BuildSealBatch(const OpenBlock& block, uint64_t block_seq, const StoreDb& db,
                      rocksdb::WriteBatch* batch, std::vector<TraceIndexKey>* trace_keys) {
  const size_t n = block.rows();
  if (n == 0) return Status::InvalidArgument("sealing an empty block");
  // Rows sorted by (start, hash). The sort runs over compact keys and the rows are then copied
  // into that order once, so that the column gathers below stream through memory instead of
  // jumping through an index once per column (a block holds up to ~10 MB of rows).
  struct SortKey {
    int64_t start;
    uint64_t hash;
    uint32_t row;
  };
  std::vector<SortKey> sort_keys;
  sort_keys.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    sort_keys.push_back({block.Start(i), block.Hash(i), static_cast<uint32_t>(i)});
  }
  std::sort(sort_keys.begin(), sort_keys.end(), [](const SortKey& a, const SortKey& b) {
    return a.start != b.start ? a.start < b.start : a.hash < b.hash;
  });
  std::vector<RowData> rows;
  rows.reserve(n);
  for (const SortKey& k : sort_keys) rows.push_back(block.Row(k.row));
  std::vector<uint32_t> order(n);  // the rows are in block order already
  std::iota(order.begin(), order.end(), 0);
  const keys::BlockKey key{block.project(), block.bucket(), block_seq};
  const auto rn = static_cast<uint32_t>(n);

  auto i64 = [&](Column c, auto get) {
    auto v = Gather<int64_t>(rows, order, get);
    PutColumn(batch, db, key, c, v.data(), rn);
  };
  auto u32 = [&](Column c, auto get) {
    auto v = Gather<uint32_t>(rows, order, get);
    PutColumn(batch, db, key, c, v.data(), rn);
  };
  auto u8 = [&](Column c, auto get) {
    auto v = Gather<uint8_t>(rows, order, get);
    PutColumn(batch, db, key, c, v.data(), rn);
  };
  i64(Column::kStart, [](const RowData& r) { return r.start; });
  i64(Column::kDuration, [](const RowData& r) { return r.duration; });
  i64(Column::kCostMicros, [](const RowData& r) { return r.cost_micros; });
  u8(Column::kKind, [](const RowData& r) { return r.kind; });
  u8(Column::kStatus, [](const RowData& r) { return r.status; });
  u32(Column::kName, [](const RowData& r) { return r.name; });
  u32(Column::kModel, [](const RowData& r) { return r.model; });
  u32(Column::kSession, [](const RowData& r) { return r.session; });
  u32(Column::kUser, [](const RowData& r) { return r.user; });
  u32(Column::kPromptTokens, [](const RowData& r) { return r.prompt_tokens; });
  u32(Column::kCompletionTokens, [](const RowData& r) { return r.completion_tokens; });
  u32(Column::kTotalTokens, [](const RowData& r) { return r.total_tokens; });
  u32(Column::kCacheReadTokens, [](const RowData& r) { return r.cache_read_tokens; });
  u32(Column::kCacheWriteTokens, [](const RowData& r) { return r.cache_write_tokens; });
  u32(Column::kPromptAudioTokens, [](const RowData& r) { return r.prompt_audio_tokens; });
  u32(Column::kReasoningTokens, [](const RowData& r) { return r.reasoning_tokens; });
  u32(Column::kCompletionAudioTokens, [](const RowData& r) { return r.completion_audio_tokens; });
  {
    // No kSpanHash chunk: readers derive it from the id columns (BlockReader).
    auto refs = Gather<uint64_t>(rows, order, [](const RowData& r) { return r.ref; });
    PutColumn(batch, db, key, Column::kRecordRef, refs.data(), rn);
  }
  {
    auto t = GatherIds<16>(
        rows, order, [](const RowData& r) -> const auto& { return r.trace; });
    PutColumn(batch, db, key, Column::kTraceId, t.data(), rn);
    auto s = GatherIds<8>(
        rows, order, [](const RowData& r) -> const auto& { return r.span; });
    PutColumn(batch, db, key, Column::kSpanId, s.data(), rn);
    auto p = GatherIds<8>(
        rows, order, [](const RowData& r) -> const auto& { return r.parent; });
    PutColumn(batch, db, key, Column::kParentSpanId, p.data(), rn);
  }

  batch->Put(db.cf(kBlockMeta), keys::EncodeBlockKey(key), EncodeBlockMeta(rows, order, block))
      .PermitUncheckedError();
  if (std::optional<std::string> rollup = EncodeBlockRollup(rows)) {
    batch->Put(db.cf(kCols), keys::EncodeColumnKey(key, kRollupColumnByte), *rollup)
        .PermitUncheckedError();
  }

  // Index entries: one per (trace, block) and per (session, block), never per span.
  std::vector<std::array<uint8_t, 16>> traces;
  traces.reserve(n);
  std::map<uint32_t, uint32_t> sessions;
  for (const RowData& r : rows) {
    traces.push_back(r.trace);
    if (r.session != 0) sessions[r.session]++;
  }
  std::sort(traces.begin(), traces.end());
  traces.erase(std::unique(traces.begin(), traces.end()), traces.end());
  const std::string block_key = keys::EncodeBlockKey(key);
  for (const auto& t : traces) {
    TraceIndexKey& k = trace_keys->emplace_back();
    std::memcpy(k.data(), t.data(), t.size());
    std::memcpy(k.data() + t.size(), block_key.data(), keys::kBlockKeySize);
  }
  for (const auto& [session, count] : sessions) {
    std::string v;
    keys::PutU32(&v, count);
    batch
        ->Put(db.cf(kSessionIdx),
              keys::EncodeSessionIndexKey(key.project, session, key.bucket, block_seq), v)
        .PermitUncheckedError();
  }
  // No `agg` merges any more: block rollups answer what those per-hour aggregates did, and a
  // batch without merges lets RocksDB insert it into the memtables in parallel with the writer's.
  return Status::OK();
}

void PutTraceIndex(std::vector<TraceIndexKey>* trace_keys, const StoreDb& db,
                   rocksdb::WriteBatch* batch) {
  std::sort(trace_keys->begin(), trace_keys->end());
  for (const TraceIndexKey& k : *trace_keys) {
    batch
        ->Put(db.cf(kTraceIdx), rocksdb::Slice(reinterpret_cast<const char*>(k.data()), k.size()),
              rocksdb::Slice())
        .PermitUncheckedError();
  }
}

}  // namespace roost::internal
