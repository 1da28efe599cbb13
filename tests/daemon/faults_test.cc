// Faults from the network and the disk, against real servers on 127.0.0.1 and real
// filesystems: every one gives a clear error, crashes nothing, stops no other feed, and loses
// nothing already committed.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/support/support.h"

namespace feedwatch {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// A TCP server on 127.0.0.1 that answers one request per connection with `head` and then
// resets the connection (SO_LINGER 0): a server dying mid-body.
class ResettingServer {
 public:
  explicit ResettingServer(std::string head) : head_(std::move(head)) {
    fd_ = testing::BindLoopback(port_);
    EXPECT_GE(fd_, 0);
    listen(fd_, 16);
    thread_ = std::thread([this] {
      while (true) {
        const int client = accept(fd_, nullptr, nullptr);
        if (client < 0) return;  // closed by the destructor
        std::array<char, 4096> request{};
        (void)recv(client, request.data(), request.size(), 0);
        (void)send(client, head_.data(), head_.size(), MSG_NOSIGNAL);
        const linger reset{1, 0};
        setsockopt(client, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        close(client);
      }
    });
  }
  ~ResettingServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  ResettingServer(const ResettingServer&) = delete;
  ResettingServer& operator=(const ResettingServer&) = delete;
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/feed.rss"; }

 private:
  std::string head_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

const std::string& Rss() {
  static const std::string rss = testing::ReadFile(testing::DataDir() / "feeds" / "talks-en.rss");
  return rss;
}

// `feedwatch status --json`, by feed name.
std::map<std::string, json> FeedStatus(const std::filesystem::path& config) {
  const testing::CommandResult status = testing::RunFeedwatch({"status", "--json", "-c", config});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  std::map<std::string, json> feeds;
  const json document = json::parse(status.out);
  for (const json& feed : document["feeds"]) feeds[feed["name"]] = feed;
  return feeds;
}

class NetworkFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Get("/good.rss", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(Rss(), "application/rss+xml");
    });
    server_.server().Get("/truncated-gzip.rss",
                         [](const httplib::Request&, httplib::Response& res) {
                           const std::string gzip = testing::Gzip(Rss());
                           res.set_header("Content-Encoding", "gzip");
                           res.set_content(gzip.substr(0, gzip.size() / 2), "application/rss+xml");
                         });
    server_.server().Get("/endless.rss", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/rss+xml",
                                       [this](size_t offset, httplib::DataSink& sink) {
                                         static const std::string chunk(size_t{64} * 1024, 'x');
                                         if (offset == 0) {
                                           sink.write("<rss><channel><title>", 21);
                                           return true;
                                         }
                                         // Up to 1 GiB, or until feedwatch hangs up.
                                         if (offset >= (1ULL << 30)) return false;
                                         endless_sent_ = offset;
                                         return sink.write(chunk.data(), chunk.size());
                                       });
    });
    const std::string laughs =
        testing::ReadFile(testing::DataDir() / "feeds" / "corpus" / "malformed-billion-laughs.xml");
    server_.server().Get("/laughs.rss", [laughs](const httplib::Request&, httplib::Response& res) {
      res.set_content(laughs, "application/rss+xml");
    });
    server_.server().Get("/not-modified.rss",
                         [](const httplib::Request&, httplib::Response& res) { res.status = 304; });
    server_.Start();
  }

  // `feedwatch once` on the good feed and the one at `url`; returns its standard output and
  // error.
  testing::CommandResult Once(const std::string& url, const std::string& extra = "") {
    config_ = dir_.path() / "feedwatch.toml";
    testing::WriteFile(config_, "[daemon]\nstate_dir = \"state\"\n" + extra +
                                    "[defaults]\ninitial_lookback = \"all\"\n"
                                    "[[feed]]\nname = \"good\"\nurl = \"" +
                                    server_.Url("/good.rss") +
                                    "\"\n[[feed]]\nname = \"bad\"\nurl = \"" + url +
                                    "\"\n[[watch]]\nname = \"darchiev\"\nquery = \"Darchiev\"\n"
                                    "[[notify]]\nname = \"console\"\ntype = \"console\"\n");
    return testing::RunFeedwatch({"once", "-c", config_});
  }

  // The good feed alerted; the bad one is recorded as failing with an error matching `error`.
  void ExpectGoodAlertsAndBadFails(const testing::CommandResult& run, const std::string& error) {
    // Some feeds failed: 75, for cron and timers, and the count on the last line.
    EXPECT_EQ(run.exit_code, 75) << run.err;
    EXPECT_NE(run.err.find("1 of 2 feeds failed; the log says why"), std::string::npos) << run.err;
    EXPECT_NE(run.out.find("\tdarchiev\tgood\t"), std::string::npos) << run.out << run.err;
    std::map<std::string, json> status = FeedStatus(config_);
    EXPECT_EQ(status["good"]["health"], "ok");
    EXPECT_EQ(status["bad"]["health"], "failing") << status["bad"].dump();
    EXPECT_TRUE(
        std::regex_search(status["bad"]["last_error"].get<std::string>(), std::regex(error)))
        << status["bad"].dump();
  }

  testing::LoopbackServer server_;
  testing::TempDir dir_;
  std::filesystem::path config_;
  std::atomic<size_t> endless_sent_{0};
};

