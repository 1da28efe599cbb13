// The desk page (issue 31): the daemon, run as operators run it, on feeds served from
// 127.0.0.1, and its page loaded in a real browser (Debian's chromium, headless, driven over
// the DevTools protocol by tests/support/browse.py): every alerted story and watch is there, a
// story three outlets carried shows all three with their times, nothing is fetched from another
// origin and nothing goes to the console; hostile titles render as text. Then the page's rules
// on their own: tokens, conditional GET, the Content-Security-Policy, and when a feed is silent.
#include "daemon/desk.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>

#include "daemon/alert_feeds.h"
#include "daemon/publishing_rate.h"
#include "notify/email.h"
#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;

constexpr TimePoint kNow{Seconds(1'765'000'000)};

// An RSS item published `minutes_ago` before the test started.
struct Item {
  std::string title;
  std::string link;
  int minutes_ago = 0;
  std::string description;
};

std::string Rss(const std::string& outlet, const std::vector<Item>& items) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>" + outlet +
      "</title>";
  const auto now = std::chrono::floor<Seconds>(std::chrono::system_clock::now());
  for (const Item& item : items) {
    out += "<item><title>" + item.title + "</title><link>" + item.link + "</link><guid>" +
           item.link + "</guid><pubDate>" +
           notify::FormatRfc5322Date(now - std::chrono::minutes(item.minutes_ago)) +
           "</pubDate><description>" + item.description + "</description></item>";
  }
  return out + "</channel></rss>";
}

// The page as headless chromium loaded it: browse.py's JSON report.
nlohmann::json Browse(const std::string& url, const std::filesystem::path& screenshot) {
  testing::ChildProcess browser(
      "/usr/bin/python3",
      {(testing::SourceDir() / "tests/support/browse.py").string(), url, "--screenshot",
       screenshot.string(), "--width", "412", "--height", "915"});
  const std::optional<int> code = browser.Wait(90s);
  EXPECT_EQ(code, std::optional<int>(0)) << browser.err();
  return nlohmann::json::parse(browser.out(), nullptr, /*allow_exceptions=*/false);
}

class DeskBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string story = "Darchiev says Moscow round of talks on irritants is set for June";
    const std::string unrelated =
        "<p>Separately, the city council approved a budget for road repairs. Weather: rain.</p>";
    Serve("/wire.rss", Rss("Wire", {{story, "https://wire.test/a/1", 30,
                                     "<p>Ambassador <b>Alexander Darchiev</b> said the next "
                                     "round would be held in Moscow.</p>" +
                                         unrelated},
                                    {"Stocks close higher", "https://wire.test/a/2", 25}}));
    Serve("/ria.rss", Rss("РИА", {{story, "https://ria.test/20261206/1", 26},
                                  {"Посол Дарчиев обсудил возврат дипсобственности",
                                   "https://ria.test/20261206/2", 40,
                                   "Российская дипсобственность в США остаётся раздражителем."}}));
    Serve("/bbc.rss", Rss("BBC", {{"Darchiev says Moscow round of talks on irritants is set for "
                                   "June - BBC",
                                   "https://bbc.test/news/3", 18}}));
    // What a hostile or broken feed sends: markup as text (escaped twice: a title's markup
    // once escaped is markup, which the parser takes out), quotes, a right-to-left override and
    // a 100 KB title, each about the ambassador so that they alert.
    Serve(
        "/odd.rss",
        Rss("Odd",
            {{"&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; Darchiev &quot;quoted&quot;",
              "https://odd.test/1", 50},
             {"Darchiev \xE2\x80\xAE"
              "evil reversed text",
              "https://odd.test/2", 55},
             {"Darchiev " + std::string(size_t{100} * 1024, 'x'), "https://odd.test/3", 60},
             {"Darchiev &amp;lt;img src=x onerror=alert(2)&amp;gt;", "javascript:alert(3)", 65}}));
    feeds_.Start();
    testing::WriteFile(dir_.path() / "token", "t0ken-of-the-desk\n");
    std::string config = "[daemon]\nstate_dir = \"" + (dir_.path() / "state").string() +
                         "\"\nmetrics_listen = \"127.0.0.1:0\"\n"
                         "[defaults]\ninitial_lookback = \"all\"\ninterval = \"10s\"\n"
                         "min_interval = \"10s\"\n";
    for (const std::string name : {"wire", "ria", "bbc", "odd"}) {
      config +=
          "[[feed]]\nname = \"" + name + "\"\nurl = \"" + feeds_.Url("/" + name + ".rss") + "\"\n";
    }
    config +=
        "[[watch]]\nname = \"darchiev\"\nquery = 'Darchiev OR Дарчиев*'\nnotify = [\"log\"]\n"
        "[[watch]]\nname = \"property\"\nquery = 'дипсобственност* OR \"diplomatic property\"'\n"
        "notify = [\"log\"]\n"
        "[[watch]]\nname = \"private-round\"\nquery = '\"Moscow round\"'\nnotify = [\"log\"]\n"
        "feed_token_file = \"" +
        (dir_.path() / "token").string() +
        "\"\n"
        "[[notify]]\nname = \"log\"\ntype = \"console\"\n";
    testing::WriteFile(dir_.path() / "feedwatch.toml", config);
  }

  void Serve(const std::string& path, const std::string& body) {
    feeds_.server().Get(path, [body](const httplib::Request&, httplib::Response& response) {
      response.set_content(body, "application/rss+xml");
    });
  }

  // The daemon's listener, once the page lists `expected` stories' worth of watches.
  std::string StartDaemon() {
    daemon_.emplace(
        std::vector<std::string>{"run", "-c", (dir_.path() / "feedwatch.toml").string()});
    const std::regex said(R"(listening on (http://127\.0\.0\.1:\d+)/)");
    for (int i = 0; i < 400; ++i) {
      std::smatch match;
      const std::string err = daemon_->err();
      if (std::regex_search(err, match, said)) return match[1];
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "the daemon did not say where it listens:\n" << daemon_->err();
    return "";
  }

  // GET `path` from the listener until its body contains `text` (the daemon polls, then
  // housekeeping renders).
  std::string WaitFor(const std::string& base, const std::string& path, const std::string& text) {
    httplib::Client client(base);
    for (int i = 0; i < 300; ++i) {
      if (auto response = client.Get(path);
          response && response->status == 200 && response->body.find(text) != std::string::npos) {
        return response->body;
      }
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << path << " never showed " << text << "\n" << daemon_->err();
    return "";
  }

  testing::TempDir dir_;
  testing::LoopbackServer feeds_;
  std::optional<testing::FeedwatchProcess> daemon_;
};

TEST_F(DeskBrowserTest, TheDeskShowsEveryStoryItsOutletsAndTimesAndLoadsNothingElse) {
  const std::string base = StartDaemon();
  ASSERT_FALSE(base.empty());
  WaitFor(base, "/", "3 outlets");

  const std::filesystem::path shot = testing::ArtifactDir() / "desk.png";
  const nlohmann::json page = Browse(base + "/", shot);
  ASSERT_TRUE(page.is_object());
  EXPECT_EQ(page["status"], 200);
  const std::string text = page["text"];
  const std::string dom = page["dom"];

  // The watches: the two without a token, not the one with.
  EXPECT_NE(text.find("darchiev"), std::string::npos);
  EXPECT_NE(text.find("property"), std::string::npos);
  EXPECT_EQ(dom.find("private-round"), std::string::npos);

  // Every alerted story's title, as the outlet wrote it.
  EXPECT_NE(text.find("Darchiev says Moscow round of talks on irritants is set for June"),
            std::string::npos);
  EXPECT_NE(text.find("Посол Дарчиев обсудил возврат дипсобственности"), std::string::npos);
  EXPECT_NE(text.find("<script>alert(1)</script> Darchiev \"quoted\""), std::string::npos);
  EXPECT_NE(text.find("Darchiev <img src=x onerror=alert(2)>"), std::string::npos);
  EXPECT_NE(text.find("Darchiev evil reversed text"), std::string::npos);
  EXPECT_NE(text.find("Darchiev xxxxxxxx"), std::string::npos);

  // The story three outlets carried: all three, in the order they published, with their times.
  const std::regex outlets(
      R"(wire\s+(\d+ \w+ \d\d:\d\d)\s+first\s+ria\s+(\d+ \w+ \d\d:\d\d)\s+\+4 min\s+bbc\s+)"
      R"((\d+ \w+ \d\d:\d\d)\s+\+12 min)");
  EXPECT_TRUE(std::regex_search(text, outlets)) << text;
  EXPECT_NE(dom.find("Reported by 3 outlets within 12 min: wire first, ria after 4 min, bbc "
                     "after 12 min"),
            std::string::npos);

  // Hostile text stayed text: no element but ours, no link to a script.
  EXPECT_EQ(dom.find("<script"), std::string::npos);
  EXPECT_EQ(dom.find("<img"), std::string::npos);
  EXPECT_EQ(dom.find("javascript:"), std::string::npos);
  EXPECT_EQ(dom.find("\xE2\x80\xAE"), std::string::npos);
  EXPECT_LT(dom.size(), 400'000u);

  // Nothing fetched but the page, nothing said on the console.
  for (const nlohmann::json& request : page["requests"]) {
    const std::string url = request["url"];
    EXPECT_TRUE(url.starts_with(base + "/") || url.starts_with("data:")) << url;
  }
  EXPECT_TRUE(page["console"].empty()) << page["console"].dump(2);
  EXPECT_TRUE(page["exceptions"].empty()) << page["exceptions"].dump(2);
  EXPECT_TRUE(page["log"].empty()) << page["log"].dump(2);
  EXPECT_TRUE(std::filesystem::file_size(shot) > 10'000) << shot;

  // A watch with a token has a page of its own, shown only with it.
  httplib::Client client(base);
  EXPECT_EQ(client.Get("/watch/private-round")->status, 404);
  EXPECT_EQ(client.Get("/watch/private-round?token=wrong")->status, 404);
  const nlohmann::json own = Browse(base + "/watch/private-round?token=t0ken-of-the-desk",
                                    testing::ArtifactDir() / "desk-watch.png");
  ASSERT_TRUE(own.is_object());
  EXPECT_EQ(own["status"], 200);
  EXPECT_NE(std::string(own["text"]).find("Darchiev says Moscow round"), std::string::npos);
  EXPECT_TRUE(own["console"].empty() && own["log"].empty()) << own.dump(2);

  daemon_->Signal(SIGTERM);
  EXPECT_EQ(daemon_->Wait(10s), std::optional<int>(0)) << daemon_->err();
}

// --- The rules, without a browser --------------------------------------------------------------

Desk OneWatch(std::vector<DeskStory> stories, const std::string& token = "") {
  Desk desk;
  desk.today = std::chrono::floor<std::chrono::days>(kNow);
  DeskWatch& watch = desk.watches.emplace_back();
  watch.name = "darchiev";
  watch.listed = token.empty();
  watch.stories = std::move(stories);
  watch.per_day.back() = static_cast<int>(watch.stories.size());
  desk.feeds_total = 3;
  return desk;
}

DeskStory Story(std::string title, std::string snippet = "") {
  DeskStory story;
  story.story.title = std::move(title);
  story.story.feed = "wire";
  story.story.link = "https://wire.test/1";
  story.story.matched_at = kNow;
  story.story.snippet = std::move(snippet);
  story.reports = {{"wire", kNow}};
  return story;
}

TEST(DeskRender, HitsAreMarkedAndHostileTextIsText) {
  const DeskPagesText pages = RenderDesk(OneWatch(
      {Story("<script>x</script> \"a\" 'b' \xE2\x80\xAE\xE2\x81\xA6 tab\there\x01 \xFF end",
             "Ambassador **Darchiev** said <b>so</b> & more")}));
  const std::string& front = pages.front;
  EXPECT_NE(front.find("&lt;script&gt;x&lt;/script&gt; &quot;a&quot; &#39;b&#39;  tab here "
                       "\xEF\xBF\xBD end"),
            std::string::npos)
      << front;
  EXPECT_NE(front.find("Ambassador <mark>Darchiev</mark> said &lt;b&gt;so&lt;/b&gt; &amp; more"),
            std::string::npos);
  EXPECT_EQ(front.find("<script"), std::string::npos);
  EXPECT_EQ(front.find("\xE2\x80\xAE"), std::string::npos);
}

TEST(DeskRender, RussianTitlesAreMarkedAsRussian) {
  const std::string front =
      RenderDesk(OneWatch({Story("Посол Дарчиев встретился с сенаторами в Вашингтоне"),
                           Story("Darchiev meets senators (Дарчиев)")}))
          .front;
  EXPECT_NE(front.find(R"(<bdi lang="ru">Посол Дарчиев встретился)"), std::string::npos);
  EXPECT_NE(front.find("<bdi>Darchiev meets senators (Дарчиев)"), std::string::npos);
}

TEST(DeskRender, APageStaysBoundedWhateverTheFeedsSend) {
  // The most a feed can make of each story: a title of quotes (each escaped to 6 bytes), a lede
  // of '<' (4), a link of '&' (5) just under the length that leaves it out, and 500 outlets.
  std::vector<DeskStory> stories;
  for (int i = 0; i < kDeskWatchStories; ++i) {
    DeskStory story = Story(std::string(size_t{100} * 1024, '"'), "");
    story.story.lede = std::string(size_t{100} * 1024, '<');
    story.story.link = "https://wire.test/?" + std::string(kEntryLinkBytes - 19, '&');
    for (int outlet = 0; outlet < 500; ++outlet) {
      story.reports.push_back({"outlet-" + std::to_string(outlet), kNow + Seconds(outlet)});
    }
    stories.push_back(std::move(story));
  }
  const DeskPagesText pages = RenderDesk(OneWatch(std::move(stories)));
  // A story is at most 3,000 + 4,000 + 10,000 bytes of escaped text, 20 outlets named, and
  // the markup around them: about 21 KB.
  EXPECT_LT(pages.front.size(), size_t{kDeskFrontStories} * 25'000);
  EXPECT_LT(pages.watches.at("darchiev").size(), size_t{kDeskWatchStories} * 25'000);
  EXPECT_NE(pages.front.find("and 481 more"), std::string::npos);
}

TEST(DeskRender, AWatchWithATokenIsNotOnTheFrontPage) {
  const DeskPagesText pages = RenderDesk(OneWatch({Story("Darchiev in Moscow")}, "token"));
  EXPECT_EQ(pages.front.find("darchiev"), std::string::npos);
  EXPECT_EQ(pages.front.find("Darchiev in Moscow"), std::string::npos);
  EXPECT_NE(pages.watches.at("darchiev").find("Darchiev in Moscow"), std::string::npos);
}

net::HttpListener::Request Get(std::string path, std::string query = "",
                               std::string if_none_match = "") {
  return {std::move(path), std::move(query), std::move(if_none_match), ""};
}

TEST(DeskServe, TokensConditionalGetAndThePolicy) {
  DeskPages desk;
  desk.Configure({{"open", ""}, {"closed", "s3cret"}});
  EXPECT_EQ(desk.Serve(Get("/")).status, 503);
  EXPECT_EQ(desk.Serve(Get("/watch/open")).status, 503);
  desk.Publish({"<p>front</p>", {{"open", "<p>open</p>"}, {"closed", "<p>closed</p>"}}}, kNow);

  const net::HttpListener::Reply front = desk.Serve(Get("/"));
  ASSERT_EQ(front.status, 200);
  EXPECT_EQ(*front.shared_body, "<p>front</p>");
  EXPECT_EQ(front.content_type, "text/html; charset=utf-8");
  std::string etag;
  bool policy = false;
  for (const std::string& header : front.headers) {
    if (header.starts_with("ETag: ")) etag = header.substr(6);
    policy = policy || header.starts_with(
                           "Content-Security-Policy: default-src 'none'; "
                           "style-src 'sha256-");
  }
  EXPECT_TRUE(policy);
  EXPECT_EQ(desk.Serve(Get("/", "", etag)).status, 304);
  // Compared weakly, as a proxy that compresses the page sends it back; one of a list; any.
  EXPECT_EQ(desk.Serve(Get("/", "", "W/" + etag)).status, 304);
  EXPECT_EQ(desk.Serve(Get("/", "", "\"other\", " + etag)).status, 304);
  EXPECT_EQ(desk.Serve(Get("/", "", "*")).status, 304);
  EXPECT_EQ(desk.Serve(Get("/", "", "\"other\"")).status, 200);
  net::HttpListener::Request by_date = Get("/");
  by_date.if_modified_since = "Sat, 01 Jan 2000 00:00:00 GMT";
  EXPECT_EQ(desk.Serve(by_date).status, 200);
  by_date.if_modified_since = "Fri, 01 Jan 2100 00:00:00 GMT";
  EXPECT_EQ(desk.Serve(by_date).status, 304);

  EXPECT_EQ(desk.Serve(Get("/watch/open")).status, 200);
  EXPECT_EQ(desk.Serve(Get("/watch/closed")).status, 404);
  EXPECT_EQ(desk.Serve(Get("/watch/closed", "token=wrong")).status, 404);
  EXPECT_EQ(desk.Serve(Get("/watch/closed", "token=s3cret")).status, 200);
  EXPECT_EQ(desk.Serve(Get("/watch/nothing")).status, 404);
  EXPECT_EQ(desk.Serve(Get("/watch/%zz")).status, 404);

  // A watch dropped by a reload is gone from its page at once.
  desk.Configure({{"open", ""}, {"closed", "s3cret"}});
  EXPECT_EQ(desk.Serve(Get("/")).status, 200);
  desk.Configure({{"open", ""}});
  EXPECT_EQ(desk.Serve(Get("/watch/closed", "token=s3cret")).status, 404);
  // A watch given a token by a reload: the front page that listed it is not served again.
  desk.Publish({"<p>front</p>", {{"open", "<p>open</p>"}}}, kNow);
  desk.Configure({{"open", "now-private"}});
  EXPECT_EQ(desk.Serve(Get("/")).status, 503);
  EXPECT_EQ(desk.Serve(Get("/watch/open")).status, 404);
  EXPECT_EQ(desk.Serve(Get("/watch/open", "token=now-private")).status, 200);
}

// A history of one item every `gap_minutes` over the last `days`, the latest `quiet` ago.
store::PublishingHistory Steady(int days, int gap_minutes, std::chrono::hours quiet) {
  store::PublishingHistory history;
  history.since = kNow - std::chrono::hours(24 * days);
  std::map<std::int32_t, std::int32_t> hours;
  for (TimePoint at = *history.since; at <= kNow - quiet; at += std::chrono::minutes(gap_minutes)) {
    ++hours[static_cast<std::int32_t>(at.time_since_epoch() / std::chrono::hours(1))];
  }
  for (const auto& [hour, items] : hours) history.hours.push_back({hour, items});
  return history;
}

TEST(DeskSilence, AFeedIsSilentAfterEightOfItsUsualGapsAndThreeHoursAtLeast) {
  // A wire publishing every 10 minutes: 2 hours of quiet is not news, 4 hours is.
  EXPECT_FALSE(UnusualSilence(Steady(7, 10, std::chrono::hours(2)), kNow));
  const std::optional<Silence> wire = UnusualSilence(Steady(7, 10, std::chrono::hours(4)), kNow);
  ASSERT_TRUE(wire);
  EXPECT_NEAR(static_cast<double>(wire->usual_gap.count()), 620, 60);
  // A ministry publishing every 4 hours: a night's quiet is usual, two days' is not.
  EXPECT_FALSE(UnusualSilence(Steady(14, 240, std::chrono::hours(12)), kNow));
  EXPECT_TRUE(UnusualSilence(Steady(14, 240, std::chrono::hours(40)), kNow));
  // The gap is measured up to the last item: a 6-hourly feed silent for a week, or for longer
  // than the history's two weeks (not rewritten while nothing comes), is still every 6 hours.
  const std::optional<Silence> week =
      UnusualSilence(Steady(14, 360, std::chrono::hours(7 * 24)), kNow);
  ASSERT_TRUE(week);
  EXPECT_NEAR(static_cast<double>(week->usual_gap.count()), 6 * 3600, 1800);
  const std::optional<Silence> month =
      UnusualSilence(Steady(44, 360, std::chrono::hours(30 * 24)), kNow);
  ASSERT_TRUE(month);
  EXPECT_NEAR(static_cast<double>(month->usual_gap.count()), 6 * 3600, 1800);
  // Too young a history, or too few items, to say.
  EXPECT_FALSE(UnusualSilence(Steady(1, 10, std::chrono::hours(20)), kNow));
  EXPECT_FALSE(UnusualSilence(Steady(7, 24 * 60 * 2, std::chrono::hours(100)), kNow));
  EXPECT_FALSE(UnusualSilence({}, kNow));
}

}  // namespace
}  // namespace feedwatch::daemon
