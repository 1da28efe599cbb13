#pragma once

#include <optional>
#include <string_view>

#include "base/clock.h"

namespace feedwatch::feeds {

// Parses the date shapes feeds use: RFC 822/1123 ("Wed, 11 Jun 2025 06:00:00 +0300") and its
// variants in the wild (no weekday or a weekday in another language, one-digit day, two-digit
// year, missing seconds, no zone (UTC), named zones such as GMT, EST, PDT, MSK, military zones,
// RFC 850 "11-Jun-25", month first, asctime), and ISO 8601 / RFC 3339 ("2025-06-11T06:00:00Z",
// with or without seconds, with fractions, offsets or a space for the T, a bare date, the basic
// "20250611T060000Z"). Anything else is nullopt: an unparseable date is unknown, never "now".
std::optional<TimePoint> ParseDate(std::string_view text);

}  // namespace feedwatch::feeds
