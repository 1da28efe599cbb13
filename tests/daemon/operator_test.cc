// What an operator's first day runs into (issue 34), on the binary as it is run: exit codes cron
// can read, a dry run that sends and writes nothing, global options on either side of the
// command, a port already taken, and what a reload says it changed.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <regex>
#include <string>
#include <thread>

#include "tests/support/pg.h"
#include "tests/support/support.h"

namespace feedwatch {
namespace {

using namespace std::chrono_literals;
using testing::RunFeedwatch;

constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// The wire's first `items` stories, each about the ambassador.
std::string Rss(int items) {
  static constexpr std::array<std::string_view, 3> kTitles = {
      "Darchiev meets senators on Capitol Hill", "Embassy staff cuts worry Darchiev",
      "Darchiev lays wreath at Arlington"};
  std::string rss = "<rss version=\"2.0\"><channel><title>Wire</title>";
  for (int i = 0; i < items; ++i) {
    rss += "<item><title>" + std::string(kTitles.at(static_cast<size_t>(i))) +
           "</title><link>http://wire.test/" + std::to_string(i + 1) +
           "</link><description>The ambassador spoke of the embassy's property.</description>"
           "</item>";
  }
  return rss + "</channel></rss>";
}

// Rows of `table` in the SQLite file, read as the sqlite3 shell would.
int64_t Rows(const std::filesystem::path& db, const std::string& table) {
  sqlite3* handle = nullptr;
  sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(handle, ("SELECT count(*) FROM " + table).c_str(), -1, &stmt, nullptr);
  const int64_t n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  return n;
}

// A loopback port nothing listens on: connecting to it is refused.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), size), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
  close(fd);
  return ntohs(address.sin_port);
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

class OperatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Get("/wire.rss", [this](const httplib::Request&, httplib::Response& res) {
      const std::lock_guard lock(mutex_);
      res.set_content(feed_, "application/rss+xml");
    });
    server_.Start();
    SetItems(2);
    std::filesystem::create_directory(maildir());
  }
  void SetItems(int n) {
    const std::lock_guard lock(mutex_);
    feed_ = Rss(n);
  }
  std::filesystem::path maildir() const { return dir_.path() / "mail"; }
  std::filesystem::path hooks() const { return dir_.path() / "hooks.jsonl"; }
  size_t Mails() const {
    size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(maildir())) {
      n += entry.path().extension() == ".eml" ? 1 : 0;
    }
    return n;
  }
  size_t Hooks() const {
    return std::filesystem::exists(hooks()) ? Count(testing::ReadFile(hooks()), "\n") : 0;
  }

  // The loopback feed, and `extra_feeds`, alerting a mail desk and a signed webhook.
  std::filesystem::path WriteConfig(int smtp_port, int hook_port,
                                    const std::string& extra_feeds = "") const {
    testing::WriteFile(dir_.path() / "hook-secret", std::string(kSecret) + "\n");
    std::filesystem::permissions(
        dir_.path() / "hook-secret",
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    const std::filesystem::path config = dir_.path() / "feedwatch.toml";
    testing::WriteFile(
        config,
        "[daemon]\nstate_dir = \"state\"\n[defaults]\ninitial_lookback = \"all\"\n"
        "[smtp]\nurl = \"smtp://127.0.0.1:" +
            std::to_string(smtp_port) +
            "\"\nfrom = \"alerts@example.org\"\n[[feed]]\nname = \"wire\"\nurl = \"" +
            server_.Url("/wire.rss") + "\"\n" + extra_feeds +
            "[[watch]]\nname = \"darchiev\"\nquery = \"Darchiev\"\nnotify = [\"desk\", "
            "\"hook\"]\n[[notify]]\nname = \"desk\"\ntype = \"email\"\nto = "
            "[\"desk@example.org\"]\n[[notify]]\nname = \"hook\"\ntype = \"webhook\"\n"
            "url = \"http://127.0.0.1:" +
            std::to_string(hook_port) + "/hook\"\nsecret_file = \"hook-secret\"\n");
    return config;
  }

  std::mutex mutex_;
  std::string feed_;
  testing::LoopbackServer server_;
  testing::TempDir dir_;
};

