#include "feeds/parser.h"

#include <gtest/gtest.h>

#include "feeds/date.h"
#include "feeds/feed_json.h"
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

TEST(ParseFeed, TruncatedDocumentKeepsTheCompleteItemsAndDropsTheCutOne) {
  const std::string rss = R"(<rss version="2.0"><channel><title>t</title>
    <item><title>complete</title><guid>1</guid></item>
    <item><title>cut off)";
  const Result<Feed> feed = ParseFeed(rss, {});
  ASSERT_TRUE(feed.ok()) << feed.error().message;
  ASSERT_EQ(feed->items.size(), 1u);
  EXPECT_EQ(feed->items[0].title, "complete");
  EXPECT_EQ(feed->warnings,
            (std::vector<std::string>{
                "malformed XML: the document ends with 4 elements still open (truncated?); read "
                "leniently",
                "an item cut off by the end of the document was skipped"}));
}

TEST(ParseFeed, UnclosedTagInsideAnItemDoesNotLoseTheRestOfTheFeed) {
  const std::string rss = R"(<rss version="2.0"><channel><title>t</title>
    <item><title>one</title><description>a<br>b</description></item>
    <item><title>two</title></item></channel></rss>)";
  const Result<Feed> feed = ParseFeed(rss, {});
  ASSERT_TRUE(feed.ok());
  ASSERT_EQ(feed->items.size(), 2u);
  EXPECT_EQ(feed->items[0].summary_text, "a b");
  EXPECT_EQ(feed->items[1].title, "two");
  ASSERT_EQ(feed->warnings.size(), 1u);
  EXPECT_EQ(feed->warnings[0],
            "malformed XML: start-end tags mismatch at line 2, column 50; read leniently");
}

TEST(ParseFeed, RejectsWhatIsNotAFeedSayingWhy) {
  EXPECT_EQ(
      ParseFeed("<!DOCTYPE html><html><head><title>x</title></head></html>", {}).error().message,
      "not a feed: this is an HTML page");
  EXPECT_EQ(ParseFeed(R"(<html><head><link rel="alternate" type="application/atom+xml"
                  href="/feed.atom"><meta charset=utf-8></head><body><p>hi</body></html>)",
                      {})
                .error()
                .message,
            "not a feed: this is an HTML page; it advertises a feed at /feed.atom");
  // Where the page's URL is known, the feed's is given whole, to paste into the configuration.
  ParseOptions at_site;
  at_site.base_url = "https://site.example/news/index.html";
  EXPECT_EQ(
      ParseFeed(R"(<html><head><link rel="alternate" type="application/rss+xml"
                  href="../rss.xml"></head></html>)",
                at_site)
          .error()
          .message,
      "not a feed: this is an HTML page; it advertises a feed at https://site.example/rss.xml");
  EXPECT_EQ(ParseFeed("<svg></svg>", {}).error().message,
            "not a feed: XML whose root element is <svg>, not <rss>, <rdf:RDF> or <feed>");
  EXPECT_EQ(ParseFeed("this is plain text", {}).error().message,
            "not a feed: neither XML nor JSON");
  EXPECT_EQ(ParseFeed(" \n", {}).error().message, "not a feed: the document is empty");
  EXPECT_EQ(ParseFeed("", {}).error().code, Error::Code::kInvalidInput);
  EXPECT_EQ(ParseFeed(R"({"title": "x"})", {}).error().message,
            "not a feed: JSON, but not a JSON Feed (no \"version\": "
            "\"https://jsonfeed.org/version/1.1\")");
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
  EXPECT_EQ(feed->items.at(0).title, "&c;");
}

TEST(ParseFeed, HttpCharsetOverridesTheXmlDeclaration) {
  // koi8-r bytes in a document whose declaration wrongly says windows-1251.
  const std::string title = "\xF0\xCF\xD3\xCF\xCC";  // "Посол" in koi8-r
  const std::string rss =
      "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss version=\"2.0\">"
      "<channel><item><title>" +
      title + "</title></item></channel></rss>";
  const Result<Feed> by_header =
      ParseFeed(rss, {.base_url = "", .content_type = "application/rss+xml; charset=KOI8-R"});
  ASSERT_TRUE(by_header.ok());
  EXPECT_EQ(by_header->items.at(0).title, "Посол");
  EXPECT_EQ(by_header->encoding, "koi8-r");
  const Result<Feed> by_declaration = ParseFeed(rss, {});
  ASSERT_TRUE(by_declaration.ok());
  EXPECT_EQ(by_declaration->encoding, "windows-1251");
  EXPECT_NE(by_declaration->items.at(0).title, "Посол");
}

