// fetch_articles against a real HTTP server on 127.0.0.1: feeds that carry only a headline and
// a lede, and the pages behind their items, shaped as outlets write them (navigation, related
// headlines, scripts, comments). What is fetched, how often, how politely, and what the alerts
// say.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "tests/daemon/log_capture.h"
#include "tests/daemon/run_daemon.h"
#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;

// The fact the watch looks for, as a paragraph of its own.
constexpr std::string_view kFact =
    "Russian Ambassador Alexander Darchiev said the sides would meet again in Moscow.";

// An agency's page: the fact the watch looks for stands in the third paragraph only, and the
// navigation and the related headlines name other stories.
std::string Page(const std::string& headline, std::string_view fact) {
  return R"(<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>)" + headline +
         R"( - Agency</title><script>window.__STATE__={"user":null,"ads":[1,2,3]};</script>
</head><body><header><nav><a href="/">Home</a> <a href="/world">World</a>
<a href="/politics">Politics</a> <a href="/economy">Economy</a></nav></header>
<div class="cookie">We use cookies to improve your experience. <button>Accept</button></div>
<main><div class="article"><h1>)" +
         headline + R"(</h1><div class="date">5 December 2026, 10:41</div>
<div class="text"><p>WASHINGTON, December 5. The two delegations met for five hours on Friday
behind closed doors, officials on both sides said afterwards.</p>
<p>The talks covered the work of the embassies, visas for staff and the banking problems that
have made it hard to pay local employees, according to a statement released in the evening.</p>
<p>)" + std::string(fact) +
         R"(</p>
<p>Neither side gave a date for the next meeting. The previous round took place in the spring
and ended without a joint statement.</p>
<p>Markets were little moved by the news; the rouble traded flat against the dollar.</p></div>
</div><aside><h3>Read also</h3><ul><li><a href="/1">Oil prices rise after storage data</a></li>
<li><a href="/2">Weather: snow expected in the capital over the weekend</a></li></ul></aside>
</main><footer>© 2026 Agency. All rights reserved. <a href="/about">About us</a></footer>
</body></html>)";
}

std::string Rss(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string rss = R"(<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>Agency</title><link>http://127.0.0.1/</link>)";
  for (const auto& [title, link] : items) {
    rss.append("<item><title>").append(title).append("</title><link>").append(link);
    rss.append("</link><guid>").append(link).append("</guid>");
    rss += "<description>The delegations met on Friday, officials said.</description></item>";
  }
  return rss + "</channel></rss>";
}

class ArticlesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Bind();
    console_ = std::fopen((dir_.path() / "console.txt").c_str(), "w");
  }
  void TearDown() override { std::fclose(console_); }
  std::string Console() {
    std::fflush(console_);
    return testing::ReadFile(dir_.path() / "console.txt");
  }

  // Serves `body` at `path`, counting the requests and how many are open at once.
  void Serve(const std::string& path, const std::string& body, const std::string& type,
             int status = 200, std::chrono::milliseconds delay = 0ms) {
    server_.server().Get(path, [=, this](const httplib::Request& req, httplib::Response& res) {
      const int open = ++open_;
      {
        const std::lock_guard lock(mutex_);
        ++hits_[req.path];
        max_open_ = std::max(max_open_, open);
      }
      std::this_thread::sleep_for(delay);
      res.status = status;
      res.set_content(body, type);
      --open_;
    });
  }
  int Hits(const std::string& path) {
    const std::lock_guard lock(mutex_);
    return hits_[path];
  }
  int PageHits() {
    const std::lock_guard lock(mutex_);
    int pages = 0;
    for (const auto& [path, count] : hits_) pages += path.starts_with("/news/") ? count : 0;
    return pages;
  }

  // `feedwatch once` with the watch "darchiev" on `feeds` ([[feed]] tables).
  void Once(const std::string& feeds, const std::string& extra = "") {
    const std::string text = R"([http]
timeout = "5s"
)" + extra + R"(
[[watch]]
name = "darchiev"
query = "Darchiev"
notify = ["log"]
[[notify]]
name = "log"
type = "console"
)" + feeds;
    RunOnce(text, {.dir = dir_.path(), .console = console_});
  }
  std::string Feed(const std::string& name, const std::string& path,
                   const std::string& more = "fetch_articles = true\n") {
    return "[[feed]]\nname = \"" + name + "\"\nurl = \"" + server_.Url(path) + "\"\n" + more;
  }

  std::vector<store::Delivery> Deliveries() {
    auto store = store::Store::Open(dir_.path() / "feedwatch.db");
    EXPECT_TRUE(store.ok());
    return *(*store)->ListDeliveries(/*all=*/true);
  }
  store::FeedState State(const std::string& feed) {
    auto store = store::Store::Open(dir_.path() / "feedwatch.db");
    return *(*store)->GetFeedState(feed);
  }

  std::mutex mutex_;
  std::map<std::string, int> hits_;
  std::atomic<int> open_{0};
  int max_open_ = 0;
  testing::LoopbackServer server_;
  testing::TempDir dir_;
  std::FILE* console_ = nullptr;
  testing::LogCapture log_;
};

