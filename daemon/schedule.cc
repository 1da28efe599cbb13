#include "daemon/schedule.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>

#include "base/text.h"
#include "feeds/date.h"

namespace feedwatch::daemon {
namespace {

constexpr Seconds kMaxRetryAfter{24 * 3600};
// Polls per item published, at most: the politeness a busy feed's latency is bought with.
constexpr double kPollsPerItem = 1.5;

std::optional<int64_t> Number(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

Seconds ToSeconds(Duration d) { return std::chrono::duration_cast<Seconds>(d); }

}  // namespace

std::optional<Seconds> FreshnessHint(const net::Response& response, TimePoint now) {
  const std::string cache_control = AsciiLower(response.Header("cache-control"));
  if (const size_t at = cache_control.find("max-age="); at != std::string::npos) {
    const size_t end = cache_control.find_first_of(", ", at);
    if (const auto seconds = Number(std::string_view(cache_control).substr(at + 8, end - at - 8))) {
      return Seconds(*seconds);
    }
  }
  if (const std::optional<TimePoint> expires = feeds::ParseDate(response.Header("expires"))) {
    const std::optional<TimePoint> date = feeds::ParseDate(response.Header("date"));
    const TimePoint base = date ? *date : now;
    if (*expires > base) return std::chrono::duration_cast<Seconds>(*expires - base);
  }
  return std::nullopt;
}

std::optional<Seconds> ParseRetryAfter(std::string_view value, TimePoint now) {
  if (value.empty()) return std::nullopt;
  if (const auto seconds = Number(value)) return Seconds(*seconds);
  if (const std::optional<TimePoint> date = feeds::ParseDate(value)) {
    return *date > now ? std::chrono::duration_cast<Seconds>(*date - now) : Seconds(0);
  }
  return std::nullopt;
}

Seconds DelayAfterSuccess(PollBounds bounds, double items_per_hour, std::optional<Seconds> hint) {
  // A second at least: an interval of milliseconds is no reason to poll in a loop.
  const Seconds longest = std::max(ToSeconds(bounds.interval), Seconds(1));
  const Seconds shortest = std::clamp(ToSeconds(bounds.min_interval), Seconds(1), longest);
  Seconds base = longest;
  // Two thirds of the mean time between items: an item waits a third of a gap on average, for
  // one and a half polls per item published.
  const double polls_per_hour = kPollsPerItem * items_per_hour;
  if (polls_per_hour * static_cast<double>(longest.count()) > 3600) {
    base = std::max(shortest, Seconds(std::llround(3600 / polls_per_hour)));
  }
  if (!hint) return base;
  return std::clamp(*hint, base, 4 * longest);
}

Seconds DelayAfterFailure(Duration interval, int failures, Duration max_backoff,
                          std::optional<Seconds> retry_after) {
  const Seconds cap = std::max(ToSeconds(max_backoff), ToSeconds(interval));
  Seconds delay = ToSeconds(interval);
  for (int i = 1; i < failures && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  if (retry_after) delay = std::max(delay, std::min(*retry_after, kMaxRetryAfter));
  return delay;
}

TimePoint OutsideSkipped(TimePoint due, std::uint32_t skip_hours, std::uint8_t skip_days,
                         TimePoint latest) {
  if ((skip_hours & 0xFFFFFFu) == 0xFFFFFFu || (skip_days & 0x7Fu) == 0x7Fu) return due;
  TimePoint at = due;
  // A week of hours at most: past that every hour was skipped, which the check above excludes.
  for (int i = 0; i < 7 * 24 && at <= latest; ++i) {
    const auto day = std::chrono::floor<std::chrono::days>(at);
    const auto hour = std::chrono::duration_cast<std::chrono::hours>(at - day).count();
    const unsigned weekday = std::chrono::weekday(day).c_encoding();
    if ((skip_hours & (1u << hour)) == 0 && (skip_days & (1u << weekday)) == 0) return at;
    at = day + std::chrono::hours(hour + 1);  // the start of the next hour
  }
  return std::min(at, latest);
}

Seconds Jitter(Seconds delay, std::string_view name, TimePoint now) {
  const size_t hash = std::hash<std::string_view>{}(name) ^
                      (static_cast<size_t>(now.time_since_epoch().count()) * 0x9E3779B97F4A7C15ULL);
  // -10% .. +10% in steps of 0.1%.
  const auto permille = static_cast<int64_t>(hash % 201) - 100;
  return delay + Seconds(delay.count() * permille / 1000);
}

store::ScheduleHints HintsOf(const feeds::Feed& parsed) {
  store::ScheduleHints hints{
      .fresh_for = parsed.ttl, .skip_hours = parsed.skip_hours, .skip_days = parsed.skip_days};
  if (parsed.update_period && (!hints.fresh_for || *parsed.update_period > *hints.fresh_for)) {
    hints.fresh_for = parsed.update_period;
  }
  return hints;
}

std::optional<Seconds> FreshFor(const store::ScheduleHints& hints, const net::Response& response,
                                TimePoint now) {
  const std::optional<Seconds> server = FreshnessHint(response, now);
  return hints.fresh_for && (!server || *hints.fresh_for > *server) ? hints.fresh_for : server;
}

TimePoint NextDueAfterSuccess(PollBounds bounds, double items_per_hour, std::optional<Seconds> hint,
                              const store::ScheduleHints& feed, std::string_view name,
                              TimePoint now) {
  const Seconds shortest = std::clamp(ToSeconds(bounds.min_interval), Seconds(1),
                                      std::max(ToSeconds(bounds.interval), Seconds(1)));
  const TimePoint due =
      now + std::max(shortest, Jitter(DelayAfterSuccess(bounds, items_per_hour, hint), name, now));
  const TimePoint latest = now + DelayAfterSuccess(bounds, 0, Seconds::max());
  return OutsideSkipped(due, feed.skip_hours, feed.skip_days, std::max(due, latest));
}

Seconds JitteredDelayAfterFailure(Duration interval, int failures, Duration max_backoff,
                                  std::optional<Seconds> retry_after, std::string_view name,
                                  TimePoint now) {
  const Seconds delay =
      Jitter(DelayAfterFailure(interval, failures, max_backoff, std::nullopt), name, now);
  if (!retry_after) return delay;
  return std::max(delay, DelayAfterFailure(interval, failures, max_backoff, retry_after));
}

Seconds StartOffset(std::string_view name, Duration window) {
  const int64_t seconds = ToSeconds(window).count();
  if (seconds <= 0) return Seconds(0);
  return Seconds(
      static_cast<int64_t>(std::hash<std::string_view>{}(name) % static_cast<size_t>(seconds)));
}

std::string FormatDelay(Seconds delay) {
  const int64_t s = delay.count();
  if (s % 3600 == 0 && s >= 3600) return std::to_string(s / 3600) + " h";
  if (s >= 600) return std::to_string(s / 60) + " min";
  return std::to_string(s) + " s";
}

}  // namespace feedwatch::daemon
