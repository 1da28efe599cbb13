#include "config/units.h"

#include <gtest/gtest.h>

namespace feedwatch::config {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, ReadsEachUnitAndSums) {
  EXPECT_EQ(*ParseDuration("500ms"), 500ms);
  EXPECT_EQ(*ParseDuration("90s"), 90s);
  EXPECT_EQ(*ParseDuration("10m"), 10min);
  EXPECT_EQ(*ParseDuration("1h"), 1h);
  EXPECT_EQ(*ParseDuration("2d"), 48h);
  EXPECT_EQ(*ParseDuration("1h30m"), 90min);
}

TEST(ParseDuration, RejectsMalformedWithTheExpectedShape) {
  for (const char* bad : {"", "10", "m", "5 minutes", "10M", "1.5h", "-5m", "10m junk"}) {
    const Result<Duration> result = ParseDuration(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().message,
              std::string("invalid duration \"") + bad +
                  "\": expected a number and a unit (ms, s, m, h, d), like \"90s\", \"10m\" or "
                  "\"1h30m\"");
  }
}

TEST(ParseDuration, RejectsZeroAndOverflow) {
  EXPECT_EQ(ParseDuration("0s").error().message, "invalid duration \"0s\": must be positive");
  EXPECT_FALSE(ParseDuration("99999999999999999999d").ok());
  EXPECT_FALSE(ParseDuration("9999999999999999d").ok());
}

TEST(ParseSize, ReadsBinaryAndDecimalUnits) {
  EXPECT_EQ(*ParseSize("4096"), 4096u);
  EXPECT_EQ(*ParseSize("100B"), 100u);
  EXPECT_EQ(*ParseSize("512KiB"), 512u * 1024);
  EXPECT_EQ(*ParseSize("10MiB"), 10u * 1024 * 1024);
  EXPECT_EQ(*ParseSize("1GiB"), 1ULL << 30);
  EXPECT_EQ(*ParseSize("2MB"), 2'000'000u);
  EXPECT_EQ(*ParseSize("3kB"), 3000u);
}

TEST(ParseSize, RejectsUnknownUnits) {
  EXPECT_EQ(ParseSize("10 MiB").error().message,
            "invalid size \"10 MiB\": expected a number and a unit (B, KiB, MiB, GiB, kB, MB, GB), "
            "like \"10MiB\"");
  EXPECT_FALSE(ParseSize("10mib").ok());
  EXPECT_FALSE(ParseSize("MiB").ok());
  EXPECT_FALSE(ParseSize("99999999999GiB").ok());
}

}  // namespace
}  // namespace feedwatch::config
