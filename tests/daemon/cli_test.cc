// The feedwatch binary as an operator runs it.
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon/feed_names.h"
#include "daemon/fetch_one.h"
#include "tests/support/support.h"

namespace feedwatch {
namespace {

using namespace std::chrono_literals;
using testing::RunFeedwatch;

constexpr int kExitConfig = 78;

// A config in `dir` with one file: feed (a copy of the English fixture) and a console notifier.
std::filesystem::path WriteLocalConfig(const std::filesystem::path& dir) {
  std::filesystem::copy_file(testing::DataDir() / "feeds" / "talks-en.rss", dir / "wire.rss");
  std::filesystem::path config = dir / "feedwatch.toml";
  testing::WriteFile(config, R"([daemon]
state_dir = "state"
[defaults]
initial_lookback = "all"
[[feed]]
name = "wire"
url = "file:wire.rss"
interval = "1s"
[[watch]]
name = "darchiev"
query = "Darchiev"
[[notify]]
name = "console"
type = "console"
)");
  return config;
}

TEST(Cli, CheckConfigReportsAnUnknownKeyAndExits78) {
  const testing::TempDir dir;
  const auto config = dir.path() / "feedwatch.toml";
  testing::WriteFile(config,
                     "[[feed]]\nname = \"tass\"\nurl = \"https://tass.com/rss/v2.xml\"\n"
                     "intervall = \"5m\"\n");
  const testing::CommandResult result = RunFeedwatch({"check-config", "--config", config.string()});
  EXPECT_EQ(result.exit_code, kExitConfig);
  EXPECT_EQ(result.err, config.string() +
                            ":4:1: unknown key \"intervall\" in [[feed]]; did you mean "
                            "\"interval\"?\n  intervall = \"5m\"\n  ^\n");
  EXPECT_EQ(result.out, "");
}

TEST(Cli, TheStateIsTheOwnersAloneWhateverTheUmask) {
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  const mode_t previous = umask(022);  // the children inherit it
  const testing::CommandResult result = RunFeedwatch({"once", "--config", config.string()});
  umask(previous);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto mode = [](const std::filesystem::path& path) {
    struct stat info {};
    EXPECT_EQ(stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 0777;
  };
  EXPECT_EQ(mode(dir.path() / "state"), 0700u);
  for (const char* name : {"feedwatch.db", "feedwatch.db-wal", "feedwatch.db-shm"}) {
    const std::filesystem::path file = dir.path() / "state" / name;
    if (name == std::string_view("feedwatch.db") || std::filesystem::exists(file)) {
      EXPECT_EQ(mode(file), 0600u) << name;
    }
  }
}

TEST(Cli, CheckConfigWarnsOfSecretsOthersReadAndWatchesOtherHostsReach) {
  const testing::TempDir dir;
  testing::WriteFile(dir.path() / "token", "s3cret-token\n");
  std::filesystem::permissions(dir.path() / "token", std::filesystem::perms(0644));
  const std::string watches =
      "[[watch]]\nname = \"open\"\nquery = \"Darchiev\"\n"
      "[[watch]]\nname = \"closed\"\nquery = \"Darchiev\"\nfeed_token_file = \"token\"\n"
      "[[notify]]\nname = \"c\"\ntype = \"console\"\n";
  const std::filesystem::path config = dir.path() / "feedwatch.toml";
  testing::WriteFile(config, "[daemon]\nmetrics_listen = \"0.0.0.0:9464\"\n" + watches);
  const testing::CommandResult open = RunFeedwatch({"check-config", "-c", config.string()});
  EXPECT_EQ(open.exit_code, 0) << open.err;  // valid: warnings do not fail it
  EXPECT_NE(open.err.find(config.string() +
                          ":2:18: warning: metrics_listen \"0.0.0.0:9464\" is reachable from "
                          "other hosts, and anyone who reaches it can read the stories of the "
                          "watches without a feed_token_file (open) at /feeds/WATCH.atom"),
            std::string::npos)
      << open.err;
  EXPECT_NE(open.err.find(config.string() + ":9:19: warning: the feed_token_file " +
                          (dir.path() / "token").string() +
                          " is readable or writable by every user (mode 0644); chmod o= it"),
            std::string::npos)
      << open.err;

  // On loopback, with the token file the owner's alone: nothing to say.
  std::filesystem::permissions(dir.path() / "token", std::filesystem::perms(0600));
  testing::WriteFile(config, "[daemon]\nmetrics_listen = \"127.0.0.1:9464\"\n" + watches);
  const testing::CommandResult quiet = RunFeedwatch({"check-config", "-c", config.string()});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
}

TEST(Cli, AStateDirectoryEveryUserCanWriteToIsWarnedOf) {
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  std::filesystem::create_directory(dir.path() / "state");
  std::filesystem::permissions(dir.path() / "state", std::filesystem::perms(0777));
  const testing::CommandResult once = RunFeedwatch({"once", "--config", config.string()});
  EXPECT_EQ(once.exit_code, 0) << once.err;
  EXPECT_NE(once.err.find("state directory " + (dir.path() / "state").string() +
                          " is writable by every user (mode 0777)"),
            std::string::npos)
      << once.err;
}

TEST(Cli, CheckConfigAcceptsTheBundledExample) {
  const auto example = testing::SourceDir() / "config" / "feedwatch.example.toml";
  const testing::CommandResult result = RunFeedwatch({"check-config", "-c", example.string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find(": OK ("), std::string::npos) << result.out;
}

TEST(Cli, UnknownSubcommandIsAUsageError) {
  EXPECT_EQ(RunFeedwatch({"frobnicate"}).exit_code, 64);
  EXPECT_EQ(RunFeedwatch({}).exit_code, 64);
}

TEST(Cli, OnceAlertsThenRemembers) {
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  const testing::CommandResult first = RunFeedwatch({"once", "--config", config.string()});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("\tdarchiev\twire\tDarchiev presents credentials at the White House\t"
                           "http://wire.test/world/darchiev-credentials\t"
                           "**Darchiev** presents credentials at the White House\n"),
            std::string::npos)
      << first.out;
  EXPECT_EQ(std::count(first.out.begin(), first.out.end(), '\n'), 1) << first.out;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "state" / "feedwatch.db"));

