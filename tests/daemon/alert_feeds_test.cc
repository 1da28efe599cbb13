// Each watch's stories as an Atom feed: served by the daemon's listener (real HTTP on
// 127.0.0.1) at /feeds/WATCH.atom, read by Python's feedparser without complaint, answered 304
// to a conditional GET, and guarded by the watch's token when it has one.
#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/daemon/log_capture.h"
#include "tests/daemon/run_daemon.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow{Seconds(1'750'000'000)};

const std::string kRss = R"(<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire</title>
<item><title>Ambassador Darchiev: "irritants" &amp; visas &lt; 3 on the agenda</title>
<link>https://wire.test/1?a=1&amp;b=2</link><guid>w-1</guid>
<pubDate>Sun, 15 Jun 2025 12:00:00 GMT</pubDate>
<description>Russia's envoy Alexander Darchiev said the next round would be in Moscow.</description></item>
<item><title>Посол Дарчиев встретился с сенаторами</title>
<link>https://ria.test/2</link><guid>r-2</guid></item>
</channel></rss>)";

class AlertFeedsTest : public ::testing::Test {
 protected:
  void Start(const std::string& watch_extra, const std::string& rss = kRss,
             const std::string& daemon_extra = "") {
    http_.Serve("http://wire.test/rss", rss);
    testing::WriteFile(dir_.path() / "feed-token", "s3cret-token\n");
    daemon_ = MakeDaemon(
        "[daemon]\nmetrics_listen = \"127.0.0.1:0\"\n" + daemon_extra +
            "[defaults]\ninitial_lookback = \"all\"\n"
            "[[feed]]\nname = \"wire\"\nurl = \"http://wire.test/rss\"\n"
            "[[watch]]\nname = \"darchiev\"\nquery = 'Darchiev OR Дарчиев*'\nnotify = [\"c\"]\n" +
            watch_extra + "[[notify]]\nname = \"c\"\ntype = \"console\"\n",
        {.dir = dir_.path(), .clock = &clock_, .http = &http_, .forever = true});
    ASSERT_NE(daemon_, nullptr);
    daemon_->Run(-1, nullptr, clock_.Monotonic() + 200s);  // past the first cycle's spread
    const std::string address = daemon_->metrics_address();
    client_.emplace("127.0.0.1", std::stoi(address.substr(address.rfind(':') + 1)));
  }

  // What feedparser makes of `atom`: "bozo=0 entries=2 ..." or its complaint.
  std::string FeedParser(const std::string& atom) {
    testing::WriteFile(dir_.path() / "feed.atom", atom);
    testing::ChildProcess python(
        "/usr/bin/python3",
        {"-c",
         "import sys, feedparser\n"
         "d = feedparser.parse(sys.argv[1])\n"
         "print('bozo=%d entries=%d' % (d.bozo, len(d.entries)))\n"
         "for e in d.entries: print(e.id, '|', e.title, '|', e.get('link', ''), '|', "
         "e.published)\n",
         (dir_.path() / "feed.atom").string()});
    python.Wait(30s);
    return python.out() + python.err();
  }

  // The links of `atom` as feedparser reads them, one a line: "feed REL TYPE HREF", then
  // "entry REL HREF" for each entry; or what it, or the strict XML parser before it, said.
  std::string Links(const std::string& atom) {
    testing::WriteFile(dir_.path() / "links.atom", atom);
    testing::ChildProcess python(
        "/usr/bin/python3",
        {"-c",
         "import sys, feedparser, xml.dom.minidom\n"
         "xml.dom.minidom.parse(sys.argv[1])\n"  // well-formed, or it raises
         "d = feedparser.parse(sys.argv[1])\n"
         "print('bozo=%d' % d.bozo)\n"
         "for l in d.feed.get('links', []): print('feed', l.rel, l.get('type', '-'), l.href)\n"
         "for e in d.entries:\n"
         "  for l in e.get('links', []): print('entry', l.rel, l.href)\n",
         (dir_.path() / "links.atom").string()});
    python.Wait(30s);
    return python.out() + python.err();
  }

