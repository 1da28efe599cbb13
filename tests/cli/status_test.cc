// status, matches and feed, in process, on the state a `once` left in a temporary folder.
#include "cli/status.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "store/store.h"
#include "tests/cli/local_config.h"
#include "tests/support/support.h"

namespace feedwatch::cli {
namespace {

TEST(Status, ShowsEachFeedsHealth) {
  const testing::TempDir dir;
  const Paths paths{.config = WriteLocalConfig(dir.path()).string()};
  std::ostringstream out;
  const Status before = PrintStatus(paths, false, out);
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.error().code, Error::Code::kNotFound);  // 66: nothing polled yet
  EXPECT_EQ(before.error().message, (dir.path() / "state" / "feedwatch.db").string() +
                                        ": no database yet; feedwatch has not polled anything");
  EXPECT_EQ(out.str(), "");

  ASSERT_TRUE(RunOnce(paths.config).status.ok());
  const Status after = PrintStatus(paths, false, out);
  EXPECT_TRUE(after.ok()) << after.error().message;
  const std::string text = out.str();
  EXPECT_TRUE(text.starts_with("FEED                     HEALTH    LAST STATUS")) << text;
  EXPECT_NE(text.find("\nwire                     ok        200                "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n\nNOTIFIER                 TYPE      PENDING  DEAD OLDEST PENDING  "
                      "LAST SENT     LATENCY 50/90\n"
                      "console                  console         0     0 -               "),
            std::string::npos)
      << text;
  EXPECT_TRUE(text.ends_with("\noutbox: 0 pending, 0 dead\n")) << text;
  EXPECT_EQ(text.find("INSTANCE"), std::string::npos) << "one instance owns a SQLite store";

  std::ostringstream json;
  const Status as_json = PrintStatus(paths, true, json);
  EXPECT_TRUE(as_json.ok()) << as_json.error().message;
  EXPECT_TRUE(json.str().starts_with("{\n  \"store\": \"sqlite\",\n")) << json.str();
  EXPECT_NE(json.str().find(R"("name": "wire",)"), std::string::npos) << json.str();
  EXPECT_NE(json.str().find(R"("health": "ok",)"), std::string::npos) << json.str();
  EXPECT_NE(json.str().find(R"("consecutive_failures": 0,)"), std::string::npos) << json.str();
  EXPECT_NE(json.str().find(R"("instances": [])"), std::string::npos) << json.str();
}

// An RFC 822 date, as feeds write them.
std::string Rfc822(TimePoint t) {
  const std::time_t time = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&time, &tm);
  std::array<char, 64> text{};
  return {text.data(), std::strftime(text.data(), text.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm)};
}

TEST(Status, ShowsEachFeedsPublishingRateIntervalAndAlertLatency) {
  const testing::TempDir dir;
  // An agency's feed: 30 items two minutes apart, the newest a minute old; the one about
  // Darchiev was published five minutes ago.
  const TimePoint now = SystemClock().Now();
  std::string rss = "<rss version=\"2.0\"><channel><title>Wire</title>";
  for (int i = 0; i < 30; ++i) {
    const std::string n = std::to_string(i);
    rss.append("<item><title>").append(i == 2 ? "Darchiev meets the deputy minister" : "Story ");
    rss.append(n).append("</title><link>https://wire.example/").append(n).append("</link>");
    rss.append("<pubDate>").append(Rfc822(now - std::chrono::minutes(1 + 2 * i)));
    rss.append("</pubDate></item>");
  }
  const Paths paths{.config = WriteLocalConfig(dir.path(), "10m").string()};
  testing::WriteFile(dir.path() / "wire.rss", rss + "</channel></rss>");
  ASSERT_TRUE(RunOnce(paths.config).status.ok());
  std::ostringstream out;
  ASSERT_TRUE(PrintStatus(paths, false, out).ok());
  // About 30 items an hour, so polled every 80 s; the alert left five minutes after its item
  // was published.
  const std::string text = out.str();
  // EVERY: 79 s, with its jitter.
  const std::regex row(R"(\nwire +ok +200 +\S+ ago +in \S+ +(\d+)/h +\d\ds +5m/5m +\n)");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(text, match, row)) << text;
  EXPECT_NEAR(std::stoi(match[1]), 30, 3) << text;
  EXPECT_TRUE(
      std::regex_search(text, std::regex(R"(\nconsole +console +0 +0 +- +\S+ ago +5m/5m\n)")))
      << text;

  std::ostringstream json;
  ASSERT_TRUE(PrintStatus(paths, true, json).ok());
  const nlohmann::json status = nlohmann::json::parse(json.str());
  const nlohmann::json& feed = status["feeds"][0];
  EXPECT_NEAR(feed["items_per_hour"].get<double>(), 30, 3);
  // Two thirds of the mean gap at that rate, 79 s, +-10% of jitter.
  EXPECT_GE(feed["poll_every_seconds"].get<int>(), 70);
  EXPECT_LE(feed["poll_every_seconds"].get<int>(), 88);
  EXPECT_EQ(feed["latency"]["alerts_last_day"], 1);
  EXPECT_NEAR(feed["latency"]["median_seconds"].get<int>(), 300, 2);
  EXPECT_EQ(status["notifiers"][0]["latency"], feed["latency"]);
}

