#include "daemon/publishing_rate.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>

namespace feedwatch::daemon {
namespace {

using Hour = store::PublishingHistory::Hour;

// A date this far ahead of our clock is still believed: the servers' clocks are not ours.
constexpr Seconds kClockSkew{300};
// A rate seen over less than this, or in fewer items, is not believed.
constexpr Seconds kShortestSpan{120};
constexpr int kFewestItems = 3;
// How much history a pattern needs: by hour of the day from three days on, by weekday from a
// week on.
constexpr std::chrono::hours kHourPattern{3 * 24};
constexpr std::chrono::hours kDayPattern{7 * 24};
// An hour of the day (or a weekday) seen for `k` hours is drawn towards the overall rate as if
// it had been seen this many more hours at that rate.
constexpr double kHourPrior = 2;
constexpr double kDayPrior = 12;
// The hour of the day raises the rate to this many times the day's at most: a feed that
// publishes once a day, always at 09:00, is not polled each morning as if it published hourly.
constexpr double kMostHourShare = 3;
// A date before this is a placeholder (0, 1970), not a publication.
constexpr TimePoint kEarliestDate{Seconds(946'684'800)};  // 2000-01-01

// Times before 1970 and after 2^31 hours (year 246,953) are not in a history.
std::int32_t HourOf(TimePoint t) {
  const std::int64_t hour = std::chrono::floor<std::chrono::hours>(t.time_since_epoch()).count();
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(hour, 0, INT32_MAX));
}

TimePoint StartOf(std::int32_t hour) { return TimePoint(std::chrono::hours(hour)); }

// 0 = Sunday; Unix hour 0 was on a Thursday.
int WeekdayOf(std::int64_t hour) { return static_cast<int>((hour / 24 + 4) % 7); }

double HoursIn(Seconds span) { return static_cast<double>(span.count()) / 3600; }

void Count(std::vector<Hour>& hours, TimePoint at) {
  const std::int32_t hour = HourOf(at);
  if (hours.empty() || hours.back().hour < hour) {
    hours.push_back({hour, 1});
    return;
  }
  const auto it =
      std::lower_bound(hours.begin(), hours.end(), hour,
                       [](const Hour& h, std::int32_t value) { return h.hour < value; });
  if (it != hours.end() && it->hour == hour) {
    if (it->items < INT32_MAX) ++it->items;
  } else {
    hours.insert(it, {hour, 1});
  }
}

}  // namespace

store::PublishingHistory Observe(store::PublishingHistory history,
                                 std::span<const std::optional<TimePoint>> dates, TimePoint now) {
  const TimePoint oldest_kept = now - kHistoryWindow;
  const auto believed = [&](const std::optional<TimePoint>& date, TimePoint from) {
    return date && *date <= now + kClockSkew && *date >= from;
  };
  // A history that begins in the future (the clock was set back) is begun again.
  if (history.since && *history.since > now + kClockSkew) history = {};
  if (!history.since) {
    // The feed's first read: the dates it lists are its history.
    std::vector<TimePoint> usable;
    bool older = false;  // it lists items from before the window: the window is all seen
    for (const std::optional<TimePoint>& date : dates) {
      if (believed(date, oldest_kept)) usable.push_back(std::min(*date, now));
      older = older || (date && *date < oldest_kept && *date >= kEarliestDate);
    }
    // Every item dated alike: the time the feed was built, not when each was published.
    if (usable.size() > 1 && std::all_of(usable.begin(), usable.end(),
                                         [&](TimePoint t) { return t == usable.front(); })) {
      usable.clear();
    }
    std::sort(usable.begin(), usable.end());
    history.since = older ? oldest_kept : usable.empty() ? now : usable.front();
    for (const TimePoint t : usable) Count(history.hours, t);
  } else {
    for (const std::optional<TimePoint>& date : dates) {
      Count(history.hours, believed(date, *history.since) ? std::min(*date, now) : now);
    }
  }
  if (*history.since < oldest_kept) history.since = oldest_kept;
  const std::int32_t first = HourOf(*history.since);
  std::erase_if(history.hours, [first](const Hour& h) { return h.hour < first; });
  return history;
}

