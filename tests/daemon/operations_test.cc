// What an operator watches and what goes wrong under a daemon: /metrics (checked by promtool),
// /healthz and what is kept when the filesystem under the database turns read-only or fills up,
// and a locked or corrupt database at start.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <optional>
#include <random>
#include <regex>
#include <thread>

#include "tests/daemon/log_capture.h"
#include "tests/daemon/run_daemon.h"
#include "tests/support/fake_http_client.h"
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
  const std::regex said(R"(listening on http://127\.0\.0\.1:(\d+)/)");
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
    if (Sample(scrape, R"(feedwatch_fetches_total{result="unchanged"})") >= 1 &&
        Sample(scrape, R"(feedwatch_notifier_latency_seconds_count{notifier="console"})") >= 1) {
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(Sample(scrape, R"(feedwatch_fetches_total{result="ok"})"), 1) << scrape;
  EXPECT_GE(Sample(scrape, R"(feedwatch_fetches_total{result="unchanged"})"), 1) << scrape;
  EXPECT_EQ(Sample(scrape, "feedwatch_items_parsed_total"), 4) << scrape;  // the fixture's items
  EXPECT_EQ(Sample(scrape, R"(feedwatch_matches_total{watch="darchiev"})"), 1) << scrape;
  EXPECT_EQ(Sample(scrape, R"(feedwatch_deliveries_total{notifier="console",result="sent"})"), 1)
      << scrape;
  EXPECT_GE(Sample(scrape, "feedwatch_fetch_duration_seconds_count"), 2) << scrape;
  // The alert's latency, from its item's publication (the fixture's items are old: +Inf).
  EXPECT_EQ(Sample(scrape, R"(feedwatch_alert_latency_seconds_count{feed="wire"})"), 1) << scrape;
  EXPECT_EQ(Sample(scrape, R"(feedwatch_notifier_latency_seconds_count{notifier="console"})"), 1)
      << scrape;
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

// A connection to 127.0.0.1:port; -1 on failure. `receive_buffer` > 0 shrinks the socket's
// receive buffer (to the kernel's least), for a client that takes its answer slowly.
int Connect(int port, int receive_buffer = 0) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (receive_buffer > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// `feedwatch run` on the configuration in `dir` (WriteConfig), in this process so that its heap
// can be measured the same way in every build (testing::LiveHeapBytes: under AddressSanitizer,
// a process's resident set is mostly shadow memory and quarantine). It runs on a thread of its
// own with the system's clock and curl, and stops as `run` does: SIGTERM, read from a signalfd.
class RunningDaemon {
 public:
  explicit RunningDaemon(const std::filesystem::path& dir)
      : console_(std::fopen((dir / "alerts.txt").c_str(), "w")) {
    // Blocked before the daemon's threads start, so that they inherit it blocked: SIGTERM sent
    // to the loop's thread waits on its signalfd.
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigset_t previous;
    pthread_sigmask(SIG_BLOCK, &term, &previous);
    daemon_ = daemon::MakeDaemon(testing::ReadFile(dir / "feedwatch.toml"),
                                 {.dir = dir, .console = console_, .forever = true});
    if (daemon_ != nullptr) {
      const std::string address = daemon_->metrics_address();
      port_ = std::stoi(address.substr(address.rfind(':') + 1));
      loop_ = std::thread([this, term] {
        const int signal_fd = signalfd(-1, &term, SFD_NONBLOCK | SFD_CLOEXEC);
        exit_ = daemon_->Run(signal_fd);
        close(signal_fd);
      });
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }
  ~RunningDaemon() {
    Stop();
    std::fclose(console_);
  }
  RunningDaemon(const RunningDaemon&) = delete;
  RunningDaemon& operator=(const RunningDaemon&) = delete;

  // The listener's port; 0 when the daemon could not start.
  int port() const { return port_; }

  // SIGTERM; whether the loop stopped for it.
  bool Stop() {
    if (!loop_.joinable()) return false;
    // Blocked there and read from its signalfd, as `run` reads it: the loop stops by itself.
    pthread_kill(loop_.native_handle(), SIGTERM);  // NOLINT(bugprone-bad-signal-to-kill-thread)
    loop_.join();
    return exit_ == daemon::Daemon::Exit::kStopped;
  }

 private:
  std::FILE* console_;
  std::unique_ptr<daemon::Daemon> daemon_;
  int port_ = 0;
  std::thread loop_;
  daemon::Daemon::Exit exit_ = daemon::Daemon::Exit::kDone;
};

// The most the live heap reaches while the object lives, sampled every millisecond.
class HeapPeak {
 public:
  HeapPeak() : peak_(testing::LiveHeapBytes()) {
    sampler_ = std::thread([this] {
      while (!stop_) {
        peak_ = std::max(peak_.load(), testing::LiveHeapBytes());
        std::this_thread::sleep_for(1ms);
      }
    });
  }
  ~HeapPeak() { Stop(); }
  HeapPeak(const HeapPeak&) = delete;
  HeapPeak& operator=(const HeapPeak&) = delete;

  size_t Stop() {
    stop_ = true;
    if (sampler_.joinable()) sampler_.join();
    return peak_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<size_t> peak_;
  std::thread sampler_;
};

// The daemon's first poll is done (its alert sent): what start-up allocates is allocated.
void WaitForTheFirstPoll(int port) {
  httplib::Client client("127.0.0.1", port);
  for (int i = 0; i < 200; ++i) {
    const httplib::Result res = client.Get("/metrics");
    if (res &&
        Sample(res->body, R"(feedwatch_deliveries_total{notifier="console",result="sent"})") >= 1) {
      return;
    }
    std::this_thread::sleep_for(50ms);
  }
  ADD_FAILURE() << "no poll in 10 s";
}

constexpr size_t kMiB = size_t{1} << 20;

TEST(Operations, HostileClientsCannotTakeTheMetricsListenerDownNorGrowTheHeap) {
  const testing::TempDir dir;
  WriteConfig(dir.path(), dir.path() / "state");
  RunningDaemon daemon(dir.path());
  const int port = daemon.port();
  ASSERT_GT(port, 0);
  WaitForTheFirstPoll(port);
  const std::string chunk(kMiB, 'x');  // what the attackers send, allocated before measuring
  const size_t heap_before = testing::LiveHeapBytes();
  HeapPeak heap;
  std::atomic<bool> stop{false};
  std::vector<std::thread> attackers;
  attackers.reserve(14);
  // Twelve send a header line every two seconds, never finishing.
  for (int i = 0; i < 12; ++i) {
    attackers.emplace_back([&] {
      const int fd = Connect(port);
      const std::string line = "GET /healthz HTTP/1.1\r\n";
      (void)send(fd, line.data(), line.size(), MSG_NOSIGNAL);
      while (!stop) {
        (void)send(fd, "X-Slow: yes\r\n", 13, MSG_NOSIGNAL);
        for (int k = 0; k < 20 && !stop; ++k) std::this_thread::sleep_for(100ms);
      }
      close(fd);
    });
  }
  // 200 connect and say nothing: more than the listener's connection cap.
  std::vector<int> idle;
  idle.reserve(200);
  for (int i = 0; i < 200; ++i) idle.push_back(Connect(port));
  // One posts a body of 300 MB.
  std::atomic<long long> sent_in_body{0};
  attackers.emplace_back([&] {
    const int fd = Connect(port);
    const std::string head =
        "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 314572800\r\n\r\n";
    (void)send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    for (int i = 0; i < 300 && !stop; ++i) {
      const ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      sent_in_body += n;
    }
    close(fd);
  });
  // And one sends 300 MB in request heads that never end, connecting again whenever the
  // listener closes its connection.
  std::atomic<long long> sent_in_heads{0};
  attackers.emplace_back([&] {
    const std::string head = "GET /metrics HTTP/1.1\r\nX-Long: ";
    while (!stop && sent_in_heads < 300 * static_cast<long long>(kMiB)) {
      const int fd = Connect(port);
      (void)send(fd, head.data(), head.size(), MSG_NOSIGNAL);
      for (ssize_t n = 1; n > 0 && !stop && sent_in_heads < 300 * static_cast<long long>(kMiB);) {
        n = send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
        if (n > 0) sent_in_heads += n;
      }
      close(fd);
    }
  });

  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1s);
  client.set_read_timeout(1s);
  for (int i = 0; i < 8; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const httplib::Result health = client.Get("/healthz");
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(health) << "GET /healthz got no answer in round " << i;
    EXPECT_EQ(health->status, 200);
    EXPECT_LT(took, 1s);
    std::this_thread::sleep_for(1s);
  }
  stop = true;
  for (std::thread& attacker : attackers) attacker.join();
  for (const int fd : idle) close(fd);
  const size_t peak = heap.Stop();
  std::cerr << "live heap " << heap_before / 1024 << " KiB before, peak " << peak / 1024
            << " KiB; bytes the clients got sent: " << sent_in_heads << " in heads, "
            << sent_in_body << " in a body\n";
  // The listener holds at most 64 connections' heads of 8 KiB; the daemon's own polls come and
  // go beside them. What the clients sent is nowhere near.
  EXPECT_LT(peak - std::min(peak, heap_before), 4 * kMiB);
  EXPECT_TRUE(daemon.Stop());
}

TEST(Operations, SlowReadersOfTheLargestFeedAndDeskPagesLeaveHealthzAnswerable) {
  const testing::TempDir dir;
  WriteConfig(dir.path(), dir.path() / "state");
  // 55 stories whose titles are 150 KB each: the feed page is what a page may hold at most.
  std::string rss = "<rss version=\"2.0\"><channel><title>Wire</title>";
  std::mt19937 random(7);
  for (int i = 0; i < 55; ++i) {
    std::string title = "Darchiev";
    while (title.size() < 150'000) title += " w" + std::to_string(random() % 100'000);
    rss += "<item><title>" + title + "</title><guid>g" + std::to_string(i) + "</guid></item>";
  }
  testing::WriteFile(dir.path() / "wire.rss", rss + "</channel></rss>");
  RunningDaemon daemon(dir.path());
  const int port = daemon.port();
  ASSERT_GT(port, 0);
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1s);
  client.set_read_timeout(2s);
  // `path` once it shows `marker` (its stories are in), or the last answer after 20 s.
  const auto get_when_shows = [&](const std::string& path, const std::string& marker) {
    std::string body;
    for (int i = 0; i < 100 && body.find(marker) == std::string::npos; ++i) {
      if (const httplib::Result got = client.Get(path)) body = got->body;
      std::this_thread::sleep_for(200ms);
    }
    return body;
  };
  const std::string page = get_when_shows("/feeds/darchiev.atom", "</entry>");
  ASSERT_NE(page.find("</entry>"), std::string::npos);
  EXPECT_LT(page.size(), 50u * 4096) << "entries and fields are capped";
  const std::string desk = get_when_shows("/", "</article>");
  ASSERT_NE(desk.find("</article>"), std::string::npos);
  EXPECT_LT(desk.size(), 50u * 4096) << "stories and fields are capped";
  // 64 clients ask for the pages with the smallest receive buffer and never read them. A page
  // is small enough for the kernel's socket buffers to take it whole, so they do not hold the
  // listener's large-answer slots (tests/net/http_listener_test.cc holds those with a 15 MB
  // answer, and measures that it is shared).
  std::vector<int> stuck;
  for (int i = 0; i < 64; ++i) {
    const int fd = Connect(port, /*receive_buffer=*/1);
    ASSERT_GE(fd, 0);
    const std::string request = std::string("GET ") + (i % 2 == 0 ? "/feeds/darchiev.atom" : "/") +
                                " HTTP/1.1\r\nHost: x\r\n\r\n";
    (void)send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    stuck.push_back(fd);
  }
  for (int i = 0; i < 10; ++i) {
    const httplib::Result health = client.Get("/healthz");
    ASSERT_TRUE(health) << "GET /healthz got no answer in round " << i;
    EXPECT_EQ(health->status, 200);
    std::this_thread::sleep_for(200ms);
  }
  for (const int fd : stuck) close(fd);
  EXPECT_TRUE(daemon.Stop());
}

// Runs `command` with /bin/sh; its exit code.
int Shell(const std::string& command) {
  testing::ChildProcess shell("/bin/sh", {"-c", command});
  return shell.Wait(60s).value_or(-1);
}

// A filesystem the test mounts at DIR/mnt and unmounts when done. Needs root (mount, and a loop
// device for ext4); `error` says why when it cannot be made, and the test skips.
class TestMount {
 public:
  enum class Kind {
    // ext4 in a 16 MB file, mounted with errors=remount-ro, so that MakeReadOnly() can make the
    // kernel turn it read-only under the daemon, as it does on a disk error.
    kExt4,
    // a 4 MB tmpfs, for filling.
    kSmallTmpfs,
  };

  TestMount(const std::filesystem::path& dir, Kind kind)
      : image_(dir / "fs.img"), at_(dir / "mnt") {
    std::filesystem::create_directory(at_);
    const bool ext4 = kind == Kind::kExt4;
    if (ext4 && Shell("truncate -s 16M '" + image_.string() + "' && mkfs.ext4 -q '" +
                      image_.string() + "'") != 0) {
      error_ = "cannot make an ext4 image (needs mkfs.ext4)";
      return;
    }
    if (Shell(ext4 ? MountExt4() : "mount -t tmpfs -o size=4m tmpfs '" + at_.string() + "'") != 0) {
      error_ = ext4 ? "cannot mount an ext4 image (needs root and a loop device)"
                    : "cannot mount a tmpfs (needs root)";
      return;
    }
    mounted_ = true;
  }
  ~TestMount() {
    if (mounted_) Shell("umount -l '" + at_.string() + "'");
  }
  TestMount(const TestMount&) = delete;
  TestMount& operator=(const TestMount&) = delete;

  const std::string& error() const { return error_; }
  const std::filesystem::path& path() const { return at_; }

  // ext4: what a failing disk does. ext4 records an error and, with errors=remount-ro, the
  // kernel makes the filesystem read-only at once, open files and all.
  int MakeReadOnly() const {
    return Shell("echo 1 > /sys/fs/ext4/$(basename $(findmnt -n -o SOURCE '" + at_.string() +
                 "'))/trigger_fs_error");
  }

  // ext4: what an operator does after a disk error: unmount, e2fsck, mount again.
  int Repair() const {
    return Shell("umount '" + at_.string() + "' && { e2fsck -fy '" + image_.string() +
                 "' >/dev/null; [ $? -le 1 ]; } && " + MountExt4());
  }

  // tmpfs: writes to `file` until the filesystem is full; the bytes written.
  size_t Fill(const std::filesystem::path& file) const {
    std::FILE* out = std::fopen(file.c_str(), "wb");
    if (out == nullptr) return 0;
    const std::string block(4096, 'x');
    size_t written = 0;
    while (std::fwrite(block.data(), 1, block.size(), out) == block.size() &&
           std::fflush(out) == 0) {
      written += block.size();
    }
    std::fclose(out);
    return written;
  }

 private:
  std::string MountExt4() const {
    return "mount -o loop,errors=remount-ro '" + image_.string() + "' '" + at_.string() + "'";
  }

  std::filesystem::path image_;
  std::filesystem::path at_;
  bool mounted_ = false;
  std::string error_;
};

// The daemon (in this process, in fake time, its feed scripted) with its database on a
// filesystem the test mounts (KIND), polling a copy of the English fixture every second. Fake
// time lets it run for minutes of housekeeping (every 5 s) in milliseconds. Skips where the
// filesystem cannot be mounted.
template <TestMount::Kind kKind>
class DiskFault : public ::testing::Test {
 protected:
  static constexpr const char* kUrl = "http://wire.example/rss";

  void SetUp() override {
    disk_.emplace(dir_.path(), kKind);
    if (!disk_->error().empty()) GTEST_SKIP() << disk_->error();
    rss_ = testing::ReadFile(testing::DataDir() / "feeds" / "talks-en.rss");
    http_.On(kUrl, [this](const net::Request&) {
      return Result<net::Response>(
          testing::FakeHttpClient::Reply(200, rss_, {{"content-type", "application/rss+xml"}}));
    });
    daemon_ = Start(/*forever=*/true, alerts_);
    ASSERT_NE(daemon_, nullptr);
    // The fixture's Darchiev item alerts on the first poll.
    RunFor(5s);
    ASSERT_EQ(Alerted("darchiev-credentials"), 1u) << log_.str();
    EXPECT_TRUE(daemon_->metrics().Health(30s).ok());
  }

  void TearDown() override {
    daemon_.reset();  // before the filesystem is unmounted
    if (alerts_ != nullptr) std::fclose(alerts_);
  }

  std::unique_ptr<daemon::Daemon> Start(bool forever, std::FILE*& console) {
    console = std::fopen((dir_.path() / (forever ? "alerts.txt" : "again.txt")).c_str(), "w");
    return daemon::MakeDaemon(std::string("[defaults]\ninitial_lookback = \"all\"\n") +
                                  "[[feed]]\nname = \"wire\"\nurl = \"" + kUrl +
                                  "\"\ninterval = \"1s\"\n[[watch]]\nname = \"darchiev\"\n"
                                  "query = \"Darchiev\"\n[[notify]]\nname = \"console\"\n"
                                  "type = \"console\"\n",
                              {.dir = disk_->path() / "state",
                               .clock = &clock_,
                               .http = &http_,
                               .console = console,
                               .forever = forever});
  }

  void RunFor(std::chrono::seconds time) {
    daemon_->Run(/*signal_fd=*/-1, /*systemd=*/nullptr, clock_.Monotonic() + time);
  }

  // How many alerts the daemon has printed for the item whose link contains `link`.
  size_t Alerted(std::string_view link) const {
    std::fflush(alerts_);
    const std::string out = testing::ReadFile(dir_.path() / "alerts.txt");
    size_t count = 0;
    for (size_t at = out.find(link); at != std::string::npos; at = out.find(link, at + 1)) {
      ++count;
    }
    return count;
  }

  // /healthz's answer: "" when healthy, else why not.
  std::string Unhealthy() const {
    const Status health = daemon_->metrics().Health(30s);
    return health ? "" : health.error().message;
  }

  // A `feedwatch once` on the same database alerts nothing: every item committed is known.
  void ExpectNothingAlertsAgain() {
    std::FILE* console = nullptr;
    if (const std::unique_ptr<daemon::Daemon> again = Start(/*forever=*/false, console)) {
      again->Run(-1);
    }
    std::fclose(console);
    EXPECT_EQ(testing::ReadFile(dir_.path() / "again.txt"), "");
  }

  testing::LogCapture log_;
  testing::TempDir dir_;
  std::optional<TestMount> disk_;
  testing::FakeClock clock_{TimePoint(Seconds(1'750'000'000))};
  testing::FakeHttpClient http_{clock_};
  std::string rss_;
  std::FILE* alerts_ = nullptr;
  std::unique_ptr<daemon::Daemon> daemon_;
};

using ReadOnlyDisk = DiskFault<TestMount::Kind::kExt4>;
using FullDisk = DiskFault<TestMount::Kind::kSmallTmpfs>;

TEST_F(ReadOnlyDisk, TurnsHealthzUnhealthyAndLosesNothing) {
  ASSERT_EQ(disk_->MakeReadOnly(), 0);
  // The database is checked every 5 s.
  RunFor(10s);
  EXPECT_TRUE(Unhealthy().starts_with("the database is not writable: ")) << Unhealthy();
  EXPECT_EQ(Sample(daemon_->metrics().Render(), "feedwatch_database_writable"), 0);
  daemon_.reset();
  // After the operator's repair, what was committed before the fault is all there.
  ASSERT_EQ(disk_->Repair(), 0);
  ExpectNothingAlertsAgain();
}

TEST_F(FullDisk, HoldsBackNewItemsUntilSpaceReturnsAndLosesNothing) {
  ASSERT_GT(disk_->Fill(disk_->path() / "filler"), 0u);
  // A new story appears while the disk is full.
  rss_.insert(rss_.find("</channel>"),
              "<item><title>Darchiev meets State Department officials</title>"
              "<link>http://wire.test/world/darchiev-state</link></item>\n");
  RunFor(10s);
  EXPECT_NE(Unhealthy().find("full"), std::string::npos) << Unhealthy();
  EXPECT_NE(log_.str().find("feed wire: fetched but not stored"), std::string::npos) << log_.str();
  EXPECT_EQ(Alerted("darchiev-state"), 0u);

  // Space returns: the new story alerts, once, and the daemon is healthy again.
  std::filesystem::remove(disk_->path() / "filler");
  RunFor(10s);
  EXPECT_EQ(Alerted("darchiev-state"), 1u) << log_.str();
  EXPECT_EQ(Unhealthy(), "");
  daemon_.reset();
  EXPECT_EQ(Alerted("darchiev-credentials"), 1u);
  EXPECT_EQ(Alerted("darchiev-state"), 1u);
  ExpectNothingAlertsAgain();
}

TEST(Operations, EveryMetricServedIsDescribedInTheOperationsGuide) {
  const testing::FakeClock clock(TimePoint(Seconds(1'750'000'000)));
  const daemon::Metrics metrics(clock);
  const std::string text = metrics.Render();
  const std::string guide = testing::ReadFile(testing::SourceDir() / "docs" / "operations.md");
  const std::regex family("# TYPE (\\S+) ");
  int families = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), family);
       it != std::sregex_iterator(); ++it, ++families) {
    const std::string name = (*it)[1];
    EXPECT_NE(guide.find("`" + name), std::string::npos) << name << " is not in docs/operations.md";
  }
  EXPECT_GE(families, 15);
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
