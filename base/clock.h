// Time comes in through Clock so that schedules, look-back windows and retries can be tested
// with a fake clock instead of sleeps. Times are whole seconds since the Unix epoch, UTC: that
// is what the store keeps and what feeds carry.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace feedwatch {

using Seconds = std::chrono::seconds;
using TimePoint = std::chrono::sys_seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Seconds>(std::chrono::system_clock::now());
  }
};

// "2025-06-11T06:00:00Z".
std::string FormatIso8601(TimePoint t);

}  // namespace feedwatch