double ItemsPerHour(const store::PublishingHistory& history, TimePoint now) {
  if (!history.since || now <= *history.since) return 0;
  const TimePoint since = std::max(*history.since, now - kHistoryWindow);
  // The rate from the start of `from`'s hour (or the history's) to now.
  const auto rate_from = [&](TimePoint from) {
    const TimePoint start = std::max(since, StartOf(HourOf(from)));
    if (now - start < kShortestSpan) return 0.0;
    const std::int32_t first = HourOf(start);
    std::int64_t items = 0;
    for (auto it = history.hours.rbegin(); it != history.hours.rend() && it->hour >= first; ++it) {
      items += it->items;
    }
    if (items < kFewestItems) return 0.0;
    return static_cast<double>(items) / HoursIn(std::chrono::duration_cast<Seconds>(now - start));
  };
  const double recent =
      std::max(rate_from(now - std::chrono::hours(1)), rate_from(now - std::chrono::hours(6)));
  const double overall = rate_from(since);
  if (now - since < kHourPattern || overall == 0) return std::max(recent, overall);

  std::array<double, 24> items_by_hour{};
  std::array<double, 24> hours_seen{};
  std::array<double, 7> items_by_day{};
  std::array<double, 7> day_hours_seen{};
  const std::int32_t now_hour = HourOf(now);
  for (std::int64_t h = HourOf(since); h <= now_hour; ++h) {
    hours_seen[static_cast<size_t>(h % 24)] += 1;
    day_hours_seen[static_cast<size_t>(WeekdayOf(h))] += 1;
  }
  for (const Hour& h : history.hours) {
    items_by_hour[static_cast<size_t>(h.hour % 24)] += h.items;
    items_by_day[static_cast<size_t>(WeekdayOf(h.hour))] += h.items;
  }
  const auto hour_rate = [&](std::int64_t hour) {
    const auto h = static_cast<size_t>(hour % 24);
    return (items_by_hour[h] + overall * kHourPrior) / (hours_seen[h] + kHourPrior);
  };
  // This hour's rate or the next one's, whichever is higher: polling speeds up before a
  // morning's first items, not after them.
  double usual =
      std::min(std::max(hour_rate(now_hour), hour_rate(now_hour + 1)), kMostHourShare * overall);
  if (now - since >= kDayPattern) {
    const auto d = static_cast<size_t>(WeekdayOf(now_hour));
    usual *= (items_by_day[d] + overall * kDayPrior) / (day_hours_seen[d] + kDayPrior) / overall;
  }
  return std::max(recent, usual);
}

double PollingRate(const store::PublishingHistory& history, TimePoint now,
                   config::Duration interval) {
  const double rate = ItemsPerHour(history, now);
  if (rate > 0 || !history.since || now - *history.since >= interval) return rate;
  return 2 * 3600 / std::chrono::duration<double>(interval).count();
}

std::optional<Silence> UnusualSilence(const store::PublishingHistory& history, TimePoint now) {
  if (!history.since || history.hours.empty()) return std::nullopt;
  // The usual gap is measured up to the last item, not up to now: a silence must not stretch
  // the gap it is measured against, and a feed silent for longer than the history's window
  // keeps the gap it had (the history is not rewritten while nothing new comes).
  const TimePoint last_item(std::chrono::hours(history.hours.back().hour + 1));
  const TimePoint since = std::max(*history.since, last_item - kHistoryWindow);
  std::int64_t items = 0;
  for (const store::PublishingHistory::Hour& hour : history.hours) {
    if (TimePoint(std::chrono::hours(hour.hour)) >= since) items += hour.items;
  }
  const auto span = std::chrono::duration_cast<Seconds>(last_item - since);
  if (span < std::chrono::hours(48) || items < 6) return std::nullopt;
  const Silence silence{last_item, span / items};
  const auto quiet = now - silence.last_item;
  if (quiet < kShortestSilence || quiet < kGapsOfSilence * silence.usual_gap) return std::nullopt;
  return silence;
}

}  // namespace feedwatch::daemon
