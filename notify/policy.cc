#include "notify/policy.h"

#include <date/tz.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace feedwatch::notify {
namespace {

constexpr Seconds kFirstRetry{30};
constexpr Seconds kLongestRetry{3600};
// A Retry-After longer than this is taken as this: the delivery's max_age decides the rest.
constexpr Seconds kLongestRetryAfter{24 * 3600};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// "08:00" -> 480 minutes.
std::optional<std::chrono::minutes> TimeOfDay(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  int hours = 0;
  int minutes = 0;
  const auto h = std::from_chars(text.data(), text.data() + 2, hours);
  const auto m = std::from_chars(text.data() + 3, text.data() + 5, minutes);
  if (h.ec != std::errc() || h.ptr != text.data() + 2 || m.ec != std::errc() ||
      m.ptr != text.data() + 5 || hours > 23 || minutes > 59 || hours < 0 || minutes < 0) {
    return std::nullopt;
  }
  return std::chrono::hours(hours) + std::chrono::minutes(minutes);
}

}  // namespace

Result<DigestSchedule> DigestSchedule::Parse(std::string_view text) {
  text = Trim(text);
  DigestSchedule schedule;
  if (text == "off") return schedule;
  if (text == "hourly") {
    schedule.kind_ = Kind::kHourly;
    return schedule;
  }
  const auto expected = [&] {
    return Error::InvalidInput("unknown digest \"" + std::string(text) +
                               R"("; expected "off", "hourly" or "daily HH:MM [Area/Zone]")");
  };
  if (!text.starts_with("daily ")) return expected();
  std::string_view rest = Trim(text.substr(6));
  const size_t space = rest.find(' ');
  const std::optional<std::chrono::minutes> time = TimeOfDay(rest.substr(0, space));
  if (!time) return expected();
  schedule.kind_ = Kind::kDaily;
  schedule.time_of_day_ = *time;
  if (space != std::string_view::npos) {
    const std::string zone(Trim(rest.substr(space)));
    try {
      schedule.zone_ = date::locate_zone(zone);
    } catch (const std::exception&) {
      return Error::InvalidInput("unknown time zone \"" + zone +
                                 "\" in digest; expected a name from the tz database such as "
                                 "\"Europe/Moscow\" (see /usr/share/zoneinfo)");
    }
  }
  return schedule;
}

TimePoint DigestSchedule::Next(TimePoint t) const {
  switch (kind_) {
    case Kind::kOff:
      return t;
    case Kind::kHourly:
      return std::chrono::ceil<std::chrono::hours>(t);
    case Kind::kDaily:
      break;
  }
  if (zone_ == nullptr) {
    const TimePoint today = std::chrono::floor<std::chrono::days>(t) + time_of_day_;
    return today >= t ? today : today + std::chrono::days(1);
  }
  const auto local = zone_->to_local(t);
  const auto local_day = date::floor<date::days>(local);
  for (int d = 0; d <= 2; ++d) {
    const auto slot = local_day + date::days(d) + time_of_day_;
    // A local time that a DST change skips maps to the change; one it repeats, to the first.
    const TimePoint at =
        std::chrono::time_point_cast<Seconds>(zone_->to_sys(slot, date::choose::earliest));
    if (at >= t) return at;
  }
  return t;  // unreachable: one of three consecutive days has the slot after t
}

std::string DigestSchedule::ToString() const {
  switch (kind_) {
    case Kind::kOff:
      return "off";
    case Kind::kHourly:
      return "hourly";
    case Kind::kDaily:
      break;
  }
  const auto minutes = time_of_day_.count();
  std::string out = "daily ";
  out += static_cast<char>('0' + minutes / 600);
  out += static_cast<char>('0' + minutes / 60 % 10);
  out += ':';
  out += static_cast<char>('0' + minutes % 60 / 10);
  out += static_cast<char>('0' + minutes % 10);
  if (zone_ != nullptr) out += " " + std::string(zone_->name());
  return out;
}

Seconds RetryDelay(int attempts, std::optional<Seconds> retry_after, double jitter) {
  Seconds delay = kFirstRetry;
  for (int i = 1; i < attempts && delay < kLongestRetry; ++i) delay *= 2;
  delay = std::min(delay, kLongestRetry);
  delay += Seconds(
      std::lround(static_cast<double>(delay.count()) * 0.1 * std::clamp(jitter, -1.0, 1.0)));
  if (retry_after) delay = std::max(delay, std::min(*retry_after, kLongestRetryAfter));
  return delay;
}

}  // namespace feedwatch::notify
