#include "feeds/discover.h"

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace feedwatch::feeds {
namespace {

TEST(Discover, FindsTheFeedsAPageAdvertisesAsSitesWriteThem) {
  const std::string page = testing::ReadFile(testing::DataDir() / "discover" / "news-site.html");
  const std::vector<AdvertisedFeed> feeds =
      FindFeedLinks(page, "https://eurasiawire.example.com/world/index.html");
  ASSERT_EQ(feeds.size(), 4u);
  // Relative to the page; references decoded; upper-case tags and single quotes read; the
  // duplicate, the commented-out link, the one in a script and the hreflang alternate left out.
  EXPECT_EQ(feeds[0].url, "https://eurasiawire.example.com/rss/world.xml");
  EXPECT_EQ(feeds[0].title, "Eurasia Wire — World");
  EXPECT_EQ(feeds[0].type, "rss");
  EXPECT_EQ(feeds[1].url, "https://eurasiawire.example.com/atom/diplomacy");
  EXPECT_EQ(feeds[1].type, "atom");
  EXPECT_EQ(feeds[2].url, "https://eurasiawire.example.com/world/feeds/all.json?lang=en&limit=50");
  EXPECT_EQ(feeds[2].type, "json");
  EXPECT_EQ(feeds[3].url, "https://eurasiawire.example.com/ru/rss/politics.xml");
  EXPECT_EQ(feeds[3].title, "Евразия — Политика");
}

TEST(Discover, HostilePagesCostLinearTimeAndFindNothingFalse) {
  EXPECT_TRUE(FindFeedLinks("", "https://a.test/").empty());
  EXPECT_TRUE(FindFeedLinks("<link rel=alternate type=application/rss+xml", "https://a.test/")
                  .empty());  // no href
  // A million unclosed tags, an unterminated comment, and an unterminated attribute.
  EXPECT_TRUE(FindFeedLinks(std::string(1'000'000, '<'), "https://a.test/").empty());
  EXPECT_TRUE(FindFeedLinks("<!--" + std::string(100'000, 'x'), "https://a.test/").empty());
  const std::vector<AdvertisedFeed> cut = FindFeedLinks(
      "<link rel=alternate type=application/rss+xml href=\"/feed.xml", "https://a.test/");
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0].url, "https://a.test/feed.xml");
  // At most 200 feeds from a page that lists 10,000.
  std::string many;
  for (int i = 0; i < 10'000; ++i) {
    many += "<link rel=alternate type=application/rss+xml href=/f" + std::to_string(i) + ">";
  }
  EXPECT_EQ(FindFeedLinks(many, "https://a.test/").size(), 200u);
}

}  // namespace
}  // namespace feedwatch::feeds
