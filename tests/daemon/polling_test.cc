// The fetch and schedule policy against a real HTTP server on 127.0.0.1, one test per behaviour.
// The clock is fake: schedules are read from the store, never waited for.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

#include "config/config.h"
#include "daemon/schedule.h"
#include "net/http_client.h"
#include "notify/notifier.h"
#include "store/store.h"
#include "tests/daemon/log_capture.h"
#include "tests/daemon/run_daemon.h"
#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = TimePoint(Seconds(1'750'000'000));
constexpr Seconds kInterval{600};

const std::string kRss = R"(<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>one</title><guid>1</guid></item></channel></rss>)";

class PollingTest : public ::testing::Test {
 protected:
  void SetUp() override {}

  void TearDown() override { stop_ = true; }

  // `path` sends five bytes, then nothing for five seconds (or until the test ends).
  void ServeStall(const std::string& path) {
    server_.server().Get(path, [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/rss+xml",
                                       [this](size_t, httplib::DataSink& sink) {
                                         sink.write("<rss>", 5);
                                         for (int i = 0; i < 100 && !stop_; ++i) {
                                           std::this_thread::sleep_for(50ms);
                                         }
                                         return false;
                                       });
    });
  }

  // A hit counter per path, and the If-None-Match each request sent.
  void Count(const httplib::Request& request) {
    const std::lock_guard lock(mutex_);
    ++hits_[request.path];
    last_if_none_match_ = request.get_header_value("If-None-Match");
  }
  int Hits(const std::string& path) {
    const std::lock_guard lock(mutex_);
    return hits_[path];
  }

  std::string Feed(const std::string& name, const std::string& url) const {
    return "[[feed]]\nname = \"" + name + "\"\nurl = \"" + url + "\"\ninterval = \"10m\"\n";
  }

  // One `feedwatch once` over `feeds` at the fake clock's time.
  void PollOnce(const std::string& feeds, const std::string& http = "") {
    const std::string text =
        "[http]\ntimeout = \"5s\"\nlow_speed_time = \"1s\"\nmax_body = \"1MiB\"\n" + http +
        "[defaults]\nmax_backoff = \"6h\"\n" + feeds;
    RunOnce(text, {.dir = dir_.path(), .clock = &clock_});
  }

  store::FeedState State(const std::string& name) {
    auto store = store::Store::Open(dir_.path() / "feedwatch.db");
    return *(*store)->GetFeedState(name);
  }

  // Seconds from the last attempt to the next one.
  int64_t Delay(const std::string& name) {
    const store::FeedState state = State(name);
    return (*state.next_due_at - *state.last_attempt_at).count();
  }

  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::map<std::string, int> hits_;
  std::string last_if_none_match_;
  testing::LoopbackServer server_;
  testing::TempDir dir_;
  testing::FakeClock clock_{kNow};
  testing::LogCapture log_;
};

TEST_F(PollingTest, NotModifiedCostsNoParse) {
  server_.server().Get("/rss", [this](const httplib::Request& req, httplib::Response& res) {
    Count(req);
    if (req.get_header_value("If-None-Match") == "\"v1\"") {
      res.status = 304;
      return;
    }
    res.set_header("ETag", "\"v1\"");
    res.set_header("Last-Modified", "Wed, 11 Jun 2025 06:00:00 GMT");
    res.set_content(kRss, "application/rss+xml");
  });
  server_.Start();
  PollOnce(Feed("f", server_.Url("/rss")));
  EXPECT_EQ(State("f").last_status, "200");
  EXPECT_EQ(State("f").etag, "\"v1\"");
  clock_.Advance(kInterval);
  PollOnce(Feed("f", server_.Url("/rss")));
  EXPECT_EQ(last_if_none_match_, "\"v1\"");
  const store::FeedState state = State("f");
  EXPECT_EQ(state.last_status, "304 not modified");
  EXPECT_EQ(state.last_success_at, kNow + kInterval);
  EXPECT_EQ(state.consecutive_failures, 0);
}

TEST_F(PollingTest, AnUnchangedBodyWithoutValidatorsIsNotParsedAgain) {
  server_.server().Get("/rss", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kRss, "application/rss+xml");
  });
  server_.Start();
  PollOnce(Feed("f", server_.Url("/rss")));
  EXPECT_EQ(State("f").last_status, "200");
  PollOnce(Feed("f", server_.Url("/rss")));
  EXPECT_EQ(State("f").last_status, "200 unchanged");
}

TEST_F(PollingTest, RetryAfterOn429IsHonoured) {
  server_.server().Get("/rss", [](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "7200");
  });
  server_.Start();
  PollOnce(Feed("f", server_.Url("/rss")));
  EXPECT_EQ(State("f").last_status, "HTTP 429");
  EXPECT_GE(Delay("f"), 7200);  // never sooner than asked; jitter only lengthens it
  EXPECT_LE(Delay("f"), 7200 * 11 / 10);
}

