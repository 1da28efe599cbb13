// Two instances in one process on one PostgreSQL database, each with its own scripted HTTP
// client, taking turns a second of fake time at a time: how they share the feeds, one story in
// two outlets, and a configuration that differs between them. tests/multi runs three real
// processes and kills them; this runs in fake time and checks each fetch.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <array>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string_view>

#include "tests/daemon/log_capture.h"
#include "tests/daemon/run_daemon.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/pg.h"
#include "tests/support/support.h"

// libpq's PQprepare and PQexecPrepared as the store calls them, defined here so that they take
// the place of libpq's in this test binary (which calls the real ones through RTLD_NEXT): a test
// may run code between two statements of an instance, where the interleavings of instances hide.
namespace {

// Each prepared statement's SQL, by connection and statement name.
std::map<std::pair<const PGconn*, std::string>, std::string>& PreparedSql() {
  static std::map<std::pair<const PGconn*, std::string>, std::string> sql;
  return sql;
}

// Called once, after the first statement whose SQL holds `after_sql`, then cleared.
struct StatementHook {
  std::string after_sql;
  std::function<void()> run;
};
StatementHook& Hook() {
  static StatementHook hook;
  return hook;
}

}  // namespace

extern "C" PGresult* PQprepare(PGconn* conn, const char* name, const char* query, int n_params,
                               const Oid* param_types) {
  using Real = PGresult* (*)(PGconn*, const char*, const char*, int, const Oid*);
  static const auto real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "PQprepare"));
  PreparedSql()[{conn, name}] = query;
  return real(conn, name, query, n_params, param_types);
}

extern "C" PGresult* PQexecPrepared(PGconn* conn, const char* name, int n_params,
                                    const char* const* values, const int* lengths,
                                    const int* formats, int result_format) {
  using Real =
      PGresult* (*)(PGconn*, const char*, int, const char* const*, const int*, const int*, int);
  static const auto real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "PQexecPrepared"));
  PGresult* result = real(conn, name, n_params, values, lengths, formats, result_format);
  StatementHook& hook = Hook();
  if (hook.run && PreparedSql()[{conn, name}].find(hook.after_sql) != std::string::npos) {
    const std::function<void()> run = std::move(hook.run);
    hook.run = nullptr;
    run();
  }
  return result;
}

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;
using testing::FakeHttpClient;

constexpr size_t kFeeds = 20;

std::string Url(size_t feed) { return "http://outlet" + std::to_string(feed) + ".example/rss"; }

// Each feed's own story about Darchiev: headlines that share no word pair, as different stories'
// do.
constexpr std::array<std::string_view, kFeeds> kHeadlines = {
    "Darchiev meets senators in Washington",
    "Embassy staff cuts worry Darchiev",
    "Ambassador Darchiev lays wreath at Arlington",
    "Visa queues top agenda for Darchiev",
    "Darchiev: consular offices may reopen soon",
    "State Department receives Darchiev credentials",
    "Darchiev answers questions on banking channel",
    "Property dispute letters reach Darchiev desk",
    "Istanbul talks praised by Darchiev",
    "Darchiev hosts reception for Victory Day",
    "Journalists ask Darchiev about prisoner swap",
    "New York consulate plea from Darchiev",
    "Darchiev warns of retaliation over seizures",
    "Flights resumption floated by Darchiev aide",
    "Darchiev signs book of condolences",
    "Think tank panel features Darchiev remarks",
    "Darchiev travels to Houston next week",
    "Cultural exchange program backed by Darchiev",
    "Darchiev phone call with Landau reported",
    "Students welcomed at residence by Darchiev",
};

// Feed `feed`'s RSS: a story of its own; feeds 0 and 1 also carry one story, each with its own
// link (two outlets reporting it).
std::string Rss(size_t feed) {
  std::string rss = "<rss version=\"2.0\"><channel><title>Outlet " + std::to_string(feed) +
                    "</title><item><title>" + std::string(kHeadlines[feed]) +
                    "</title><link>http://outlet" + std::to_string(feed) +
                    ".example/own</link></item>";
  if (feed < 2) {
    rss +=
        "<item><title>Darchiev and Rubio open the Moscow round on diplomatic property</title>"
        "<link>http://outlet" +
        std::to_string(feed) + ".example/moscow-round</link></item>";
  }
  return rss + "</channel></rss>";
}