  const testing::CommandResult second = RunFeedwatch({"once", "--config", config.string()});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, "");
}

TEST(Cli, StoreCopyOfAStoreAlteredByHandSaysWhichColumnAndExits65) {
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  ASSERT_EQ(RunFeedwatch({"once", "--config", config.string()}).exit_code, 0);
  const std::filesystem::path source = dir.path() / "state" / "feedwatch.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(source.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "ALTER TABLE meta ADD COLUMN extra TEXT", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  const testing::CommandResult copy = RunFeedwatch(
      {"store", "copy", "--from", source.string(), "--to", (dir.path() / "copy.db").string()});
  EXPECT_EQ(copy.exit_code, 65) << copy.err;  // EX_DATAERR, not a crash
  EXPECT_NE(copy.err.find("the source's table meta has a column \"extra\" that "),
            std::string::npos)
      << copy.err;
}

// The bundled example configuration, its outlets served from 127.0.0.1 (each answers with one
// of the fixture corpus's documents) and the whole corpus added as file: feeds: `feedwatch
// once` fetches, parses, matches, stores and alerts, and LeakSanitizer finds nothing left
// behind. Meaningful only in the sanitizer build (the asan preset), where a leak fails the run.
TEST(Cli, OnceOnTheBundledFeedsIsLeakSanitizerClean) {
#if !defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "not built with AddressSanitizer (cmake --workflow --preset asan)";
#endif
  std::vector<std::filesystem::path> fixtures;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::DataDir() / "feeds" / "corpus")) {
    if (entry.path().extension() != ".json" || !entry.path().stem().has_extension()) {
      fixtures.push_back(entry.path());
    }
  }
  std::sort(fixtures.begin(), fixtures.end());
  ASSERT_GT(fixtures.size(), 80u);
  testing::LoopbackServer server;
  server.server().Get(R"(/outlet/(\d+))",
                      [&fixtures](const httplib::Request& req, httplib::Response& res) {
                        const size_t n = std::stoul(req.matches[1].str()) % fixtures.size();
                        res.set_content(testing::ReadFile(fixtures[n]), "application/xml");
                      });
  server.Start();

  const testing::TempDir dir;
  std::string text = testing::ReadFile(testing::SourceDir() / "config" / "feedwatch.example.toml");
  text.replace(text.find("state_dir = \"../state\""), 22, "state_dir = \"state\"");
  const std::string samples = (testing::SourceDir() / "config" / "samples").string();
  text.replace(text.find("file:samples/"), 13, "file:" + samples + "/");
  int outlets = 0;
  for (size_t at = text.find("\nurl = \"http"); at != std::string::npos;
       at = text.find("\nurl = \"http", at + 1)) {
    const size_t end = text.find('"', at + 8);
    text.replace(at + 8, end - (at + 8), server.Url("/outlet/" + std::to_string(outlets++)));
  }
  ASSERT_GE(outlets, 10);
  for (size_t i = 0; i < fixtures.size(); ++i) {
    text += "\n[[feed]]\nname = \"fixture-" + std::to_string(i) +
            "\"\nurl = \"file:" + fixtures[i].string() + "\"\n";
  }
  testing::WriteFile(dir.path() / "feedwatch.toml", text);

  const testing::CommandResult once =
      RunFeedwatch({"once", "--config", (dir.path() / "feedwatch.toml").string()});
  // The corpus's documents that are not feeds fail their feeds, the rest are read: 75.
  EXPECT_EQ(once.exit_code, 75) << once.err;
  EXPECT_EQ(once.err.find("LeakSanitizer"), std::string::npos) << once.err;
  EXPECT_EQ(once.err.find("runtime error"), std::string::npos) << once.err;
  EXPECT_NE(once.out.find("\tsample-talks\t"), std::string::npos) << once.out;
}