TEST_F(PollingTest, BackoffDoublesOnFailuresAndResetsOnSuccess) {
  std::atomic<bool> failing{true};
  server_.server().Get("/rss", [&](const httplib::Request&, httplib::Response& res) {
    if (failing) {
      res.status = 500;
      return;
    }
    res.set_content(kRss, "application/rss+xml");
  });
  server_.Start();
  int64_t expected = kInterval.count();
  for (int failure = 1; failure <= 4; ++failure) {
    PollOnce(Feed("f", server_.Url("/rss")));
    EXPECT_EQ(State("f").consecutive_failures, failure);
    EXPECT_GE(Delay("f"), expected * 9 / 10) << failure;
    EXPECT_LE(Delay("f"), expected * 11 / 10) << failure;
    clock_.Advance(Seconds(Delay("f")));
    expected *= 2;
  }
  failing = false;
  PollOnce(Feed("f", server_.Url("/rss")));
  EXPECT_EQ(State("f").consecutive_failures, 0);
  EXPECT_LE(Delay("f"), kInterval.count() * 11 / 10);
}

TEST_F(PollingTest, BackoffStopsAtTheCap) {
  EXPECT_EQ(DelayAfterFailure(10min, 30, 6h, std::nullopt), Seconds(6 * 3600));
  EXPECT_EQ(DelayAfterFailure(10min, 3, 6h, std::nullopt), Seconds(2400));
  EXPECT_EQ(DelayAfterFailure(10min, 1, 6h, Seconds(999'999)), Seconds(24 * 3600));
}

TEST_F(PollingTest, AStalledServerIsCutByTheLowSpeedTimeout) {
  ServeStall("/stall");
  server_.Start();
  PollOnce(Feed("f", server_.Url("/stall")));
  const store::FeedState state = State("f");
  EXPECT_EQ(state.last_status, "timeout");
  EXPECT_TRUE(state.last_error.starts_with("stalled: ")) << state.last_error;
}

TEST_F(PollingTest, OversizedAndGzipBombBodiesAreAbortedAtTheLimit) {
  const std::string big(2 << 20, 'x');
  const std::string bomb = testing::Gzip(std::string(64 << 20, '\0'));  // 64 MiB in about 64 KiB
  ASSERT_LT(bomb.size(), 1u << 20);
  server_.server().Get("/big", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(big, "application/rss+xml");
  });
  server_.server().Get("/bomb", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Encoding", "gzip");
    res.set_content(bomb, "application/rss+xml");
  });
  server_.Start();
  PollOnce(Feed("big", server_.Url("/big")) + Feed("bomb", server_.Url("/bomb")));
  for (const char* name : {"big", "bomb"}) {
    const store::FeedState state = State(name);
    EXPECT_EQ(state.last_status, "too large") << name;
    EXPECT_EQ(state.last_error, "body larger than 1048576 bytes") << name;
  }
}

TEST_F(PollingTest, ARedirectLoopIsStopped) {
  server_.server().Get("/loop", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/loop", 302);
  });
  server_.Start();
  PollOnce(Feed("f", server_.Url("/loop")));
  const store::FeedState state = State("f");
  EXPECT_EQ(state.last_status, "network error");
  EXPECT_TRUE(state.last_error.starts_with("redirect loop: ")) << state.last_error;
}

TEST_F(PollingTest, PermanentRedirectUpdatesTheUrlUntilTheConfigChanges) {
  server_.server().Get("/old", [this](const httplib::Request& req, httplib::Response& res) {
    Count(req);
    res.set_redirect("/new", 301);
  });
  server_.server().Get("/new", [this](const httplib::Request& req, httplib::Response& res) {
    Count(req);
    res.set_content(kRss, "application/rss+xml");
  });
  server_.Start();
  PollOnce(Feed("f", server_.Url("/old")));
  EXPECT_EQ(State("f").moved_to, server_.Url("/new"));
  EXPECT_NE(log_.str().find("moved permanently to " + server_.Url("/new")), std::string::npos);
  PollOnce(Feed("f", server_.Url("/old")));
  EXPECT_EQ(Hits("/old"), 1);  // the second poll went straight to the new address
  EXPECT_EQ(Hits("/new"), 2);
}

TEST_F(PollingTest, GoneDisablesTheFeedUntilItsUrlChanges) {
  server_.server().Get("/gone", [this](const httplib::Request& req, httplib::Response& res) {
    Count(req);
    res.status = 410;
  });
  server_.server().Get("/rss", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kRss, "application/rss+xml");
  });
  server_.Start();
  PollOnce(Feed("f", server_.Url("/gone")));
  EXPECT_TRUE(State("f").gone);
  EXPECT_EQ(State("f").last_status, "410 gone");
  PollOnce(Feed("f", server_.Url("/gone")));
  EXPECT_EQ(Hits("/gone"), 1);               // not polled again
  PollOnce(Feed("f", server_.Url("/rss")));  // the operator fixed the URL
  EXPECT_FALSE(State("f").gone);
  EXPECT_EQ(State("f").last_status, "200");
}

