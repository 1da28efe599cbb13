// A feed's health from its stored state: one rule for `feedwatch status`, the status line and
// the metrics.
#pragma once

#include <string_view>

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

}  // namespace feedwatch::daemon
