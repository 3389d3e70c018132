// The replication outbox: reading pending commits back, acknowledging them durably, dead
// letters, and retention keeping (and reporting) records that are still pending.

#include <chrono>
#include <cstdint>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/span_store.h"
#include "tests/storage/test_util.h"

namespace roost::test {
namespace {

// `count` spans of one trace, span keys from `first_key`, starting at `start`.
std::vector<Span> Batch(uint64_t trace_key, uint64_t first_key, size_t count, int64_t start) {
  std::vector<Span> spans;
  for (size_t i = 0; i < count; ++i) {
    spans.push_back(MakeSpan(trace_key, first_key + i, start + static_cast<int64_t>(i)));
  }
  return spans;
}

class OutboxTest : public SpanStoreTest {
 protected:
  StoreOptions OutboxOptions() const {
    StoreOptions o = Options();
    o.outbox = true;
    return o;
  }
};

TEST_F(OutboxTest, NothingIsQueuedWithoutTheOutboxOption) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriteOk(*store, Batch(1, 1, 10, kBaseTime));
  Result<std::vector<OutboxEntry>> entries = store->ReadOutbox(0, 1000);
  ASSERT_THAT(entries, IsOk());
  EXPECT_TRUE(entries->empty());
  EXPECT_EQ(store->GetOutboxStats().pending_spans, 0u);
}

TEST_F(OutboxTest, ReadReturnsCommitsInOrderBoundedBySpanCount) {
  auto store = OpenStore(OutboxOptions());
  ASSERT_NE(store, nullptr);
  const std::vector<Span> a = Batch(1, 100, 10, kBaseTime + kSecond);
  const std::vector<Span> b = Batch(2, 200, 20, kBaseTime);
  WriteOk(*store, a);
  WriteOk(*store, b);
  WriteOk(*store, Batch(3, 300, 30, kBaseTime));
  EXPECT_EQ(store->GetOutboxStats().pending_spans, 60u);
  EXPECT_EQ(store->GetOutboxStats().oldest_pending_unix_nano, a.front().start_unix_nano);

  Result<std::vector<OutboxEntry>> two = store->ReadOutbox(0, 25);
  ASSERT_THAT(two, IsOk());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_LT((*two)[0].seq, (*two)[1].seq);
  ASSERT_EQ((*two)[0].spans.size(), a.size());
  ASSERT_EQ((*two)[1].spans.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(IdsOf((*two)[0].spans[i]), IdsOf(a[i]));
  for (size_t i = 0; i < b.size(); ++i) EXPECT_EQ(IdsOf((*two)[1].spans[i]), IdsOf(b[i]));

  // One whole entry even when it is larger than the bound; nothing after the last one.
  Result<std::vector<OutboxEntry>> one = store->ReadOutbox(0, 1);
  ASSERT_THAT(one, IsOk());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].spans.size(), a.size());
  Result<std::vector<OutboxEntry>> rest = store->ReadOutbox((*two)[1].seq, 1000);
  ASSERT_THAT(rest, IsOk());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].spans.size(), 30u);
  Result<std::vector<OutboxEntry>> none = store->ReadOutbox((*rest)[0].seq, 1000);
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
}

// Reading into a reused OutboxBatch gives what the plain read gives, whatever it held before.
TEST_F(OutboxTest, ReadIntoABatchMatchesThePlainRead) {
  auto store = OpenStore(OutboxOptions());
  ASSERT_NE(store, nullptr);
  WriteOk(*store, Batch(1, 100, 10, kBaseTime));
  WriteOk(*store, Batch(2, 200, 20, kBaseTime));
  WriteOk(*store, Batch(3, 300, 5, kBaseTime));
  OutboxBatch batch;
  ASSERT_THAT(store->ReadOutbox(0, 1000, &batch), IsOk());
  EXPECT_EQ(batch.size, 35u);
  Result<std::vector<OutboxEntry>> two = store->ReadOutbox(0, 25);
  ASSERT_THAT(two, IsOk());
  ASSERT_EQ(two->size(), 2u);
  ASSERT_THAT(store->ReadOutbox(0, 25, &batch), IsOk());
  EXPECT_EQ(batch.last_seq, (*two)[1].seq);
  ASSERT_EQ(batch.size, 30u);
  EXPECT_GE(batch.spans.size(), 35u);  // the spare spans stay for their memory
  for (size_t i = 0; i < 30; ++i) {
    const Span& want = i < 10 ? (*two)[0].spans[i] : (*two)[1].spans[i - 10];
    EXPECT_EQ(batch.view()[i], want) << i;
  }
  ASSERT_THAT(store->ReadOutbox(batch.last_seq, 1000, &batch), IsOk());
  EXPECT_EQ(batch.size, 5u);
  ASSERT_THAT(store->ReadOutbox(batch.last_seq, 1000, &batch), IsOk());
  EXPECT_EQ(batch.size, 0u);
  EXPECT_EQ(batch.last_seq, 0u);
}

