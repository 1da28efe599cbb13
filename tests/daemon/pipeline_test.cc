// The `once` pipeline against a real HTTP server on 127.0.0.1 and a real SQLite file.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <sstream>
#include <thread>

#include "config/config.h"
#include "daemon/engine.h"
#include "tests/daemon/log_capture.h"
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
    httplib::Server& server = server_.server();
    server.Get("/en.rss", [en](const httplib::Request&, httplib::Response& res) {
      res.set_content(en, "application/rss+xml");
    });
    server.Get("/ru.atom", [ru](const httplib::Request&, httplib::Response& res) {
      res.set_content(ru, "application/atom+xml");
    });
    server.Get("/500", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content("internal error", "text/plain");
    });
    server.Get("/not-xml", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("Service temporarily unavailable, try later", "text/plain");
    });
    server.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      for (int i = 0; i < 100 && !stop_; ++i) std::this_thread::sleep_for(50ms);
      res.set_content("<rss/>", "application/rss+xml");
    });
    server_.Start();
  }

  void TearDown() override { stop_ = true; }

  std::string FeedToml(const std::string& name, const std::string& path) const {
    return "[[feed]]\nname = \"" + name + "\"\nurl = \"" + server_.Url(path) + "\"\n";
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
    const Result<config::Config> config =
        config::LoadConfigText(config_text, dir_.path() / "feedwatch.toml");
    ASSERT_TRUE(config.ok()) << config.error().message;
    Result<std::unique_ptr<store::Store>> store = store::Store::Open(dir_.path() / "feedwatch.db");
    ASSERT_TRUE(store.ok()) << store.error().message;
    notify::ConsoleNotifier console(out);
    const std::unique_ptr<net::HttpClient> http = net::HttpClient::Create({});
    Engine engine(*config, **store, *http, clock_, {{"console", &console}});
    const Status loaded = engine.LoadSchedule(/*spread_start=*/false);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    RunLoop(engine, *http, clock_, /*signal_fd=*/-1, /*forever=*/false);
  }

  // The same, returning the console output.
  std::string RunOnce(const std::string& config_text) {
    char* buffer = nullptr;
    size_t size = 0;
    std::FILE* out = open_memstream(&buffer, &size);
    RunOnceTo(config_text, out);
    std::fclose(out);
    std::string text(buffer, size);
    std::free(buffer);
    return text;
  }

  std::atomic<bool> stop_{false};
  testing::LoopbackServer server_;
  testing::TempDir dir_;
  testing::FakeClock clock_{kNow};
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
  const std::string first = RunOnce(ConfigText());
  EXPECT_EQ(ParseConsole(first), kExpectedAlerts) << first;
  EXPECT_EQ(std::count(first.begin(), first.end(), '\n'), 5) << first;

  clock_.Advance(Seconds(3600));
  const std::string second = RunOnce(ConfigText());
  EXPECT_EQ(second, "");
}

TEST_F(PipelineTest, BrokenFeedsAreLoggedWithTheReasonWhileTheOthersAlert) {
  const std::string broken =
      FeedToml("broken-500", "/500") + FeedToml("not-xml", "/not-xml") + FeedToml("slow", "/slow");
  const std::string output = RunOnce(ConfigText(broken));
  EXPECT_EQ(ParseConsole(output), kExpectedAlerts) << output;

  const std::string log = log_.str();
  EXPECT_NE(log.find("feed broken-500: HTTP 500 (" + server_.Url("/500") + ")"), std::string::npos)
      << log;
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
  const std::set<Alert> alerts = ParseConsole(RunOnce(ConfigText("", "48h")));
  std::set<Alert> expected = kExpectedAlerts;
  expected.erase({"darchiev", "wire-en", "Darchiev presents credentials at the White House",
                  "**Darchiev** presents credentials at the White House"});
  EXPECT_EQ(alerts, expected);
  // The old item was remembered, not dropped: it does not alert on a later poll either.
  clock_.Advance(Seconds(3600));
  EXPECT_EQ(RunOnce(ConfigText("", "48h")), "");
}

TEST_F(PipelineTest, ARestartRetriesDeliveriesLeftInTheOutbox) {
  // A first run whose console notifier cannot write: the matches are committed, the deliveries
  // stay pending.
  std::FILE* unwritable = std::fopen("/dev/full", "w");
  ASSERT_NE(unwritable, nullptr);
  RunOnceTo(ConfigText(), unwritable);
  std::fclose(unwritable);
  EXPECT_EQ((*store::Store::Open(dir_.path() / "feedwatch.db"))
                ->DueDeliveries(kNow + Seconds(3600), 100)
                ->size(),
            5u);
  EXPECT_NE(log_.str().find("failed (attempt 1): console: No space left on device"),
            std::string::npos)
      << log_.str();
  // After the retry delay, the next run sends them all; no item is new, so none is re-matched.
  clock_.Advance(Seconds(60));
  EXPECT_EQ(ParseConsole(RunOnce(ConfigText())), kExpectedAlerts);
}

}  // namespace
}  // namespace feedwatch::daemon