TEST_F(ArticlesTest, AFactOnlyInTheArticleAlertsAndTheAlertSaysSo) {
  Serve("/news/1", Page("Embassy talks end", "Ambassador Alexander Darchiev led the Russian side."),
        "text/html; charset=utf-8");
  Serve("/news/2", Page("Embassy talks: a second day", "Nothing was said of the ambassador."),
        "text/html");
  Serve("/feed.xml",
        Rss({{"Embassy talks end", server_.Url("/news/1") + "?utm_source=rss&utm_medium=feed"},
             {"Embassy talks: a second day", server_.Url("/news/2")}}),
        "application/rss+xml");
  server_.Start();
  Once(Feed("agency", "/feed.xml"));
  EXPECT_EQ(Hits("/news/1"), 1);
  EXPECT_EQ(Hits("/news/2"), 1);
  const std::vector<store::Delivery> deliveries = Deliveries();
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].title, "Embassy talks end");
  EXPECT_EQ(deliveries[0].terms, "article: Darchiev (Darchiev)");
  EXPECT_NE(deliveries[0].snippet.find("**Darchiev**"), std::string::npos);
  ASSERT_EQ(deliveries[0].hits.size(), 1u);
  EXPECT_EQ(deliveries[0].hits[0].field, "article");
  EXPECT_EQ(State("agency").last_articles, "2 read");
  // The console alert tells where the match stood.
  EXPECT_NE(Console().find("\tfrom the article: "), std::string::npos) << Console();
}

TEST_F(ArticlesTest, NoPageIsFetchedTwiceNorWithTheOptionOff) {
  Serve("/news/1", Page("Talks end", kFact), "text/html");
  Serve("/news/2", Page("Talks resume", kFact), "text/html");
  Serve("/one.xml", Rss({{"Talks end", server_.Url("/news/1")}}), "application/rss+xml");
  // The same body again with a second item: the first is known, only the second is read.
  Serve("/two.xml",
        Rss({{"Talks resume", server_.Url("/news/2")}, {"Talks end", server_.Url("/news/1")}}),
        "application/rss+xml");
  Serve("/off.xml", Rss({{"Talks end", server_.Url("/news/1")}}), "application/rss+xml");
  server_.Start();
  Once(Feed("agency", "/one.xml"));
  EXPECT_EQ(Hits("/news/1"), 1);
  Once(Feed("agency", "/two.xml"));
  EXPECT_EQ(Hits("/news/1"), 1);
  EXPECT_EQ(Hits("/news/2"), 1);
  EXPECT_EQ(Deliveries().size(), 2u);
  // A feed without the option reads no page, and its item does not match on the lede alone.
  Once(Feed("agency", "/two.xml") + Feed("plain", "/off.xml", ""));
  EXPECT_EQ(Hits("/off.xml"), 1);
  EXPECT_EQ(PageHits(), 2);
  EXPECT_EQ(Deliveries().size(), 2u);
}

TEST_F(ArticlesTest, TheSameArticleInTwoFeedsIsFetchedOnce) {
  Serve("/news/7", Page("Talks end", kFact), "text/html");
  Serve("/agency.xml", Rss({{"Talks end", server_.Url("/news/7") + "?from=rss"}}),
        "application/rss+xml");
  Serve("/aggregator.xml",
        Rss({{"Talks end - Agency", server_.Url("/news/7") + "?utm_source=aggregator"}}),
        "application/rss+xml");
  server_.Start();
  Once(Feed("agency", "/agency.xml") + Feed("aggregator", "/aggregator.xml"));
  EXPECT_EQ(Hits("/news/7"), 1);
  // Both feeds read the text; the story alerts once.
  EXPECT_EQ(State("agency").last_articles, "1 read");
  EXPECT_EQ(State("aggregator").last_articles, "1 read");
  EXPECT_EQ(Deliveries().size(), 1u);
}

