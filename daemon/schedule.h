// When to poll a feed next: pure functions of what the last poll found, so the policy is tested
// with a fake clock and no network.
//
// After a success: two thirds of the feed's mean time between items at the rate it is expected
// to publish (publishing_rate.h), between `min_interval` and `interval`: a feed that publishes
// every two minutes is polled every 80 s, one that publishes a few times a day every
// `interval`, as if its rate were unknown. Longer when the server says its content stays fresh
// longer (Cache-Control max-age, Expires, RSS <ttl>), never longer than four intervals; never
// sooner than `min_interval`, whatever a server or the jitter says. After a failure: the
// interval doubled per consecutive failure up to a cap, or what Retry-After asks (429, 503) if
// that is later, up to a day. Every delay is spread by +-10% jitter, so feeds added together do
// not stay in step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "config/units.h"
#include "feeds/feed.h"
#include "net/http_client.h"
#include "store/store.h"

namespace feedwatch::daemon {

using config::Duration;

// How long the server says the response stays fresh: Cache-Control max-age (s-maxage is for
// shared caches; no-store and no-cache say nothing about polling), else Expires - Date (or -
// now). nullopt when it says nothing usable.
std::optional<Seconds> FreshnessHint(const net::Response& response, TimePoint now);

// A Retry-After header value: delta-seconds or an HTTP date. nullopt when absent or bad.
std::optional<Seconds> ParseRetryAfter(std::string_view value, TimePoint now);

// How often a feed is polled, as configured: `interval` at most, `min_interval` at least (at
// most `interval`).
struct PollBounds {
  Duration interval;
  Duration min_interval;
};

// Delay until the next poll after a success of a feed expected to publish `items_per_hour`
// (0: unknown). `hint` combines FreshnessHint and the feed's <ttl>.
Seconds DelayAfterSuccess(PollBounds bounds, double items_per_hour, std::optional<Seconds> hint);

// Delay until the next attempt after `failures` consecutive failures (1 for the first).
Seconds DelayAfterFailure(Duration interval, int failures, Duration max_backoff,
                          std::optional<Seconds> retry_after);

// The first time at or after `due` outside the hours and days a feed asks not to be polled in
// (RSS <skipHours>, <skipDays>; bit h of `skip_hours` is hour h UTC, bit d of `skip_days` day d
// with 0 = Sunday), but never later than `latest`: like every hint, they lengthen a delay only
// up to four intervals.
TimePoint OutsideSkipped(TimePoint due, std::uint32_t skip_hours, std::uint8_t skip_days,
                         TimePoint latest);

// What `parsed` says of its own schedule (kept in the store: store::FeedState::hints).
store::ScheduleHints HintsOf(const feeds::Feed& parsed);
// The longer of what the feed's `hints` and `response` (FreshnessHint) say of its freshness.
std::optional<Seconds> FreshFor(const store::ScheduleHints& hints, const net::Response& response,
                                TimePoint now);

// When a feed polled successfully at `now` is due next: DelayAfterSuccess with jitter (never
// below min_interval), outside its skipped hours and days (up to the longest delay a hint may
// ask for). `hint`: FreshFor.
TimePoint NextDueAfterSuccess(PollBounds bounds, double items_per_hour, std::optional<Seconds> hint,
                              const store::ScheduleHints& feed, std::string_view name,
                              TimePoint now);

// DelayAfterFailure with jitter, which may lengthen what Retry-After asks for, never shorten it.
Seconds JitteredDelayAfterFailure(Duration interval, int failures, Duration max_backoff,
                                  std::optional<Seconds> retry_after, std::string_view name,
                                  TimePoint now);

// `delay` spread by up to +-10%, deterministically from `seed` (the feed's name and the time).
Seconds Jitter(Seconds delay, std::string_view name, TimePoint now);

// Where a feed falls in the first cycle after start: an offset in [0, window) fixed by its name,
// so that thousands of feeds due at start are spread out instead of fired at once.
Seconds StartOffset(std::string_view name, Duration window);

// A delay as the log says it: "45 s", "12 min", "2 h".
std::string FormatDelay(Seconds delay);

}  // namespace feedwatch::daemon