TEST(ParseFeed, ByteOrderMarkOverridesTheHttpCharset) {
  const std::string rss =
      "\xEF\xBB\xBF<rss version=\"2.0\"><channel><item><title>Посол</title>"
      "</item></channel></rss>";
  const Result<Feed> feed =
      ParseFeed(rss, {.base_url = "", .content_type = "text/xml; charset=koi8-r"});
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ(feed->items.at(0).title, "Посол");
  EXPECT_EQ(feed->encoding, "utf-8");
}

TEST(ParseFeed, KeepsTheHtmlForRenderingNextToTheText) {
  const std::string rss = R"(<rss version="2.0"><channel><item><title>t</title>
    <description>&lt;p&gt;One &lt;b&gt;bold&lt;/b&gt;&lt;/p&gt;</description>
    <content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[<p>Full</p>]]></content:encoded>
    </item></channel></rss>)";
  const Result<Feed> feed = ParseFeed(rss, {});
  ASSERT_TRUE(feed.ok());
  const Item& item = feed->items.at(0);
  EXPECT_EQ(item.summary_html, "<p>One <b>bold</b></p>");
  EXPECT_EQ(item.summary_text, "One bold");
  EXPECT_EQ(item.content_html, "<p>Full</p>");
  EXPECT_EQ(item.content_text, "Full");

  const std::string atom = R"(<feed xmlns="http://www.w3.org/2005/Atom"><entry>
    <summary type="text">5 &lt; 6 &amp; AT&amp;T</summary></entry></feed>)";
  const Result<Feed> atom_feed = ParseFeed(atom, {});
  ASSERT_TRUE(atom_feed.ok());
  EXPECT_EQ(atom_feed->items.at(0).summary_text, "5 < 6 & AT&T");
  EXPECT_EQ(atom_feed->items.at(0).summary_html, "<p>5 &lt; 6 &amp; AT&amp;T</p>");
}

TEST(ParseFeed, ATtlPastAYearCountsAsAYear) {
  // In seconds, the largest number a feed can write would overflow into a negative interval.
  const Result<Feed> feed = ParseFeed(
      "<rss version=\"2.0\"><channel><title>t</title><ttl>9223372036854775807</ttl>"
      "</channel></rss>",
      {});
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ(feed->ttl, std::chrono::minutes(365 * 24 * 60));
}

TEST(ParseFeed, XmlBaseOfTheFeedTheEntryAndTheLinkResolveInTurn) {
  const Result<Feed> feed = ParseFeed(
      R"(<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://127.0.0.1/a/">
      <link href="home"/>
      <entry xml:base="b/"><id>1</id><link href="story"/>
        <link rel="enclosure" xml:base="c/" href="clip.mp3"/>
        <link rel="enclosure" href="photo.jpg"/></entry></feed>)",
      {.base_url = "http://127.0.0.1/feed.xml"});
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ(feed->link, "http://127.0.0.1/a/home");
  const Item& item = feed->items.at(0);
  EXPECT_EQ(item.link, "http://127.0.0.1/a/b/story");
  ASSERT_EQ(item.enclosures.size(), 2u);
  EXPECT_EQ(item.enclosures[0].url, "http://127.0.0.1/a/b/c/clip.mp3");
  EXPECT_EQ(item.enclosures[1].url, "http://127.0.0.1/a/b/photo.jpg");

  const Result<Feed> rss = ParseFeed(
      R"(<rss version="2.0" xml:base="http://127.0.0.1/r/"><channel xml:base="c/"><title>t</title>
      <item xml:base="i/"><title>x</title><link>story</link></item></channel></rss>)",
      {.base_url = "http://127.0.0.1/feed.xml"});
  ASSERT_TRUE(rss.ok());
  EXPECT_EQ(rss->items.at(0).link, "http://127.0.0.1/r/c/i/story");
}

TEST(ParseFeed, KeepsSchedulingHintsCategoriesAndEnclosures) {
  const Result<Feed> feed =
      ParseFeed(testing::ReadFile(testing::DataDir() / "feeds/corpus/scheduling-hints.xml"), {});
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ(feed->ttl, std::chrono::minutes(45));
  EXPECT_EQ(feed->skip_hours, 0b111u);
  EXPECT_EQ(feed->skip_days, 0b1000001u);  // Sunday and Saturday

  const Result<Feed> rdf =
      ParseFeed(testing::ReadFile(testing::DataDir() / "feeds/corpus/format-rss10.rdf"), {});
  ASSERT_TRUE(rdf.ok());
  EXPECT_EQ(rdf->update_period, std::chrono::seconds(1800));  // hourly, twice
  EXPECT_EQ(rdf->items.at(0).categories, std::vector<std::string>{"Diplomacy"});

  const Result<Feed> podcast = ParseFeed(
      testing::ReadFile(testing::DataDir() / "feeds/corpus/categories-and-enclosures.xml"),
      {.base_url = "https://links.example/news/rss", .content_type = ""});
  ASSERT_TRUE(podcast.ok());
  const Item& item = podcast->items.at(0);
  EXPECT_EQ(item.categories, (std::vector<std::string>{"Politics", "Russia"}));
  ASSERT_EQ(item.enclosures.size(), 2u);
  EXPECT_EQ(item.enclosures[0].url, "https://links.example/audio/ep1.mp3");
  EXPECT_EQ(item.enclosures[0].type, "audio/mpeg");
  EXPECT_EQ(item.enclosures[0].length, 5242880);
  EXPECT_EQ(item.enclosures[1].url, "https://links.example/video/ep1.mp4");
  EXPECT_EQ(item.enclosures[1].length, 1000);
}

