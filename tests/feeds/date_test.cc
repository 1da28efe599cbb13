#include "feeds/date.h"

#include <gtest/gtest.h>

namespace feedwatch::feeds {
namespace {

std::string Iso(std::string_view text) {
  const std::optional<TimePoint> t = ParseDate(text);
  return t ? FormatIso8601(*t) : "null";
}

TEST(ParseDate, Rfc822AndItsWildVariants) {
  EXPECT_EQ(Iso("Wed, 11 Jun 2025 06:00:00 +0300"), "2025-06-11T03:00:00Z");
  EXPECT_EQ(Iso("Wed, 11 Jun 2025 06:00:00 GMT"), "2025-06-11T06:00:00Z");
  EXPECT_EQ(Iso("11 Jun 2025 06:00:00 +0000"), "2025-06-11T06:00:00Z");    // no weekday
  EXPECT_EQ(Iso("Wed, 1 Jun 2025 06:00:00 GMT"), "2025-06-01T06:00:00Z");  // one-digit day
  EXPECT_EQ(Iso("Wed, 11 Jun 25 06:00:00 GMT"), "2025-06-11T06:00:00Z");   // two-digit year
  EXPECT_EQ(Iso("Wed, 11 Jun 2025 06:00 GMT"), "2025-06-11T06:00:00Z");    // no seconds
  EXPECT_EQ(Iso("Wed, 11 Jun 2025 06:00:00 MSK"), "2025-06-11T03:00:00Z");
  EXPECT_EQ(Iso("Wed, 11 Jun 2025 06:00:00 PDT"), "2025-06-11T13:00:00Z");
  EXPECT_EQ(Iso("Wed, 11 Jun 2025 06:00:00 EST"), "2025-06-11T11:00:00Z");
  EXPECT_EQ(Iso("Wed, 11 Jun 2025 06:00:00 Z"), "2025-06-11T06:00:00Z");
  EXPECT_EQ(Iso("Wed, 11 Jun 2025 06:00:00 A"), "2025-06-11T07:00:00Z");  // RFC 822: A = -1
  EXPECT_EQ(Iso("Wed, 11 Jun 2025 06:00:00 N"), "2025-06-11T05:00:00Z");  // N = +1
  EXPECT_EQ(Iso("Wed, 11 Jun 2025 06:00:00"), "2025-06-11T06:00:00Z");    // no zone: UTC
  EXPECT_EQ(Iso("Wednesday, 11 June 2025 06:00:00 +03:00"), "2025-06-11T03:00:00Z");
  EXPECT_EQ(Iso("Jun 11 2025 06:00:00 GMT"), "2025-06-11T06:00:00Z");
  EXPECT_EQ(Iso("  Wed, 11 Jun 2025 06:00:00 +0300 (MSK) "), "2025-06-11T03:00:00Z");
  EXPECT_EQ(Iso("Ср, 11 Jun 2025 06:00:00 +0300"), "2025-06-11T03:00:00Z");     // Russian weekday
  EXPECT_EQ(Iso("Wednesday, 11-Jun-25 06:00:00 GMT"), "2025-06-11T06:00:00Z");  // RFC 850
  EXPECT_EQ(Iso("Wed Jun 11 06:00:00 2025"), "2025-06-11T06:00:00Z");           // asctime
  EXPECT_EQ(Iso("Wed Jun 11 06:00:00 UTC 2025"), "2025-06-11T06:00:00Z");
}

TEST(ParseDate, Iso8601AndRfc3339) {
  EXPECT_EQ(Iso("2025-06-11T06:00:00Z"), "2025-06-11T06:00:00Z");
  EXPECT_EQ(Iso("2025-06-11T06:00:00.123456Z"), "2025-06-11T06:00:00Z");
  EXPECT_EQ(Iso("2025-06-11T06:00:00+03:00"), "2025-06-11T03:00:00Z");
  EXPECT_EQ(Iso("2025-06-11T06:00:00-0500"), "2025-06-11T11:00:00Z");
  EXPECT_EQ(Iso("2025-06-11T06:00Z"), "2025-06-11T06:00:00Z");
  EXPECT_EQ(Iso("2025-06-11 06:00:00"), "2025-06-11T06:00:00Z");
  EXPECT_EQ(Iso("2025-06-11"), "2025-06-11T00:00:00Z");
  EXPECT_EQ(Iso("20250611T060000Z"), "2025-06-11T06:00:00Z");  // basic format
  EXPECT_EQ(Iso("2025-06-11T06:00:00.5-07:00"), "2025-06-11T13:00:00Z");
}

TEST(ParseDate, UnparseableIsNullNeverNow) {
  for (const char* bad : {"", "yesterday", "Wed, 31 Feb 2025 06:00:00 GMT", "2025-13-01T00:00:00Z",
                          "2025-06-11T25:00:00Z", "Wed, 11 Foo 2025 06:00:00 GMT",
                          "2025-06-11T06:00:00 bogus", "Wed, 11 Jun 2025 06:00:00 +9999"}) {
    EXPECT_EQ(ParseDate(bad), std::nullopt) << bad;
  }
}

// Words are kept in a fixed array of sixteen: a comment may use what the date leaves, and a
// value with more words is not a date (nor a crash).
TEST(ParseDate, AtMostSixteenWords) {
  EXPECT_EQ(Iso("Wed, 11 Jun 2025 06:00:00 +0300 (Moscow Standard Time, as the news desk writes "
                "it here)"),
            "2025-06-11T03:00:00Z");  // sixteen
  EXPECT_EQ(ParseDate("Wed, 11 Jun 2025 06:00:00 +0300 (Moscow Standard Time, as the news desk "
                      "writes it here, always)"),
            std::nullopt);  // seventeen
  // Fourteen and fifteen: sixteen and seventeen once "11-Jun-25" is read as three.
  EXPECT_EQ(Iso("11-Jun-25 06:00:00 +0300 (a b c d e f g h i j k)"), "2025-06-11T03:00:00Z");
  EXPECT_EQ(ParseDate("11-Jun-25 06:00:00 +0300 (a b c d e f g h i j k l)"), std::nullopt);
}

}  // namespace
}  // namespace feedwatch::feeds