TEST_F(ArticlesTest, APageThatFailsLeavesItsItemMatchedOnTheFeed) {
  Serve("/news/404", "not here", "text/plain", 404);
  Serve("/feed.xml", Rss({{"Darchiev meets officials", server_.Url("/news/404")}}),
        "application/rss+xml");
  server_.Start();
  Once(Feed("agency", "/feed.xml"));
  const std::vector<store::Delivery> deliveries = Deliveries();
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].terms, "title: Darchiev (Darchiev)");
  EXPECT_EQ(State("agency").last_articles, "1 failed (HTTP 404: " + server_.Url("/news/404") + ")");
  EXPECT_EQ(State("agency").last_error, "");
}

TEST_F(ArticlesTest, AHostThatFailsIsLeftAloneAndTheOthersAreNot) {
  Serve("/news/a", "busy", "text/plain", 503);
  Serve("/news/b", Page("b", kFact), "text/html");
  Serve("/news/c", Page("c", kFact), "text/html");
  Serve("/feed.xml",
        Rss({{"a", server_.Url("/news/a")},
             {"b", server_.Url("/news/b")},
             {"c", server_.Url("/news/c")}}),
        "application/rss+xml");
  server_.Start();
  // One page at a time: after the 503 the others of the host are skipped.
  Once(Feed("agency", "/feed.xml"), "per_host = 1\n");
  EXPECT_EQ(Hits("/news/a"), 1);
  EXPECT_EQ(PageHits(), 1);
  EXPECT_EQ(State("agency").last_articles,
            "1 failed, 2 skipped (HTTP 503: " + server_.Url("/news/a") + ")");
}

TEST_F(ArticlesTest, OneFeedsFailingLinksDoNotSwitchTheOutletOffForAnother) {
  // A hostile feed links to pages of the agency that answer 503; the agency's own feed, read
  // in the same run after it, still gets its pages.
  Serve("/news/waf", "blocked", "text/plain", 503);
  Serve("/news/good", Page("good", kFact), "text/html");
  Serve("/hostile.xml", Rss({{"bait", server_.Url("/news/waf")}}), "application/rss+xml");
  Serve("/agency.xml", Rss({{"good", server_.Url("/news/good")}}), "application/rss+xml");
  server_.Start();
  Once(Feed("hostile", "/hostile.xml") + Feed("agency", "/agency.xml"), "per_host = 1\n");
  EXPECT_EQ(Hits("/news/good"), 1);
  EXPECT_EQ(State("agency").last_articles, "1 read");
}

TEST_F(ArticlesTest, PagesTakeAtMostHalfTheTransfersAndOddLinksNone) {
  std::vector<std::pair<std::string, std::string>> items;
  for (int i = 0; i < 4; ++i) {
    const std::string path = "/news/" + std::to_string(i);
    Serve(path, Page("Story " + std::to_string(i), kFact), "text/html", 200, 200ms);
    items.emplace_back("Story " + std::to_string(i), server_.Url(path));
  }
  // A link with a user name, and one of 3 KB: not followed.
  std::string user = server_.Url("/news/user");
  user.insert(user.find("://") + 3, "admin:secret@");
  items.emplace_back("user", user);
  items.emplace_back("long", server_.Url("/news/long?") + std::string(3000, 'x'));
  Serve("/feed.xml", Rss(items), "application/rss+xml");
  server_.Start();
  Once(Feed("agency", "/feed.xml"), "concurrency = 2\nper_host = 2\n");
  EXPECT_EQ(PageHits(), 4);
  EXPECT_EQ(max_open_, 1);  // the feed's fetch was over before its pages began
  EXPECT_EQ(State("agency").last_articles, "4 read, 2 skipped");
}

