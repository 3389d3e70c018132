#include "ingest/decoded_batch.h"

#include <gtest/gtest.h>

namespace roost::ingest {
namespace {

TEST(DescribeRejectionsTest, IsEmptyWhenNothingWasRejected) {
  EXPECT_EQ(DescribeRejections(DecodedBatch{}), "");
}

TEST(DescribeRejectionsTest, ListsTheFirstRejections) {
  DecodedBatch batch;
  batch.rejected = {{3, "abc", "end time is before start time"}, {5, "", "span id is not hex"}};
  batch.rejected_count = 7;
  EXPECT_EQ(DescribeRejections(batch, 1),
            "7 spans rejected; span 3 (trace abc): end time is before start time; ...");
  batch.rejected_count = 2;
  EXPECT_EQ(DescribeRejections(batch),
            "2 spans rejected; span 3 (trace abc): end time is before start time; span 5: span id "
            "is not hex");
}

}  // namespace
}  // namespace roost::ingest