TEST(Status, AFeedGoneFromTheConfigurationIsShownAsRemoved) {
  const testing::TempDir dir;
  const Paths paths{.config = WriteLocalConfig(dir.path()).string()};
  ASSERT_TRUE(RunOnce(paths.config).status.ok());
  std::string text = testing::ReadFile(paths.config);
  text.replace(text.find("name = \"wire\""), 13, "name = \"newswire\"");
  testing::WriteFile(paths.config, text);
  std::ostringstream out;
  const Status status = PrintStatus(paths, false, out);
  EXPECT_TRUE(status.ok()) << status.error().message;
  EXPECT_NE(out.str().find("\nnewswire                 new       -                  never "),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("\nwire                     removed   200                "),
            std::string::npos)
      << out.str();
}

TEST(Status, TellsWhatTheLastPollMadeOfItsArticles) {
  const testing::TempDir dir;
  const Paths paths{.config = WriteLocalConfig(dir.path()).string()};
  ASSERT_TRUE(RunOnce(paths.config).status.ok());
  {
    auto store = store::Store::Open(dir.path() / "state" / "feedwatch.db");
    ASSERT_TRUE(store.ok());
    const store::FeedState wire = *(*store)->GetFeedState("wire");
    store::PollRecord poll{.at = SystemClock().Now(), .next_due = SystemClock().Now()};
    poll.status = "200";
    poll.articles = "3 read, 1 failed (HTTP 404: https://news.test/a)";
    ASSERT_TRUE((*store)->RecordPoll("wire", wire.url, poll).ok());
    // A poll that read no article keeps what the last one that did said.
    poll.articles.clear();
    ASSERT_TRUE((*store)->RecordPoll("wire", wire.url, poll).ok());
  }
  std::ostringstream out;
  ASSERT_TRUE(PrintStatus(paths, false, out).ok());
  EXPECT_NE(out.str().find("articles: 3 read, 1 failed (HTTP 404: https://news.test/a)\n"),
            std::string::npos)
      << out.str();
  std::ostringstream json;
  ASSERT_TRUE(PrintStatus(paths, true, json).ok());
  EXPECT_NE(json.str().find(
                R"json("last_articles": "3 read, 1 failed (HTTP 404: https://news.test/a)")json"),
            std::string::npos)
      << json.str();
}

TEST(Matches, ListsTheStoriesMatchedSince) {
  const testing::TempDir dir;
  const Paths paths{.config = WriteLocalConfig(dir.path()).string()};
  ASSERT_TRUE(RunOnce(paths.config).status.ok());
  std::ostringstream out;
  const Status status = PrintMatches(paths, "1h", out);
  EXPECT_TRUE(status.ok()) << status.error().message;
  EXPECT_NE(out.str().find("  darchiev  wire\n  Darchiev presents credentials at the White House\n"
                           "  http://wire.test/world/darchiev-credentials\n"),
            std::string::npos)
      << out.str();
  EXPECT_TRUE(out.str().ends_with("\n1 story in the last 1h\n")) << out.str();

  const Status bad = PrintMatches(paths, "yesterday", out);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Error::Code::kUsage);  // 64
  EXPECT_TRUE(bad.error().message.starts_with("--since: ")) << bad.error().message;
}

TEST(AlertFeed, IsTheWatchsStoriesAsAtomAndNamesAWatchItDoesNotKnow) {
  const testing::TempDir dir;
  const Paths paths{.config = WriteLocalConfig(dir.path()).string()};
  ASSERT_TRUE(RunOnce(paths.config).status.ok());
  std::ostringstream out;
  const Status status = PrintAlertFeed(paths, "darchiev", out);
  EXPECT_TRUE(status.ok()) << status.error().message;
  EXPECT_TRUE(out.str().starts_with("<?xml")) << out.str();
  EXPECT_NE(out.str().find("Darchiev presents credentials at the White House"), std::string::npos)
      << out.str();
  const Status unknown = PrintAlertFeed(paths, "nobody", out);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Error::Code::kConfig);
  EXPECT_EQ(unknown.error().message, paths.config + ": no [[watch]] named \"nobody\"");
}

}  // namespace
}  // namespace feedwatch::cli