TEST(ParseFeed, RelativeLinksResolveAgainstTheDocumentUrlWhenThereIsOne) {
  const std::string rss = R"(<rss version="2.0"><channel><link>https://site.test/</link>
    <item><link>a/b.html</link></item></channel></rss>)";
  EXPECT_EQ(ParseFeed(rss, {.base_url = "https://feeds.test/x/rss", .content_type = ""})
                ->items.at(0)
                .link,
            "https://feeds.test/x/a/b.html");
  EXPECT_EQ(ParseFeed(rss, {})->items.at(0).link, "https://site.test/a/b.html");
}

TEST(ParseFeed, PastMaxItemsReadsTheFirstAndLastHalfInEveryFormat) {
  // Ten items, numbered in document order; a poll reads at most five.
  std::string rss = "<rss version=\"2.0\"><channel><title>t</title>";
  std::string atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title>";
  std::string json = R"({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [)";
  for (int i = 1; i <= 10; ++i) {
    const std::string n = std::to_string(i);
    rss.append("<item><title>item ")
        .append(n)
        .append("</title><guid>g")
        .append(n)
        .append("</guid></item>");
    atom.append("<entry><title>item ")
        .append(n)
        .append("</title><id>g")
        .append(n)
        .append("</id></entry>");
    json.append(i > 1 ? ", " : "")
        .append("7, ")
        .append(R"({"id": "g)")
        .append(n)
        .append(R"(", "title": "item )")
        .append(n)
        .append(R"("})");
  }
  rss += "</channel></rss>";
  atom += "</feed>";
  json += "]}";
  for (const std::string& document : {rss, atom, json}) {
    Result<Feed> feed = ParseFeed(document, {.max_items = 5});
    ASSERT_TRUE(feed.ok()) << feed.error().message;
    std::vector<std::string> titles;
    for (const Item& item : feed->items) titles.push_back(item.title);
    EXPECT_EQ(titles, (std::vector<std::string>{"item 1", "item 2", "item 3", "item 9", "item 10"}))
        << document.substr(0, 40);
    EXPECT_EQ(feed->warnings,
              std::vector<std::string>{"the feed lists 10 items, more than max_items (5): read "
                                       "the first 3 and the last 2, skipped 5 between them"})
        << document.substr(0, 40);
    // Within the limit: every item, and nothing to say.
    Result<Feed> whole = ParseFeed(document, {.max_items = 10});
    ASSERT_TRUE(whole.ok());
    EXPECT_EQ(whole->items.size(), 10u);
    EXPECT_TRUE(whole->warnings.empty());
  }
}

TEST(ResolveUrl, FollowsRfc3986NormalExamples) {
  // RFC 3986 section 5.4.1.
  const std::string base = "http://a/b/c/d;p?q";
  const std::vector<std::pair<std::string, std::string>> examples = {
      {"g:h", "g:h"},
      {"g", "http://a/b/c/g"},
      {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},
      {"//g", "http://g"},
      {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},
      {"#s", "http://a/b/c/d;p?q#s"},
      {"g#s", "http://a/b/c/g#s"},
      {"g?y#s", "http://a/b/c/g?y#s"},
      {";x", "http://a/b/c/;x"},
      {"g;x", "http://a/b/c/g;x"},
      {"", "http://a/b/c/d;p?q"},
      {".", "http://a/b/c/"},
      {"./", "http://a/b/c/"},
      {"..", "http://a/b/"},
      {"../", "http://a/b/"},
      {"../g", "http://a/b/g"},
      {"../..", "http://a/"},
      {"../../", "http://a/"},
      {"../../g", "http://a/g"},
      {"../../../g", "http://a/g"},
      {"/./g", "http://a/g"},
      {"/../g", "http://a/g"},
      {"g.", "http://a/b/c/g."},
      {"..g", "http://a/b/c/..g"},
      {"./../g", "http://a/b/g"},
      {"g/./h", "http://a/b/c/g/h"},
      {"g/../h", "http://a/b/c/h"},
  };
  for (const auto& [reference, expected] : examples) {
    EXPECT_EQ(ResolveUrl(base, reference), expected) << reference;
  }
  EXPECT_EQ(ResolveUrl("https://news.test", "a"), "https://news.test/a");
  EXPECT_EQ(ResolveUrl("", "a/b"), "a/b");  // no base: left as it is
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