TEST_F(PollingTest, TwoFeedsOnOneHostNeverExceedThePerHostLimit) {
  std::atomic<int> active{0}, peak{0};
  server_.server().Get(R"(/feed/(\d+))", [&](const httplib::Request&, httplib::Response& res) {
    const int now_active = ++active;
    int seen = peak;
    while (now_active > seen && !peak.compare_exchange_weak(seen, now_active)) {
    }
    std::this_thread::sleep_for(100ms);
    --active;
    res.set_content(kRss, "application/rss+xml");
  });
  server_.Start();
  std::string feeds;
  for (int i = 0; i < 8; ++i) {
    feeds += Feed("f" + std::to_string(i), server_.Url("/feed/" + std::to_string(i)));
  }
  PollOnce(feeds, "per_host = 2\n");
  EXPECT_EQ(peak, 2);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(State("f" + std::to_string(i)).last_status, "200");
}

TEST_F(PollingTest, AMisbehavingFeedDoesNotDelayTheOthers) {
  testing::LoopbackServer other;  // another port: another host for the per-host limit
  other.server().Get("/rss", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kRss, "application/rss+xml");
  });
  other.Start();
  ServeStall("/stall");
  server_.Start();
  PollOnce(Feed("stalled", server_.Url("/stall")) + Feed("good", other.Url("/rss")));
  EXPECT_EQ(State("good").last_status, "200");
  EXPECT_EQ(State("stalled").last_status, "timeout");
  // The good feed finished while the stalled one was still waiting out its timeout.
  const std::string log = log_.str();
  EXPECT_LT(log.find("feed good: 1 items"), log.find("feed stalled: stalled")) << log;
}

TEST_F(PollingTest, AValidatorWithABareCrIsNeverSentBack) {
  // A server that tries to write our next request's headers through its ETag (cpp-httplib
  // refuses to send such a header, so the answer is written by hand).
  testing::RawHttpServer server([](const std::string&) {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
           "ETag: \"v1\"\rX-Injected: yes\r\n"
           "Last-Modified: Wed, 11 Jun 2025 06:00:00 GMT\rX-Also: yes\r\n"
           "Content-Length: " +
           std::to_string(kRss.size()) + "\r\nConnection: close\r\n\r\n" + kRss;
  });
  const std::string feeds = Feed("wire", server.Url("/rss"));
  PollOnce(feeds);
  clock_.Advance(kInterval * 2);
  PollOnce(feeds);
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const std::string& request : requests) {
    EXPECT_EQ(request.find("X-Injected"), std::string::npos) << request;
    EXPECT_EQ(request.find("X-Also"), std::string::npos) << request;
    EXPECT_EQ(request.find("If-None-Match"), std::string::npos) << request;
    EXPECT_EQ(request.find("If-Modified-Since"), std::string::npos) << request;
  }
  EXPECT_EQ(State("wire").etag, "");
  EXPECT_EQ(State("wire").last_modified, "");
  EXPECT_NE(log_.str().find("feed wire: its etag holds a control character (CR, LF or NUL); "
                            "not sent back"),
            std::string::npos)
      << log_.str();
}

TEST_F(PollingTest, ARedirectFromOutsideToAnInternalAddressIsRefused) {
  // 127.0.0.2 plays a public feed; only 127.0.0.1 is declared internal.
  server_.server().Get("/internal", [this](const httplib::Request& req, httplib::Response& res) {
    Count(req);
    res.set_content(kRss, "application/rss+xml");
  });
  server_.Start();
  testing::LoopbackServer outside("127.0.0.2");
  const std::string internal_url = server_.Url("/internal");
  outside.server().Get("/moved", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 301;
    res.set_header("Location", internal_url);
  });
  outside.Start();
  const std::string internal = "internal_networks = [\"127.0.0.1/32\"]\n";
  PollOnce(Feed("public", outside.Url("/moved")), internal);
  EXPECT_EQ(Hits("/internal"), 0);
  const store::FeedState state = State("public");
  EXPECT_EQ(state.moved_to, "");
  EXPECT_NE(state.last_error.find("redirect from 127.0.0.2 to internal address 127.0.0.1 refused"),
            std::string::npos)
      << state.last_error;

  // A feed configured on an internal address may redirect within it.
  server_.server().Get("/inside", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 301;
    res.set_header("Location", internal_url);
  });
  PollOnce(Feed("private", server_.Url("/inside")), internal);
  EXPECT_EQ(Hits("/internal"), 1);
  EXPECT_EQ(State("private").last_error, "");
}

TEST(Schedule, ServerHintsLengthenTheIntervalWithinBounds) {
  net::Response response;
  response.headers = {{"cache-control", "public, max-age=1800"}};
  EXPECT_EQ(FreshnessHint(response, kNow), Seconds(1800));
  EXPECT_EQ(DelayAfterSuccess(10min, Seconds(1800)), Seconds(1800));
  EXPECT_EQ(DelayAfterSuccess(10min, Seconds(60)), Seconds(600));      // never sooner
  EXPECT_EQ(DelayAfterSuccess(10min, Seconds(86400)), Seconds(2400));  // at most 4 intervals
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