TEST_F(NetworkFaults, AConnectionResetMidBodyFailsThatFeedAlone) {
  const ResettingServer reset(
      "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
      "Content-Length: 100000\r\n\r\n" +
      Rss().substr(0, 500));
  ExpectGoodAlertsAndBadFails(Once(reset.Url()), "reset|Recv failure|transfer closed");
}

TEST_F(NetworkFaults, A304ToARequestWithoutValidatorsIsAFailureNotHealth) {
  ExpectGoodAlertsAndBadFails(Once(server_.Url("/not-modified.rss")),
                              "HTTP 304 Not Modified to a request without validators");
}

TEST_F(NetworkFaults, TruncatedGzipIsReadAsFarAsItGoesAndSaidSo) {
  const testing::CommandResult run = Once(server_.Url("/truncated-gzip.rss"));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("\tdarchiev\tgood\t"), std::string::npos) << run.out << run.err;
  // libcurl inflates what arrived without complaint; the parser reads the truncated document
  // leniently, keeps no half item, and the log says what was wrong.
  EXPECT_NE(run.err.find("feed bad: malformed XML: the document ends with"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("feed bad: an item cut off by the end of the document was skipped"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(run.out.find("\tbad\t"), std::string::npos) << run.out;
}

TEST_F(NetworkFaults, AGigabyteBodyIsCutAtMaxBody) {
  const auto started = std::chrono::steady_clock::now();
  ExpectGoodAlertsAndBadFails(Once(server_.Url("/endless.rss")), "body larger than 10485760 bytes");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  EXPECT_LT(endless_sent_.load(), 64u << 20) << "feedwatch kept reading";
}

TEST_F(NetworkFaults, ABillionLaughsDocumentExpandsNothing) {
  const testing::CommandResult run = Once(server_.Url("/laughs.rss"));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("\tdarchiev\tgood\t"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("lol"), std::string::npos) << run.out;
  EXPECT_LT(FeedStatus(config_)["bad"]["last_status"].get<std::string>().size(), 100u);
}

TEST_F(NetworkFaults, ASelfSignedCertificateIsRefusedUnlessItsCaIsConfigured) {
  const std::filesystem::path cert = dir_.path() / "cert.pem";
  const std::filesystem::path key = dir_.path() / "key.pem";
  testing::ChildProcess openssl(
      "/usr/bin/openssl",
      {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
       "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.string(), "-out", cert.string()});
  ASSERT_EQ(openssl.Wait(60s), 0) << openssl.err();
  testing::WriteFile(dir_.path() / "feed.rss", Rss());
  const testing::PythonServer tls("tls_server", {"--cert", cert.string(), "--key", key.string(),
                                                 "--file", (dir_.path() / "feed.rss").string()});
  const std::string url = "https://127.0.0.1:" + std::to_string(tls.port()) + "/feed.rss";
  ExpectGoodAlertsAndBadFails(Once(url), "certificate");

  // With its CA configured the same server is trusted; the feed is now read (its item is the
  // good feed's story, so it is linked rather than alerted again).
  const testing::CommandResult trusted = Once(url, "[http]\nca_file = \"cert.pem\"\n");
  EXPECT_EQ(trusted.exit_code, 0) << trusted.err;
  EXPECT_EQ(FeedStatus(config_)["bad"]["health"], "ok") << trusted.err;
}

}  // namespace
}  // namespace feedwatch
