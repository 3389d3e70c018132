// Unit tests of the Phoenix vocabulary: global ids (against ids Phoenix itself issues), times
// as Python's isoformat() writes them, and the time parameters Phoenix accepts.

#include "api/phoenix_json.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "ingest/base64.h"

namespace roost::api::phoenix {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(PhoenixJsonTest, GlobalIdsAreThoseStrawberryWrites) {
  // Phoenix's default project is "UHJvamVjdDox" (base64 of "Project:1") in its docs and UI.
  EXPECT_EQ(ProjectGlobalId(1), "UHJvamVjdDox");
  EXPECT_EQ(GlobalId("Span", "12"), "U3BhbjoxMg==");
  EXPECT_EQ(GlobalId("Trace", "7"), "VHJhY2U6Nw==");
  EXPECT_EQ(SessionGlobalId(1, 2), GlobalId("ProjectSession", "4294967298"));
}

TEST(PhoenixJsonTest, ParseGlobalIdSplitsTypeAndNodeIdOrRefuses) {
  EXPECT_EQ(ParseGlobalId("UHJvamVjdDox"),
            std::make_pair(std::string("Project"), std::string("1")));
  EXPECT_EQ(ParseGlobalId("U3BhbjoxMg=="), std::make_pair(std::string("Span"), std::string("12")));
  EXPECT_EQ(ParseGlobalId("U3BhbjoxMg"), std::make_pair(std::string("Span"), std::string("12")));
  // Names: not base64, base64 of binary noise, base64 without a ':' type separator. (Non-zero
  // spare bits in the last character are accepted, as Python's b64decode that Phoenix uses does.)
  for (const char* name :
       {"my project", "phx", "default", "other-Project", "", "UHJvamVjdA==", "Z", "U3BhbjoxMg="}) {
    EXPECT_EQ(ParseGlobalId(name), std::nullopt) << name;
  }
}

TEST(PhoenixJsonTest, Base64RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    ASSERT_EQ(ingest::Base64Decode(ingest::Base64Encode(bytes)), bytes) << n;
    bytes += static_cast<char>(n * 37 + 11);
  }
  EXPECT_EQ(ingest::Base64Encode("Project:1"), "UHJvamVjdDox");
  EXPECT_EQ(ingest::Base64Decode("not base64!"), std::nullopt);
}

TEST(PhoenixJsonTest, TimesAreIsoformatWithMicroseconds) {
  EXPECT_EQ(FormatTime(0), "1970-01-01T00:00:00+00:00");
  EXPECT_EQ(FormatTime(1795600800 * kSecond), "2026-11-25T10:00:00+00:00");
  EXPECT_EQ(FormatTime(1795600800 * kSecond + 250'000'000), "2026-11-25T10:00:00.250000+00:00");
  // Nanoseconds below a microsecond are dropped, never rounded up.
  EXPECT_EQ(FormatTime(1795600800 * kSecond + 999'999'999), "2026-11-25T10:00:00.999999+00:00");
  EXPECT_EQ(FormatTime(1795600800 * kSecond + 999), "2026-11-25T10:00:00+00:00");
}

TEST(PhoenixJsonTest, TimeParametersTakeOffsetsNaiveTimesAndSpaces) {
  const int64_t ten = 1795600800 * kSecond;
  const std::pair<const char*, int64_t> ok[] = {
      {"2026-11-25T10:00:00Z", ten},
      {"2026-11-25T10:00:00.000Z", ten},
      {"2026-11-25T11:00:00+01:00", ten},
      {"2026-11-25T10:00:00", ten},
      {"2026-11-25 10:00:00.5", ten + kSecond / 2},
      {"2026-11-25T10:00:00.000001+00:00", ten + 1000},
      {"1795600800", ten},
      {"1795600800.5", ten + kSecond / 2},
      {"1795600800250", ten + kSecond / 4},  // milliseconds
  };
  for (const auto& [text, want] : ok) {
    Result<int64_t> got = ParseTime(text, "start_time");
    ASSERT_TRUE(got.ok()) << text << ": " << got.status().ToString();
    EXPECT_EQ(*got, want) << text;
  }
  for (const char* bad :
       {"", "2026-11-25", "noon", "2026-11-25T10:00:00+1", "17956008x", "1795600800.", "-5"}) {
    Result<int64_t> got = ParseTime(bad, "end_time");
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_NE(got.status().message().find("end_time"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace roost::api::phoenix
