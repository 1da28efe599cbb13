#include "net/http_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/support/support.h"

namespace feedwatch::net {
namespace {

using namespace std::chrono_literals;

// Runs one request to completion.
Result<Response> Fetch(const Request& request, const HttpClient::Options& options = {}) {
  const std::unique_ptr<HttpClient> client = HttpClient::Create(options);
  std::optional<Result<Response>> result;
  client->Start(request, [&](Result<Response> r) { result = std::move(r); });
  while (!result) client->Poll(100ms);
  return std::move(*result);
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Get("/feed", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("ETag", "\"v1\"");
      res.set_content("<rss/>", "application/rss+xml");
    });
    server_.server().Get("/error", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content("oops", "text/plain");
    });
    server_.server().Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(100'000, 'x'), "text/plain");
    });
    server_.server().Get("/moved", [this](const httplib::Request&, httplib::Response& res) {
      res.set_redirect(server_.Url("/feed"), 301);
    });
    server_.server().Get("/loop", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/loop", 302);
    });
    server_.server().Get("/agent", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.get_header_value("X-Test") + "|" + req.get_header_value("User-Agent"),
                      "text/plain");
    });
    server_.server().Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      for (int i = 0; i < 50 && !stop_; ++i) std::this_thread::sleep_for(100ms);
      res.set_content("late", "text/plain");
    });
    server_.Start();
  }
  void TearDown() override { stop_ = true; }

  std::atomic<bool> stop_{false};
  testing::LoopbackServer server_;
};

TEST_F(HttpClientTest, ReturnsStatusHeadersAndBody) {
  const Result<Response> r = Fetch({.url = server_.Url("/feed")});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "<rss/>");
  EXPECT_EQ(r->Header("etag"), "\"v1\"");
  EXPECT_EQ(r->Header("content-type"), "application/rss+xml");
}

TEST_F(HttpClientTest, HttpErrorIsAResponseNotAnError) {
  const Result<Response> r = Fetch({.url = server_.Url("/error")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
}

TEST_F(HttpClientTest, SendsRequestHeaders) {
  const Result<Response> r = Fetch({.url = server_.Url("/agent"), .headers = {"X-Test: yes"}},
                                   {.user_agent = "feedwatch/9.9"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "yes|feedwatch/9.9");
}

TEST_F(HttpClientTest, AbortsBodiesOverTheLimit) {
  const Result<Response> r = Fetch({.url = server_.Url("/big"), .max_body = 10'000});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Error::Code::kTooLarge);
  EXPECT_EQ(r.error().message, "body larger than 10000 bytes");
}

TEST_F(HttpClientTest, FollowsRedirectsAndStopsLoops) {
  const Result<Response> moved = Fetch({.url = server_.Url("/moved")});
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->effective_url, server_.Url("/feed"));
  const Result<Response> loop = Fetch({.url = server_.Url("/loop")});
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().message.find("redirect"), std::string::npos) << loop.error().message;
}

TEST_F(HttpClientTest, TimesOut) {
  const Result<Response> r = Fetch({.url = server_.Url("/slow"), .timeout = 300ms});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Error::Code::kTimeout);
  EXPECT_TRUE(r.error().message.starts_with("timed out after 300 ms")) << r.error().message;
}

TEST_F(HttpClientTest, RefusesFileUrlsUnlessAllowed) {
  const testing::TempDir dir;
  testing::WriteFile(dir.path() / "f.xml", "<rss/>");
  const std::string url = "file://" + (dir.path() / "f.xml").string();
  const Result<Response> refused = Fetch({.url = url});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Error::Code::kNetwork);
  const Result<Response> allowed = Fetch({.url = url, .allow_file = true});
  ASSERT_TRUE(allowed.ok()) << allowed.error().message;
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(allowed->body, "<rss/>");
}

TEST_F(HttpClientTest, ConnectionRefusedIsANetworkError) {
  // A port that was free a moment ago: bound without listening, noted, closed.
  int port = 0;
  const int fd = testing::BindLoopback(port);
  ASSERT_GE(fd, 0);
  close(fd);
  const Result<Response> r = Fetch({.url = "http://127.0.0.1:" + std::to_string(port) + "/"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Error::Code::kNetwork);
  EXPECT_NE(r.error().message.find("onnect"), std::string::npos) << r.error().message;
}

// SMTP against a real server (python3-aiosmtpd) on 127.0.0.1.
Result<Response> Mail(const MailRequest& request) {
  const std::unique_ptr<HttpClient> client = HttpClient::Create({});
  std::optional<Result<Response>> result;
  client->StartMail(request, [&](Result<Response> r) { result = std::move(r); });
  while (!result) client->Poll(100ms);
  return std::move(*result);
}

MailRequest Message(int port) {
  MailRequest request;
  request.url = "smtp://127.0.0.1:" + std::to_string(port);
  request.from = "alerts@example.org";
  request.to = {"desk@example.org"};
  request.message =
      "From: alerts@example.org\r\nTo: desk@example.org\r\nSubject: hi\r\n\r\n"
      ".a line that starts with a dot\r\n";
  request.require_tls = false;
  return request;
}

TEST(Mail, LogsInWithThePasswordAndKeepsTheMessageIntact) {
  const testing::TempDir maildir;
  const testing::PythonServer smtp(
      "smtp_sink", {"--maildir", maildir.path().string(), "--auth", "alerts:s3cret"});
  MailRequest request = Message(smtp.port());
  request.username = "alerts";
  request.password = "wrong";
  const Result<Response> refused = Mail(request);
  ASSERT_TRUE(refused.ok()) << refused.error().message;
  EXPECT_EQ(refused->status, 535);  // authentication failed: a reply, not a network error
  request.password = "s3cret";
  const Result<Response> sent = Mail(request);
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(sent->status, 250);
  const std::string received = testing::ReadFile(maildir.path() / "001.eml");
  EXPECT_TRUE(received.ends_with("\r\n.a line that starts with a dot\r\n")) << received;
}

TEST(Mail, RefusesToSendInClearTextWhenTlsIsRequired) {
  const testing::TempDir maildir;
  const testing::PythonServer smtp("smtp_sink", {"--maildir", maildir.path().string()});
  MailRequest request = Message(smtp.port());
  request.require_tls = true;  // the server offers no STARTTLS
  const Result<Response> result = Mail(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Error::Code::kNetwork);
  EXPECT_TRUE(std::filesystem::is_empty(maildir.path()));
}

}  // namespace
}  // namespace feedwatch::net
