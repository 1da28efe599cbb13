// What an operator watches and what goes wrong under a daemon: /metrics (checked by promtool),
// /healthz when the filesystem under the database turns read-only, and a locked or corrupt
// database at start.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sqlite3.h>

#include <csignal>
#include <regex>
#include <thread>

#include "tests/support/support.h"

namespace feedwatch {
namespace {

using namespace std::chrono_literals;

constexpr int kExitIoError = 74;

// A config in `dir` polling one copy of the English fixture every second, with the metrics
// endpoint on a free port and the state in `state_dir`.
std::filesystem::path WriteConfig(const std::filesystem::path& dir,
                                  const std::filesystem::path& state_dir) {
  std::filesystem::copy_file(testing::DataDir() / "feeds" / "talks-en.rss", dir / "wire.rss");
  std::filesystem::path config = dir / "feedwatch.toml";
  testing::WriteFile(config, "[daemon]\nstate_dir = \"" + state_dir.string() +
                                 "\"\nmetrics_listen = \"127.0.0.1:0\"\n" + R"(
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

// The port the daemon says its metrics endpoint listens on; 0 if it does not say so in time.
int MetricsPort(const testing::FeedwatchProcess& daemon) {
  const std::regex said(R"(metrics: http://127\.0\.0\.1:(\d+)/metrics)");
  for (int i = 0; i < 200; ++i) {
    std::smatch match;
    const std::string err = daemon.err();
    if (std::regex_search(err, match, said)) return std::stoi(match[1]);
    std::this_thread::sleep_for(50ms);
  }
  return 0;
}

// The value of the sample `name` (with its labels, as printed) in a scrape; -1 when absent.
double Sample(const std::string& scrape, const std::string& name) {
  const size_t at = scrape.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(scrape.substr(at + name.size() + 2));
}

TEST(Operations, MetricsPassPromtoolAndCountTheWorkDone) {
  const testing::TempDir dir;
  const auto config = WriteConfig(dir.path(), dir.path() / "state");
  testing::FeedwatchProcess daemon({"run", "--config", config.string()});
  const int port = MetricsPort(daemon);
  ASSERT_GT(port, 0) << daemon.err();
  httplib::Client client("127.0.0.1", port);

  // Wait for two polls: the first reads the feed, the second finds it unchanged.
  std::string scrape;
  for (int i = 0; i < 100; ++i) {
    const httplib::Result res = client.Get("/metrics");
    ASSERT_TRUE(res) << "GET /metrics failed";
    ASSERT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    scrape = res->body;
    if (Sample(scrape, R"(feedwatch_fetches_total{result="unchanged"})") >= 1) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(Sample(scrape, R"(feedwatch_fetches_total{result="ok"})"), 1) << scrape;
  EXPECT_GE(Sample(scrape, R"(feedwatch_fetches_total{result="unchanged"})"), 1) << scrape;
  EXPECT_EQ(Sample(scrape, "feedwatch_items_parsed_total"), 4) << scrape;  // the fixture's items
  EXPECT_EQ(Sample(scrape, R"(feedwatch_matches_total{watch="darchiev"})"), 1) << scrape;
  EXPECT_EQ(Sample(scrape, R"(feedwatch_deliveries_total{notifier="console",result="sent"})"), 1)
      << scrape;
  EXPECT_GE(Sample(scrape, "feedwatch_fetch_duration_seconds_count"), 2) << scrape;
  EXPECT_EQ(Sample(scrape, "feedwatch_database_writable"), 1) << scrape;

  // promtool, the Prometheus project's own checker, reads the scrape.
  testing::WriteFile(dir.path() / "scrape.txt", scrape);
  testing::ChildProcess promtool(
      "/bin/sh", {"-c", "promtool check metrics < '" + (dir.path() / "scrape.txt").string() + "'"});
  EXPECT_EQ(promtool.Wait(60s), 0) << promtool.out() << promtool.err();

  const httplib::Result health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  daemon.Signal(SIGTERM);
  EXPECT_EQ(daemon.Wait(10s), 0) << daemon.err();
}

// An ext4 filesystem in a file, mounted with errors=remount-ro: the test can then make the
// kernel turn it read-only under the daemon, as it does on a disk error. Needs root (mount and
// a loop device); `error` says why when it cannot be made.
class Ext4Mount {
 public:
  explicit Ext4Mount(const std::filesystem::path& dir) : image_(dir / "fs.img"), at_(dir / "mnt") {
    std::filesystem::create_directory(at_);
    if (Run("truncate -s 16M '" + image_.string() + "' && mkfs.ext4 -q '" + image_.string() +
            "' && mount -o loop,errors=remount-ro '" + image_.string() + "' '" + at_.string() +
            "'") != 0) {
      error_ = "cannot mount an ext4 image (needs root, mkfs.ext4 and a loop device)";
      return;
    }
    mounted_ = true;
  }
  ~Ext4Mount() {
    if (mounted_) Run("umount -l '" + at_.string() + "'");
  }
  Ext4Mount(const Ext4Mount&) = delete;
  Ext4Mount& operator=(const Ext4Mount&) = delete;

  const std::string& error() const { return error_; }
  const std::filesystem::path& path() const { return at_; }

  // What a failing disk does: ext4 records an error and, with errors=remount-ro, the kernel
  // makes the filesystem read-only at once, open files and all.
  int MakeReadOnly() {
    return Run("echo 1 > /sys/fs/ext4/$(basename $(findmnt -n -o SOURCE '" + at_.string() +
               "'))/trigger_fs_error");
  }

 private:
  static int Run(const std::string& command) {
    testing::ChildProcess shell("/bin/sh", {"-c", command});
    return shell.Wait(60s).value_or(-1);
  }

  std::filesystem::path image_;
  std::filesystem::path at_;
  bool mounted_ = false;
  std::string error_;
};

TEST(Operations, HealthzTurnsUnhealthyWhenTheDatabaseBecomesReadOnly) {
  const testing::TempDir dir;
  Ext4Mount disk(dir.path());
  if (!disk.error().empty()) GTEST_SKIP() << disk.error();
  const auto config = WriteConfig(dir.path(), disk.path() / "state");
  testing::FeedwatchProcess daemon({"run", "--config", config.string()});
  const int port = MetricsPort(daemon);
  ASSERT_GT(port, 0) << daemon.err();
  httplib::Client client("127.0.0.1", port);
  const httplib::Result before = client.Get("/healthz");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 200) << before->body;

  ASSERT_EQ(disk.MakeReadOnly(), 0);
  int status = 0;
  std::string body;
  for (int i = 0; i < 150 && status != 503; ++i) {  // the database is checked every 5 s
    std::this_thread::sleep_for(100ms);
    const httplib::Result res = client.Get("/healthz");
    ASSERT_TRUE(res);
    status = res->status;
    body = res->body;
  }
  EXPECT_EQ(status, 503);
  EXPECT_TRUE(body.starts_with("the database is not writable: ")) << body;
  const httplib::Result scrape = client.Get("/metrics");
  ASSERT_TRUE(scrape);
  EXPECT_EQ(Sample(scrape->body, "feedwatch_database_writable"), 0);
  // It keeps running, and stops cleanly.
  daemon.Signal(SIGTERM);
  EXPECT_EQ(daemon.Wait(15s), 0) << daemon.err();
}

TEST(Operations, ALockedDatabaseAtStartIsOneClearErrorAndExit74) {
  const testing::TempDir dir;
  const auto config = WriteConfig(dir.path(), dir.path() / "state");
  ASSERT_EQ(testing::RunFeedwatch({"once", "--config", config.string()}).exit_code, 0);
  // Another process holds the database's write lock and does not let go.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "state" / "feedwatch.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  const testing::CommandResult result = testing::RunFeedwatch({"run", "--config", config.string()});
  sqlite3_close(db);
  EXPECT_EQ(result.exit_code, kExitIoError) << result.err;
  EXPECT_NE(result.err.find("database is locked"), std::string::npos) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
}

TEST(Operations, ACorruptDatabaseAtStartIsOneClearErrorAndExit74) {
  const testing::TempDir dir;
  const auto config = WriteConfig(dir.path(), dir.path() / "state");
  std::filesystem::create_directory(dir.path() / "state");
  std::string garbage(size_t{64} * 1024, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 131 % 251);
  testing::WriteFile(dir.path() / "state" / "feedwatch.db", garbage);
  const testing::CommandResult result = testing::RunFeedwatch({"run", "--config", config.string()});
  EXPECT_EQ(result.exit_code, kExitIoError) << result.err;
  EXPECT_NE(result.err.find("file is not a database"), std::string::npos) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
}

}  // namespace
}  // namespace feedwatch
