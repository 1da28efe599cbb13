// Polling by publishing rate: the history a feed's dates make (Observe), the rate expected from
// it (ItemsPerHour), the history kept in the store, and the daemon in fake time on feeds that
// publish at the rates the outlets do: the busy ones are polled within a minute, the quiet ones
// no more often than before.
#include "daemon/publishing_rate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>
#include <map>
#include <random>

#include "daemon/schedule.h"
#include "store/sql.h"
#include "store/store.h"
#include "tests/daemon/log_capture.h"
#include "tests/daemon/run_daemon.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;
using store::PublishingHistory;
using testing::FakeHttpClient;

constexpr TimePoint kNow{Seconds(1'750'000'000)};  // 2025-06-15T15:06:40Z, a Sunday

std::vector<std::optional<TimePoint>> Every(Seconds gap, int count, TimePoint newest) {
  std::vector<std::optional<TimePoint>> dates(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) dates[static_cast<size_t>(i)] = newest - gap * i;
  return dates;
}

int Items(const PublishingHistory& history) {
  int items = 0;
  for (const PublishingHistory::Hour& hour : history.hours) items += hour.items;
  return items;
}

TEST(PublishingRate, TheFirstReadAlreadyShowsTheRate) {
  // An agency's feed: 30 items two minutes apart.
  const PublishingHistory history = Observe({}, Every(120s, 30, kNow - 30s), kNow);
  EXPECT_EQ(history.since, kNow - 30s - 120s * 29);
  EXPECT_EQ(Items(history), 30);
  EXPECT_NEAR(ItemsPerHour(history, kNow), 30, 3);
  const PollBounds bounds{10min, 1min};
  // Polled every 80 s: an item waits 40 s on average, for 1.5 polls per item.
  EXPECT_NEAR(DelayAfterSuccess(bounds, ItemsPerHour(history, kNow), std::nullopt).count(), 80, 8);
  // A ministry: ten items over three weeks, the older ones past the history's two weeks.
  const PublishingHistory quiet = Observe({}, Every(50h, 10, kNow - 3h), kNow);
  EXPECT_EQ(quiet.since, kNow - kHistoryWindow);
  EXPECT_EQ(Items(quiet), 7);
  EXPECT_LT(ItemsPerHour(quiet, kNow), 0.1);
  EXPECT_EQ(DelayAfterSuccess(bounds, ItemsPerHour(quiet, kNow), std::nullopt), 10min);
}

TEST(PublishingRate, DatesThatCannotBeTrueCountAtFirstSight) {
  // Every item dated alike (the time the feed was built): no history yet.
  std::vector<std::optional<TimePoint>> built(20, kNow - 10s);
  PublishingHistory history = Observe({}, built, kNow);
  EXPECT_EQ(history.since, kNow);
  EXPECT_EQ(Items(history), 0);
  // Undated, in the future, or before the history began: counted when seen.
  const TimePoint later = kNow + 2h;
  history = Observe(history, {{std::nullopt, later + 1h, kNow - 1h, later - 10min}}, later);
  ASSERT_EQ(Items(history), 4);
  EXPECT_EQ(history.hours.back().hour, later.time_since_epoch().count() / 3600);
  EXPECT_EQ(history.hours.back().items, 3);
  // Three items an hour for two hours reads as no faster than that.
  EXPECT_LT(ItemsPerHour(history, later), 4);
}

TEST(PublishingRate, ABurstSpeedsPollingUpAndItsEndSlowsItDown) {
  // A ministry that publishes twice a day puts out twelve items in half an hour.
  PublishingHistory history = Observe({}, Every(12h, 20, kNow - 5h), kNow);
  const PollBounds bounds{10min, 1min};
  EXPECT_EQ(DelayAfterSuccess(bounds, ItemsPerHour(history, kNow), std::nullopt), 10min);
  const TimePoint burst = kNow + 1h;
  history = Observe(history, Every(150s, 12, burst), burst);
  const Seconds during = DelayAfterSuccess(bounds, ItemsPerHour(history, burst), std::nullopt);
  EXPECT_GE(during, 3min);
  EXPECT_LE(during, 6min);
  // Seven hours later the burst is history.
  EXPECT_EQ(DelayAfterSuccess(bounds, ItemsPerHour(history, burst + 7h), std::nullopt), 10min);
}

// Two weeks of an agency that publishes 40 items an hour from 06:00 to 22:00 UTC on weekdays and
// 2 an hour otherwise.
PublishingHistory AgencyWeek(TimePoint end) {
  const TimePoint start = std::chrono::floor<std::chrono::hours>(end - kHistoryWindow);
  PublishingHistory history = Observe({}, {}, start);
  for (TimePoint hour = start; hour < end; hour += 1h) {
    const auto day = std::chrono::floor<std::chrono::days>(hour);
    const auto h = std::chrono::duration_cast<std::chrono::hours>(hour - day).count();
    const unsigned weekday = std::chrono::weekday(day).c_encoding();
    const bool busy = h >= 6 && h < 22 && weekday != 0 && weekday != 6;
    const int items = busy ? 40 : 2;
    std::vector<std::optional<TimePoint>> dates;
    for (int i = 0; i < items; ++i) {
      if (hour + 3600s * i / items < end) dates.emplace_back(hour + 3600s * i / items);
    }
    history = Observe(history, dates, std::min(end, hour + 1h));
  }
  return history;
}

TEST(PublishingRate, ADayAndNightPatternIsFollowedAndTheMorningAnticipated) {
  // Wednesday 2025-06-18.
  const TimePoint wednesday = std::chrono::floor<std::chrono::days>(kNow) + 3 * 24h;
  const PublishingHistory history = AgencyWeek(wednesday + 3h);
  // 03:00 on a weekday night: the night's rate, not the day's.
  EXPECT_LT(ItemsPerHour(history, wednesday + 3h), 10);
  // 05:30: the next hour is busy, so polling speeds up before its first item.
  const PublishingHistory dawn = AgencyWeek(wednesday + 5h + 30min);
  EXPECT_GT(ItemsPerHour(dawn, wednesday + 5h + 30min), 25);
  // Saturday noon: the weekend is quiet.
  const TimePoint saturday = wednesday + 3 * 24h + 12h;
  const PublishingHistory weekend = AgencyWeek(saturday);
  EXPECT_LT(ItemsPerHour(weekend, saturday), 10);
  // Tuesday noon: busy.
  const TimePoint tuesday = wednesday + 6 * 24h + 12h;
  EXPECT_GT(ItemsPerHour(AgencyWeek(tuesday), tuesday), 30);
}

TEST(PublishingRate, AFeedThatPublishesOnceADayAtNineIsNotPolledMoreOftenThanItsInterval) {
  // Two weeks of one item a day at 09:00, read just before nine.
  const TimePoint nine = std::chrono::floor<std::chrono::days>(kNow) + 9h;
  PublishingHistory history = Observe({}, Every(24h, 14, nine - 24h), nine - 24h);
  const TimePoint before = nine - 20min;
  const PollBounds two_hours{2h, 1min};
  EXPECT_EQ(DelayAfterSuccess(two_hours, ItemsPerHour(history, before), std::nullopt), 2h);
  // Four items together once a day, polled every 30 minutes: not more often either.
  std::vector<std::optional<TimePoint>> batches;
  for (int day = 1; day <= 14; ++day) {
    for (int k = 0; k < 4; ++k) batches.emplace_back(nine - 24h * day);
  }
  history = Observe({}, batches, nine - 24h);
  EXPECT_EQ(DelayAfterSuccess({30min, 1min}, ItemsPerHour(history, before), std::nullopt), 30min);
}

TEST(PublishingRate, AHistoryFromTheFutureOrOutOfRangeStartsAfresh) {
  // The clock was set back a day: the history begins again at this read.
  PublishingHistory history = Observe({}, Every(2min, 30, kNow), kNow);
  const TimePoint back = kNow - 24h;
  history = Observe(history, Every(2min, 30, back), back);
  EXPECT_EQ(history.since, back - 58min);
  EXPECT_EQ(Items(history), 30);
  // Hours before 1970 or past 2^31 hours are clamped, never indexed.
  PublishingHistory odd;
  odd.since = TimePoint(Seconds(-3600));
  odd.hours = {{0, 5}};
  EXPECT_GE(ItemsPerHour(odd, kNow), 0);
  odd.since = TimePoint(Seconds(std::numeric_limits<std::int64_t>::min() / 2));
  EXPECT_GE(ItemsPerHour(odd, kNow), 0);
}

TEST(PublishingRate, TheStoresTextDecodesAsFarAsItReadsWell) {
  PublishingHistory history = Observe({}, Every(1h, 5, kNow), kNow);
  EXPECT_EQ(store::DecodeHistory(store::EncodeHistory(history)), history);
  EXPECT_EQ(store::DecodeHistory(""), PublishingHistory{});
  EXPECT_EQ(store::DecodeHistory("-100 0:3"), PublishingHistory{});
  EXPECT_EQ(store::DecodeHistory("99999999999999999 1:2"), PublishingHistory{});
  // Hours out of order, a count of 0 or a word: the hours before it are kept.
  history = store::DecodeHistory("7200 3:2 2:1");
  EXPECT_EQ(history.since, TimePoint(Seconds(7200)));
  EXPECT_EQ(history.hours, (std::vector<PublishingHistory::Hour>{{3, 2}}));
  EXPECT_EQ(store::DecodeHistory("7200 3:0").hours.size(), 0u);
  EXPECT_EQ(store::DecodeHistory("7200 3:x 4:1").hours.size(), 0u);
}

TEST(PublishingRate, ANewFeedWithNoRateYetIsPolledThreeTimesInItsFirstInterval) {
  const PollBounds bounds{10min, 1min};
  // Its first read had no dates: a third of the interval, until the interval has passed.
  const PublishingHistory undated = Observe({}, {{std::nullopt, std::nullopt}}, kNow);
  EXPECT_EQ(DelayAfterSuccess(bounds, PollingRate(undated, kNow + 1min, 10min), std::nullopt),
            200s);
  EXPECT_EQ(DelayAfterSuccess(bounds, PollingRate(undated, kNow + 10min, 10min), std::nullopt),
            10min);
  // A dated history, even a quiet one, is not probed.
  const PublishingHistory quiet = Observe({}, Every(50h, 10, kNow - 3h), kNow);
  EXPECT_EQ(DelayAfterSuccess(bounds, PollingRate(quiet, kNow + 1min, 10min), std::nullopt), 10min);
}

TEST(PublishingRate, TwoWeeksAreKept) {
  PublishingHistory history = Observe({}, Every(1h, 30, kNow), kNow);
  const TimePoint later = kNow + kHistoryWindow + 2h;
  history = Observe(history, Every(1h, 3, later), later);
  EXPECT_EQ(history.since, later - kHistoryWindow);
  EXPECT_EQ(Items(history), 3);
}

TEST(PublishingRate, TheStoreKeepsTheHistoryForTheFeedsUrl) {
  testing::TempDir dir;
  auto store = store::Store::Open(dir.path() / "feedwatch.db");
  ASSERT_TRUE(store.ok()) << store.error().message;
  store::PollRecord poll;
  poll.at = kNow;
  poll.next_due = kNow + 1min;
  poll.status = "200";
  poll.history = Observe({}, Every(120s, 30, kNow), kNow);
  ASSERT_TRUE((*store)->RecordPoll("tass", "https://tass.com/rss", poll));
  EXPECT_EQ((*store)->GetFeedState("tass", "https://tass.com/rss")->history, *poll.history);
  // A poll that read nothing keeps it.
  poll.history.reset();
  ASSERT_TRUE((*store)->RecordPoll("tass", "https://tass.com/rss", poll));
  EXPECT_EQ(Items((*store)->GetFeedState("tass")->history), 30);
  // Another URL is another feed: its rate is learnt afresh.
  EXPECT_FALSE((*store)->GetFeedState("tass", "https://tass.ru/rss")->history.since);
}

// The harness of the issue, in fake time: 30 feeds (5 publishing every ~40 s, 10 every ~5 min,
// 15 hourly), interval 4m, defaults otherwise, 9 minutes; once with min_interval = interval
// (the fixed schedule), once with the defaults.
class Harness : public ::testing::Test {
 protected:
  enum Kind { kBusy, kMedium, kHourly };
  struct Feed {
    Kind kind;
    std::vector<TimePoint> published;  // oldest first
    std::vector<TimePoint> polled;     // when a request asked
  };
  struct Latencies {
    std::map<Kind, std::vector<double>> seconds;
    std::map<Kind, Seconds> shortest_gap;  // between two polls of one feed
  };

  Harness() {
    std::mt19937_64 random(7);
    for (int i = 0; i < 30; ++i) {
      const Kind kind = i < 5 ? kBusy : i < 15 ? kMedium : kHourly;
      const double mean = kind == kBusy ? 40 : kind == kMedium ? 300 : 3600;
      std::exponential_distribution<double> gap(1 / mean);
      Feed& feed = feeds_.emplace_back(Feed{kind, {}, {}});
      for (TimePoint t = kNow - 48h; t < kNow + 3h;
           t += Seconds(static_cast<std::int64_t>(gap(random)) + 1)) {
        feed.published.push_back(t);
      }
    }
  }

  static std::string Date(TimePoint t) {
    const std::time_t time = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&time, &tm);
    std::array<char, 64> text{};
    return {text.data(), std::strftime(text.data(), text.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm)};
  }

  // The feed's 30 newest items at `now` (dated unless `undated_`), with an ETag of the newest.
  Result<net::Response> Answer(const Feed& feed, size_t index, const net::Request& request,
                               TimePoint now) const {
    const auto end = std::upper_bound(feed.published.begin(), feed.published.end(), now);
    const auto count = static_cast<size_t>(end - feed.published.begin());
    const std::string etag = "\"" + std::to_string(count) + "\"";
    if (FakeHttpClient::Header(request, "If-None-Match") == etag) {
      return FakeHttpClient::Reply(304, "", {{"etag", etag}});
    }
    std::string rss = "<rss version=\"2.0\"><channel><title>f</title>";
    for (size_t n = count; n > 0 && n + 30 > count; --n) {
      const std::string id = std::to_string(index) + "-" + std::to_string(n);
      rss.append("<item><title>Story ").append(id).append("</title><link>http://news.example/");
      rss.append(id).append("</link><guid>").append(id).append("</guid>");
      if (!undated_)
        rss.append("<pubDate>").append(Date(feed.published[n - 1])).append("</pubDate>");
      rss.append("</item>");
    }
    return FakeHttpClient::Reply(200, rss + "</channel></rss>", {{"etag", etag}});
  }

  // The daemon for `length` of fake time, with `defaults` in [defaults].
  Latencies Run(const std::string& defaults, Seconds length) {
    testing::TempDir dir;
    testing::FakeClock clock(kNow);
    FakeHttpClient http(clock);
    std::string config = "[defaults]\ninterval = \"4m\"\n" + defaults;
    for (size_t i = 0; i < feeds_.size(); ++i) {
      feeds_[i].polled.clear();
      const std::string url = "http://outlet" + std::to_string(i) + ".example/rss";
      config += "[[feed]]\nname = \"f" + std::to_string(i) + "\"\nurl = \"" + url + "\"\n";
      http.On(url, [this, i, &clock](const net::Request& request) {
        feeds_[i].polled.push_back(clock.Now());
        return Answer(feeds_[i], i, request, clock.Now());
      });
    }
    const std::unique_ptr<Daemon> daemon =
        MakeDaemon(config, {.dir = dir.path(), .clock = &clock, .http = &http, .forever = true});
    EXPECT_NE(daemon, nullptr);
    if (daemon == nullptr) return {};
    daemon->Run(-1, nullptr, clock.Monotonic() + length);
    const TimePoint end = kNow + length;
    Latencies latencies;
    for (const Feed& feed : feeds_) {
      Seconds& shortest =
          latencies.shortest_gap.try_emplace(feed.kind, Seconds::max()).first->second;
      for (size_t k = 1; k < feed.polled.size(); ++k) {
        shortest = std::min(
            shortest, std::chrono::duration_cast<Seconds>(feed.polled[k] - feed.polled[k - 1]));
      }
      // Items published during the run, but not so late that no poll could have followed.
      const TimePoint last = end - (feed.kind == kBusy ? 2min : 4min);
      for (const TimePoint published : feed.published) {
        if (published < kNow || published > last) continue;
        const auto poll = std::lower_bound(feed.polled.begin(), feed.polled.end(), published);
        const TimePoint seen = poll == feed.polled.end() ? end : *poll;
        latencies.seconds[feed.kind].push_back(
            std::chrono::duration<double>(seen - published).count());
      }
    }
    return latencies;
  }

  static double Percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    return values[static_cast<size_t>(std::lround(p * static_cast<double>(values.size() - 1)))];
  }

  std::vector<Feed> feeds_;
  bool undated_ = false;
  testing::LogCapture log_;
};

