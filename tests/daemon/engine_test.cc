// What the engine does with each kind of answer, and when it polls: conditional GET, unchanged
// bodies, Retry-After, backoff, 410 Gone, the per-host limit, the spread first cycle and the
// feed's own schedule hints. Through the Daemon on a real SQLite file, with a scripted HTTP
// client in fake time: no server, no sleeps. polling_test.cc keeps what needs real HTTP.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <set>

#include "daemon/schedule.h"
#include "store/store.h"
#include "tests/daemon/log_capture.h"
#include "tests/daemon/run_daemon.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;
using testing::FakeHttpClient;

constexpr TimePoint kNow{Seconds(1'750'000'000)};  // 2025-06-15T15:06:40Z, a Sunday
constexpr Seconds kInterval{600};
const std::string kUrl = "http://feeds.example/rss";

const std::string kRss = R"(<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>one</title><guid>1</guid></item></channel></rss>)";

Result<net::Response> Answer(long status, std::string body = "",
                             std::vector<std::pair<std::string, std::string>> headers = {}) {
  return FakeHttpClient::Reply(status, std::move(body), std::move(headers));
}

// The id a mail's Message-ID header carries (before the '@').
std::string MessageId(const net::MailRequest& request) {
  const size_t at = request.message.find("Message-ID: <") + 13;
  return request.message.substr(at, request.message.find('@', at) - at);
}

class EngineTest : public ::testing::Test {
 protected:
  static std::string Feed(const std::string& name, const std::string& url,
                          const std::string& interval = "10m") {
    return "[[feed]]\nname = \"" + name + "\"\nurl = \"" + url + "\"\ninterval = \"" + interval +
           "\"\n";
  }

  std::string Config(const std::string& feeds, const std::string& http = "") const {
    return "[http]\ntimeout = \"5s\"\n" + http + "[defaults]\nmax_backoff = \"6h\"\n" + feeds;
  }

  // One `feedwatch once` over `feeds`.
  void PollOnce(const std::string& feeds, const std::string& http = "") {
    RunOnce(Config(feeds, http), {.dir = dir_.path(), .clock = &clock_, .http = &http_});
  }

  store::FeedState State(const std::string& name) {
    auto store = store::Store::Open(dir_.path() / "feedwatch.db");
    return *(*store)->GetFeedState(name);
  }

  // `feedwatch run` on kUrl (polled every minute), mailing every story about Darchiev through
  // the scripted client's SMTP.
  std::unique_ptr<Daemon> MailingDaemon() {
    return MakeDaemon(
        Config(Feed("f", kUrl, "1m")) +
            "[smtp]\nurl = \"smtp://127.0.0.1:2525\"\nfrom = \"alerts@example.org\"\n"
            "[[notify]]\nname = \"desk\"\ntype = \"email\"\nto = [\"desk@example.org\"]\n"
            "[[watch]]\nname = \"darchiev\"\nquery = \"Darchiev\"\n",
        {.dir = dir_.path(), .clock = &clock_, .http = &http_, .forever = true});
  }

  // Seconds from the last attempt to the next one.
  int64_t Delay(const std::string& name) {
    const store::FeedState state = State(name);
    return (*state.next_due_at - *state.last_attempt_at).count();
  }

  testing::TempDir dir_;
  testing::FakeClock clock_{kNow};
  FakeHttpClient http_{clock_};
  testing::LogCapture log_;
};

TEST_F(EngineTest, NotModifiedCostsNoParseAndSendsTheValidatorsBack) {
  http_.On(kUrl, [](const net::Request& request) {
    if (FakeHttpClient::Header(request, "If-None-Match") == "\"v1\"") return Answer(304);
    return Answer(200, kRss,
                  {{"etag", "\"v1\""}, {"last-modified", "Wed, 11 Jun 2025 06:00:00 GMT"}});
  });
  PollOnce(Feed("f", kUrl));
  EXPECT_EQ(State("f").last_status, "200");
  EXPECT_EQ(State("f").etag, "\"v1\"");
  clock_.Advance(kInterval);
  PollOnce(Feed("f", kUrl));
  const net::Request& second = http_.requests().back();
  EXPECT_EQ(FakeHttpClient::Header(second, "If-None-Match"), "\"v1\"");
  EXPECT_EQ(FakeHttpClient::Header(second, "If-Modified-Since"), "Wed, 11 Jun 2025 06:00:00 GMT");
  const store::FeedState state = State("f");
  EXPECT_EQ(state.last_status, "304 not modified");
  EXPECT_EQ(state.last_success_at, clock_.Now());
  EXPECT_EQ(state.consecutive_failures, 0);
}

TEST_F(EngineTest, AnUnchangedBodyWithoutValidatorsIsNotParsedAgain) {
  http_.Serve(kUrl, kRss);
  PollOnce(Feed("f", kUrl));
  EXPECT_EQ(State("f").last_status, "200");
  PollOnce(Feed("f", kUrl));
  EXPECT_EQ(State("f").last_status, "200 unchanged");
}

TEST_F(EngineTest, RetryAfterOn429IsHonoured) {
  http_.On(kUrl, [](const net::Request&) { return Answer(429, "", {{"retry-after", "7200"}}); });
  PollOnce(Feed("f", kUrl));
  EXPECT_EQ(State("f").last_status, "HTTP 429");
  EXPECT_GE(Delay("f"), 7200);  // never sooner than asked; jitter only lengthens it
  EXPECT_LE(Delay("f"), 7200 * 11 / 10);
}

TEST_F(EngineTest, BackoffDoublesOnFailuresAndResetsOnSuccess) {
  bool failing = true;
  http_.On(kUrl, [&](const net::Request&) { return failing ? Answer(500) : Answer(200, kRss); });
  int64_t expected = kInterval.count();
  for (int failure = 1; failure <= 4; ++failure) {
    PollOnce(Feed("f", kUrl));
    EXPECT_EQ(State("f").consecutive_failures, failure);
    EXPECT_GE(Delay("f"), expected * 9 / 10) << failure;
    EXPECT_LE(Delay("f"), expected * 11 / 10) << failure;
    clock_.Advance(Seconds(Delay("f")));
    expected *= 2;
  }
  failing = false;
  PollOnce(Feed("f", kUrl));
  EXPECT_EQ(State("f").consecutive_failures, 0);
  EXPECT_LE(Delay("f"), kInterval.count() * 11 / 10);
}

TEST_F(EngineTest, TheFailingFeedsGaugeFollowsEachPollNotTheNextHousekeeping) {
  bool failing = true;
  http_.On(kUrl, [&](const net::Request&) { return failing ? Answer(500) : Answer(200, kRss); });
  const std::unique_ptr<Daemon> daemon =
      MakeDaemon(Config(Feed("f", kUrl, "1m") + Feed("g", "http://feeds.example/g", "1m")),
                 {.dir = dir_.path(), .clock = &clock_, .http = &http_, .forever = true});
  http_.Serve("http://feeds.example/g", kRss);
  ASSERT_NE(daemon, nullptr);
  const auto failing_gauge = [&] {
    const std::string text = daemon->metrics().Render();
    const size_t at = text.find("\nfeedwatch_feeds_failing ");
    return at == std::string::npos ? -1 : std::stoi(text.substr(at + 25));
  };
  // The first cycle spreads the polls over two minutes; the gauge moves with the failing one
  // whenever it falls, without waiting for the 5 s housekeeping.
  for (int second = 0; second < 130 && failing_gauge() == 0; ++second) {
    daemon->Run(-1, nullptr, clock_.Monotonic() + 1s);
    if (State("f").consecutive_failures > 0) {
      EXPECT_EQ(failing_gauge(), 1) << "right after the failed poll";
      break;
    }
  }
  ASSERT_EQ(failing_gauge(), 1);
  failing = false;
  for (int second = 0; second < 200 && State("f").consecutive_failures > 0; ++second) {
    daemon->Run(-1, nullptr, clock_.Monotonic() + 1s);
  }
  EXPECT_EQ(State("f").consecutive_failures, 0);
  EXPECT_EQ(failing_gauge(), 0);
}

TEST_F(EngineTest, AMailServerBackSendsTheBacklogRightAfterItsFirstSuccess) {
  // The server is down for the first alert (tried at once and 30 s later: next try in about
  // a minute); it is back when a second story comes. That alert's success brings the first
  // forward: it goes out at once, not at its next retry time.
  bool down = true;
  std::vector<std::pair<Seconds, std::string>> mails;  // when, and the message id
  const TimePoint start = clock_.Now();
  http_.OnMail([&](const net::MailRequest& request) {
    mails.emplace_back(std::chrono::duration_cast<Seconds>(clock_.Now() - start),
                       MessageId(request));
    if (down) return Result<net::Response>(Error::Network("Connection refused"));
    return Answer(250);
  });
  const auto rss = [](int items) {
    std::string text = R"(<rss version="2.0"><channel><title>t</title>)";
    for (int i = 1; i <= items; ++i) {
      text += "<item><title>" +
              std::string(i == 1 ? "Darchiev meets senators" : "Darchiev lays a wreath") +
              "</title><guid>" + std::to_string(i) + "</guid></item>";
    }
    return text + "</channel></rss>";
  };
  int items = 1;
  http_.On(kUrl, [&](const net::Request&) { return Answer(200, rss(items)); });
  const std::unique_ptr<Daemon> daemon = MailingDaemon();
  ASSERT_NE(daemon, nullptr);
  // Until the first alert has failed twice.
  for (int second = 0; second < 300 && mails.size() < 2; ++second) {
    daemon->Run(-1, nullptr, clock_.Monotonic() + 1s);
  }
  ASSERT_EQ(mails.size(), 2u);
  const std::string first = mails[0].second;
  EXPECT_EQ(mails[1].second, first);
  down = false;
  items = 2;
  // Until the second alert is sent, and a second more.
  size_t sent_second = 0;
  for (int second = 0; second < 120 && sent_second == 0; ++second) {
    daemon->Run(-1, nullptr, clock_.Monotonic() + 1s);
    for (size_t i = 2; i < mails.size(); ++i) {
      if (mails[i].second != first) sent_second = i;
    }
  }
  ASSERT_NE(sent_second, 0u);
  daemon->Run(-1, nullptr, clock_.Monotonic() + 1s);
  ASSERT_EQ(mails.size(), sent_second + 2) << log_.str();
  EXPECT_EQ(mails.back().second, first);
  EXPECT_LE(mails.back().first - mails[sent_second].first, Seconds(1)) << log_.str();
  EXPECT_NE(log_.str().find("notifier desk: answering again; bringing forward 1 delivery"),
            std::string::npos)
      << log_.str();
}

TEST_F(EngineTest, AMessageTheServerRefusesAloneKeepsItsBackoffWhileOthersGoOut) {
  // The server answers, but refuses one message every time (a temporary 4xx): the others'
  // successes bring it forward once at most, not after every success.
  std::map<std::string, int> attempts;  // by message id
  std::string refused;
  http_.OnMail([&](const net::MailRequest& request) {
    const std::string message = MessageId(request);
    ++attempts[message];
    if (refused.empty()) refused = message;
    if (message == refused) return Result<net::Response>(Error::Network("SMTP 451: try later"));
    return Answer(250);
  });
  static constexpr std::array<std::string_view, 12> kTitles = {
      "Darchiev meets senators",     "Darchiev lays a wreath",     "Darchiev visits Houston",
      "Darchiev and the visa queue", "Darchiev hosts a reception", "Darchiev on flights",
      "Darchiev answers the press",  "Darchiev in New York",       "Darchiev signs a book",
      "Darchiev at a think tank",    "Darchiev meets students",    "Darchiev calls Landau"};
  size_t items = 1;
  http_.On(kUrl, [&](const net::Request&) {
    std::string text = R"(<rss version="2.0"><channel><title>t</title>)";
    for (size_t i = 0; i < items; ++i) {
      text += "<item><title>" + std::string(kTitles[i]) + "</title><guid>" + std::to_string(i) +
              "</guid></item>";
    }
    items = std::min(items + 1, kTitles.size());  // a new story every poll
    return Answer(200, text + "</channel></rss>");
  });
  const std::unique_ptr<Daemon> daemon = MailingDaemon();
  ASSERT_NE(daemon, nullptr);
  for (int second = 0; second < 600; ++second) daemon->Run(-1, nullptr, clock_.Monotonic() + 1s);
  ASSERT_FALSE(refused.empty());
  EXPECT_GE(attempts.size(), 8u) << "the other stories went out";
  // Its own backoff over ten minutes (30 s, 1, 2, 4 min: 5 tries), and one bring-forward.
  EXPECT_LE(attempts[refused], 6) << log_.str();
}

TEST_F(EngineTest, ErrorsAreRecordedByKind) {
  http_.Stall("http://feeds.example/stall");
  http_.On("http://feeds.example/big",
           [](const net::Request&) { return Result<net::Response>(Error::TooLarge("too big")); });
  http_.Serve("http://feeds.example/html", "<html><body>Not a feed", "text/html");
  PollOnce(Feed("stall", "http://feeds.example/stall") + Feed("big", "http://feeds.example/big") +
           Feed("html", "http://feeds.example/html") +
           Feed("refused", "http://feeds.example/nothing"));
  EXPECT_EQ(State("stall").last_status, "timeout");
  EXPECT_EQ(State("stall").last_error, "timed out after 5000 ms");
  EXPECT_EQ(State("big").last_status, "too large");
  EXPECT_EQ(State("html").last_status, "unreadable");
  EXPECT_EQ(State("refused").last_status, "network error");
  for (const char* name : {"stall", "big", "html", "refused"}) {
    EXPECT_EQ(State(name).consecutive_failures, 1) << name;
  }
}

TEST_F(EngineTest, GoneDisablesTheFeedUntilItsUrlChanges) {
  const std::string gone = "http://feeds.example/gone";
  http_.On(gone, [](const net::Request&) { return Answer(410); });
  http_.Serve(kUrl, kRss);
  PollOnce(Feed("f", gone));
  EXPECT_TRUE(State("f").gone);
  EXPECT_EQ(State("f").last_status, "410 gone");
  clock_.Advance(kInterval);
  PollOnce(Feed("f", gone));
  EXPECT_EQ(http_.Hits(gone), 1);  // not polled again
  PollOnce(Feed("f", kUrl));       // the operator fixed the URL
  EXPECT_FALSE(State("f").gone);
  EXPECT_EQ(State("f").last_status, "200");
}

TEST_F(EngineTest, FeedsOnOneHostNeverExceedThePerHostLimit) {
  std::string feeds;
  for (int i = 0; i < 8; ++i) {
    const std::string url = "http://feeds.example/feed/" + std::to_string(i);
    http_.Serve(url, kRss);
    feeds += Feed("f" + std::to_string(i), url);
  }
  PollOnce(feeds, "per_host = 2\n");
  EXPECT_EQ(http_.peak_active(), 2u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(State("f" + std::to_string(i)).last_status, "200");
}

TEST_F(EngineTest, APollHeldBackByItsHostsLimitRecordsHowLongItWaited) {
  std::string feeds;
  for (int i = 0; i < 3; ++i) {
    const std::string url = "http://slow.example/feed/" + std::to_string(i);
    http_.On(
        url, [](const net::Request&) { return Answer(200, kRss); }, 20s);
    feeds += Feed("f" + std::to_string(i), url);
  }
  PollOnce(feeds, "per_host = 1\n");
  std::vector<int64_t> waits(3);
  for (int i = 0; i < 3; ++i)
    waits[static_cast<size_t>(i)] = State("f" + std::to_string(i)).slot_wait.count();
  std::sort(waits.begin(), waits.end());
  EXPECT_EQ(waits, (std::vector<int64_t>{0, 20, 40}));
  // An hour later each was due long ago, but a slot was free when `once` took it: no wait.
  clock_.Advance(1h);
  http_.On("http://slow.example/feed/0", [](const net::Request&) { return Answer(200, kRss); });
  PollOnce(Feed("f0", "http://slow.example/feed/0"), "per_host = 1\n");
  EXPECT_EQ(State("f0").slot_wait, Seconds(0));
}

TEST_F(EngineTest, TheGlobalLimitHoldsAcrossHosts) {
  std::string feeds;
  for (int i = 0; i < 12; ++i) {
    const std::string url = "http://host" + std::to_string(i) + ".example/rss";
    http_.Serve(url, kRss);
    feeds += Feed("f" + std::to_string(i), url);
  }
  PollOnce(feeds, "concurrency = 5\n");
  EXPECT_EQ(http_.peak_active(), 5u);
  EXPECT_EQ(http_.requests().size(), 12u);
}

TEST_F(EngineTest, TheDaemonSpreadsTheFirstCycleAndThenPollsOnTheInterval) {
  std::string feeds;
  for (int i = 0; i < 50; ++i) {
    const std::string url = "http://host" + std::to_string(i % 5) + ".example/" + std::to_string(i);
    http_.Serve(url, kRss);
    // The fixed schedule: undated feeds would be polled thrice in their first interval.
    feeds += Feed("f" + std::to_string(i), url) + "min_interval = \"10m\"\n";
  }
  const std::unique_ptr<Daemon> daemon = MakeDaemon(
      Config(feeds), {.dir = dir_.path(), .clock = &clock_, .http = &http_, .forever = true});
  ASSERT_NE(daemon, nullptr);
  const MonoTime start = clock_.Monotonic();
  daemon->Run(-1, nullptr, start + 10s);
  // Spread over two minutes: about 4 of 50 in the first ten seconds.
  EXPECT_GT(http_.requests().size(), 0u);
  EXPECT_LT(http_.requests().size(), 15u);
  daemon->Run(-1, nullptr, start + 125s);
  EXPECT_EQ(http_.requests().size(), 50u);  // each once
  // The next cycle: each again after its interval (+-10%), none twice.
  daemon->Run(-1, nullptr, start + 125s + 660s);
  EXPECT_EQ(http_.requests().size(), 100u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(http_.Hits("http://host" + std::to_string(i % 5) + ".example/" + std::to_string(i)),
              2)
        << i;
  }
}

TEST_F(EngineTest, AFileFeedIsReadAtStartWhileNetworkFeedsAreSpread) {
  // The bundled sample is a file: its alerts must not wait up to two minutes for its turn.
  std::string feeds = Feed("sample", "file:///srv/feedwatch/sample.rss");
  http_.Serve("file:///srv/feedwatch/sample.rss", kRss);
  for (int i = 0; i < 20; ++i) {
    const std::string url = "http://host.example/" + std::to_string(i);
    http_.Serve(url, kRss);
    feeds += Feed("f" + std::to_string(i), url);
  }
  const std::unique_ptr<Daemon> daemon = MakeDaemon(
      Config(feeds), {.dir = dir_.path(), .clock = &clock_, .http = &http_, .forever = true});
  ASSERT_NE(daemon, nullptr);
  daemon->Run(-1, nullptr, clock_.Monotonic() + 1s);
  ASSERT_GE(http_.requests().size(), 1u);
  EXPECT_EQ(http_.requests().front().url, "file:///srv/feedwatch/sample.rss");
  EXPECT_LT(http_.requests().size(), 5u);  // the network feeds wait their turn
}

TEST_F(EngineTest, AFeedsSkipHoursAndUpdatePeriodLengthenTheDelayWithinFourIntervals) {
  // kNow is 15:06 UTC on a Sunday. The feed asks not to be polled from 15:00 to 17:59 UTC:
  // the next poll, due an hour later, moves to 18:00.
  http_.Serve(kUrl, R"(<rss version="2.0"><channel><title>t</title>
<skipHours><hour>15</hour><hour>16</hour><hour>17</hour></skipHours>
<item><title>one</title><guid>1</guid></item></channel></rss>)");
  PollOnce(Feed("f", kUrl, "1h"));
  EXPECT_EQ(State("f").next_due_at, TimePoint(std::chrono::floor<std::chrono::days>(kNow) + 18h));
  // Skipped days past the cap of four intervals: the poll comes at the cap.
  http_.Serve(kUrl, R"(<rss version="2.0"><channel><title>t</title>
<skipDays><day>Sunday</day><day>Monday</day></skipDays>
<item><title>two</title><guid>2</guid></item></channel></rss>)");
  PollOnce(Feed("f", kUrl, "1h"));
  EXPECT_EQ(Delay("f"), 4 * 3600);
  // sy:updatePeriod daily is a freshness hint like <ttl>: four intervals at most.
  http_.Serve(kUrl, R"(<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns="http://purl.org/rss/1.0/" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel rdf:about="x"><title>t</title><sy:updatePeriod>daily</sy:updatePeriod></channel>
<item rdf:about="3"><title>three</title><link>http://a.test/3</link></item></rdf:RDF>)");
  PollOnce(Feed("f", "http://feeds.example/rss", "10m"));
  EXPECT_GE(Delay("f"), 2400 * 9 / 10);
  EXPECT_LE(Delay("f"), 2400 * 11 / 10);
}

TEST(Schedule, OutsideSkippedFindsTheFirstAllowedHour) {
  const TimePoint sunday_noon = std::chrono::floor<std::chrono::days>(kNow) + 12h;
  const TimePoint far = sunday_noon + 24h * 30;
  EXPECT_EQ(OutsideSkipped(sunday_noon, 0, 0, far), sunday_noon);
  // Hours 12 and 13 skipped: 14:00.
  EXPECT_EQ(OutsideSkipped(sunday_noon + 5min, 0b11u << 12, 0, far), sunday_noon + 2h);
  // Sunday (bit 0) skipped: Monday 00:00.
  EXPECT_EQ(OutsideSkipped(sunday_noon, 0, 0b1, far), sunday_noon + 12h);
  // Never later than `latest`; every hour or every day skipped is taken as no hint at all.
  EXPECT_EQ(OutsideSkipped(sunday_noon, 0, 0b1, sunday_noon + 1h), sunday_noon + 1h);
  EXPECT_EQ(OutsideSkipped(sunday_noon, 0xFFFFFFu, 0, far), sunday_noon);
  EXPECT_EQ(OutsideSkipped(sunday_noon, 0, 0x7F, far), sunday_noon);
}

TEST(Schedule, BackoffStopsAtTheCap) {
  EXPECT_EQ(DelayAfterFailure(10min, 30, 6h, std::nullopt), Seconds(6 * 3600));
  EXPECT_EQ(DelayAfterFailure(10min, 3, 6h, std::nullopt), Seconds(2400));
  EXPECT_EQ(DelayAfterFailure(10min, 1, 6h, Seconds(999'999)), Seconds(24 * 3600));
}

TEST(Schedule, JitterMayLengthenRetryAfterButNeverShortenIt) {
  for (int minute = 0; minute < 200; ++minute) {
    const TimePoint now = kNow + std::chrono::minutes(minute);
    // Retry-After (an hour) beyond the jittered backoff (10 minutes): exactly what it asks.
    const Seconds delay = JitteredDelayAfterFailure(10min, 1, 6h, Seconds(3600), "f", now);
    EXPECT_EQ(delay, Seconds(3600));
    // Without it, the backoff within +-10%.
    const Seconds backoff = JitteredDelayAfterFailure(10min, 2, 6h, std::nullopt, "f", now);
    EXPECT_GE(backoff, Seconds(1200 * 9 / 10));
    EXPECT_LE(backoff, Seconds(1200 * 11 / 10));
  }
}

TEST(Schedule, NextDueAfterSuccessKeepsOutOfSkippedHoursUpToFourIntervals) {
  const TimePoint sunday_noon = std::chrono::floor<std::chrono::days>(kNow) + 12h;
  // Hours 12 to 23 skipped: the next poll waits, but no longer than four intervals.
  const PollBounds hourly{1h, 1min};
  const TimePoint due =
      NextDueAfterSuccess(hourly, 0, std::nullopt, {.skip_hours = 0xFFF000u}, "f", sunday_noon);
  EXPECT_EQ(due, sunday_noon + 4h);
  // Nothing skipped: the interval, within +-10%.
  const TimePoint plain = NextDueAfterSuccess(hourly, 0, std::nullopt, {}, "f", sunday_noon);
  EXPECT_GE(plain, sunday_noon + 54min);
  EXPECT_LE(plain, sunday_noon + 66min);
}

TEST(Schedule, ServerHintsLengthenTheIntervalWithinBounds) {
  net::Response response;
  response.headers = {{"cache-control", "public, max-age=1800"}};
  EXPECT_EQ(FreshnessHint(response, kNow), Seconds(1800));
  const PollBounds bounds{10min, 1min};
  EXPECT_EQ(DelayAfterSuccess(bounds, 0, Seconds(1800)), Seconds(1800));
  EXPECT_EQ(DelayAfterSuccess(bounds, 0, Seconds(60)), Seconds(600));      // never sooner
  EXPECT_EQ(DelayAfterSuccess(bounds, 0, Seconds(86400)), Seconds(2400));  // at most 4 intervals
  // A feed publishing 30 items an hour is polled 45 times an hour, unless the server says its
  // feed stays fresh longer; a max-age below min_interval does not shorten it.
  EXPECT_EQ(DelayAfterSuccess(bounds, 30, std::nullopt), Seconds(80));
  EXPECT_EQ(DelayAfterSuccess(bounds, 30, Seconds(300)), Seconds(300));
  EXPECT_EQ(DelayAfterSuccess(bounds, 600, Seconds(10)), Seconds(60));
  response.headers = {{"date", "Wed, 11 Jun 2025 06:00:00 GMT"},
                      {"expires", "Wed, 11 Jun 2025 07:00:00 GMT"}};
  EXPECT_EQ(FreshnessHint(response, kNow), Seconds(3600));
  response.headers = {{"cache-control", "no-cache"}};
  EXPECT_EQ(FreshnessHint(response, kNow), std::nullopt);
}

TEST(Schedule, RetryAfterTakesSecondsOrADate) {
  const TimePoint now = TimePoint(Seconds(1749621600));  // Wed, 11 Jun 2025 06:00:00 GMT
  EXPECT_EQ(ParseRetryAfter("120", now), Seconds(120));
  EXPECT_EQ(ParseRetryAfter("Wed, 11 Jun 2025 07:00:00 GMT", now), Seconds(3600));
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("", now), std::nullopt);
}

TEST(Schedule, TheFirstCycleIsSpreadOut) {
  std::map<int64_t, int> per_second;
  for (int i = 0; i < 10'000; ++i) {
    const Seconds offset = StartOffset("feed-" + std::to_string(i), 2min);
    ASSERT_GE(offset.count(), 0);
    ASSERT_LT(offset.count(), 120);
    ++per_second[offset.count()];
  }
  EXPECT_EQ(per_second.size(), 120u);
  for (const auto& [second, count] : per_second) EXPECT_LT(count, 150) << second;  // ~83 each
}

TEST(Schedule, JitterStaysWithinTenPercent) {
  std::set<int64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const Seconds delay = Jitter(Seconds(1000), "feed", kNow + Seconds(i));
    ASSERT_GE(delay.count(), 900);
    ASSERT_LE(delay.count(), 1100);
    seen.insert(delay.count());
  }
  EXPECT_GT(seen.size(), 100u);
}

}  // namespace
}  // namespace feedwatch::daemon
