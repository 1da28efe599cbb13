#include "feeds/parser.h"

#include <gtest/gtest.h>

#include "feeds/date.h"
#include "tests/support/support.h"

namespace feedwatch::feeds {
namespace {

Feed ParseFixture(const std::string& name, const std::string& base_url) {
  const std::string bytes = testing::ReadFile(testing::DataDir() / "feeds" / name);
  Result<Feed> feed = ParseFeed(bytes, ParseOptions{base_url});
  EXPECT_TRUE(feed.ok()) << feed.error().message;
  return feed.ok() ? std::move(*feed) : Feed{};
}

TEST(ParseFeed, ReadsRss2Items) {
  const Feed feed = ParseFixture("talks-en.rss", "http://wire.test/rss");
  EXPECT_EQ(feed.format, "rss2.0");
  EXPECT_EQ(feed.title, "Test wire (English)");
  ASSERT_EQ(feed.items.size(), 4u);
  const Item& first = feed.items[0];
  EXPECT_EQ(first.title, "Darchiev presents credentials at the White House");
  EXPECT_EQ(first.link, "http://wire.test/world/darchiev-credentials");  // resolved
  EXPECT_EQ(first.id, "http://wire.test/world/darchiev-credentials");
  EXPECT_EQ(first.summary_text,
            "Russia's new ambassador, Alexander Darchiev, presented his credentials.");
  EXPECT_EQ(first.published, ParseDate("2025-03-11T14:00:00Z"));
  EXPECT_EQ(feed.items[3].published, std::nullopt);
  EXPECT_EQ(feed.items[3].content_text,
            "Traders also discussed the Moscow round of consultations.");
  EXPECT_TRUE(feed.warnings.empty());
}

TEST(ParseFeed, ReadsAtom1Entries) {
  const Feed feed = ParseFixture("talks-ru.atom", "http://lenta.test/atom");
  EXPECT_EQ(feed.format, "atom1.0");
  EXPECT_EQ(feed.title, "Тестовая лента");
  EXPECT_EQ(feed.link, "http://lenta.test/");
  ASSERT_EQ(feed.items.size(), 3u);
  const Item& first = feed.items[0];
  EXPECT_EQ(first.link, "http://lenta.test/news/1");  // rel=alternate, not the enclosure
  EXPECT_EQ(first.id, "urn:lenta:1");
  EXPECT_EQ(first.summary_text, "Посол России провёл переговоры.");
  EXPECT_EQ(first.author, "Редакция");
  EXPECT_EQ(first.published, ParseDate("2025-04-10T15:00:00Z"));
  EXPECT_EQ(first.updated, ParseDate("2025-04-10T15:05:00Z"));
  EXPECT_EQ(feed.items[1].content_text, "Московский раунд ожидается весной.");
  EXPECT_EQ(feed.items[2].published, std::nullopt);
}

TEST(ParseFeed, RssGuidIsTheLinkOnlyWhenItIsAPermalink) {
  const std::string rss = R"(<rss version="2.0"><channel><title>t</title>
    <item><title>a</title><guid>http://x.test/a</guid></item>
    <item><title>b</title><guid isPermaLink="false">http://x.test/b</guid></item>
  </channel></rss>)";
  const Result<Feed> feed = ParseFeed(rss, {});
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ(feed->items[0].link, "http://x.test/a");
  EXPECT_EQ(feed->items[1].link, "");
}

TEST(ParseFeed, TruncatedDocumentKeepsWhatWasReadAndWarns) {
  const std::string rss = R"(<rss version="2.0"><channel><title>t</title>
    <item><title>complete</title><guid>1</guid></item>
    <item><title>cut off)";
  const Result<Feed> feed = ParseFeed(rss, {});
  ASSERT_TRUE(feed.ok()) << feed.error().message;
  ASSERT_GE(feed->items.size(), 1u);
  EXPECT_EQ(feed->items[0].title, "complete");
  ASSERT_EQ(feed->warnings.size(), 1u);
  EXPECT_TRUE(feed->warnings[0].starts_with("malformed XML, read up to byte "))
      << feed->warnings[0];
}

TEST(ParseFeed, RejectsWhatIsNotAFeed) {
  EXPECT_EQ(
      ParseFeed("<!DOCTYPE html><html><head><title>x</title></head></html>", {}).error().message,
      "not a feed: this is an HTML page");
  EXPECT_EQ(ParseFeed("<svg></svg>", {}).error().message,
            "not a feed: unexpected root element <svg>");
  EXPECT_EQ(ParseFeed("<rss version=\"2.0\"></rss>", {}).error().message,
            "not a feed: <rss> has no <channel>");
  const Result<Feed> garbage = ParseFeed("this is plain text", {});
  ASSERT_FALSE(garbage.ok());
  EXPECT_TRUE(garbage.error().message.starts_with("not a feed: not XML ("))
      << garbage.error().message;
  EXPECT_FALSE(ParseFeed("", {}).ok());
}

TEST(ParseFeed, DoesNotExpandDoctypeEntities) {
  const std::string laughs = R"(<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<rss version="2.0"><channel><title>&c;</title><item><title>&c;</title></item></channel></rss>)";
  const Result<Feed> feed = ParseFeed(laughs, {});
  ASSERT_TRUE(feed.ok()) << feed.error().message;
  EXPECT_LT(feed->items.at(0).title.size(), 100u);
}

TEST(ResolveUrl, HandlesTheCommonReferenceShapes) {
  const std::string base = "https://news.test/section/feed.xml?x=1";
  EXPECT_EQ(ResolveUrl(base, "https://other.test/a"), "https://other.test/a");
  EXPECT_EQ(ResolveUrl(base, "//cdn.test/a"), "https://cdn.test/a");
  EXPECT_EQ(ResolveUrl(base, "/a/b"), "https://news.test/a/b");
  EXPECT_EQ(ResolveUrl(base, "story.html"), "https://news.test/section/story.html");
  EXPECT_EQ(ResolveUrl(base, "?page=2"), "https://news.test/section/feed.xml?page=2");
  EXPECT_EQ(ResolveUrl("https://news.test", "a"), "https://news.test/a");
  EXPECT_EQ(ResolveUrl("", "a/b"), "a/b");
}

TEST(ItemKey, PrefersIdThenLinkThenContentHash) {
  Item item;
  item.title = "t";
  const std::string hashed = ItemKey(item);
  EXPECT_TRUE(hashed.starts_with("sha256:"));
  EXPECT_EQ(hashed.size(), 7u + 64u);
  item.link = "http://x.test/a";
  EXPECT_EQ(ItemKey(item), "http://x.test/a");
  item.id = "guid-1";
  EXPECT_EQ(ItemKey(item), "guid-1");
}

}  // namespace
}  // namespace feedwatch::feeds