TEST_F(OutboxTest, AcknowledgementSurvivesReopen) {
  uint64_t first_seq = 0;
  {
    auto store = OpenStore(OutboxOptions());
    ASSERT_NE(store, nullptr);
    WriteOk(*store, Batch(1, 100, 10, kBaseTime));
    WriteOk(*store, Batch(2, 200, 20, kBaseTime + kHour));
    Result<std::vector<OutboxEntry>> first = store->ReadOutbox(0, 1);
    ASSERT_THAT(first, IsOk());
    ASSERT_EQ(first->size(), 1u);
    first_seq = (*first)[0].seq;
    ASSERT_THAT(store->AckOutbox(first_seq, {}), IsOk());
    EXPECT_EQ(store->GetOutboxStats().pending_spans, 20u);
  }
  auto store = OpenStore(OutboxOptions());
  ASSERT_NE(store, nullptr);
  OutboxStats stats = store->GetOutboxStats();
  EXPECT_EQ(stats.cursor, first_seq);
  EXPECT_EQ(stats.pending_spans, 20u);
  EXPECT_EQ(stats.replicated_spans, 10u);
  EXPECT_EQ(stats.oldest_pending_unix_nano, kBaseTime + kHour);
  // Reading from before the cursor finds only what is pending: acknowledged entries are gone.
  Result<std::vector<OutboxEntry>> left = store->ReadOutbox(0, 1000);
  ASSERT_THAT(left, IsOk());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].spans.size(), 20u);
  ASSERT_THAT(store->AckOutbox((*left)[0].seq, {}), IsOk());
  stats = store->GetOutboxStats();
  EXPECT_EQ(stats.pending_spans, 0u);
  EXPECT_EQ(stats.replicated_spans, 30u);
  EXPECT_FALSE(stats.oldest_pending_unix_nano.has_value());
}

TEST_F(OutboxTest, DeadLettersAreKeptWithTheirReason) {
  const std::vector<Span> spans = Batch(7, 1, 5, kBaseTime);
  {
    auto store = OpenStore(OutboxOptions());
    ASSERT_NE(store, nullptr);
    WriteOk(*store, spans);
    Result<std::vector<OutboxEntry>> entries = store->ReadOutbox(0, 100);
    ASSERT_THAT(entries, IsOk());
    ASSERT_EQ(entries->size(), 1u);
    DeadLetter d{spans[2].trace_id, spans[2].span_id, "default", "HTTP 400: bad attribute", 42};
    ASSERT_THAT(store->AckOutbox((*entries)[0].seq, {d}), IsOk());
  }
  auto store = OpenStore(OutboxOptions());
  ASSERT_NE(store, nullptr);
  OutboxStats stats = store->GetOutboxStats();
  EXPECT_EQ(stats.replicated_spans, 4u);
  EXPECT_EQ(stats.dead_letter_spans, 1u);
  Result<std::vector<DeadLetter>> dead = store->ListDeadLetters(10);
  ASSERT_THAT(dead, IsOk());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].span_id, spans[2].span_id);
  EXPECT_EQ((*dead)[0].trace_id, spans[2].trace_id);
  EXPECT_EQ((*dead)[0].project, "default");
  EXPECT_EQ((*dead)[0].reason, "HTTP 400: bad attribute");
  EXPECT_EQ((*dead)[0].at_unix_nano, 42);
}

TEST_F(OutboxTest, AcknowledgingBelowTheCursorIsRefused) {
  auto store = OpenStore(OutboxOptions());
  ASSERT_NE(store, nullptr);
  WriteOk(*store, Batch(1, 1, 3, kBaseTime));
  WriteOk(*store, Batch(2, 10, 3, kBaseTime));
  Result<std::vector<OutboxEntry>> entries = store->ReadOutbox(0, 100);
  ASSERT_THAT(entries, IsOk());
  ASSERT_EQ(entries->size(), 2u);
  ASSERT_THAT(store->AckOutbox((*entries)[1].seq, {}), IsOk());
  EXPECT_THAT(store->AckOutbox((*entries)[0].seq, {}),
              IsError(Status::Code::kInvalidArgument, "below the cursor"));
  EXPECT_EQ(store->GetOutboxStats().replicated_spans, 6u);
}

TEST_F(OutboxTest, RetentionKeepsPendingRecordsAndReportsThem) {
  const std::vector<Span> spans = Batch(9, 1, 40, kBaseTime);  // 2023: long expired
  {
    auto store = OpenStore(OutboxOptions());
    ASSERT_NE(store, nullptr);
    WriteOk(*store, spans);
    ASSERT_THAT(store->Flush(), IsOk());
  }
  StoreOptions options = OutboxOptions();
  options.retention = std::chrono::hours(1);
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  Result<RetentionResult> first = store->ApplyRetention(now);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->pending_spans_kept, spans.size());
  EXPECT_EQ(store->GetOutboxStats().pending_spans_kept_past_retention, spans.size());
  ASSERT_THAT(store->Compact(), IsOk());
  EXPECT_GT(store->Stats().record_bytes, 0u);
  Result<std::vector<OutboxEntry>> entries = store->ReadOutbox(0, 1000);
  ASSERT_THAT(entries, IsOk());
  ASSERT_EQ(entries->size(), 1u);
  ASSERT_EQ((*entries)[0].spans.size(), spans.size());

  // Once replicated, the next pass removes them.
  ASSERT_THAT(store->AckOutbox((*entries)[0].seq, {}), IsOk());
  Result<RetentionResult> second = store->ApplyRetention(now);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->pending_spans_kept, 0u);
  ASSERT_THAT(store->Compact(), IsOk());
  EXPECT_EQ(store->Stats().record_bytes, 0u);
}

}  // namespace
}  // namespace roost::test
