#include "storage/internal/column_chunk.h"

#include <cstring>

#include <flatbuffers/flatbuffers.h>

#include "storage/schema/roost_generated.h"

namespace roost::internal {

ColumnType TypeOf(Column column) {
  switch (column) {
    case Column::kStart:
    case Column::kDuration:
    case Column::kCostMicros:
      return ColumnType::kI64;
    case Column::kKind:
    case Column::kStatus:
    case Column::kTraceId:
    case Column::kSpanId:
    case Column::kParentSpanId:
      return ColumnType::kU8;
    case Column::kSpanHash:
    case Column::kRecordRef:
      return ColumnType::kU64;
    default:
      return ColumnType::kU32;
  }
}

size_t RowWidth(Column column) {
  switch (column) {
    case Column::kTraceId:
      return 16;
    case Column::kSpanId:
    case Column::kParentSpanId:
      return 8;
    default:
      break;
  }
  switch (TypeOf(column)) {
    case ColumnType::kU8:
      return 1;
    case ColumnType::kU32:
      return 4;
    default:
      return 8;
  }
}

std::string EncodeColumnChunk(Column column, const void* data, uint32_t rows) {
  flatbuffers::FlatBufferBuilder b(64 + size_t{rows} * RowWidth(column));
  const size_t n = size_t{rows} * RowWidth(column);
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> u8;
  flatbuffers::Offset<flatbuffers::Vector<uint32_t>> u32;
  flatbuffers::Offset<flatbuffers::Vector<int64_t>> i64;
  flatbuffers::Offset<flatbuffers::Vector<uint64_t>> u64;
  switch (TypeOf(column)) {
    case ColumnType::kU8:
      u8 = b.CreateVector(static_cast<const uint8_t*>(data), n);
      break;
    case ColumnType::kU32:
      u32 = b.CreateVector(static_cast<const uint32_t*>(data), rows);
      break;
    case ColumnType::kI64:
      i64 = b.CreateVector(static_cast<const int64_t*>(data), rows);
      break;
    case ColumnType::kU64:
      u64 = b.CreateVector(static_cast<const uint64_t*>(data), rows);
      break;
  }
  fb::ColumnChunkBuilder c(b);
  c.add_column(static_cast<uint8_t>(column));
  c.add_rows(rows);
  if (!u8.IsNull()) c.add_u8(u8);
  if (!u32.IsNull()) c.add_u32(u32);
  if (!i64.IsNull()) c.add_i64(i64);
  if (!u64.IsNull()) c.add_u64(u64);
  b.Finish(c.Finish());
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

Result<std::shared_ptr<const ColumnChunkData>> ColumnChunkData::Decode(std::string_view value,
                                                                       Column column, uint32_t rows,
                                                                       std::string_view where) {
  std::shared_ptr<ColumnChunkData> d(new ColumnChunkData());
  d->size_ = value.size();
  d->buffer_ = std::make_unique_for_overwrite<uint64_t[]>((value.size() + 7) / 8 + 1);
  if (!value.empty()) std::memcpy(d->buffer_.get(), value.data(), value.size());
  const auto* buf = reinterpret_cast<const uint8_t*>(d->buffer_.get());
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption("column " + std::to_string(static_cast<int>(column)) + " of " +
                              std::string(where) + ": " + why);
  };
  flatbuffers::Verifier verifier(buf, value.size());
  if (!verifier.VerifyBuffer<fb::ColumnChunk>(nullptr)) return corrupt("fails verification");
  const auto* chunk = flatbuffers::GetRoot<fb::ColumnChunk>(buf);
  if (chunk->column() != static_cast<uint8_t>(column)) return corrupt("holds another column");
  if (chunk->rows() != rows) {
    return corrupt("has " + std::to_string(chunk->rows()) + " rows, block meta says " +
                   std::to_string(rows));
  }
  size_t expected = size_t{rows} * RowWidth(column);
  size_t got = 0;
  switch (TypeOf(column)) {
    case ColumnType::kU8:
      if (chunk->u8()) {
        got = chunk->u8()->size();
        d->values_ = chunk->u8()->data();
      }
      break;
    case ColumnType::kU32:
      if (chunk->u32()) {
        got = chunk->u32()->size() * 4;
        d->values_ = chunk->u32()->data();
      }
      break;
    case ColumnType::kI64:
      if (chunk->i64()) {
        got = chunk->i64()->size() * 8;
        d->values_ = chunk->i64()->data();
      }
      break;
    case ColumnType::kU64:
      if (chunk->u64()) {
        got = chunk->u64()->size() * 8;
        d->values_ = chunk->u64()->data();
      }
      break;
  }
  if (got != expected) {
    return corrupt("has " + std::to_string(got) + " value bytes, expected " +
                   std::to_string(expected));
  }
  if (d->values_ == nullptr) d->values_ = buf;  // zero rows
  d->column_ = column;
  d->rows_ = rows;
  return std::shared_ptr<const ColumnChunkData>(std::move(d));
}

std::shared_ptr<const ColumnChunkData> ColumnChunkData::Zeros(Column column, uint32_t rows) {
  std::shared_ptr<ColumnChunkData> d(new ColumnChunkData());
  const size_t bytes = size_t{rows} * RowWidth(column);
  d->buffer_ = std::make_unique<uint64_t[]>((bytes + 7) / 8 + 1);  // value-initialized: zeros
  d->size_ = bytes;
  d->values_ = d->buffer_.get();
  d->column_ = column;
  d->rows_ = rows;
  return d;
}

void ColumnChunkData::Fill(ColumnView* v) const {
  const size_t n = rows_;
  switch (column_) {
    case Column::kStart:
      v->start = {values_, n};
      break;
    case Column::kDuration:
      v->duration = {values_, n};
      break;
    case Column::kKind:
      v->kind = {values_, n};
      break;
    case Column::kStatus:
      v->status = {values_, n};
      break;
    case Column::kName:
      v->name = {values_, n};
      break;
    case Column::kModel:
      v->model = {values_, n};
      break;
    case Column::kSession:
      v->session = {values_, n};
      break;
    case Column::kUser:
      v->user = {values_, n};
      break;
    case Column::kPromptTokens:
      v->prompt_tokens = {values_, n};
      break;
    case Column::kCompletionTokens:
      v->completion_tokens = {values_, n};
      break;
    case Column::kTotalTokens:
      v->total_tokens = {values_, n};
      break;
    case Column::kCostMicros:
      v->cost_micros = {values_, n};
      break;
    case Column::kCacheReadTokens:
      v->cache_read_tokens = {values_, n};
      break;
    case Column::kCacheWriteTokens:
      v->cache_write_tokens = {values_, n};
      break;
    case Column::kPromptAudioTokens:
      v->prompt_audio_tokens = {values_, n};
      break;
    case Column::kReasoningTokens:
      v->reasoning_tokens = {values_, n};
      break;
    case Column::kCompletionAudioTokens:
      v->completion_audio_tokens = {values_, n};
      break;
    case Column::kSpanHash:
      v->span_hash = {values_, n};
      break;
    case Column::kRecordRef:
      v->record_ref = {values_, n};
      break;
    case Column::kTraceId:
      v->trace_id = static_cast<const uint8_t*>(values_);
      break;
    case Column::kSpanId:
      v->span_id = static_cast<const uint8_t*>(values_);
      break;
    case Column::kParentSpanId:
      v->parent_span_id = static_cast<const uint8_t*>(values_);
      break;
  }
}

}  // namespace roost::internal
