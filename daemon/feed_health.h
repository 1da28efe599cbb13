// A feed's health from its stored state: one rule for `feedwatch status`, the status line and
// the metrics.
#pragma once

#include <optional>
#include <string_view>

#include "base/clock.h"
#include "store/store.h"

namespace feedwatch::daemon {

enum class FeedHealth { kNew, kOk, kFailing, kDisabled };

inline FeedHealth HealthOf(const store::FeedState& state) {
  if (state.gone) return FeedHealth::kDisabled;
  if (state.consecutive_failures > 0) return FeedHealth::kFailing;
  if (state.last_success_at) return FeedHealth::kOk;
  return FeedHealth::kNew;
}

// "new", "ok", "failing", "disabled": as `feedwatch status` prints it.
constexpr std::string_view HealthName(FeedHealth health) {
  switch (health) {
    case FeedHealth::kNew:
      return "new";
    case FeedHealth::kOk:
      return "ok";
    case FeedHealth::kFailing:
      return "failing";
    case FeedHealth::kDisabled:
      return "disabled";
  }
  return "";
}

// The feeds by health, for the status line and the gauges.
struct FeedCounts {
  int feeds = 0;
  int ok = 0;
  int failing = 0;
  int disabled = 0;
  std::optional<TimePoint> last_success;  // the latest of any feed

  void Add(const store::FeedState& state) {
    ++feeds;
    switch (HealthOf(state)) {
      case FeedHealth::kOk:
        ++ok;
        break;
      case FeedHealth::kFailing:
        ++failing;
        break;
      case FeedHealth::kDisabled:
        ++disabled;
        break;
      case FeedHealth::kNew:
        break;
    }
    if (state.last_success_at && (!last_success || *state.last_success_at > *last_success)) {
      last_success = state.last_success_at;
    }
  }
};

}  // namespace feedwatch::daemon
