#include <gtest/gtest.h>

#include "api/otlp_sender.h"

namespace roost::api {
namespace {

// 1994-11-06 08:49:37 UTC, RFC 9110's example date.
constexpr int64_t kExample = 784111777;

TEST(RetryAfterTest, DelaySeconds) {
  EXPECT_EQ(ParseRetryAfter("0", kExample), 0);
  EXPECT_EQ(ParseRetryAfter("120", kExample), 120);
  EXPECT_EQ(ParseRetryAfter("-5", kExample), std::nullopt);
}

TEST(RetryAfterTest, AllThreeHttpDateForms) {
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kExample - 30), 30);
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", kExample - 30), 30);
  EXPECT_EQ(ParseRetryAfter("Sun Nov  6 08:49:37 1994", kExample - 30), 30);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:51:37 GMT", kExample), 120);
}

TEST(RetryAfterTest, APastDateIsNoWait) {
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kExample + 3600), 0);
}

TEST(RetryAfterTest, AnythingElseIsIgnored) {
  for (const char* bad : {"", "soon", "1.5", "12s", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994",
                          "Sun, 06 Nov 1994 08:49:37 GMT trailing"}) {
    EXPECT_EQ(ParseRetryAfter(bad, kExample), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace roost::api