TEST_F(Harness, BusyFeedsArePolledWithinAMinuteAndQuietOnesNoMoreThanBefore) {
  Latencies fixed = Run("min_interval = \"4m\"\n", 9min);
  Latencies adaptive = Run("", 9min);
  const std::vector<double>& busy = adaptive.seconds[kBusy];
  ASSERT_GT(busy.size(), 30u);
  EXPECT_LE(Percentile(busy, 0.5), 45);
  EXPECT_LE(Percentile(busy, 0.9), 90);
  // The fixed schedule is far from it: an item waits two minutes on average.
  EXPECT_GT(Percentile(fixed.seconds[kBusy], 0.5), 60);
  for (const auto& [kind, gap] : adaptive.shortest_gap) EXPECT_GE(gap, 54s) << kind;
}

TEST_F(Harness, FeedsWithoutDatesAreLearntFromWhatEachPollFindsNew) {
  // No history at the first read: each feed is polled three times in its first interval, and
  // the busy ones' arrivals show their rate within minutes.
  undated_ = true;
  Latencies adaptive = Run("", 9min);
  const std::vector<double>& busy = adaptive.seconds[kBusy];
  ASSERT_GT(busy.size(), 30u);
  EXPECT_LE(Percentile(busy, 0.5), 45);
  EXPECT_LE(Percentile(busy, 0.9), 90);
  for (const auto& [kind, gap] : adaptive.shortest_gap) EXPECT_GE(gap, 54s) << kind;
}

TEST_F(Harness, OverTwoHoursTheQuieterFeedsWaitNoLongerThanOnTheFixedSchedule) {
  // Nine minutes see one or two of the hourly feeds' items; two hours see some thirty.
  Latencies fixed = Run("min_interval = \"4m\"\n", 2h);
  Latencies adaptive = Run("", 2h);
  for (const Kind kind : {kMedium, kHourly}) {
    ASSERT_GT(adaptive.seconds[kind].size(), 20u) << kind;
    EXPECT_LE(Percentile(adaptive.seconds[kind], 0.5), 1.25 * Percentile(fixed.seconds[kind], 0.5))
        << kind;
  }
  // A feed that publishes every hour is polled no more often than before: every interval, less
  // 10% of jitter at most.
  EXPECT_GE(adaptive.shortest_gap.at(kHourly), 216s);
}

}  // namespace
}  // namespace feedwatch::daemon
