// Scheduler: due order, the global and per-host limits, rescheduling; and, against a plain
// reference (scan every feed, sort the due ones, skip hosts at their limit, as the engine did
// before), the same feeds started in the same order over random schedules.
#include "daemon/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

namespace feedwatch::daemon {
namespace {

constexpr TimePoint kNow{Seconds(1'750'000'000)};

TEST(Scheduler, StartsDueFeedsLongestOverdueFirst) {
  Scheduler scheduler(4, /*concurrency=*/10, /*per_host=*/10);
  for (size_t i = 0; i < 4; ++i) scheduler.SetUrl(i, "https://host" + std::to_string(i) + ".test/");
  scheduler.Schedule(0, kNow + Seconds(5));
  scheduler.Schedule(1, kNow - Seconds(60));
  scheduler.Schedule(2, kNow);
  scheduler.Schedule(3, kNow - Seconds(5));
  EXPECT_EQ(scheduler.Take(kNow), (std::vector<size_t>{1, 3, 2}));
  EXPECT_EQ(scheduler.NextDue(), kNow + Seconds(5));
  EXPECT_EQ(scheduler.in_flight(), 3);
  EXPECT_EQ(scheduler.Take(kNow + Seconds(5)), std::vector<size_t>{0});
  EXPECT_EQ(scheduler.NextDue(), std::nullopt);
}

TEST(Scheduler, APerHostLimitHoldsBackOnlyThatHost) {
  Scheduler scheduler(5, /*concurrency=*/10, /*per_host=*/2);
  for (size_t i = 0; i < 4; ++i)
    scheduler.SetUrl(i, "https://Busy.test:443/feed/" + std::to_string(i));
  scheduler.SetUrl(4, "https://other.test/feed");
  for (size_t i = 0; i < 5; ++i) scheduler.Schedule(i, kNow - Seconds(10 - static_cast<int>(i)));
  EXPECT_EQ(scheduler.Take(kNow), (std::vector<size_t>{0, 1, 4}));
  EXPECT_EQ(scheduler.waiting(), 2u);
  EXPECT_EQ(scheduler.Take(kNow), std::vector<size_t>{});
  scheduler.Finished(1);
  EXPECT_EQ(scheduler.Take(kNow), std::vector<size_t>{2});
  scheduler.Finished(4);  // another host's slot frees nothing for busy.test
  EXPECT_EQ(scheduler.Take(kNow), std::vector<size_t>{});
  scheduler.Finished(0);
  EXPECT_EQ(scheduler.Take(kNow), std::vector<size_t>{3});
  EXPECT_EQ(scheduler.waiting(), 0u);
}

TEST(Scheduler, TheGlobalLimitStartsTheLongestOverdueFirstAsSlotsFree) {
  Scheduler scheduler(4, /*concurrency=*/1, /*per_host=*/2);
  for (size_t i = 0; i < 4; ++i) scheduler.SetUrl(i, "https://h" + std::to_string(i) + ".test/");
  scheduler.Schedule(0, kNow - Seconds(1));
  scheduler.Schedule(1, kNow - Seconds(4));
  scheduler.Schedule(2, kNow - Seconds(3));
  scheduler.Schedule(3, kNow - Seconds(2));
  EXPECT_EQ(scheduler.Take(kNow), std::vector<size_t>{1});
  size_t running = 1;
  for (const size_t next : {2, 3, 0}) {
    EXPECT_EQ(scheduler.Take(kNow), std::vector<size_t>{});  // the one slot is taken
    scheduler.Finished(running);
    EXPECT_EQ(scheduler.Take(kNow), std::vector<size_t>{next});
    running = next;
  }
}

TEST(Scheduler, FileUrlsHaveNoHostLimit) {
  Scheduler scheduler(3, /*concurrency=*/10, /*per_host=*/1);
  for (size_t i = 0; i < 3; ++i) scheduler.SetUrl(i, "file:///srv/feeds/" + std::to_string(i));
  for (size_t i = 0; i < 3; ++i) scheduler.Schedule(i, kNow);
  EXPECT_EQ(scheduler.Take(kNow).size(), 3u);
}

TEST(Scheduler, RescheduleReplacesTheDueTimeAndAMoveChangesTheHost) {
  Scheduler scheduler(2, /*concurrency=*/10, /*per_host=*/1);
  scheduler.SetUrl(0, "https://a.test/1");
  scheduler.SetUrl(1, "https://a.test/2");
  scheduler.Schedule(0, kNow);
  scheduler.Schedule(0, kNow + Seconds(600));  // replaces, does not add
  scheduler.Schedule(1, kNow);
  EXPECT_EQ(scheduler.Take(kNow), std::vector<size_t>{1});
  EXPECT_EQ(scheduler.Take(kNow + Seconds(600)), std::vector<size_t>{});  // a.test is busy
  // Feed 0 moves to another host while it waits: it starts at once.
  scheduler.SetUrl(0, "https://b.test/1");
  EXPECT_EQ(scheduler.Take(kNow + Seconds(600)), std::vector<size_t>{0});
}

TEST(Scheduler, HostsAreSchemeHostAndPortInLowerCase) {
  EXPECT_EQ(Scheduler::HostOf("HTTPS://Feeds.Example.COM:8443/a?b#c"),
            "https://feeds.example.com:8443");
  EXPECT_EQ(Scheduler::HostOf("http://example.com?x"), "http://example.com");
  EXPECT_EQ(Scheduler::HostOf("file:///srv/feed.xml"), "file");
  EXPECT_EQ(Scheduler::HostOf("relative/path"), "file");
}

// The scan the scheduler replaced, as a reference.
class Reference {
 public:
  Reference(std::vector<std::string> hosts, int concurrency, int per_host)
      : hosts_(std::move(hosts)),
        due_(hosts_.size()),
        in_flight_(hosts_.size()),
        concurrency_(concurrency),
        per_host_(per_host) {}
  void Schedule(size_t feed, TimePoint due) { due_[feed] = due; }
  void Finished(size_t feed) {
    in_flight_[feed] = false;
    --host_busy_[hosts_[feed]];
    --busy_;
    due_[feed].reset();
  }
  std::vector<size_t> Take(TimePoint now) {
    std::vector<size_t> due;
    for (size_t i = 0; i < due_.size(); ++i) {
      if (!in_flight_[i] && due_[i] && *due_[i] <= now) due.push_back(i);
    }
    std::stable_sort(due.begin(), due.end(),
                     [&](size_t a, size_t b) { return *due_[a] < *due_[b]; });
    std::vector<size_t> started;
    for (const size_t i : due) {
      if (busy_ >= concurrency_) break;
      if (host_busy_[hosts_[i]] >= per_host_) continue;
      ++host_busy_[hosts_[i]];
      ++busy_;
      in_flight_[i] = true;
      started.push_back(i);
    }
    return started;
  }

 private:
  std::vector<std::string> hosts_;
  std::vector<std::optional<TimePoint>> due_;
  std::vector<bool> in_flight_;
  std::map<std::string, int> host_busy_;
  int busy_ = 0;
  int concurrency_;
  int per_host_;
};

TEST(Scheduler, StartsWhatTheFullScanWouldInTheSameOrder) {
  std::mt19937 random(7);
  for (int round = 0; round < 20; ++round) {
    const size_t feeds = 50 + random() % 200;
    const int concurrency = 1 + static_cast<int>(random() % 16);
    const int per_host = 1 + static_cast<int>(random() % 4);
    std::vector<std::string> hosts;
    Scheduler scheduler(feeds, concurrency, per_host);
    for (size_t i = 0; i < feeds; ++i) {
      hosts.push_back("https://h" + std::to_string(random() % 6) + ".test");
      scheduler.SetUrl(i, hosts.back() + "/feed/" + std::to_string(i));
    }
    Reference reference(hosts, concurrency, per_host);
    TimePoint now = kNow;
    for (size_t i = 0; i < feeds; ++i) {
      const TimePoint due = now + Seconds(random() % 600);
      scheduler.Schedule(i, due);
      reference.Schedule(i, due);
    }
    std::vector<size_t> running;
    for (int step = 0; step < 400; ++step) {
      now += Seconds(random() % 20);
      // Finish a few fetches, rescheduling most of them.
      for (int k = 0; k < 3 && !running.empty(); ++k) {
        const size_t at = random() % running.size();
        const size_t feed = running[at];
        running.erase(running.begin() + static_cast<std::ptrdiff_t>(at));
        scheduler.Finished(feed);
        reference.Finished(feed);
        if (random() % 5 != 0) {
          const TimePoint due = now + Seconds(random() % 900);
          scheduler.Schedule(feed, due);
          reference.Schedule(feed, due);
        }
      }
      const std::vector<size_t> started = scheduler.Take(now);
      ASSERT_EQ(started, reference.Take(now)) << "round " << round << ", step " << step;
      running.insert(running.end(), started.begin(), started.end());
    }
  }
}

}  // namespace
}  // namespace feedwatch::daemon