TEST_F(ArticlesTest, PagesKeepToPerHostAndMaxArticles) {
  std::vector<std::pair<std::string, std::string>> items;
  for (int i = 0; i < 12; ++i) {
    const std::string path = "/news/" + std::to_string(i);
    Serve(path, Page("Story " + std::to_string(i), kFact), "text/html", 200, 100ms);
    items.emplace_back("Story " + std::to_string(i), server_.Url(path));
  }
  Serve("/feed.xml", Rss(items), "application/rss+xml");
  server_.Start();
  Once(Feed("agency", "/feed.xml", "fetch_articles = true\nmax_articles = 8\n"), "per_host = 2\n");
  EXPECT_EQ(PageHits(), 8);
  EXPECT_LE(max_open_, 2);
  EXPECT_EQ(State("agency").last_articles, "8 read");
  EXPECT_EQ(Deliveries().size(), 8u);
}

TEST_F(ArticlesTest, ASlowPageDoesNotHoldTheAlertsPastArticleWait) {
  Serve("/news/slow", Page("slow", kFact), "text/html", 200, 3s);
  Serve("/feed.xml", Rss({{"Darchiev in Moscow", server_.Url("/news/slow")}}),
        "application/rss+xml");
  server_.Start();
  const auto start = std::chrono::steady_clock::now();
  Once(Feed("agency", "/feed.xml", "fetch_articles = true\narticle_wait = \"1s\"\n"));
  // `once` waits for the page's transfer before it exits, but the poll was committed at 1 s.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
  const std::vector<store::Delivery> deliveries = Deliveries();
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].terms, "title: Darchiev (Darchiev)");
  EXPECT_EQ(State("agency").last_articles, "1 late");
}

TEST_F(ArticlesTest, AnEndlessPageIsCutAtMaxBodyAndTheOthersAreRead) {
  std::atomic<bool> stop{false};
  server_.server().Get("/news/endless", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/html", [&](size_t, httplib::DataSink& sink) {
      static const std::string paragraph =
          "<p>Ambassador Alexander Darchiev said the talks would go on and on and on.</p>";
      return !stop && sink.write(paragraph.data(), paragraph.size());
    });
  });
  Serve("/news/good", Page("good", kFact), "text/html");
  Serve("/feed.xml",
        Rss({{"endless", server_.Url("/news/endless")}, {"good", server_.Url("/news/good")}}),
        "application/rss+xml");
  server_.Start();
  Once(Feed("agency", "/feed.xml"), "max_body = \"1MiB\"\n");
  stop = true;
  EXPECT_EQ(State("agency").last_articles, "1 read, 1 failed (body larger than 1048576 bytes: " +
                                               server_.Url("/news/endless") + ")");
  const std::vector<store::Delivery> deliveries = Deliveries();
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].title, "good");
}

TEST_F(ArticlesTest, ALinkIntoTheInternalNetworksIsRefusedUnlessTheFeedIsThere) {
  // 127.0.0.2 plays a public outlet whose feed links into the internal 127.0.0.1.
  Serve("/news/secret", Page("secret", kFact), "text/html");
  Serve("/inside.xml", Rss({{"inside", server_.Url("/news/secret")}}), "application/rss+xml");
  server_.Start();
  testing::LoopbackServer outside("127.0.0.2");
  outside.Bind();
  const std::string feed = Rss({{"outside", server_.Url("/news/secret")}});
  outside.server().Get("/feed.xml", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(feed, "application/rss+xml");
  });
  outside.Start();
  const std::string internal = "internal_networks = [\"127.0.0.1/32\"]\n";
  Once("[[feed]]\nname = \"public\"\nurl = \"" + outside.Url("/feed.xml") +
           "\"\nfetch_articles = true\n",
       internal);
  EXPECT_EQ(Hits("/news/secret"), 0);
  EXPECT_NE(State("public").last_articles.find("link to internal address 127.0.0.1 refused"),
            std::string::npos)
      << State("public").last_articles;
  // A feed read from the internal network may link into it.
  Once(Feed("private", "/inside.xml"), internal);
  EXPECT_EQ(Hits("/news/secret"), 1);
  // So may a file, the operator's own: its page is fetched again, for this feed.
  testing::WriteFile(dir_.path() / "local.xml", Rss({{"local", server_.Url("/news/secret")}}));
  Once("[[feed]]\nname = \"local\"\nurl = \"file:local.xml\"\nfetch_articles = true\n", internal);
  EXPECT_EQ(State("local").last_articles, "1 read");
}

}  // namespace
}  // namespace feedwatch::daemon
