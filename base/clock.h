// Time and chance come in through Clock and Random, so that schedules, look-back windows,
// retries and timeouts are tested with a fake clock and a seeded source instead of sleeps.
//
// Wall time is whole seconds since the Unix epoch, UTC: what the store keeps and what feeds
// carry. Monotonic time measures durations (fetch latency, the status line's period, the
// shutdown deadline) and never jumps when the wall clock is set.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace feedwatch {

using Seconds = std::chrono::seconds;
using TimePoint = std::chrono::sys_seconds;
using MonoTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  virtual MonoTime Monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Seconds>(std::chrono::system_clock::now());
  }
  MonoTime Monotonic() const override { return std::chrono::steady_clock::now(); }
};

// Uniform random numbers, for jitter that must differ between processes.
class Random {
 public:
  virtual ~Random() = default;
  // A number in [0, bound); bound > 0.
  virtual std::uint64_t Below(std::uint64_t bound) = 0;
};

// Seeded from std::random_device, or from `seed` for a reproducible sequence.
class SystemRandom final : public Random {
 public:
  SystemRandom() : engine_(std::random_device{}()) {}
  explicit SystemRandom(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t Below(std::uint64_t bound) override {
    return std::uniform_int_distribution<std::uint64_t>(0, bound - 1)(engine_);
  }

 private:
  std::mt19937_64 engine_;
};

// "2025-06-11T06:00:00Z".
std::string FormatIso8601(TimePoint t);

}  // namespace feedwatch