TEST(Cli, RunAlertsAndStopsCleanlyOnSigterm) {
  for (const int signal : {SIGTERM, SIGINT}) {
    const testing::TempDir dir;
    const auto config = WriteLocalConfig(dir.path());
    testing::FeedwatchProcess daemon({"run", "--config", config.string()});
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (daemon.out().empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    EXPECT_NE(daemon.out().find("\tdarchiev\twire\t"), std::string::npos) << daemon.err();
    daemon.Signal(signal);
    EXPECT_EQ(daemon.Wait(1s), std::optional<int>(0)) << daemon.err();
  }
}

TEST(Cli, UnwritableStateDirectoryIsOneClearError) {
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  testing::WriteFile(dir.path() / "blocker", "");
  const testing::CommandResult result =
      RunFeedwatch({"once", "--config", config.string(), "--state-dir",
                    (dir.path() / "blocker" / "x").string()});
  EXPECT_EQ(result.exit_code, 73);
  EXPECT_NE(result.err.find("state directory " + (dir.path() / "blocker" / "x").string() + ": "),
            std::string::npos)
      << result.err;
}

TEST(Cli, ParseJsonPrintsTheCorpusExpectation) {
  const std::filesystem::path corpus = testing::DataDir() / "feeds" / "corpus";
  for (const char* name : {"format-rss10", "encoding-windows-1251", "malformed-truncated"}) {
    const std::filesystem::path file = corpus / (std::string(name) + ".xml");
    const std::filesystem::path source =
        std::filesystem::exists(file) ? file : corpus / (std::string(name) + ".rdf");
    const testing::CommandResult result = RunFeedwatch({"parse", "--json", source.string()});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, testing::ReadFile(corpus / (std::string(name) + ".expected.json")));
  }
}

TEST(Cli, ParsePrintsAReadableSummary) {
  const testing::CommandResult result = RunFeedwatch(
      {"parse", (testing::DataDir() / "feeds/corpus/categories-and-enclosures.xml").string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("format:   rss2.0 (read as utf-8)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("[1] Podcast episode on the talks"), std::string::npos);
  EXPECT_NE(result.out.find("    category:  Politics"), std::string::npos);
  EXPECT_NE(result.out.find(
                "    enclosure: https://links.example/audio/ep1.mp3 (audio/mpeg, 5242880 bytes)"),
            std::string::npos);
}

// The commands that fetch one feed by hand send what the daemon sends and refuse what it
// refuses: here 127.0.0.2 plays an internal address and 127.0.0.1 an outside one.
TEST(FetchOne, SendsTheDaemonsRequestAndRefusesItsRedirectsIntoInternalAddresses) {
  testing::LoopbackServer internal("127.0.0.2");
  internal.server().Get("/secret.rss", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<rss version=\"2.0\"><channel><title>internal</title></channel></rss>",
                    "application/rss+xml");
  });
  internal.Start();
  testing::LoopbackServer outside;
  std::string accept;
  std::string user_agent;
  outside.server().Get("/feed.rss", [&](const httplib::Request& req, httplib::Response& res) {
    accept = req.get_header_value("Accept");
    user_agent = req.get_header_value("User-Agent");
    res.set_redirect(internal.Url("/secret.rss"));
  });
  outside.Start();
  config::HttpSettings http;
  http.internal_networks = {"127.0.0.2/32"};
  const Result<daemon::Document> refused = daemon::FetchOne(outside.Url("/feed.rss"), http);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("internal address"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(accept, daemon::FeedRequest(http, nullptr, "").headers.front().substr(8));
  EXPECT_EQ(user_agent, daemon::UserAgent());
  EXPECT_TRUE(user_agent.starts_with("feedwatch/")) << user_agent;
  // A poll with validators asks conditionally.
  EXPECT_EQ(daemon::FeedRequest(http, nullptr, "http://x/", "\"v1\"", "").headers.back(),
            "If-None-Match: \"v1\"");
}

TEST(Cli, ParseExitCodesSayWhatWentWrong) {
  const testing::CommandResult html =
      RunFeedwatch({"parse", (testing::DataDir() / "feeds/corpus/error-html-page.html").string()});
  EXPECT_EQ(html.exit_code, 65);  // EX_DATAERR
  EXPECT_NE(html.err.find("not a feed: this is an HTML page; it advertises a feed at "
                          "https://site.example/rss.xml"),
            std::string::npos)
      << html.err;
  EXPECT_EQ(RunFeedwatch({"parse", "/nonexistent/feed.xml"}).exit_code, 66);  // EX_NOINPUT
  EXPECT_EQ(RunFeedwatch({"parse"}).exit_code, 64);
}

TEST(Cli, ParseFetchesAUrlAndHonoursItsCharset) {
  testing::LoopbackServer server;
  // koi8-r bytes under a declaration that says windows-1251: the Content-Type must win.
  const std::string body = std::string(R"(<?xml version="1.0" encoding="windows-1251"?>)") +
                           "<rss version=\"2.0\"><channel><title>t</title><item><title>" +
                           "\xF0\xCF\xD3\xCF\xCC</title><link>/news/1</link></item>" +
                           "</channel></rss>";
  server.server().Get("/rss", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(body, "application/rss+xml; charset=koi8-r");
  });
  server.server().Get(
      "/gone", [](const httplib::Request&, httplib::Response& response) { response.status = 404; });
  server.Start();
  const testing::CommandResult result = RunFeedwatch({"parse", "--json", server.Url("/rss")});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("\"title\": \"Посол\""), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\"link\": \"" + server.Url("/news/1") + "\""), std::string::npos)
      << result.out;
  const testing::CommandResult missing = RunFeedwatch({"parse", server.Url("/gone")});
  EXPECT_EQ(missing.exit_code, 69);  // EX_UNAVAILABLE
  EXPECT_NE(missing.err.find("HTTP 404"), std::string::npos) << missing.err;
}

