#include "storage/internal/open_block.h"

#include <bit>
#include <chrono>
#include <cstring>

namespace roost::internal {

struct OpenBlock::Segment {
  explicit Segment(size_t cap)
      : start(std::make_unique_for_overwrite<int64_t[]>(cap)),
        duration(std::make_unique_for_overwrite<int64_t[]>(cap)),
        cost(std::make_unique_for_overwrite<int64_t[]>(cap)),
        kind(std::make_unique_for_overwrite<uint8_t[]>(cap)),
        status(std::make_unique_for_overwrite<uint8_t[]>(cap)),
        name(std::make_unique_for_overwrite<uint32_t[]>(cap)),
        model(std::make_unique_for_overwrite<uint32_t[]>(cap)),
        session(std::make_unique_for_overwrite<uint32_t[]>(cap)),
        user(std::make_unique_for_overwrite<uint32_t[]>(cap)),
        prompt(std::make_unique_for_overwrite<uint32_t[]>(cap)),
        completion(std::make_unique_for_overwrite<uint32_t[]>(cap)),
        total(std::make_unique_for_overwrite<uint32_t[]>(cap)),
        cache_read(std::make_unique_for_overwrite<uint32_t[]>(cap)),
        cache_write(std::make_unique_for_overwrite<uint32_t[]>(cap)),
        prompt_audio(std::make_unique_for_overwrite<uint32_t[]>(cap)),
        reasoning(std::make_unique_for_overwrite<uint32_t[]>(cap)),
        completion_audio(std::make_unique_for_overwrite<uint32_t[]>(cap)),
        hash(std::make_unique_for_overwrite<uint64_t[]>(cap)),
        ref(std::make_unique_for_overwrite<uint64_t[]>(cap)),
        trace(std::make_unique_for_overwrite<uint8_t[]>(cap * 16)),
        span(std::make_unique_for_overwrite<uint8_t[]>(cap * 8)),
        parent(std::make_unique_for_overwrite<uint8_t[]>(cap * 8)),
        record(std::make_unique<std::string_view[]>(cap)) {}

  std::unique_ptr<int64_t[]> start, duration, cost;
  std::unique_ptr<uint8_t[]> kind, status;
  std::unique_ptr<uint32_t[]> name, model, session, user, prompt, completion, total;
  std::unique_ptr<uint32_t[]> cache_read, cache_write, prompt_audio, reasoning, completion_audio;
  std::unique_ptr<uint64_t[]> hash, ref;
  std::unique_ptr<uint8_t[]> trace, span, parent;
  std::unique_ptr<std::string_view[]> record;
};

OpenBlock::OpenBlock(uint32_t project, uint32_t bucket, uint64_t first_seq)
    : project_(project), bucket_(bucket), first_seq_(first_seq), last_seq_(first_seq) {}

OpenBlock::~OpenBlock() = default;

size_t OpenBlock::SegmentOf(size_t row, size_t* offset) {
  // Segment k holds rows [F * (2^k - 1), F * (2^(k+1) - 1)), F = kFirstSegmentRows.
  size_t k = std::bit_width(row / kFirstSegmentRows + 1) - 1;
  *offset = row - kFirstSegmentRows * ((size_t{1} << k) - 1);
  return k;
}

void OpenBlock::KeepAlive(std::shared_ptr<const void> pack) {
  if (packs_.empty() || packs_.back() != pack) packs_.push_back(std::move(pack));
}

void OpenBlock::Append(const RowData& row, uint64_t seq) {
  size_t off;
  size_t k = SegmentOf(appended_, &off);
  if (!segments_[k]) segments_[k] = std::make_unique<Segment>(kFirstSegmentRows << k);
  Segment& s = *segments_[k];
  s.start[off] = row.start;
  s.duration[off] = row.duration;
  s.cost[off] = row.cost_micros;
  s.kind[off] = row.kind;
  s.status[off] = row.status;
  s.name[off] = row.name;
  s.model[off] = row.model;
  s.session[off] = row.session;
  s.user[off] = row.user;
  s.prompt[off] = row.prompt_tokens;
  s.completion[off] = row.completion_tokens;
  s.total[off] = row.total_tokens;
  s.cache_read[off] = row.cache_read_tokens;
  s.cache_write[off] = row.cache_write_tokens;
  s.prompt_audio[off] = row.prompt_audio_tokens;
  s.reasoning[off] = row.reasoning_tokens;
  s.completion_audio[off] = row.completion_audio_tokens;
  s.hash[off] = row.hash;
  s.ref[off] = row.ref;
  std::memcpy(&s.trace[off * 16], row.trace.data(), 16);
  std::memcpy(&s.span[off * 8], row.span.data(), 8);
  std::memcpy(&s.parent[off * 8], row.parent.data(), 8);
  s.record[off] = row.record;
  ++appended_;
  last_seq_ = seq;
  last_append_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                        std::memory_order_relaxed);
}