  testing::LogCapture log_;
  testing::TempDir dir_;
  testing::FakeClock clock_{kNow};
  testing::FakeHttpClient http_{clock_};
  std::unique_ptr<Daemon> daemon_;
  std::optional<httplib::Client> client_;
};

TEST_F(AlertFeedsTest, AWatchsStoriesAreAValidAtomFeedWithConditionalGet) {
  Start("");
  const httplib::Result first = client_->Get("/feeds/darchiev.atom");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->get_header_value("Content-Type"), "application/atom+xml; charset=utf-8");
  const std::string etag = first->get_header_value("ETag");
  EXPECT_FALSE(etag.empty());
  const std::string parsed = FeedParser(first->body);
  EXPECT_NE(parsed.find("bozo=0 entries=2"), std::string::npos) << parsed << first->body;
  EXPECT_NE(parsed.find("| Ambassador Darchiev: \"irritants\" & visas < 3 on the agenda | "
                        "https://wire.test/1?a=1&b=2 | 2025-06-15T12:00:00Z"),
            std::string::npos)
      << parsed;
  EXPECT_NE(parsed.find("| Посол Дарчиев встретился с сенаторами |"), std::string::npos) << parsed;
  EXPECT_NE(first->body.find("&lt;b&gt;Darchiev&lt;/b&gt;"), std::string::npos)
      << first->body;  // the marked snippet, as escaped HTML

  // The same ids on the next request: a reader sees no new entry.
  const httplib::Result again = client_->Get("/feeds/darchiev.atom");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, first->body);
  // Conditional GET: 304 and no body, by ETag or by date.
  const httplib::Result not_modified =
      client_->Get("/feeds/darchiev.atom", {{"If-None-Match", etag}});
  ASSERT_TRUE(not_modified);
  EXPECT_EQ(not_modified->status, 304);
  EXPECT_EQ(not_modified->body, "");
  const httplib::Result by_date = client_->Get(
      "/feeds/darchiev.atom", {{"If-Modified-Since", first->get_header_value("Last-Modified")}});
  ASSERT_TRUE(by_date);
  EXPECT_EQ(by_date->status, 304);
  // No such watch.
  EXPECT_EQ(client_->Get("/feeds/nothing.atom")->status, 404);
}

TEST_F(AlertFeedsTest, TheFeedLinksToItselfAndTheListenerAndEachEntryToItsArticle) {
  Start("");
  const std::string base = "http://" + daemon_->metrics_address();
  const httplib::Result served = client_->Get("/feeds/darchiev.atom");
  ASSERT_TRUE(served);
  ASSERT_EQ(served->status, 200);
  // The links a reader shows: the feed's own address, where it comes from (feedparser takes
  // a link without a type for a web page), each article (newest first).
  EXPECT_EQ(Links(served->body),
            "bozo=0\n"
            "feed self application/atom+xml " +
                base +
                "/feeds/darchiev.atom\n"
                "feed alternate text/html " +
                base +
                "/\n"
                "entry alternate https://ria.test/2\n"
                "entry alternate https://wire.test/1?a=1&b=2\n")
      << served->body;
}

TEST_F(AlertFeedsTest, ThePublicUrlIsTheBaseOfTheLinksAndATokenStaysOutOfThem) {
  Start("feed_token_file = \"feed-token\"\n", kRss,
        "public_url = \"https://desk.example.org/feedwatch/\"\n");
  const httplib::Result served = client_->Get("/feeds/darchiev.atom?token=s3cret-token");
  ASSERT_TRUE(served);
  ASSERT_EQ(served->status, 200);
  EXPECT_EQ(
      Links(served->body),
      "bozo=0\n"
      "feed self application/atom+xml https://desk.example.org/feedwatch/feeds/darchiev.atom\n"
      "feed alternate text/html https://desk.example.org/feedwatch/\n"
      "entry alternate https://ria.test/2\n"
      "entry alternate https://wire.test/1?a=1&b=2\n")
      << served->body;
  // Readers show, store and pass on the document: the token is only in the URL they were given.
  EXPECT_EQ(served->body.find("s3cret"), std::string::npos) << served->body;
}