TEST_F(OperatorTest, ADryRunPrintsWhatWouldBeSentAndSendsAndWritesNothing) {
  const testing::PythonServer smtp("smtp_sink", {"--maildir", maildir().string()});
  const testing::PythonServer hook("webhook_receiver",
                                   {"--log", hooks().string(), "--secret", std::string(kSecret)});
  const auto config = WriteConfig(smtp.port(), hook.port());

  // On a scratch state that does not exist: the first cycle's alerts, printed; global options
  // before the command.
  const std::filesystem::path scratch = dir_.path() / "scratch";
  testing::CommandResult run =
      RunFeedwatch({"-c", config.string(), "--state-dir", scratch.string(), "once", "--dry-run"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Count(run.out, "would send to desk\t"), 2u) << run.out;
  EXPECT_EQ(Count(run.out, "would send to hook\t"), 2u) << run.out;
  EXPECT_NE(
      run.out.find("\tdarchiev\twire\tEmbassy staff cuts worry Darchiev\thttp://wire.test/2\t"),
      std::string::npos)
      << run.out;
  EXPECT_FALSE(std::filesystem::exists(scratch)) << "a dry run creates no state";
  EXPECT_EQ(Mails(), 0u);
  EXPECT_EQ(Hooks(), 0u);

  // The real run sends them; a dry run on its state then shows only what is new since.
  run = RunFeedwatch({"once", "-c", config.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Mails(), 2u);
  EXPECT_EQ(Hooks(), 2u);
  const std::filesystem::path db = dir_.path() / "state" / "feedwatch.db";
  const int64_t items = Rows(db, "items");
  const int64_t deliveries = Rows(db, "deliveries");
  SetItems(3);
  run = RunFeedwatch({"once", "--dry-run", "-c", config.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Count(run.out, "would send to "), 2u) << run.out;
  EXPECT_NE(run.out.find("Darchiev lays wreath at Arlington"), std::string::npos) << run.out;
  EXPECT_EQ(Rows(db, "items"), items);
  EXPECT_EQ(Rows(db, "deliveries"), deliveries);
  EXPECT_EQ(Mails(), 2u);
  EXPECT_EQ(Hooks(), 2u);
  // The next real run still finds day 3 new.
  run = RunFeedwatch({"once", "-c", config.string()});
  EXPECT_EQ(Mails(), 3u) << run.err;
}

TEST_F(OperatorTest, ADryRunOnPostgresqlCreatesNoTableAndWritesNoRow) {
  const testing::PythonServer hook("webhook_receiver",
                                   {"--log", hooks().string(), "--secret", std::string(kSecret)});
  const std::string url = testing::NewPgDatabase();
  auto config = WriteConfig(ClosedPort(), hook.port());
  testing::WriteFile(config, "[store]\nurl = \"" + url + "\"\n" + testing::ReadFile(config));
  // A database feedwatch never ran on: the dry run starts from nothing and leaves it empty.
  testing::CommandResult run = RunFeedwatch({"once", "--dry-run", "-c", config.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Count(run.out, "would send to hook\t"), 2u) << run.out;
  EXPECT_EQ(testing::PgQuery(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
            "0");
  // After a real run: the dry run reads it and changes no row.
  run = RunFeedwatch({"once", "-c", config.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string rows =
      "SELECT (SELECT count(*) FROM items) || '/' || (SELECT count(*) FROM "
      "deliveries) || '/' || (SELECT count(*) FROM meta)";
  const std::string before = testing::PgQuery(url, rows);
  SetItems(3);
  run = RunFeedwatch({"once", "--dry-run", "-c", config.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Count(run.out, "would send to "), 2u) << run.out;
  EXPECT_EQ(testing::PgQuery(url, rows), before);
  EXPECT_EQ(Hooks(), 2u);
}

TEST_F(OperatorTest, StatusShowsEachNotifiersOutboxAndLastSend) {
  // The mail server is down, the webhook receiver up.
  const testing::PythonServer hook("webhook_receiver",
                                   {"--log", hooks().string(), "--secret", std::string(kSecret)});
  const auto config = WriteConfig(ClosedPort(), hook.port());
  ASSERT_EQ(RunFeedwatch({"once", "-c", config.string()}).exit_code, 0);
  const testing::CommandResult status = RunFeedwatch({"status", "-c", config.string()});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(
      std::regex_search(status.out, std::regex("\ndesk +email +2 +0 [0-9]+s ago +never +-\n")))
      << status.out;
  EXPECT_TRUE(std::regex_search(
      status.out, std::regex("\nhook +webhook +0 +0 +- +[0-9]+s ago +[0-9]+s/[0-9]+s\n")))
      << status.out;
  EXPECT_NE(status.out.find("outbox: 2 pending, 0 dead\n"), std::string::npos) << status.out;
  const testing::CommandResult json = RunFeedwatch({"status", "--json", "-c", config.string()});
  EXPECT_NE(json.out.find("\"name\": \"desk\",\n      \"type\": \"email\",\n      \"pending\": 2"),
            std::string::npos)
      << json.out;
}

TEST_F(OperatorTest, OnceExitsSeventyFiveWhenSomeFeedsFailAndSixtyNineWhenAllDo) {
  const testing::PythonServer smtp("smtp_sink", {"--maildir", maildir().string()});
  const testing::PythonServer hook("webhook_receiver",
                                   {"--log", hooks().string(), "--secret", std::string(kSecret)});
  const std::string dead_url = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/x.rss";
  const auto config = WriteConfig(smtp.port(), hook.port(),
                                  "[[feed]]\nname = \"gone\"\nurl = \"" + dead_url + "\"\n");
  testing::CommandResult run = RunFeedwatch({"once", "-c", config.string()});
  EXPECT_EQ(run.exit_code, 75) << run.err;
  EXPECT_NE(run.err.find("1 of 2 feeds failed; the log says why"), std::string::npos) << run.err;
  EXPECT_EQ(Mails(), 2u) << "the good feed's alerts went out";

  // Only the dead feed: every feed failed.
  testing::WriteFile(
      config,
      "[daemon]\nstate_dir = \"state\"\n[[feed]]\nname = \"gone\"\nurl = \"" + dead_url + "\"\n");
  run = RunFeedwatch({"once", "-c", config.string()});
  EXPECT_EQ(run.exit_code, 69) << run.err;
  EXPECT_NE(run.err.find("1 of 1 feed failed"), std::string::npos) << run.err;
}

TEST_F(OperatorTest, RunOnATakenPortExitsSixtyNineBeforeCreatingAnything) {
  // A port in use: our own listening socket.
  httplib::Server other;
  const int port = other.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { other.listen_after_bind(); });
  const auto config = dir_.path() / "feedwatch.toml";
  testing::WriteFile(config, "[daemon]\nstate_dir = \"state\"\nmetrics_listen = \"127.0.0.1:" +
                                 std::to_string(port) + "\"\n[[feed]]\nname = \"wire\"\nurl = \"" +
                                 server_.Url("/wire.rss") + "\"\n");
  const testing::CommandResult run = RunFeedwatch({"run", "-c", config.string()});
  other.stop();
  serving.join();
  EXPECT_EQ(run.exit_code, 69) << run.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "state")) << run.err;
}

TEST_F(OperatorTest, AReloadSaysWhichFeedsWatchesAndNotifiersItAddedRemovedAndChanged) {
  const testing::PythonServer smtp("smtp_sink", {"--maildir", maildir().string()});
  const testing::PythonServer hook("webhook_receiver",
                                   {"--log", hooks().string(), "--secret", std::string(kSecret)});
  const auto config =
      WriteConfig(smtp.port(), hook.port(),
                  "[[feed]]\nname = \"old\"\nurl = \"" + server_.Url("/old.rss") + "\"\n");
  testing::FeedwatchProcess daemon({"run", "-c", config.string()});
  const auto wait_for = [&](const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (daemon.err().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  };
  ASSERT_TRUE(wait_for(": 2 feeds, 1 watch, state in ")) << daemon.err();
  // A feed renamed, another's interval changed, the watch's query changed, a console added,
  // the transfer timeout changed (the webhook's with it).
  std::string text = testing::ReadFile(config);
  text = std::regex_replace(text, std::regex("name = \"old\""), "name = \"new\"");
  text = std::regex_replace(text, std::regex("name = \"wire\"\n"),
                            "name = \"wire\"\ninterval = \"5m\"\n");
  text = std::regex_replace(text, std::regex("query = \"Darchiev\""),
                            "query = \"Darchiev OR Дарчиев\"");
  text += "[[notify]]\nname = \"screen\"\ntype = \"console\"\n[http]\ntimeout = \"20s\"\n";
  testing::WriteFile(config, text);
  daemon.Signal(SIGHUP);
  EXPECT_TRUE(wait_for("SIGHUP: reloaded " + config.string() +
                       " (2 feeds, 1 watch, 3 notifiers): feeds +new -old ~wire; watches "
                       "~darchiev; notifiers +screen ~hook; changed [http]\n"))
      << daemon.err();
  // The same file again: nothing changed, and it says so.
  daemon.Signal(SIGHUP);
  EXPECT_TRUE(wait_for("notifiers): nothing changed\n")) << daemon.err();
  daemon.Signal(SIGTERM);
  EXPECT_EQ(daemon.Wait(10s), std::optional<int>(0)) << daemon.err();
}

}  // namespace
}  // namespace feedwatch
