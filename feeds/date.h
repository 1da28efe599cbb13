#pragma once

#include <optional>
#include <string_view>

#include "base/clock.h"

namespace feedwatch::feeds {

// Parses the date shapes feeds use: RFC 822/1123 ("Wed, 11 Jun 2025 06:00:00 +0300", with or
// without weekday or seconds, two-digit years, named zones such as GMT, EST, MSK) and ISO 8601 /
// RFC 3339 ("2025-06-11T06:00:00Z", with fractions or offsets, or a bare date). Anything else is
// nullopt: an unparseable date is unknown, never "now".
std::optional<TimePoint> ParseDate(std::string_view text);

}  // namespace feedwatch::feeds
