#include "tools/roost/replication_flags.h"

#include <gtest/gtest.h>

namespace roost::cli {
namespace {

TEST(GzipLevelTest, AutoIsOffForThisMachineAndOneElsewhere) {
  for (const char* local : {"http://127.0.0.1:6006", "http://localhost:6006",
                            "https://[::1]:6006/base", "http://127.9.9.9", "http://a.localhost"}) {
    Result<int> level = GzipLevelOf("auto", local);
    ASSERT_TRUE(level.ok()) << local;
    EXPECT_EQ(*level, -1) << local;
  }
  for (const char* remote : {"https://app.phoenix.arize.com", "http://10.0.0.7:6006",
                             "http://localhost.example.com", "http://128.0.0.1"}) {
    Result<int> level = GzipLevelOf("auto", remote);
    ASSERT_TRUE(level.ok()) << remote;
    EXPECT_EQ(*level, 1) << remote;
  }
}

TEST(GzipLevelTest, ExplicitLevelsWinAndNonsenseIsRefused) {
  EXPECT_EQ(*GzipLevelOf("off", "https://app.phoenix.arize.com"), -1);
  EXPECT_EQ(*GzipLevelOf("0", "http://127.0.0.1"), 0);
  EXPECT_EQ(*GzipLevelOf("9", "http://127.0.0.1"), 9);
  for (const char* bad : {"", "10", "-1", "fast", "1 "}) {
    Result<int> level = GzipLevelOf(bad, "http://127.0.0.1");
    ASSERT_FALSE(level.ok()) << bad;
    EXPECT_NE(level.status().message().find("--phoenix-gzip-level"), std::string::npos);
  }
}

TEST(GzipLevelTest, ReplicatorOptionsTakeTheResolvedLevel) {
  ReplicationFlags flags;
  flags.endpoint = "http://127.0.0.1:6006";
  Result<api::ReplicatorOptions> local = MakeReplicatorOptions(flags);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_EQ(local->gzip_level, -1);
  flags.endpoint = "https://app.phoenix.arize.com";
  flags.gzip_level = "6";
  Result<api::ReplicatorOptions> remote = MakeReplicatorOptions(flags);
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  EXPECT_EQ(remote->gzip_level, 6);
  flags.gzip_level = "max";
  EXPECT_FALSE(MakeReplicatorOptions(flags).ok());
}

}  // namespace
}  // namespace roost::cli