std::string ReadAll(std::FILE* file) {
  std::string text;
  std::rewind(file);
  for (int c; (c = std::fgetc(file)) != EOF;) text += static_cast<char>(c);
  return text;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

class SharedStoreTest : public ::testing::Test {
 protected:
  struct Instance {
    explicit Instance(testing::FakeClock& clock) : http(clock) {}
    FakeHttpClient http;
    std::FILE* console = std::tmpfile();
    std::unique_ptr<Daemon> daemon;
  };

  // Polls every feed, or only `only` when given.
  std::string Config(const std::string& instance, const std::string& query,
                     std::optional<size_t> only) const {
    std::string text = "[store]\nurl = \"" + url_ + "\"\ninstance = \"" + instance +
                       "\"\nlease = \"30s\"\n[defaults]\ninterval = \"10m\"\n"
                       // The fixed schedule: polls are counted per interval.
                       "min_interval = \"10m\"\ninitial_lookback = \"all\"\n"
                       "[[notify]]\nname = \"desk\"\ntype = \"console\"\n"
                       "[[watch]]\nname = \"darchiev\"\nquery = '" +
                       query + "'\n";
    for (size_t i = 0; i < kFeeds; ++i) {
      if (only && i != *only) continue;
      text += "[[feed]]\nname = \"outlet-" + std::to_string(i) + "\"\nurl = \"" + Url(i) + "\"\n";
    }
    return text;
  }

  // An instance whose fetches are logged in fetches_ by feed.
  std::unique_ptr<Instance> Start(const std::string& name, const std::string& query,
                                  std::optional<size_t> only = {}) {
    auto instance = std::make_unique<Instance>(clock_);
    for (size_t i = 0; i < kFeeds; ++i) {
      instance->http.On(Url(i), [this, i, name](const net::Request&) {
        fetches_[i].push_back({clock_.Now(), name});
        return Result<net::Response>(FakeHttpClient::Reply(200, Rss(i)));
      });
    }
    const testing::TempDir& dir = name == "a" ? dir_a_ : dir_b_;
    instance->daemon = MakeDaemon(Config(name, query, only), {.dir = dir.path(),
                                                              .clock = &clock_,
                                                              .http = &instance->http,
                                                              .console = instance->console,
                                                              .forever = true});
    return instance;
  }

  // Both run, a second of fake time each in turn, for `duration`.
  void Run(Instance& a, Instance& b, std::chrono::seconds duration) {
    const MonoTime end = clock_.Monotonic() + duration;
    while (clock_.Monotonic() < end) {
      a.daemon->Run(-1, nullptr, clock_.Monotonic() + 1s);
      b.daemon->Run(-1, nullptr, clock_.Monotonic() + 1s);
    }
  }

  std::string url_ = testing::NewPgDatabase();
  testing::FakeClock clock_{TimePoint(Seconds(1'750'000'000))};
  testing::TempDir dir_a_;
  testing::TempDir dir_b_;
  std::map<size_t, std::vector<std::pair<TimePoint, std::string>>> fetches_;
};

TEST_F(SharedStoreTest, TwoInstancesPollEachFeedOnceAnIntervalAndAlertOncePerStory) {
  const testing::LogCapture log;
  const auto a = Start("a", "Darchiev");
  const auto b = Start("b", "Darchiev");
  ASSERT_NE(a->daemon, nullptr);
  ASSERT_NE(b->daemon, nullptr);
  Run(*a, *b, 25min);

  std::map<std::string, int> by_instance;
  for (size_t i = 0; i < kFeeds; ++i) {
    const auto& times = fetches_[i];
    // The first cycle spreads over two minutes, then one poll every 10 minutes (±10%) for 25.
    ASSERT_EQ(times.size(), 3u) << "outlet-" << i;
    for (size_t k = 1; k < times.size(); ++k) {
      const auto gap = times[k].first - times[k - 1].first;
      EXPECT_GE(gap, 540s) << "outlet-" << i << " fetched twice in one interval";
      EXPECT_LE(gap, 665s) << "outlet-" << i;
    }
    for (const auto& [at, who] : times) ++by_instance[who];
    // Each host is polled by the one instance it goes to: after the start (where the first
    // instance up holds every host until the second one's heartbeat), always the same one.
    EXPECT_EQ(times[1].second, times[2].second) << "outlet-" << i;
  }
  EXPECT_GT(by_instance["a"], 10) << "both instances poll";
  EXPECT_GT(by_instance["b"], 10) << "both instances poll";

  // Every item alerted once, on one instance or the other; the story two outlets carried, once.
  const std::string alerts = ReadAll(a->console) + ReadAll(b->console);
  for (const std::string_view headline : kHeadlines) {
    EXPECT_EQ(Count(alerts, "\t" + std::string(headline) + "\t"), 1u) << headline << "\n" << alerts;
  }
  EXPECT_EQ(Count(alerts, "Darchiev and Rubio open the Moscow round"), 1u) << alerts;
  // The two copies were read by different instances (their hosts go to different ones): the
  // story was decided by both (AStoryRecordedWhileAnotherInstanceDecidesAlertsOnce makes the
  // two decide it at the same moment).
  EXPECT_NE(fetches_[0].back().second, fetches_[1].back().second);
  EXPECT_EQ(log.str().find("runs different watches or notifiers"), std::string::npos);
}

TEST_F(SharedStoreTest, AStoryRecordedWhileAnotherInstanceDecidesAlertsOnce) {
  // Outlets 0 and 1 carry one story. a reads the watch's stories (none yet) to decide whether
  // its copy starts one; before its next statement, b polls the other copy, records the story
  // and alerts. a must then find its story number taken, read the story and link to it.
  const testing::LogCapture log;
  const auto a = Start("a", "Darchiev", 0);
  const auto b = Start("b", "Darchiev", 1);
  ASSERT_NE(a->daemon, nullptr);
  ASSERT_NE(b->daemon, nullptr);
  bool b_ran = false;
  Hook() = {.after_sql = "max(story_seq)", .run = [&] {
              b->daemon->Run(-1, nullptr, clock_.Monotonic() + 3min);
              b_ran = true;
            }};
  a->daemon->Run(-1, nullptr, clock_.Monotonic() + 3min);
  ASSERT_TRUE(b_ran) << "a never read its stories";
  // Whatever either left for later is done now.
  Run(*a, *b, 5min);
  const std::string alerts = ReadAll(a->console) + ReadAll(b->console);
  EXPECT_EQ(Count(alerts, "Darchiev and Rubio open the Moscow round"), 1u) << alerts;
  EXPECT_EQ(Count(ReadAll(b->console), "Darchiev and Rubio open the Moscow round"), 1u)
      << "b recorded the story first";
  EXPECT_NE(log.str().find("was recorded by another instance; reading its stories and deciding "
                           "again"),
            std::string::npos)
      << log.str();
}

TEST_F(SharedStoreTest, AConfigurationThatDiffersBetweenInstancesIsLoggedLoudly) {
  const testing::LogCapture log;
  const auto a = Start("a", "Darchiev");
  const auto b = Start("b", "Darchiev OR Lavrov");
  Run(*a, *b, 10s);
  const std::string text = log.str();
  EXPECT_NE(text.find("instance b runs different watches or notifiers than this one (a)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("instance a runs different watches or notifiers than this one (b)"),
            std::string::npos)
      << text;
  EXPECT_EQ(Count(text, "instance b runs different"), 1u) << "logged once, not every 5 s";
}

}  // namespace
}  // namespace feedwatch::daemon
