// The polling schedule over a simulated week: feeds that publish as outlets do (a few busy
// agencies, many outlets, more quiet ministries; more by day than by night, less at weekends),
// polled by the daemon's own rule (publishing_rate.h, schedule.h) with the fixed schedule
// (min_interval = interval) and the adaptive one. Prints, per kind of feed, the latency from
// publication to the poll that first sees an item, and the requests per feed per hour, as
// markdown (docs/performance.md holds a run's).
//
//   feedwatch_schedule_sim [DAYS]     (default 7, after a first day that is not counted)
//
// It measures the rule alone: every poll answers at once, and no host limit holds a feed back
// (bench/latency-bench.sh runs the whole daemon against a loopback server).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "daemon/publishing_rate.h"
#include "daemon/schedule.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;

constexpr TimePoint kStart{Seconds(1'750'032'000)};  // Monday 2025-06-16 00:00 UTC
constexpr int kListed = 30;                          // items a feed lists

struct Kind {
  const char* name;
  int feeds;
  double day_rate;    // items an hour, 06:00 to 22:00 UTC on weekdays
  double night_rate;  // at night
  double weekend;     // the share of those rates at weekends
  config::Duration interval;
};

// As the example configuration polls them: the agencies every 5 minutes, the rest every 10.
constexpr std::array<Kind, 3> kKinds = {{
    {"agency (40/h by day, 6/h at night)", 5, 40, 6, 0.6, 5min},
    {"outlet (6/h by day, 0.5/h at night)", 20, 6, 0.5, 0.5, 10min},
    {"ministry (0.5/h office hours, weekdays)", 75, 0.5, 0, 0, 10min},
}};

double RateAt(const Kind& kind, TimePoint t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const auto hour = std::chrono::duration_cast<std::chrono::hours>(t - day).count();
  const unsigned weekday = std::chrono::weekday(day).c_encoding();
  const bool weekend = weekday == 0 || weekday == 6;
  const bool office = kind.night_rate == 0 ? hour >= 9 && hour < 19 : hour >= 6 && hour < 22;
  return (office ? kind.day_rate : kind.night_rate) * (weekend ? kind.weekend : 1);
}

// Publication times by thinning a Poisson process at the highest rate.
std::vector<TimePoint> Publish(const Kind& kind, TimePoint from, TimePoint to,
                               std::mt19937_64& random) {
  std::exponential_distribution<double> gap(kind.day_rate / 3600);
  std::uniform_real_distribution<double> keep(0, 1);
  std::vector<TimePoint> times;
  for (double t = 0;;) {
    t += gap(random);
    const TimePoint at = from + Seconds(static_cast<std::int64_t>(t));
    if (at >= to) return times;
    if (keep(random) * kind.day_rate < RateAt(kind, at)) times.push_back(at);
  }
}

struct Result {
  std::vector<double> latencies;  // seconds, of the items published in the counted days
  std::int64_t polls = 0;         // in the counted days
};

Result Simulate(const Kind& kind, const std::string& name, const std::vector<TimePoint>& items,
                config::Duration min_interval, TimePoint from, TimePoint to) {
  Result result;
  const PollBounds bounds{kind.interval, min_interval};
  store::PublishingHistory history;
  TimePoint at = kStart + StartOffset(name, std::min<config::Duration>(kind.interval, 2min));
  size_t seen = 0;  // items published before the last poll
  while (at < to) {
    const auto upto =
        static_cast<size_t>(std::upper_bound(items.begin(), items.end(), at) - items.begin());
    std::vector<std::optional<TimePoint>> dates;
    // The first read sees what the feed lists; later ones, what is new.
    for (size_t i = history.since ? seen : upto - std::min<size_t>(upto, kListed); i < upto; ++i) {
      dates.emplace_back(items[i]);
    }
    for (size_t i = seen; i < upto; ++i) {
      if (items[i] >= from && items[i] < to) {
        result.latencies.push_back(std::chrono::duration<double>(at - items[i]).count());
      }
    }
    seen = upto;
    history = Observe(std::move(history), dates, at);
    if (at >= from) ++result.polls;
    at = NextDueAfterSuccess(bounds, ItemsPerHour(history, at), std::nullopt, {}, name, at);
  }
  return result;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(std::lround(p * static_cast<double>(values.size() - 1)))];
}

}  // namespace
}  // namespace feedwatch::daemon

int main(int argc, char** argv) {
  using namespace feedwatch::daemon;
  const int days = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;
  const feedwatch::TimePoint from = kStart + std::chrono::hours(24);
  const feedwatch::TimePoint to = from + std::chrono::hours(24 * days);
  std::printf("%d simulated days after a first one; publication to first poll, in seconds\n\n",
              days);
  std::printf("| feeds | schedule | median | p90 | p99 | requests per feed per hour |\n");
  std::printf("|---|---|---|---|---|---|\n");
  std::mt19937_64 random(1);
  for (const Kind& kind : kKinds) {
    std::vector<std::vector<feedwatch::TimePoint>> items;
    items.reserve(static_cast<size_t>(kind.feeds));
    for (int f = 0; f < kind.feeds; ++f) {
      items.push_back(Publish(kind, kStart - kHistoryWindow, to, random));
    }
    for (const bool adaptive : {false, true}) {
      std::vector<double> latencies;
      std::int64_t polls = 0;
      for (int f = 0; f < kind.feeds; ++f) {
        const Result result = Simulate(
            kind, std::string(kind.name) + std::to_string(f), items[static_cast<size_t>(f)],
            adaptive ? feedwatch::config::Duration(std::chrono::minutes(1)) : kind.interval, from,
            to);
        latencies.insert(latencies.end(), result.latencies.begin(), result.latencies.end());
        polls += result.polls;
      }
      std::printf("| %d %s | %s | %.0f | %.0f | %.0f | %.1f |\n", kind.feeds, kind.name,
                  adaptive ? "adaptive" : "fixed", Percentile(latencies, 0.5),
                  Percentile(latencies, 0.9), Percentile(latencies, 0.99),
                  static_cast<double>(polls) / kind.feeds / (24.0 * days));
    }
  }
  return 0;
}
