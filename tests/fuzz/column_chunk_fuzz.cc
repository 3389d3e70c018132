#include "storage/internal/column_chunk.h"
#include "tests/fuzz/fuzz_targets.h"

namespace roost::fuzz {
namespace {

// The bytes of `view`'s member for `column`, or an empty view when it has none.
std::string_view ColumnBytes(const ColumnView& view, Column column) {
  const size_t width = internal::RowWidth(column);
  const size_t n = view.rows * width;
  switch (column) {
    case Column::kTraceId:
      return {reinterpret_cast<const char*>(view.trace_id), view.trace_id ? n : 0};
    case Column::kSpanId:
      return {reinterpret_cast<const char*>(view.span_id), view.span_id ? n : 0};
    case Column::kParentSpanId:
      return {reinterpret_cast<const char*>(view.parent_span_id), view.parent_span_id ? n : 0};
    case Column::kStart:
      return {view.start.bytes(), view.start.size() * width};
    case Column::kDuration:
      return {view.duration.bytes(), view.duration.size() * width};
    case Column::kKind:
      return {view.kind.bytes(), view.kind.size() * width};
    case Column::kStatus:
      return {view.status.bytes(), view.status.size() * width};
    case Column::kName:
      return {view.name.bytes(), view.name.size() * width};
    case Column::kModel:
      return {view.model.bytes(), view.model.size() * width};
    case Column::kSession:
      return {view.session.bytes(), view.session.size() * width};
    case Column::kUser:
      return {view.user.bytes(), view.user.size() * width};
    case Column::kPromptTokens:
      return {view.prompt_tokens.bytes(), view.prompt_tokens.size() * width};
    case Column::kCompletionTokens:
      return {view.completion_tokens.bytes(), view.completion_tokens.size() * width};
    case Column::kTotalTokens:
      return {view.total_tokens.bytes(), view.total_tokens.size() * width};
    case Column::kCostMicros:
      return {view.cost_micros.bytes(), view.cost_micros.size() * width};
    case Column::kSpanHash:
      return {view.span_hash.bytes(), view.span_hash.size() * width};
    case Column::kRecordRef:
      return {view.record_ref.bytes(), view.record_ref.size() * width};
    case Column::kCacheReadTokens:
      return {view.cache_read_tokens.bytes(), view.cache_read_tokens.size() * width};
    case Column::kCacheWriteTokens:
      return {view.cache_write_tokens.bytes(), view.cache_write_tokens.size() * width};
    case Column::kPromptAudioTokens:
      return {view.prompt_audio_tokens.bytes(), view.prompt_audio_tokens.size() * width};
    case Column::kReasoningTokens:
      return {view.reasoning_tokens.bytes(), view.reasoning_tokens.size() * width};
    case Column::kCompletionAudioTokens:
      return {view.completion_audio_tokens.bytes(), view.completion_audio_tokens.size() * width};
  }
  return {};
}

}  // namespace

// Input: a column number byte, a row count (u16, little-endian), then the stored value.
std::string ColumnChunk(std::string_view input) {
  if (input.size() < 3) return "";
  const auto column = static_cast<Column>(static_cast<uint8_t>(input[0]) % kColumnCount);
  const uint32_t rows = static_cast<uint8_t>(input[1]) | static_cast<uint8_t>(input[2]) << 8;
  const std::string_view value = input.substr(3);
  const auto chunk = internal::ColumnChunkData::Decode(value, column, rows, "fuzz chunk");
  if (!chunk.ok()) {
    if (chunk.status().code() != Status::Code::kCorruption) {
      return "Decode failed with " + chunk.status().ToString() + " instead of kCorruption";
    }
    if (chunk.status().message().find("fuzz chunk") == std::string::npos) {
      return "the error does not name the chunk: " + chunk.status().ToString();
    }
    return "";
  }
  ColumnView view;
  view.rows = rows;
  (*chunk)->Fill(&view);
  // Every value is read (the sanitizers see any read past the chunk); encoded again, the values
  // decode to the very same bytes.
  const std::string_view values = ColumnBytes(view, column);
  if (values.size() != size_t{rows} * internal::RowWidth(column)) {
    return "a verified chunk of " + std::to_string(rows) + " rows fills " +
           std::to_string(values.size()) + " bytes";
  }
  const std::string again = internal::EncodeColumnChunk(column, values.data(), rows);
  const auto reread = internal::ColumnChunkData::Decode(again, column, rows, "re-encoded chunk");
  if (!reread.ok()) return "a decoded chunk re-encoded fails: " + reread.status().ToString();
  ColumnView view2;
  view2.rows = rows;
  (*reread)->Fill(&view2);
  if (ColumnBytes(view2, column) != values) return "a decoded chunk re-encoded reads differently";
  return "";
}

}  // namespace roost::fuzz

ROOST_FUZZ_MAIN(roost::fuzz::ColumnChunk)
