// Housekeeping and DatabaseHealth on their own, over a real SQLite file: what the status line
// says, which gauges a run sets, and how a refused write is reported until the database takes
// writes again.
#include "daemon/housekeeping.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;

constexpr TimePoint kNow{Seconds(1'750'000'000)};

class HousekeepingTest : public ::testing::Test {
 protected:
  HousekeepingTest()
      : config_(*config::LoadConfigText("[[feed]]\nname = \"wire\"\nurl = \"http://wire.test/\"\n",
                                        "test.toml")),
        store_(std::move(*store::Store::Open(dir_.path() / "feedwatch.db"))) {}

  // The value of the gauge `name` in /metrics.
  std::string Gauge(const std::string& name) const {
    const std::string text = metrics_.Render();
    const size_t at = text.find("\n" + name + " ");
    if (at == std::string::npos) return "absent";
    const size_t begin = at + name.size() + 2;
    return text.substr(begin, text.find('\n', begin) - begin);
  }

  testing::TempDir dir_;
  testing::FakeClock clock_{kNow};
  config::Config config_;
  std::unique_ptr<store::Store> store_;
  Metrics metrics_{clock_};
  DatabaseHealth health_{&metrics_};
  Housekeeping housekeeping_{config_, *store_, clock_, health_, &metrics_, nullptr};
};

FeedCounts Counts(int ok, int failing, int disabled) {
  FeedCounts counts;
  counts.feeds = ok + failing + disabled;
  counts.ok = ok;
  counts.failing = failing;
  counts.disabled = disabled;
  counts.last_success = kNow - 1min;
  return counts;
}

TEST_F(HousekeepingTest, TheStatusLineCountsFeedsMatchesAndTheOutbox) {
  EXPECT_EQ(housekeeping_.Summary(Counts(14, 1, 1)),
            "16 feeds: 14 ok, 1 failing, 1 disabled; 0 matches today; outbox 0");
  EXPECT_EQ(housekeeping_.Summary(Counts(1, 0, 0)),
            "1 feed: 1 ok, 0 failing; 0 matches today; outbox 0");
}

TEST_F(HousekeepingTest, TheStatusLineCountsTheDaysMatchesAfterNewStoriesOrAMinuteApart) {
  // The `seq`th story of watch `w`, with one delivery; returns its heads.
  const auto commit = [&](const std::string& key, std::int64_t seq) {
    store::MatchRecord match;
    match.watch = "w";
    match.notifiers = {"mail"};
    store::ItemRecord item;
    item.key = key;
    item.title = "Darchiev on the Moscow round " + key;
    item.link = "https://wire.test/" + key;
    item.matches = {match};
    store::PollRecord poll;
    poll.at = clock_.Now();
    poll.next_due = poll.at + 10min;
    poll.status = "200";
    Result<std::vector<store::StoryHead>> heads =
        store_->CommitPoll("wire", "http://wire.test/", poll, {item}, {{"w", seq - 1}});
    EXPECT_TRUE(heads.ok());
    return heads.ok() ? *heads : std::vector<store::StoryHead>{};
  };
  const FeedCounts feeds = Counts(1, 0, 0);
  EXPECT_EQ(housekeeping_.Summary(feeds), "1 feed: 1 ok, 0 failing; 0 matches today; outbox 0");
  commit("a", 1);  // by another instance: this one is not told
  clock_.Advance(5s);
  EXPECT_EQ(housekeeping_.Summary(feeds), "1 feed: 1 ok, 0 failing; 0 matches today; outbox 0")
      << "counted a minute apart, and the outbox as the last run saw it";
  housekeeping_.Run(feeds, store_->Heartbeat(clock_.Now()));
  EXPECT_EQ(housekeeping_.Summary(feeds), "1 feed: 1 ok, 0 failing; 0 matches today; outbox 1");
  clock_.Advance(55s);
  EXPECT_EQ(housekeeping_.Summary(feeds), "1 feed: 1 ok, 0 failing; 1 match today; outbox 1");
  // Stories recorded here: counted at once.
  housekeeping_.StoriesRecorded(commit("b", 2));
  clock_.Advance(5s);
  EXPECT_EQ(housekeeping_.Summary(feeds), "1 feed: 1 ok, 0 failing; 2 matches today; outbox 1");
}

TEST_F(HousekeepingTest, ARunSetsTheGaugesFromTheFeedsAndTheStore) {
  housekeeping_.Run(Counts(2, 3, 0), store_->Heartbeat(clock_.Now()));
  EXPECT_EQ(Gauge("feedwatch_feeds"), "5");
  EXPECT_EQ(Gauge("feedwatch_feeds_failing"), "3");
  EXPECT_EQ(Gauge("feedwatch_outbox_pending"), "0");
  EXPECT_EQ(Gauge("feedwatch_database_writable"), "1");
}

TEST(DatabaseHealth, ARefusedWriteIsReportedUntilACheckFindsNoneSince) {
  testing::FakeClock clock(kNow);
  Metrics metrics(clock);
  DatabaseHealth health(&metrics);
  health.WriteFailed(Error::Io("database or disk is full"));
  EXPECT_FALSE(metrics.Health(1h).ok());
  // The heartbeat fits where the commit did not: the refused write still counts at this check.
  health.Checked(Status::Ok());
  ASSERT_FALSE(metrics.Health(1h).ok());
  EXPECT_NE(metrics.Health(1h).error().message.find("disk is full"), std::string::npos);
  // No write refused since: writable again.
  health.Checked(Status::Ok());
  EXPECT_TRUE(metrics.Health(1h).ok());
  // A heartbeat refused on its own.
  health.Checked(Error::Io("attempt to write a readonly database"));
  EXPECT_FALSE(metrics.Health(1h).ok());
}

}  // namespace
}  // namespace feedwatch::daemon
