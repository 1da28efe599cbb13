// One story, one alert: the same story from several outlets and an aggregator alerts a watch
// once; different stories with similar headlines alert separately.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "tests/daemon/log_capture.h"
#include "tests/daemon/run_daemon.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

const TimePoint kNow = TimePoint(Seconds(1'750'000'000));

std::string Rss(const std::vector<std::array<std::string, 3>>& items) {  // title, link, guid
  std::string out = "<rss version=\"2.0\"><channel><title>t</title>";
  for (const auto& [title, link, guid] : items) {
    out += "<item><title>" + title + "</title><link>" + link + "</link><guid>" + guid +
           "</guid></item>";
  }
  return out + "</channel></rss>";
}

class StoriesTest : public ::testing::Test {
 protected:
  void Serve(const std::string& path, std::string body) { feeds_[path] = std::move(body); }

  // One `feedwatch once` over every served feed; the console lines it printed.
  std::vector<std::string> RunOnce() {
    std::string text =
        "[defaults]\ninitial_lookback = \"all\"\n[[notify]]\nname = \"console\"\n"
        "type = \"console\"\n[[watch]]\nname = \"rounds\"\nquery = 'round AND (Moscow OR "
        "Istanbul)'\n";
    for (const auto& [path, body] : feeds_) {
      text += "[[feed]]\nname = \"" + path.substr(1, path.find('.') - 1) + "\"\nurl = \"" +
              Url(path) + "\"\n";
    }
    testing::FakeHttpClient http(clock_);
    for (const auto& [path, body] : feeds_) http.Serve(Url(path), body);
    char* buffer = nullptr;
    size_t size = 0;
    std::FILE* out = open_memstream(&buffer, &size);
    daemon::RunOnce(text, {.dir = dir_.path(), .clock = &clock_, .http = &http, .console = out});
    std::fclose(out);
    std::vector<std::string> titles;  // the title column of each alert
    std::istringstream lines(std::string(buffer, size));
    std::free(buffer);
    for (std::string line; std::getline(lines, line);) {
      std::vector<std::string> fields;
      std::istringstream parts(line);
      for (std::string field; std::getline(parts, field, '\t');) fields.push_back(field);
      titles.push_back(fields.at(3));
    }
    std::sort(titles.begin(), titles.end());
    return titles;
  }

  static std::string Url(const std::string& path) { return "http://feeds.example" + path; }

  std::map<std::string, std::string> feeds_;
  testing::TempDir dir_;
  testing::FakeClock clock_{kNow};
  testing::LogCapture log_;
};

TEST_F(StoriesTest, OneStoryFromFourOutletsAlertsOnceAndSimilarStoriesSeparately) {
  const std::string story = "Russia and US to hold third round of talks in Moscow";
  Serve("/outlet-a.rss", Rss({{story, "https://a.test/world/third-round", "a-1"},
                              {"Second round of Russia-US talks held in Istanbul",
                               "https://a.test/world/istanbul", "a-2"}}));
  Serve("/outlet-b.rss", Rss({{story, "https://b.test/news/123", "b-123"}}));
  Serve("/outlet-c.rss", Rss({{"Russia, US to hold third round of talks in Moscow soon",
                               "https://c.test/politics/778", "c-778"}}));
  Serve("/aggregator.rss",
        Rss({{story + " - Outlet A",
              "https://a.test/world/third-round/?utm_source=agg&amp;utm_medium=rss", "agg-1"},
             {"Russia and Iran to hold new round of talks in Moscow on nuclear deal",
              "https://d.test/iran-round", "agg-2"}}));
  const std::vector<std::string> alerts = RunOnce();
  ASSERT_EQ(alerts.size(), 3u) << log_.str();
  EXPECT_EQ(alerts[0], "Russia and Iran to hold new round of talks in Moscow on nuclear deal");
  // The story's one alert has the headline of whichever outlet was polled first.
  EXPECT_TRUE(alerts[1].starts_with(story) || alerts[1].starts_with("Russia, US to hold third"))
      << alerts[1];
  EXPECT_EQ(alerts[2], "Second round of Russia-US talks held in Istanbul");
  EXPECT_NE(log_.str().find("is a story watch rounds alerted on already; linked, not sent"),
            std::string::npos);
  {
    // The story's first report lists the other three as also reporting it.
    const auto store = store::Store::Open(dir_.path() / "feedwatch.db");
    const auto stories = (*store)->StoriesSince(kNow - Seconds(60));
    ASSERT_TRUE(stories.ok());
    ASSERT_EQ(stories->size(), 3u);
    size_t also = 0;
    for (const store::StoryMatch& head : *stories) also += head.also_reported_by.size();
    EXPECT_EQ(also, 3u);
  }

  // A restart that polls the same feeds again alerts nothing.
  clock_.Advance(Seconds(3600));
  EXPECT_EQ(RunOnce(), std::vector<std::string>{});

  // Outlet B republishes the story under a new guid at the same link: no new alert.
  Serve("/outlet-b.rss", Rss({{story, "https://b.test/news/123", "b-123-v2"}}));
  clock_.Advance(Seconds(3600));
  EXPECT_EQ(RunOnce(), std::vector<std::string>{});
}

TEST_F(StoriesTest, TheSameHeadlineDaysLaterIsANewStory) {
  Serve("/outlet-a.rss", Rss({{"Moscow round of talks postponed", "https://a.test/1", "1"}}));
  EXPECT_EQ(RunOnce().size(), 1u);
  clock_.Advance(Seconds(4 * 24 * 3600));  // past the 72-hour story window
  Serve("/outlet-a.rss", Rss({{"Moscow round of talks postponed", "https://a.test/2", "2"}}));
  EXPECT_EQ(RunOnce().size(), 1u);
}

TEST_F(StoriesTest, AnEditedItemAlertsOnlyAWatchItNewlyMatches) {
  Serve("/outlet-a.rss", Rss({{"Talks in Moscow", "https://a.test/1", "1"}}));
  EXPECT_EQ(RunOnce().size(), 0u);  // no "round" yet
  Serve("/outlet-a.rss", Rss({{"Next round of talks in Moscow", "https://a.test/1", "1"}}));
  EXPECT_EQ(RunOnce(), std::vector<std::string>{"Next round of talks in Moscow"});
  Serve("/outlet-a.rss", Rss({{"Next round of talks in Moscow set", "https://a.test/1", "1"}}));
  EXPECT_EQ(RunOnce(), std::vector<std::string>{});  // edited again: it matched already
}

TEST_F(StoriesTest, ItemsGoneForNinetyDaysAreForgottenAndNothingReturningSoonerReAlerts) {
  const std::string story = "Moscow round of talks postponed";
  Serve("/outlet-a.rss", Rss({{story, "https://a.test/1", "1"}}));
  EXPECT_EQ(RunOnce().size(), 1u);
  Serve("/outlet-a.rss", Rss({{"Weather", "https://a.test/2", "2"}}));
  clock_.Advance(Seconds(80 * 24 * 3600));
  EXPECT_EQ(RunOnce().size(), 0u);
  // Back after 80 days away, within forget_after: still known, no alert.
  Serve("/outlet-a.rss", Rss({{story, "https://a.test/1", "1"}}));
  clock_.Advance(Seconds(24 * 3600));
  EXPECT_EQ(RunOnce().size(), 0u);
  // Gone for more than 90 days: forgotten, and the database holds only what is current.
  Serve("/outlet-a.rss", Rss({{"Weather", "https://a.test/2", "2"}}));
  clock_.Advance(Seconds(24 * 3600));
  EXPECT_EQ(RunOnce().size(), 0u);
  clock_.Advance(Seconds(91 * 24 * 3600));
  EXPECT_EQ(RunOnce().size(), 0u);
  const auto store = store::Store::Open(dir_.path() / "feedwatch.db");
  EXPECT_EQ((*store)->KnownItems("outlet-a", {"1", "2"})->size(), 1u);
  EXPECT_NE(log_.str().find("forgot 1 item gone from their feeds"), std::string::npos);
}

}  // namespace
}  // namespace feedwatch::daemon
