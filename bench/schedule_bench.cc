// The Scheduler through a whole warm cycle: N feeds on one host, all due, at most two in flight
// (the default per_host); each taken, finished and scheduled again. The time per feed should
// not grow with N (O(log n) a step); before the Scheduler, the engine's scan made it grow
// linearly (a cycle, quadratically).
#include <benchmark/benchmark.h>

#include <string>

#include "daemon/publishing_rate.h"
#include "daemon/scheduler.h"

namespace feedwatch::daemon {
namespace {

const TimePoint kNow{Seconds(1'750'000'000)};

void BM_WarmCycleOnOneHost(benchmark::State& state) {
  const auto feeds = static_cast<size_t>(state.range(0));
  Scheduler scheduler(feeds, /*concurrency=*/32, /*per_host=*/2);
  for (size_t i = 0; i < feeds; ++i) {
    scheduler.SetUrl(i, "https://news.example.com/search?q=" + std::to_string(i));
  }
  TimePoint now = kNow;
  for (auto _ : state) {
    for (size_t i = 0; i < feeds; ++i) scheduler.Schedule(i, now - Seconds(i % 600));
    size_t done = 0;
    std::vector<size_t> in_flight = scheduler.Take(now);
    while (!in_flight.empty()) {
      const size_t feed = in_flight.back();
      in_flight.pop_back();
      scheduler.Finished(feed);
      ++done;
      for (const size_t started : scheduler.Take(now)) in_flight.push_back(started);
    }
    benchmark::DoNotOptimize(done);
    now += Seconds(600);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(feeds));
}
BENCHMARK(BM_WarmCycleOnOneHost)->Arg(1'000)->Arg(10'000)->Arg(100'000);

// What rate-aware polling adds to a poll: the expected rate from a full history (two weeks of
// an agency publishing every hour, 336 hours), and the history counting a poll's new items.
// Both are bounded by the history's 336 hours, whatever the feed sends.
void BM_ItemsPerHourOfAFullHistory(benchmark::State& state) {
  store::PublishingHistory history;
  for (TimePoint hour = kNow - kHistoryWindow; hour < kNow; hour += std::chrono::hours(1)) {
    history = Observe(std::move(history), {{hour, hour + Seconds(600), hour + Seconds(1200)}},
                      hour + Seconds(1800));
  }
  for (auto _ : state) benchmark::DoNotOptimize(ItemsPerHour(history, kNow));
}
BENCHMARK(BM_ItemsPerHourOfAFullHistory);

void BM_ObserveAPollsNewItems(benchmark::State& state) {
  store::PublishingHistory history =
      Observe({}, std::vector<std::optional<TimePoint>>(30, kNow - Seconds(3600)), kNow);
  const std::vector<std::optional<TimePoint>> fresh(static_cast<size_t>(state.range(0)), kNow);
  for (auto _ : state) benchmark::DoNotOptimize(Observe(history, fresh, kNow));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_ObserveAPollsNewItems)->Arg(3)->Arg(2'000);

}  // namespace
}  // namespace feedwatch::daemon
