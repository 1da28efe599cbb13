// PollRecords over a real SQLite file in fake time: the polls that read nothing are written five
// seconds' worth at a time, and at once before the store is asked about one of their feeds.
#include "daemon/poll_records.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;

constexpr TimePoint kNow{Seconds(1'750'000'000)};

class PollRecordsTest : public ::testing::Test {
 protected:
  // A 304 of `feed` now.
  void NotModified(const std::string& feed) {
    store::PollRecord poll;
    poll.at = clock_.Now();
    poll.next_due = poll.at + 10min;
    poll.status = "304 not modified";
    records_.Add(feed, "http://" + feed + ".test/rss", poll);
  }
  std::optional<TimePoint> LastAttempt(const std::string& feed) {
    return store_->GetFeedState(feed)->last_attempt_at;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_{kNow};
  std::unique_ptr<store::Store> store_ = std::move(*store::Store::Open(dir_.path() / "f.db"));
  Metrics metrics_{clock_};
  DatabaseHealth health_{&metrics_};
  PollRecords records_{*store_, clock_, health_};
};

TEST_F(PollRecordsTest, PollsAreWrittenTogetherOnceTheFirstHasWaitedFiveSeconds) {
  EXPECT_EQ(records_.Deadline(), std::nullopt);
  NotModified("tass");
  const MonoTime first = clock_.Monotonic();
  clock_.Advance(4600ms);
  NotModified("ria");
  EXPECT_EQ(records_.Deadline(), first + 5s);
  records_.WriteIfDue();
  EXPECT_EQ(LastAttempt("tass"), std::nullopt) << "not yet: the first waited 4.6 s";
  clock_.Advance(400ms);
  records_.WriteIfDue();
  EXPECT_EQ(LastAttempt("tass"), kNow);
  EXPECT_EQ(LastAttempt("ria"), kNow + 4s);
  EXPECT_EQ(records_.Deadline(), std::nullopt);
}

TEST_F(PollRecordsTest, PollsAreWrittenBeforeTheStoreIsAskedAboutOneOfTheirFeeds) {
  NotModified("tass");
  NotModified("ria");
  records_.WriteBefore({{"interfax", "http://interfax.test/rss"}});
  EXPECT_EQ(LastAttempt("tass"), std::nullopt) << "neither is asked about";
  records_.WriteBefore({{"interfax", "http://interfax.test/rss"}, {"ria", "http://ria.test/rss"}});
  EXPECT_EQ(LastAttempt("tass"), kNow) << "all of them, in one transaction";
  EXPECT_EQ(LastAttempt("ria"), kNow);
}

TEST_F(PollRecordsTest, AWriteTheDatabaseRefusesIsReportedAsTheDatabasesHealth) {
  NotModified("tass");
  // Another program breaks the file under the daemon: the write fails whole.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "f.db").c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "DROP TABLE feeds", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  ASSERT_TRUE(metrics_.Health(1h).ok());
  records_.Write();
  const Status health = metrics_.Health(1h);
  ASSERT_FALSE(health.ok());
  EXPECT_NE(health.error().message.find("feeds"), std::string::npos) << health.error().message;
  EXPECT_EQ(records_.Deadline(), std::nullopt) << "what was refused is not written again";
}

}  // namespace
}  // namespace feedwatch::daemon
