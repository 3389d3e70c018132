#pragma once

#include <string>

#include <gmock/gmock.h>

#include "storage/result.h"
#include "storage/status.h"

namespace roost::testing {

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

// EXPECT_THAT(s, IsOk()) for a Status or a Result.
MATCHER(IsOk, "is OK") {
  *result_listener << StatusOf(arg).ToString();
  return arg.ok();
}

// EXPECT_THAT(s, StatusIs(Status::Code::kInvalidArgument, HasSubstr("limit"))).
MATCHER_P2(StatusIs, code, message_matcher, "") {
  const Status s = StatusOf(arg);
  *result_listener << s.ToString();
  return s.code() == code && ::testing::Matches(message_matcher)(s.message());
}

inline auto IsInvalidArgument(const std::string& substring) {
  return StatusIs(Status::Code::kInvalidArgument, ::testing::HasSubstr(substring));
}

}  // namespace roost::testing