Status OpenBlock::ForEachView(size_t n, ColumnSet columns,
                              const std::function<Status(const ColumnView&)>& fn) const {
  size_t first = 0;
  for (size_t k = 0; k < kSegments && first < n; ++k) {
    const Segment& s = *segments_[k];
    size_t cap = kFirstSegmentRows << k;
    size_t rows = std::min(cap, n - first);
    ColumnView v;
    v.project = project_;
    v.bucket = bucket_;
    v.block = 0;
    v.first_row = static_cast<uint32_t>(first);
    v.rows = rows;
    v.open_block = this;
    if (columns.Has(Column::kStart)) v.start = {s.start.get(), rows};
    if (columns.Has(Column::kDuration)) v.duration = {s.duration.get(), rows};
    if (columns.Has(Column::kKind)) v.kind = {s.kind.get(), rows};
    if (columns.Has(Column::kStatus)) v.status = {s.status.get(), rows};
    if (columns.Has(Column::kName)) v.name = {s.name.get(), rows};
    if (columns.Has(Column::kModel)) v.model = {s.model.get(), rows};
    if (columns.Has(Column::kSession)) v.session = {s.session.get(), rows};
    if (columns.Has(Column::kUser)) v.user = {s.user.get(), rows};
    if (columns.Has(Column::kPromptTokens)) v.prompt_tokens = {s.prompt.get(), rows};
    if (columns.Has(Column::kCompletionTokens)) v.completion_tokens = {s.completion.get(), rows};
    if (columns.Has(Column::kTotalTokens)) v.total_tokens = {s.total.get(), rows};
    if (columns.Has(Column::kCostMicros)) v.cost_micros = {s.cost.get(), rows};
    if (columns.Has(Column::kCacheReadTokens)) v.cache_read_tokens = {s.cache_read.get(), rows};
    if (columns.Has(Column::kCacheWriteTokens)) v.cache_write_tokens = {s.cache_write.get(), rows};
    if (columns.Has(Column::kPromptAudioTokens)) {
      v.prompt_audio_tokens = {s.prompt_audio.get(), rows};
    }
    if (columns.Has(Column::kReasoningTokens)) v.reasoning_tokens = {s.reasoning.get(), rows};
    if (columns.Has(Column::kCompletionAudioTokens)) {
      v.completion_audio_tokens = {s.completion_audio.get(), rows};
    }
    if (columns.Has(Column::kSpanHash)) v.span_hash = {s.hash.get(), rows};
    if (columns.Has(Column::kRecordRef)) v.record_ref = {s.ref.get(), rows};
    if (columns.Has(Column::kTraceId)) v.trace_id = s.trace.get();
    if (columns.Has(Column::kSpanId)) v.span_id = s.span.get();
    if (columns.Has(Column::kParentSpanId)) v.parent_span_id = s.parent.get();
    if (Status st = fn(v); !st.ok()) return st;
    first += rows;
  }
  return Status::OK();
}

RowData OpenBlock::Row(size_t row) const {
  size_t off;
  const Segment& s = *segments_[SegmentOf(row, &off)];
  RowData r;
  r.start = s.start[off];
  r.duration = s.duration[off];
  r.cost_micros = s.cost[off];
  r.kind = s.kind[off];
  r.status = s.status[off];
  r.name = s.name[off];
  r.model = s.model[off];
  r.session = s.session[off];
  r.user = s.user[off];
  r.prompt_tokens = s.prompt[off];
  r.completion_tokens = s.completion[off];
  r.total_tokens = s.total[off];
  r.cache_read_tokens = s.cache_read[off];
  r.cache_write_tokens = s.cache_write[off];
  r.prompt_audio_tokens = s.prompt_audio[off];
  r.reasoning_tokens = s.reasoning[off];
  r.completion_audio_tokens = s.completion_audio[off];
  r.hash = s.hash[off];
  r.ref = s.ref[off];
  std::memcpy(r.trace.data(), &s.trace[off * 16], 16);
  std::memcpy(r.span.data(), &s.span[off * 8], 8);
  std::memcpy(r.parent.data(), &s.parent[off * 8], 8);
  r.record = s.record[off];
  return r;
}

int64_t OpenBlock::Start(size_t row) const {
  size_t off;
  return segments_[SegmentOf(row, &off)]->start[off];
}

uint64_t OpenBlock::Hash(size_t row) const {
  size_t off;
  return segments_[SegmentOf(row, &off)]->hash[off];
}

std::string_view OpenBlock::Record(size_t row) const {
  size_t off;
  return segments_[SegmentOf(row, &off)]->record[off];
}

}  // namespace roost::internal