TEST(Cli, TestFilterShowsMatchedAndUnmatchedItemsWithMarkedSnippets) {
  const testing::CommandResult result =
      RunFeedwatch({"test-filter", "--watch", "darchiev", "-c",
                    (testing::SourceDir() / "config" / "feedwatch.example.toml").string(),
                    (testing::DataDir() / "feeds" / "talks-ru.atom").string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "MATCH  Встреча с Дарчиевым прошла в Госдепартаменте\n"
            "       hits:    title: Дарчиев* (Дарчиевым); title: Госдеп* (Госдепартаменте); "
            "summary: посол (Посол)\n"
            "       snippet: Встреча с **Дарчиевым** прошла в **Госдепартаменте**\n"
            "-      Следующий раунд консультаций по раздражителям пройдёт в Москве\n"
            "-      Цены на недвижимость в Москве выросли\n"
            "\n"
            "watch \"darchiev\": 1 of 3 items match\n");
}

TEST(Cli, TestFilterTakesAQueryDirectly) {
  const testing::CommandResult result =
      RunFeedwatch({"test-filter", "Moscow NEAR/3 round -Spartak",
                    (testing::DataDir() / "feeds" / "talks-en.rss").string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("MATCH  Markets close higher\n"
                            "       hits:    content: Moscow (Moscow); content: round (round)\n"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("-      Spartak Moscow advance to the next round\n"),
            std::string::npos);
}

TEST(Cli, TestFilterRejectsABadQueryWithACaretAndExits78) {
  const testing::CommandResult result = RunFeedwatch(
      {"test-filter", "(Moscow round", (testing::DataDir() / "feeds" / "talks-en.rss").string()});
  EXPECT_EQ(result.exit_code, kExitConfig);
  EXPECT_EQ(result.err,
            "query:1:1: '(' is never closed: expected ')' before the end\n"
            "  (Moscow round\n"
            "  ^\n");
  EXPECT_EQ(result.out, "");
}

TEST(Cli, CheckConfigReportsEveryBadQueryAtOnce) {
  const testing::TempDir dir;
  const std::filesystem::path config = dir.path() / "feedwatch.toml";
  testing::WriteFile(config, R"([[feed]]
name = "wire"
url = "file:wire.rss"
[[watch]]
name = "moscow-round"
query = '(Moscow round'
[[watch]]
name = "near"
query = 'a NEAR b'
[[notify]]
name = "console"
type = "console"
)");
  const testing::CommandResult result = RunFeedwatch({"check-config", "-c", config.string()});
  EXPECT_EQ(result.exit_code, kExitConfig);
  EXPECT_NE(result.err.find(":6:10: watch \"moscow-round\": query: '(' is never closed: "
                            "expected ')' before the end"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find(":9:12: watch \"near\": query: expected NEAR/n with a number of "
                            "words, e.g. NEAR/5"),
            std::string::npos)
      << result.err;
}

TEST(Cli, StatusShowsEachFeedsHealth) {
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  const testing::CommandResult before = RunFeedwatch({"status", "--config", config.string()});
  EXPECT_EQ(before.exit_code, 66) << before.err;  // nothing polled yet: no database
  EXPECT_NE(before.err.find("no database yet"), std::string::npos) << before.err;

  ASSERT_EQ(RunFeedwatch({"once", "--config", config.string()}).exit_code, 0);
  const testing::CommandResult after = RunFeedwatch({"status", "--config", config.string()});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_TRUE(after.out.starts_with("FEED                     HEALTH    LAST STATUS")) << after.out;
  EXPECT_NE(after.out.find("\nwire                     ok        200                "),
            std::string::npos)
      << after.out;
  const testing::CommandResult json =
      RunFeedwatch({"status", "--json", "--config", config.string()});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find(R"("name": "wire",)"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find(R"("health": "ok",)"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find(R"("consecutive_failures": 0,)"), std::string::npos) << json.out;
}

// A datagram socket standing in for systemd's notification socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }
  ~NotifySocket() { close(fd_); }

  // Every message received until one contains `wanted`, or 20 s have passed.
  std::string ReadUntil(std::string_view wanted) {
    std::string all;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (all.find(wanted) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd ready{fd_, POLLIN, 0};
      if (poll(&ready, 1, 100) <= 0) continue;
      std::array<char, 4096> buffer{};
      const ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
      if (n > 0) all += std::string(buffer.data(), static_cast<size_t>(n)) + "\n";
    }
    return all;
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

TEST(Cli, RunTellsSystemdItIsReadyHowItIsAndThatItStops) {
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  NotifySocket systemd(dir.path() / "notify");
  setenv("NOTIFY_SOCKET", (dir.path() / "notify").c_str(), 1);
  testing::FeedwatchProcess daemon({"run", "--config", config.string()});
  unsetenv("NOTIFY_SOCKET");
  const std::string ready = systemd.ReadUntil("READY=1");
  EXPECT_NE(ready.find("READY=1\nSTATUS=1 feed: 0 ok, 0 failing; 0 matches today; outbox 0"),
            std::string::npos)
      << ready;
  // Within ten seconds of the first poll the status line counts the feed and its match.
  EXPECT_NE(systemd.ReadUntil("STATUS=1 feed: 1 ok")
                .find("STATUS=1 feed: 1 ok, 0 failing; 1 "
                      "match today; outbox 0"),
            std::string::npos);
  daemon.Signal(SIGTERM);
  EXPECT_NE(systemd.ReadUntil("STOPPING=1").find("STOPPING=1"), std::string::npos);
  EXPECT_EQ(daemon.Wait(5s), std::optional<int>(0)) << daemon.err();
}

// Acceptance of the systemd work in one run: READY, STATUS and the watchdog; on SIGHUP,
// RELOADING with MONOTONIC_USEC and READY again; on SIGTERM with a slow transfer in flight,
// STOPPING and exit 0 once the transfer is done, within the shutdown deadline.
TEST(Cli, PlaysSystemdThroughReadyReloadAndStopWithATransferInFlight) {
  std::atomic<int> requests{0};
  std::atomic<bool> stop{false};
  testing::LoopbackServer server;
  const std::string rss = testing::ReadFile(testing::DataDir() / "feeds" / "talks-en.rss");
  server.server().Get("/slow.rss", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    for (int i = 0; i < 30 && !stop; ++i) std::this_thread::sleep_for(50ms);
    res.set_content(rss, "application/rss+xml");
  });
  server.Start();
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  testing::WriteFile(config, testing::ReadFile(config) + "[[feed]]\nname = \"slow\"\nurl = \"" +
                                 server.Url("/slow.rss") + "\"\ninterval = \"1s\"\n");
  NotifySocket systemd(dir.path() / "notify");
  setenv("NOTIFY_SOCKET", (dir.path() / "notify").c_str(), 1);
  setenv("WATCHDOG_USEC", "2000000", 1);
  testing::FeedwatchProcess daemon({"run", "--config", config.string()});
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");

  EXPECT_NE(systemd.ReadUntil("READY=1").find("READY=1\nSTATUS=2 feeds: "), std::string::npos);
  const std::string running = systemd.ReadUntil("STATUS=2 feeds: 2 ok");
  EXPECT_NE(running.find("STATUS=2 feeds: 2 ok, 0 failing; 1 match today; outbox 0"),
            std::string::npos)
      << running;
  EXPECT_NE((running + systemd.ReadUntil("WATCHDOG=1")).find("WATCHDOG=1"), std::string::npos);

  daemon.Signal(SIGHUP);
  const std::string reload = systemd.ReadUntil("READY=1");
  EXPECT_NE(reload.find("RELOADING=1\nMONOTONIC_USEC="), std::string::npos) << reload;
  EXPECT_LT(reload.find("RELOADING=1"), reload.find("READY=1")) << reload;

  // A transfer of the slow feed starts after the reload; SIGTERM while it is in flight.
  const int before = requests;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (requests == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_GT(requests, before);
  const auto stopped_at = std::chrono::steady_clock::now();
  daemon.Signal(SIGTERM);
  EXPECT_NE(systemd.ReadUntil("STOPPING=1").find("STOPPING=1"), std::string::npos);
  EXPECT_EQ(daemon.Wait(15s), std::optional<int>(0)) << daemon.err();
  EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, 10s);  // the default deadline
  EXPECT_NE(daemon.err().find("waiting up to 10 s for 1 transfer in flight"), std::string::npos)
      << daemon.err();
  stop = true;
}

TEST(Cli, UnderJournaldEachLineStartsWithItsSyslogPriority) {
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  setenv("JOURNAL_STREAM", "8:12345", 1);
  const testing::CommandResult result = RunFeedwatch({"once", "--config", config.string()});
  unsetenv("JOURNAL_STREAM");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_TRUE(result.err.starts_with("<6>feedwatch ")) << result.err;
  EXPECT_NE(result.err.find("\n<6>feed wire: 4 items, 4 new, 1 new match\n"), std::string::npos)
      << result.err;
}

TEST(Cli, SighupAppliesAGoodConfigurationAndKeepsTheOldOneOverABadOne) {
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  testing::FeedwatchProcess daemon({"run", "--config", config.string()});
  const auto wait_for = [&](const std::string& text, bool in_err) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      if ((in_err ? daemon.err() : daemon.out()).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  };
  ASSERT_TRUE(wait_for("\tdarchiev\twire\t", false)) << daemon.err();

  // A bad edit: every error is logged, the running configuration stays.
  const std::string good = testing::ReadFile(config);
  testing::WriteFile(config, good + "[[feed]]\nname = \"wire\"\n");
  daemon.Signal(SIGHUP);
  EXPECT_TRUE(wait_for("is not valid; keeping the running configuration", true)) << daemon.err();
  EXPECT_NE(daemon.err().find("duplicate"), std::string::npos) << daemon.err();

  // A good edit adds a feed and a watch; the new feed is polled and alerts.
  std::filesystem::copy_file(testing::DataDir() / "feeds" / "talks-ru.atom",
                             dir.path() / "ru.atom");
  testing::WriteFile(config, good + R"([[feed]]
name = "lenta"
url = "file:ru.atom"
interval = "1s"
[[watch]]
name = "round-ru"
query = 'раунд*'
)");
  daemon.Signal(SIGHUP);
  EXPECT_TRUE(wait_for("SIGHUP: reloaded", true)) << daemon.err();
  EXPECT_TRUE(wait_for("\tround-ru\tlenta\t", false)) << daemon.out();
  // The feed that did not change kept its state: nothing of it alerted again.
  const std::string out = daemon.out();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
  daemon.Signal(SIGTERM);
  EXPECT_EQ(daemon.Wait(5s), std::optional<int>(0)) << daemon.err();
}

TEST(Cli, SigtermLetsATransferInFlightFinishAndBeRecorded) {
  std::atomic<bool> requested{false};
  testing::LoopbackServer server;
  const std::string rss = testing::ReadFile(testing::DataDir() / "feeds" / "talks-en.rss");
  server.server().Get("/slow.rss", [&](const httplib::Request&, httplib::Response& res) {
    requested = true;
    std::this_thread::sleep_for(1500ms);
    res.set_content(rss, "application/rss+xml");
  });
  server.Start();
  const testing::TempDir dir;
  const std::filesystem::path config = dir.path() / "feedwatch.toml";
  testing::WriteFile(config,
                     "[daemon]\nstate_dir = \"state\"\n[[feed]]\nname = \"slow\"\nurl = \"" +
                         server.Url("/slow.rss") + "\"\ninterval = \"1s\"\n");
  testing::FeedwatchProcess daemon({"run", "--config", config.string()});
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!requested && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(requested);
  daemon.Signal(SIGTERM);
  EXPECT_EQ(daemon.Wait(15s), std::optional<int>(0)) << daemon.err();
  EXPECT_NE(daemon.err().find("waiting up to 10 s for 1 transfer in flight"), std::string::npos)
      << daemon.err();
  const testing::CommandResult status = RunFeedwatch({"status", "--config", config.string()});
  EXPECT_NE(status.out.find("slow                     ok        200"), std::string::npos)
      << status.out;
}

// The lines of `help` after "Subcommands:" (or "Options:"): each entry's first word.
std::vector<std::string> HelpEntries(const std::string& help, const std::string& section) {
  std::vector<std::string> entries;
  const size_t at = help.find("\n" + section + ":\n");
  if (at == std::string::npos) return entries;
  std::istringstream lines(help.substr(at + section.size() + 3));
  for (std::string line; std::getline(lines, line) && !line.empty();) {
    if (line.size() < 3 || line[0] != ' ' || line[2] == ' ') continue;  // a wrapped description
    std::string entry = line.substr(2, line.find_first_of(" :=", 2) - 2);
    if (const size_t comma = entry.find(','); comma != std::string::npos) {
      entry = entry.substr(comma + 1);  // "-c,--config": the long name
    }
    entries.push_back(entry);
  }
  return entries;
}

TEST(Cli, TheManPageDescribesEveryCommandAndOptionHelpLists) {
  std::string page = testing::ReadFile(testing::SourceDir() / "docs" / "feedwatch.1");
  // troff's \- is a plain '-' in the rendered page.
  for (size_t at; (at = page.find("\\-")) != std::string::npos;) page.replace(at, 2, "-");
  const testing::CommandResult help = RunFeedwatch({"--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  const std::vector<std::string> commands = HelpEntries(help.out, "Subcommands");
  ASSERT_GE(commands.size(), 9u) << help.out;
  for (const std::string& option : HelpEntries(help.out, "Options")) {
    EXPECT_NE(page.find(option), std::string::npos) << "option " << option;
  }
  std::vector<std::string> all = commands;
  for (const std::string& command : commands) {
    const testing::CommandResult sub = RunFeedwatch({command, "--help"});
    for (const std::string& nested : HelpEntries(sub.out, "Subcommands")) {
      all.push_back(command + " " + nested);
    }
    for (const std::string& option : HelpEntries(sub.out, "Options")) {
      EXPECT_NE(page.find(option), std::string::npos) << command << " option " << option;
    }
  }
  for (const std::string& command : all) {
    EXPECT_TRUE(page.find("\n.SS " + command + "\n") != std::string::npos ||
                page.find("\n.SS " + command + " ") != std::string::npos ||
                page.find("\n.SS \"" + command + "\"") != std::string::npos)
        << "no section for `feedwatch " << command << "` in docs/feedwatch.1";
  }
}

TEST(Cli, DiscoverListsAPagesFeedsReadyToPasteIntoTheConfig) {
  testing::LoopbackServer server;
  const std::string page = testing::ReadFile(testing::DataDir() / "discover" / "news-site.html");
  server.server().Get("/world/", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(page, "text/html; charset=utf-8");
  });
  server.server().Get("/rss/world.xml", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        "<rss version=\"2.0\"><channel><title>Eurasia Wire: World</title>"
        "</channel></rss>",
        "application/rss+xml");
  });
  server.server().Get("/plain", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><body>No feeds here</body></html>", "text/html");
  });
  server.Start();
  const testing::CommandResult found = RunFeedwatch({"discover", server.Url("/world/")});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  EXPECT_NE(found.out.find("# 4 feeds advertised by"), std::string::npos) << found.out;
  EXPECT_NE(found.out.find("# Eurasia Wire — World (rss)\n[[feed]]\nname = "
                           "\"eurasia-wire-world\"\nurl = \"" +
                           server.Url("/rss/world.xml") + "\"\n"),
            std::string::npos)
      << found.out;
  // What it prints is configuration: with a watch added, it loads.
  const testing::TempDir dir;
  testing::WriteFile(dir.path() / "feedwatch.toml",
                     found.out +
                         "[[watch]]\nname = \"w\"\nquery = \"Darchiev\"\n"
                         "notify = [\"c\"]\n[[notify]]\nname = \"c\"\ntype = \"console\"\n");
  const testing::CommandResult check =
      RunFeedwatch({"check-config", "-c", (dir.path() / "feedwatch.toml").string()});
  EXPECT_EQ(check.exit_code, 0) << check.err << found.out;
  // A feed's own URL is listed as itself; a page without feeds is an error.
  const testing::CommandResult itself = RunFeedwatch({"discover", server.Url("/rss/world.xml")});
  EXPECT_EQ(itself.exit_code, 0) << itself.err;
  EXPECT_NE(itself.out.find("url = \"" + server.Url("/rss/world.xml") + "\""), std::string::npos)
      << itself.out;
  const testing::CommandResult none = RunFeedwatch({"discover", server.Url("/plain")});
  EXPECT_EQ(none.exit_code, 65);
  EXPECT_NE(none.err.find("advertises no feed"), std::string::npos) << none.err;
}

TEST(Cli, DiscoverNamesFeedsWithCyrillicTitlesInLatinLetters) {
  testing::LoopbackServer server;
  const std::string page =
      "<html><head><title>Новости</title>\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Новости\" "
      "href=\"/rss/all.xml\">\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Известия — Политика\" "
      "href=\"/rss/politics.xml\">\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"НОВОСТИ\" "
      "href=\"/rss/main.xml\">\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Київ — Новини\" "
      "href=\"/uk/rss.xml\">\n"
      "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Le Monde — À la une\" "
      "href=\"/fr/une.atom\">\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"★ ★ ★\" "
      "href=\"/ru/rss/%D1%8D%D0%BA%D0%BE%D0%BD%D0%BE%D0%BC%D0%B8%D0%BA%D0%B0.xml?x=1\">\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" href=\"/rss/sport/\">\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed/rss.xml\">\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" href=\"/index.rss\">\n"
      "</head><body></body></html>";
  server.server().Get("/", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(page, "text/html; charset=utf-8");
  });
  server.Start();
  const testing::CommandResult found = RunFeedwatch({"discover", server.Url("/")});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  std::vector<std::string> names;
  for (size_t at = 0; (at = found.out.find("\nname = \"", at)) != std::string::npos;) {
    at += 9;
    names.push_back(found.out.substr(at, found.out.find('"', at) - at));
  }
  // The title, transliterated; else the feed's path; else the host. Each name once.
  std::string host = server.Url("/").substr(7);
  host.pop_back();
  std::replace(host.begin(), host.end(), '.', '-');
  std::replace(host.begin(), host.end(), ':', '-');
  EXPECT_EQ(names, (std::vector<std::string>{"novosti", "izvestiia-politika", "novosti-2",
                                             "kyiv-novyny", "le-monde-a-la-une", "ekonomika",
                                             "sport", host, host + "-2"}))
      << found.out;
  // What it prints loads as configuration.
  const testing::TempDir dir;
  testing::WriteFile(dir.path() / "feedwatch.toml",
                     found.out +
                         "[[watch]]\nname = \"w\"\nquery = \"Darchiev\"\n"
                         "[[notify]]\nname = \"c\"\ntype = \"console\"\n");
  const Result<config::Config> loaded = config::LoadConfigFile(dir.path() / "feedwatch.toml");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message << "\n" << found.out;
  EXPECT_EQ(loaded->feeds.size(), 9u);
}

TEST(FeedNames, SlugsTransliterateCyrillicAndDropLatinAccents) {
  EXPECT_EQ(daemon::Slug("Новости"), "novosti");
  EXPECT_EQ(daemon::Slug("Известия"), "izvestiia");
  EXPECT_EQ(daemon::Slug("Щёлково: съезд, объём, Хабаровск"),
            "shchelkovo-sieezd-obieem-khabarovsk");
  EXPECT_EQ(daemon::Slug("Le Monde — À la une"), "le-monde-a-la-une");
  EXPECT_EQ(daemon::Slug("Łódź, Øresund, Straße"), "lodz-oresund-strasse");
  // Ukrainian: И is "y" where the text is Ukrainian, Й is "i" in both.
  EXPECT_EQ(daemon::Slug("Українська правда"), "ukrainska-pravda");
  EXPECT_EQ(daemon::Slug("Київ — Новини"), "kyiv-novyny");
  EXPECT_EQ(daemon::Slug("Новини й події: Київ"), "novyny-i-podii-kyiv");
  EXPECT_EQ(daemon::Slug("Мой край"), "moi-krai");
  // Nothing to write; bytes that are not UTF-8; at most 40 bytes, in whole words.
  EXPECT_EQ(daemon::Slug("★ 新闻 ★"), "");
  EXPECT_EQ(daemon::Slug("a\xFF\xFE"
                         "b"),
            "a-b");
  EXPECT_EQ(daemon::Slug("Министерство иностранных дел Российской Федерации"),
            "ministerstvo-inostrannykh-del-rossiiskoi");
  EXPECT_EQ(daemon::Slug("Министерство иностранных дел Королевства Нидерландов"),
            "ministerstvo-inostrannykh-del");
}
TEST(Cli, DiscoverWritesAHostileHrefAsTheSameUrl) {
  testing::LoopbackServer server;
  server.server().Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        "<html><head><title>x</title>"
        "<link rel=\"alternate\" type=\"application/rss+xml\" "
        "title=\"Line one\nurl = 'evil'\" href='http://x.test/f\" # y'>"
        "</head><body></body></html>",
        "text/html");
  });
  server.Start();
  const testing::CommandResult found = RunFeedwatch({"discover", server.Url("/")});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  // Loaded back, the configuration holds the href as the page wrote it, and nothing else.
  const testing::TempDir dir;
  testing::WriteFile(dir.path() / "feedwatch.toml",
                     found.out +
                         "[[watch]]\nname = \"w\"\nquery = \"Darchiev\"\n"
                         "[[notify]]\nname = \"c\"\ntype = \"console\"\n");
  const Result<config::Config> loaded = config::LoadConfigFile(dir.path() / "feedwatch.toml");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message << "\n" << found.out;
  ASSERT_EQ(loaded->feeds.size(), 1u) << found.out;
  EXPECT_EQ(loaded->feeds[0].url, "http://x.test/f\" # y") << found.out;
}

}  // namespace
}  // namespace feedwatch