TEST_F(AlertFeedsTest, AWatchWithATokenIsServedOnlyWithIt) {
  Start("feed_token_file = \"feed-token\"\n");
  EXPECT_EQ(client_->Get("/feeds/darchiev.atom")->status, 404);
  EXPECT_EQ(client_->Get("/feeds/darchiev.atom?token=wrong")->status, 404);
  const httplib::Result ok = client_->Get("/feeds/darchiev.atom?token=s3cret-token");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_NE(FeedParser(ok->body).find("bozo=0 entries=2"), std::string::npos);
  // Percent-encoded, as some clients write every character but letters and digits.
  const httplib::Result encoded = client_->Get("/feeds/darchiev.atom?token=s3cret%2dtoken");
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->status, 200);
  EXPECT_EQ(encoded->body, ok->body);
  EXPECT_EQ(client_->Get("/feeds/darchiev.atom?token=s3cret%2")->status, 404);
  EXPECT_EQ(client_->Get("/feeds/darchiev.atom?token=s3cret-token%00")->status, 404);

  // /metrics, which asks for no token, does not name the watch: its matches are counted as
  // private.
  const httplib::Result metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->body.find("darchiev"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("feedwatch_matches_total{watch=\"(private)\"} 2\n"),
            std::string::npos)
      << metrics->body;
}

TEST_F(AlertFeedsTest, ACharacterXmlForbidsInATitleLeavesTheFeedWellFormed) {
  // U+FFFF and U+FFFE, as character references (which pugixml decodes) and as UTF-8, and a
  // byte that is not UTF-8 in the description.
  std::string rss = kRss;
  rss.replace(rss.find("Ambassador Darchiev:"), 20,
              "Ambassador&#xFFFF; Darchiev&#xFFFE;\xEF\xBF\xBF \xEF\xBF\xBE:");
  rss.replace(rss.find("Russia's envoy"), 14, "Russia's \xFF envoy");
  Start("", rss);
  const httplib::Result served = client_->Get("/feeds/darchiev.atom");
  ASSERT_TRUE(served);
  EXPECT_EQ(served->body.find("\xEF\xBF\xBF"), std::string::npos);
  EXPECT_EQ(served->body.find("\xEF\xBF\xBE"), std::string::npos);
  const std::string parsed = FeedParser(served->body);
  EXPECT_NE(parsed.find("bozo=0 entries=2"), std::string::npos) << parsed;
  EXPECT_NE(parsed.find("| Ambassador Darchiev : \"irritants\""), std::string::npos) << parsed;
  // Python's expat, strict: the document is well-formed XML.
  testing::ChildProcess expat("/usr/bin/python3",
                              {"-c",
                               "import sys, xml.dom.minidom\n"
                               "xml.dom.minidom.parse(sys.argv[1]); print('well-formed')\n",
                               (dir_.path() / "feed.atom").string()});
  expat.Wait(30s);
  EXPECT_EQ(expat.out(), "well-formed\n") << expat.err();
}

TEST_F(AlertFeedsTest, TheFeedCommandWritesTheSameDocument) {
  const std::string public_url = "public_url = \"https://desk.example.org/feedwatch\"\n";
  Start("", kRss, public_url);
  const std::string served = client_->Get("/feeds/darchiev.atom")->body;
  testing::WriteFile(dir_.path() / "feedwatch.toml",
                     "[daemon]\n" + public_url +
                         "[[watch]]\nname = \"darchiev\"\nquery = 'Darchiev'\nnotify = [\"c\"]\n"
                         "[[notify]]\nname = \"c\"\ntype = \"console\"\n");
  daemon_.reset();
  const testing::CommandResult printed = testing::RunFeedwatch(
      {"feed", "--watch", "darchiev", "-c", (dir_.path() / "feedwatch.toml").string(),
       "--state-dir", dir_.path().string()});
  EXPECT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_EQ(printed.out, served);
}

}  // namespace
}  // namespace feedwatch::daemon
