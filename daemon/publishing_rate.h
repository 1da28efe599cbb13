// How fast a feed publishes: its items counted by the hour they were published in
// (store::PublishingHistory), and the rate expected around a given time, from which the
// schedule (schedule.h, DelayAfterSuccess) decides how soon to poll it again. Pure functions.
//
// The first read of a feed already shows a history: the dates of the items it lists. Later
// reads count the items new to the feed, each at its date, or at the poll that first saw it
// when its date is missing, in the future or before the history began (an item re-dated, or a
// feed whose dates are wrong). Two weeks are kept.
//
// The rate expected at a time is the highest of:
// - the recent rate, over the last one to two hours and the last six, once three items show it;
// - the usual rate: over the whole history, or, from three days of history on, the rate of this
//   hour of the day and of the next (a morning's first items are not waited for), at most
//   three times the overall rate, scaled by the weekday's share from a week on. Each hour's and
//   day's rate is drawn towards the overall rate in proportion to how little of it was seen.
#pragma once

#include <chrono>
#include <optional>
#include <span>

#include "base/clock.h"
#include "config/units.h"
#include "store/store.h"

namespace feedwatch::daemon {

// How far back a history reaches.
inline constexpr std::chrono::hours kHistoryWindow{14 * 24};

// `history` after a read of its feed at `now` that found items new to it published at `dates`
// (nullopt: undated). On the feed's first read (`history.since` unset) `dates` are all its
// items': the history starts at the oldest usable one, and undated items count for nothing.
store::PublishingHistory Observe(store::PublishingHistory history,
                                 std::span<const std::optional<TimePoint>> dates, TimePoint now);

// The items an hour the feed is expected to publish around `now`; 0 when its history shows no
// rate yet.
double ItemsPerHour(const store::PublishingHistory& history, TimePoint now);

// The rate to poll a feed polled at most every `interval` at: ItemsPerHour, except while its
// history is younger than `interval` and shows no rate (its first read had no dates to go by,
// or no items): then two items an interval, so that its first arrivals are seen soon.
double PollingRate(const store::PublishingHistory& history, TimePoint now,
                   config::Duration interval);

// A feed quiet for longer than usual: when its last item came, and how often it usually
// publishes.
struct Silence {
  TimePoint last_item;  // the end of the hour its latest item was published in
  Seconds usual_gap;    // the history's mean time between items
};
// Silences shorter than this are not told: a day's lull is not news.
inline constexpr std::chrono::hours kShortestSilence{3};
// How many usual gaps make a silence: nights and weekends fit in eight for a feed with a
// day-and-night pattern.
inline constexpr int kGapsOfSilence = 8;

// The feed's silence at `now`, when it has gone longer than kGapsOfSilence of its usual gaps
// (and kShortestSilence) without an item; nullopt when not, or when its history up to its last
// item is too short to say (under two days, or under six items).
std::optional<Silence> UnusualSilence(const store::PublishingHistory& history, TimePoint now);

}  // namespace feedwatch::daemon
