// When alerts go out: digest schedules and the retry backoff. Pure functions of time, so that
// tests drive them with a fake clock.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"

namespace date {
class time_zone;
}

namespace feedwatch::notify {

// A notifier's digest setting: "off" (each alert on its own), "hourly" (at the top of each
// hour), or "daily HH:MM [Area/Zone]" (once a day at that local time; UTC when no zone is
// given). Daylight-saving changes are followed: a local time skipped by the change fires at
// the change.
class DigestSchedule {
 public:
  DigestSchedule() = default;  // off
  bool operator==(const DigestSchedule&) const = default;
  // Errors name what was expected; an unknown zone is named.
  static Result<DigestSchedule> Parse(std::string_view text);

  bool off() const { return kind_ == Kind::kOff; }
  // The first digest time at or after `t`; `t` itself when off.
  TimePoint Next(TimePoint t) const;
  std::string ToString() const;

 private:
  enum class Kind { kOff, kHourly, kDaily };
  Kind kind_ = Kind::kOff;
  std::chrono::minutes time_of_day_{0};
  const date::time_zone* zone_ = nullptr;  // daily; null: UTC
};

// How long to wait before attempt `attempts` + 1 after `attempts` failed ones: 30 s doubling up
// to 1 h, spread by ±10% (`jitter` in [-1, 1] picks where), and never sooner than the server's
// Retry-After.
Seconds RetryDelay(int attempts, std::optional<Seconds> retry_after, double jitter);

}  // namespace feedwatch::notify
