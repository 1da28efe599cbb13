// Human-written durations and sizes, as they appear in the config file.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace feedwatch::config {

using Duration = std::chrono::milliseconds;

// One or more <number><unit> parts, units ms, s, m, h, d: "90s", "10m", "1h30m", "500ms".
// The total must be positive.
Result<Duration> ParseDuration(std::string_view text);

// <number>[unit], units B, KiB, MiB, GiB (powers of 1024) and kB, MB, GB (powers of 1000):
// "10MiB", "512KiB", "4096".
Result<std::uint64_t> ParseSize(std::string_view text);

}  // namespace feedwatch::config
