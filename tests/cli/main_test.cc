// The feedwatch binary as an operator runs it: what only the process shows (the arguments, the
// exit codes, the log's format, signals, systemd's socket, `run`). The commands themselves are
// tested in process by the other tests of tests/cli.
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
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

#include "cli/status.h"
#include "tests/cli/local_config.h"
#include "tests/support/support.h"

namespace feedwatch::cli {
namespace {

using namespace std::chrono_literals;
using testing::RunFeedwatch;

// One failure of each kind through the binary: main maps each command's error to its sysexits(3)
// code and prints the message on standard error as it is, caret lines and all.
TEST(Cli, ExitCodesFollowSysexits) {
  EXPECT_EQ(RunFeedwatch({"frobnicate"}).exit_code, 64);  // EX_USAGE
  EXPECT_EQ(RunFeedwatch({}).exit_code, 64);
  EXPECT_EQ(RunFeedwatch({"parse"}).exit_code, 64);
  EXPECT_EQ(RunFeedwatch({"test-filter", "Darchiev"}).exit_code, 64);
  const testing::CommandResult html =
      RunFeedwatch({"parse", (testing::DataDir() / "feeds/corpus/error-html-page.html").string()});
  EXPECT_EQ(html.exit_code, 65);  // EX_DATAERR
  EXPECT_NE(html.err.find("not a feed: this is an HTML page"), std::string::npos) << html.err;
  EXPECT_EQ(RunFeedwatch({"parse", "/nonexistent/feed.xml"}).exit_code, 66);  // EX_NOINPUT
  EXPECT_EQ(RunFeedwatch({"parse", "http://127.0.0.1:1/feed.rss"}).exit_code,
            69);  // EX_UNAVAILABLE

  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  const testing::CommandResult before = RunFeedwatch({"status", "--config", config.string()});
  EXPECT_EQ(before.exit_code, 66) << before.err;  // nothing polled yet: no database
  EXPECT_NE(before.err.find("no database yet"), std::string::npos) << before.err;
  testing::WriteFile(dir.path() / "blocker", "");
  const testing::CommandResult unwritable =
      RunFeedwatch({"once", "--config", config.string(), "--state-dir",
                    (dir.path() / "blocker" / "x").string()});
  EXPECT_EQ(unwritable.exit_code, 73);  // EX_CANTCREAT
  EXPECT_NE(
      unwritable.err.find("state directory " + (dir.path() / "blocker" / "x").string() + ": "),
      std::string::npos)
      << unwritable.err;

  const auto bad = dir.path() / "bad.toml";
  testing::WriteFile(bad,
                     "[[feed]]\nname = \"tass\"\nurl = \"https://tass.com/rss/v2.xml\"\n"
                     "intervall = \"5m\"\n");
  const testing::CommandResult result = RunFeedwatch({"check-config", "--config", bad.string()});
  EXPECT_EQ(result.exit_code, 78);  // EX_CONFIG
  EXPECT_EQ(result.err, bad.string() +
                            ":4:1: unknown key \"intervall\" in [[feed]]; did you mean "
                            "\"interval\"?\n  intervall = \"5m\"\n  ^\n");
  EXPECT_EQ(result.out, "");
}

// Every command's output goes to standard output, its warnings to standard error.
TEST(Cli, CommandsWriteTheirReportToStandardOutput) {
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  const testing::CommandResult once = RunFeedwatch({"once", "-c", config.string()});
  ASSERT_EQ(once.exit_code, 0) << once.err;
  EXPECT_NE(once.out.find("\tdarchiev\twire\t"), std::string::npos) << once.out;
  const testing::CommandResult status = RunFeedwatch({"status", "-c", config.string()});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(status.out.starts_with("FEED ")) << status.out;
  const testing::CommandResult check = RunFeedwatch({"check-config", "-c", config.string()});
  EXPECT_EQ(check.out, config.string() + ": OK (1 feed, 1 watch, 1 notifier)\n");
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

// The bundled example configuration, its outlets served from 127.0.0.1 (each answers with one
// of the fixture corpus's documents) and the whole corpus added as file: feeds: `feedwatch
// once` fetches, parses, matches, stores and alerts, and LeakSanitizer finds nothing left
// behind. Meaningful only in the sanitizer build (the asan preset), where a leak fails the run.
TEST(Cli, OnceOnTheBundledFeedsIsLeakSanitizerClean) {
#if !defined(FEEDWATCH_TEST_ASAN)
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
  std::ostringstream status;
  ASSERT_TRUE(PrintStatus({.config = config.string()}, false, status).ok());
  EXPECT_NE(status.str().find("slow                     ok        200"), std::string::npos)
      << status.str();
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
      all.push_back(std::string(command).append(" ").append(nested));
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

}  // namespace
}  // namespace feedwatch::cli
