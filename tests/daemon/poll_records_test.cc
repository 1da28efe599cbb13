// PollRecords over a real SQLite file in fake time: the polls that read nothing are written five
// seconds' worth at a time, and at once before the store is asked about one of their feeds.
#include "daemon/poll_records.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <thread>

#include "tests/support/pg.h"
#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;

constexpr TimePoint kNow{Seconds(1'750'000'000)};

class PollRecordsTest : public ::testing::Test {
 protected:
  // A 304 of `feed` now, held by `records` (records_ if null).
  void NotModified(const std::string& feed, PollRecords* records = nullptr) {
    store::PollRecord poll;
    poll.at = clock_.Now();
    poll.next_due = poll.at + 10min;
    poll.status = "304 not modified";
    (records != nullptr ? *records : records_).Add(feed, "http://" + feed + ".test/rss", poll);
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

TEST_F(PollRecordsTest, OnPostgreSqlPollsOutliveAHeartbeatThatFoundTheConnectionClosed) {
  const std::string url = testing::NewPgDatabase();
  std::unique_ptr<store::Store> pg = std::move(*store::Store::Connect(url, ""));
  pg->SetInstance("a:1", "cfg", "test");  // the polls go in the heartbeat's statement
  PollRecords records(*pg, clock_, health_);
  ASSERT_TRUE(records.WriteWithHeartbeat(kNow).ok());
  NotModified("tass", &records);
  NotModified("ria", &records);
  // Between two rounds the server ends the session (a restart, a failover,
  // idle_session_timeout); the client learns it at its next statement.
  const std::string others =
      "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
  testing::PgQuery(url, "SELECT pg_terminate_backend(pid) " + others);
  for (int i = 0; i < 250 && testing::PgQuery(url, "SELECT count(*) " + others) != "0"; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_FALSE(records.WriteWithHeartbeat(kNow + Seconds(5)).ok())
      << "the heartbeat met the closed connection";
  EXPECT_EQ(pg->GetFeedState("tass")->last_attempt_at, kNow) << "written on their own, after";
  EXPECT_EQ(pg->GetFeedState("ria")->last_attempt_at, kNow);
  EXPECT_TRUE(records.WriteWithHeartbeat(kNow + Seconds(10)).ok());
}

}  // namespace
}  // namespace feedwatch::daemon
