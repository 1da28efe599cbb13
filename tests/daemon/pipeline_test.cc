// The `once` pipeline, from fetched feeds to console alerts, through the Daemon on a real SQLite
// file. The feeds come from a scripted HTTP client: what is under test here is what happens to
// a feed after it arrives (polling_test.cc tests HTTP against a real server).
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "config/config.h"
#include "tests/daemon/log_capture.h"
#include "tests/daemon/run_daemon.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;

// 2025-04-12T12:00:00Z: after every fixture item.
const TimePoint kNow{Seconds(1'744'459'200)};

struct Alert {
  std::string watch, feed, title, snippet;
  auto operator<=>(const Alert&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Alert& a) {
  return out << "{" << a.watch << ", " << a.feed << ", " << a.title << ", " << a.snippet << "}";
}

// The console lines "time \\t watch \\t feed \\t title \\t link \\t snippet" as alerts.
std::set<Alert> ParseConsole(const std::string& text) {
  std::set<Alert> alerts;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream parts(line);
    for (std::string field; std::getline(parts, field, '\t');) fields.push_back(field);
    EXPECT_EQ(fields.size(), 6u) << line;
    if (fields.size() == 6) alerts.insert({fields[1], fields[2], fields[3], fields[5]});
  }
  return alerts;
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string en = testing::ReadFile(testing::DataDir() / "feeds" / "talks-en.rss");
    const std::string ru = testing::ReadFile(testing::DataDir() / "feeds" / "talks-ru.atom");
    http_.Serve(Url("/en.rss"), en);
    http_.Serve(Url("/ru.atom"), ru, "application/atom+xml");
    http_.On(Url("/500"), [](const net::Request&) {
      return Result<net::Response>(testing::FakeHttpClient::Reply(500, "internal error"));
    });
    http_.Serve(Url("/not-xml"), "Service temporarily unavailable, try later", "text/plain");
    http_.Stall(Url("/slow"));
  }

  static std::string Url(const std::string& path) { return "http://feeds.example" + path; }

  std::string FeedToml(const std::string& name, const std::string& path) const {
    return "[[feed]]\nname = \"" + name + "\"\nurl = \"" + Url(path) + "\"\n";
  }

  std::string ConfigText(const std::string& extra_feeds = "",
                         const std::string& lookback = "all") const {
    return "[http]\ntimeout = \"1s\"\n[defaults]\ninitial_lookback = \"" + lookback +
           "\"\n[[notify]]\nname = \"console\"\ntype = \"console\"\n" +
           FeedToml("wire-en", "/en.rss") + FeedToml("lenta-ru", "/ru.atom") + extra_feeds + R"(
[[watch]]
name = "darchiev"
query = 'Darchiev OR Darchiyev OR Дарчиев*'
[[watch]]
name = "moscow-round"
query = '"Moscow round" OR "раунд* консультаций" OR "московск* раунд*"'
[[watch]]
name = "property"
query = '"diplomatic propert*" OR дипсобственност*'
)";
  }

  // One `feedwatch once` on `config_text` against the database in dir_, alerts written to `out`.
  void RunOnceTo(const std::string& config_text, std::FILE* out) {
    RunOnce(config_text, {.dir = dir_.path(), .clock = &clock_, .http = &http_, .console = out});
  }

  // The same, returning the console output.
  std::string RunOnceText(const std::string& config_text) {
    char* buffer = nullptr;
    size_t size = 0;
    std::FILE* out = open_memstream(&buffer, &size);
    RunOnceTo(config_text, out);
    std::fclose(out);
    std::string text(buffer, size);
    std::free(buffer);
    return text;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_{kNow};
  testing::FakeHttpClient http_{clock_};
  testing::LogCapture log_;
};

const std::set<Alert> kExpectedAlerts = {
    {"darchiev", "wire-en", "Darchiev presents credentials at the White House",
     "**Darchiev** presents credentials at the White House"},
    {"property", "wire-en", "Moscow wants its diplomatic property back",
     "Moscow wants its **diplomatic property** back"},
    // The match is in the content: the snippet says why an unlikely title alerted.
    {"moscow-round", "wire-en", "Markets close higher",
     "Traders also discussed the **Moscow round** of consultations."},
    {"darchiev", "lenta-ru", "Встреча с Дарчиевым прошла в Госдепартаменте",
     "Встреча с **Дарчиевым** прошла в Госдепартаменте"},
    {"moscow-round", "lenta-ru", "Следующий раунд консультаций по раздражителям пройдёт в Москве",
     "Следующий **раунд консультаций** по раздражителям пройдёт в Москве"},
};

TEST_F(PipelineTest, FirstRunAlertsExactlyTheMatchesAndSecondRunNothing) {
  const std::string first = RunOnceText(ConfigText());
  EXPECT_EQ(ParseConsole(first), kExpectedAlerts) << first;
  EXPECT_EQ(std::count(first.begin(), first.end(), '\n'), 5) << first;

  clock_.Advance(Seconds(3600));
  const std::string second = RunOnceText(ConfigText());
  EXPECT_EQ(second, "");
}

TEST_F(PipelineTest, BrokenFeedsAreLoggedWithTheReasonWhileTheOthersAlert) {
  const std::string broken =
      FeedToml("broken-500", "/500") + FeedToml("not-xml", "/not-xml") + FeedToml("slow", "/slow");
  const std::string output = RunOnceText(ConfigText(broken));
  EXPECT_EQ(ParseConsole(output), kExpectedAlerts) << output;

  const std::string log = log_.str();
  EXPECT_NE(log.find("feed broken-500: HTTP 500 (" + Url("/500") + ")"), std::string::npos) << log;
  EXPECT_NE(log.find("feed not-xml: not a feed: neither XML nor JSON"), std::string::npos) << log;
  EXPECT_NE(log.find("feed slow: timed out after 1000 ms"), std::string::npos) << log;

  const auto store = std::move(*store::Store::Open(dir_.path() / "feedwatch.db"));
  EXPECT_EQ(store->GetFeedState("broken-500")->last_error, "HTTP 500");
  EXPECT_EQ(store->GetFeedState("slow")->consecutive_failures, 1);
  EXPECT_EQ(store->GetFeedState("wire-en")->consecutive_failures, 0);
}

TEST_F(PipelineTest, FirstPollOfANewFeedAlertsOnlyWithinTheLookback) {
  // 48 h before kNow is 2025-04-10T12:00Z: the wire's March item is too old; its April item,
  // its undated item and every Russian item may alert.
  const std::set<Alert> alerts = ParseConsole(RunOnceText(ConfigText("", "48h")));
  std::set<Alert> expected = kExpectedAlerts;
  expected.erase({"darchiev", "wire-en", "Darchiev presents credentials at the White House",
                  "**Darchiev** presents credentials at the White House"});
  EXPECT_EQ(alerts, expected);
  // The old item was remembered, not dropped: it does not alert on a later poll either.
  clock_.Advance(Seconds(3600));
  EXPECT_EQ(RunOnceText(ConfigText("", "48h")), "");
}

TEST_F(PipelineTest, ARestartRetriesDeliveriesLeftInTheOutbox) {
  // A first run whose console notifier cannot write: the matches are committed, the deliveries
  // stay pending.
  std::FILE* unwritable = std::fopen("/dev/full", "w");
  ASSERT_NE(unwritable, nullptr);
  RunOnceTo(ConfigText(), unwritable);
  std::fclose(unwritable);
  EXPECT_EQ((*store::Store::Open(dir_.path() / "feedwatch.db"))
                ->DueDeliveries(kNow + Seconds(3600), 100, kNow + Seconds(3600))
                ->size(),
            5u);
  EXPECT_NE(log_.str().find("failed (attempt 1): console: No space left on device"),
            std::string::npos)
      << log_.str();
  // After the retry delay, the next run sends them all; no item is new, so none is re-matched.
  clock_.Advance(Seconds(60));
  EXPECT_EQ(ParseConsole(RunOnceText(ConfigText())), kExpectedAlerts);
}

// The report this project started from (TRT World, 11 June 2025), written for this test: one
// article about all three subjects, with the closing paragraph on Ukraine and sanctions real
// reports carry. Each notifier gets one message naming the three watches, with a snippet about
// each one's subject.
TEST_F(PipelineTest, OneArticleMatchingThreeWatchesIsOneMessagePerNotifier) {
  http_.Serve(Url("/trt.rss"), R"(<rss version="2.0"><channel><title>TRT World</title>
<item><title>Third round of Russia-US talks in Moscow soon: Russian ambassador</title>
<link>https://www.trtworld.com/world/third-round-of-russia-us-talks-in-moscow-soon</link>
<guid>trt-18313202</guid><pubDate>Wed, 11 Jun 2025 09:40:00 GMT</pubDate>
<description>Alexander Darchiev says the sides will focus on 'irritants' in the bilateral relations, and
that Moscow wants Russian diplomatic property confiscated in the US back.</description>
<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[
<p>Alexander Darchiev says the sides will focus on 'irritants' in the bilateral relations, and
that Moscow wants Russian diplomatic property confiscated in the US back.</p>
<p>The first two rounds were held in Istanbul.</p>
<p>Meanwhile, Ukraine said Russia had launched more than 400 drones overnight, and EU ministers
failed to agree on new sanctions against Moscow. Kyiv was not on the agenda of the talks.</p>
]]></content:encoded>
</item></channel></rss>)");
  std::vector<std::string> bodies;
  http_.On("http://hooks.example/in", [&](const net::Request& request) {
    bodies.push_back(request.post_body.value_or(""));
    return Result<net::Response>(testing::FakeHttpClient::Reply(204));
  });
  testing::WriteFile(dir_.path() / "hook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
  // The example configuration's three watches, sending to the console and a webhook.
  const std::string example =
      testing::ReadFile(testing::SourceDir() / "config" / "feedwatch.example.toml");
  std::string watches = example.substr(example.find("\n[terms]\n") + 1);
  watches = watches.substr(0, watches.find("[[notify]]"));
  for (size_t at = 0; (at = watches.find("notify = [\"console\"]", at)) != std::string::npos;) {
    watches.replace(at, 20, "notify = [\"console\", \"hook\"]");
    at += 20;
  }
  const std::string config =
      "[defaults]\ninitial_lookback = \"all\"\n[[notify]]\nname = \"console\"\ntype = "
      "\"console\"\n[[notify]]\nname = \"hook\"\ntype = \"webhook\"\nurl = "
      "\"http://hooks.example/in\"\nsecret_file = \"hook-secret\"\n" +
      FeedToml("trtworld", "/trt.rss") + watches;
  const std::string console = RunOnceText(config);

  // The console: one line, naming the three watches.
  EXPECT_EQ(std::count(console.begin(), console.end(), '\n'), 1) << console;
  EXPECT_NE(console.find("\tdarchiev,moscow-round,diplomatic-property\ttrtworld\t"),
            std::string::npos)
      << console;
  // The webhook: one POST, one alert with every watch and each one's snippet.
  ASSERT_EQ(bodies.size(), 1u);
  const nlohmann::json payload = nlohmann::json::parse(bodies[0]);
  const nlohmann::json& alert = payload["data"]["alerts"][0];
  EXPECT_EQ(payload["data"]["alerts"].size(), 1u) << payload.dump(2);
  EXPECT_EQ(alert["watches"], (nlohmann::json{"darchiev", "moscow-round", "diplomatic-property"}));
  EXPECT_EQ(alert["watch"], "darchiev");  // as before, for receivers that read one
  std::map<std::string, std::string> snippets;
  for (const nlohmann::json& match : alert["matches"]) snippets[match["watch"]] = match["snippet"];
  EXPECT_NE(snippets["darchiev"].find("**Alexander Darchiev**"), std::string::npos)
      << snippets["darchiev"];
  EXPECT_NE(snippets["moscow-round"].find("round"), std::string::npos) << snippets["moscow-round"];
  EXPECT_NE(snippets["moscow-round"].find("**in Moscow**"), std::string::npos)
      << snippets["moscow-round"];
  EXPECT_NE(snippets["diplomatic-property"].find("**diplomatic property**"), std::string::npos)
      << snippets["diplomatic-property"];
  // The matched terms as data, beside the one-line string kept for older receivers.
  const nlohmann::json& darchiev = alert["matches"][0];
  EXPECT_EQ(darchiev["watch"], "darchiev");
  const nlohmann::json name_hit = {
      {"field", "summary"}, {"term", "\"Alexander Darchiev\""}, {"text", "Alexander Darchiev"}};
  EXPECT_NE(std::find(darchiev["hits"].begin(), darchiev["hits"].end(), name_hit),
            darchiev["hits"].end())
      << darchiev.dump(2);
  EXPECT_EQ(alert["hits"], darchiev["hits"]);
  EXPECT_EQ(alert["terms"], darchiev["terms"]);
  // The lede stays plain text in the payload.
  EXPECT_EQ(alert["summary"].get<std::string>().find("**"), std::string::npos);
}

// Issue 34: an operator saw "…and **US** to resume…" for this headline, without "Muscat". A
// title of normal length is its watches' snippet whole, hits marked, wherever a notifier shows
// the snippet: the console, the JSON webhook, and the chat formats (which show the snippet when
// the item has no summary to quote).
TEST_F(PipelineTest, ATitleIsTheSnippetWholeInEveryNotifier) {
  const std::string title = "Iran and US to resume indirect nuclear talks in Muscat next week";
  http_.Serve(Url("/wire.rss"), "<rss version=\"2.0\"><channel><title>Wire</title><item><title>" +
                                    title +
                                    "</title><link>https://wire.test/iran-us</link>"
                                    "<guid>w-1</guid></item></channel></rss>");
  std::map<std::string, std::string> bodies;  // by notifier
  const std::vector<std::pair<std::string, std::string>> hooks = {
      {"json", "http://hooks.example/json"},
      {"slack", "http://hooks.example/slack"},
      {"discord", "http://hooks.example/discord"},
      {"ntfy", "http://hooks.example/ntfy"},
      {"telegram", "http://tg.example/bot1:x/sendMessage"}};
  std::string notifiers = "[[notify]]\nname = \"console\"\ntype = \"console\"\n";
  for (const auto& [format, url] : hooks) {
    http_.On(url, [&bodies, format = format](const net::Request& request) {
      bodies[format] = request.post_body.value_or("");
      return Result<net::Response>(testing::FakeHttpClient::Reply(200, "{\"ok\": true}"));
    });
    notifiers += "[[notify]]\nname = \"" + format + "\"\ntype = \"webhook\"\n";
    if (format == "telegram") {
      notifiers +=
          "format = \"telegram\"\nurl = \"http://tg.example\"\nchat = \"@desk\"\n"
          "token_file = \"tg-token\"\n";
    } else {
      notifiers +=
          "url = \"" + url + "\"\n" + (format == "json" ? "" : "format = \"" + format + "\"\n");
    }
  }
  testing::WriteFile(dir_.path() / "tg-token", "1:x\n");
  const std::string console = RunOnceText(
      "[defaults]\ninitial_lookback = \"all\"\n" + notifiers + FeedToml("wire", "/wire.rss") +
      "[[watch]]\nname = \"us\"\nquery = 'US'\n"
      "[[watch]]\nname = \"iran-talks\"\nquery = 'Iran AND talks'\n");
  const std::string us = "Iran and **US** to resume indirect nuclear talks in Muscat next week";
  const std::string iran_talks =
      "**Iran** and US to resume indirect nuclear **talks** in Muscat next week";
  // An alert names both watches and shows the first one's snippet; which watch comes first
  // is the order of its deliveries to that notifier.
  const auto has_either = [&](const std::string& text, std::string_view open,
                              std::string_view close) {
    const auto marked = [&](std::string_view snippet) {
      std::string out;
      bool inside = false;
      for (size_t from = 0, at; from <= snippet.size(); from = at + 2, inside = !inside) {
        at = std::min(snippet.find("**", from), snippet.size());
        out += snippet.substr(from, at - from);
        if (at < snippet.size()) out += inside ? close : open;
      }
      return out;
    };
    return text.find(marked(us)) != std::string::npos ||
           text.find(marked(iran_talks)) != std::string::npos;
  };
  EXPECT_TRUE(has_either(console, "**", "**")) << console;
  ASSERT_EQ(bodies.size(), hooks.size()) << log_.str();
  const nlohmann::json payload = nlohmann::json::parse(bodies["json"]);
  const nlohmann::json& alert = payload["data"]["alerts"][0];
  std::map<std::string, std::string> snippets;
  for (const nlohmann::json& match : alert["matches"]) snippets[match["watch"]] = match["snippet"];
  EXPECT_EQ(snippets, (std::map<std::string, std::string>{{"us", us}, {"iran-talks", iran_talks}}))
      << bodies["json"];
  EXPECT_TRUE(has_either(alert["snippet"].get<std::string>(), "**", "**")) << bodies["json"];
  EXPECT_TRUE(
      has_either(nlohmann::json::parse(bodies["slack"])["text"].get<std::string>(), "*", "*"))
      << bodies["slack"];
  EXPECT_TRUE(has_either(nlohmann::json::parse(bodies["discord"])["content"].get<std::string>(),
                         "\\*\\*", "\\*\\*"))
      << bodies["discord"];
  EXPECT_TRUE(has_either(bodies["ntfy"], "**", "**")) << bodies["ntfy"];
  EXPECT_TRUE(has_either(nlohmann::json::parse(bodies["telegram"])["text"].get<std::string>(),
                         "<b>", "</b>"))
      << bodies["telegram"];
}

TEST_F(PipelineTest, ADigestListsAnArticleOnceWithAllItsWatches) {
  // Two wire items: one about the round and the property, one about Darchiev alone.
  http_.Serve(Url("/wire.rss"), R"(<rss version="2.0"><channel><title>Wire</title>
<item><title>US delegation arrives in Moscow</title><guid>w-1</guid>
<description>The sides will hold a round of consultations on irritants, including the return of
Russian diplomatic property seized in the US.</description></item>
<item><title>Ambassador Darchiev meets State Department officials</title><guid>w-2</guid></item>
</channel></rss>)");
  const std::string config =
      "[defaults]\ninitial_lookback = \"all\"\n[[notify]]\nname = \"desk\"\ntype = "
      "\"console\"\ndigest = \"hourly\"\n" +
      FeedToml("wire", "/wire.rss") + R"(
[[watch]]
name = "darchiev"
query = 'Darchiev'
notify = ["desk"]
[[watch]]
name = "round"
query = 'round NEAR/8 Moscow'
notify = ["desk"]
[[watch]]
name = "property"
query = '"diplomatic property"'
notify = ["desk"]
)";
  clock_.Advance(Seconds(1800));       // 12:30
  EXPECT_EQ(RunOnceText(config), "");  // due at the top of the hour
  clock_.Advance(Seconds(3600));
  const std::string digest = RunOnceText(config);
  EXPECT_EQ(std::count(digest.begin(), digest.end(), '\n'), 2) << digest;
  EXPECT_NE(digest.find("\tround,property\twire\tUS delegation arrives in Moscow\t"),
            std::string::npos)
      << digest;
  EXPECT_NE(digest.find("\tdarchiev\twire\tAmbassador Darchiev meets"), std::string::npos)
      << digest;
}

}  // namespace
}  // namespace feedwatch::daemon
