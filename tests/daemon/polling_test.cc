// What needs real HTTP, against a server on 127.0.0.1, one test per behaviour: stalls, size
// limits, redirects, hostile validators, internal addresses. The clock is fake: schedules are
// read from the store, never waited for. What the engine does with each kind of answer is in
// engine_test.cc, on a scripted client.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

#include "config/config.h"
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

  // A hit counter per path.
  void Count(const httplib::Request& request) {
    const std::lock_guard lock(mutex_);
    ++hits_[request.path];
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

  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::map<std::string, int> hits_;
  testing::LoopbackServer server_;
  testing::TempDir dir_;
  testing::FakeClock clock_{kNow};
  testing::LogCapture log_;
};

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
  EXPECT_LT(log.find("feed good: 1 item,"), log.find("feed stalled: stalled")) << log;
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

}  // namespace
}  // namespace feedwatch::daemon
