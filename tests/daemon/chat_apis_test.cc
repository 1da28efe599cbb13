// Telegram and Matrix against fake APIs: real HTTP servers on 127.0.0.1 that check the method,
// the path, the headers and the body, through the daemon on a real SQLite file with a fake
// clock (retries are waited for by moving the clock, never by sleeping).
#include "notify/chat_apis.h"

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "store/store.h"
#include "tests/daemon/log_capture.h"
#include "tests/daemon/run_daemon.h"
#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using json = nlohmann::json;

const TimePoint kNow{Seconds(1'750'000'000)};
constexpr std::string_view kToken = "123456:AAE-hostile_token_Xy9";

// A Cyrillic item whose title holds markup characters and whose link tries to close the
// attribute it is put in.
const std::string kFeed = R"(<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Лента</title>
<item><title>Дарчиев: &lt;b&gt;посол&lt;/b&gt; &amp; «раздражители» &lt; 3</title>
<link>https://lenta.test/a"&gt;&lt;script&gt;alert(1)&lt;/script&gt;</link><guid>n-1</guid>
<description>Посол России в США Александр Дарчиев рассказал о переговорах &amp; визах.</description>
</item></channel></rss>)";

struct Captured {
  std::string method;
  std::string path;  // as sent, percent-encoding and all
  std::string authorization;
  std::string body;
};

class ChatApisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    feeds_.server().Get("/feed.rss", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kFeed, "application/rss+xml");
    });
    feeds_.Start();
    testing::WriteFile(dir_.path() / "token", std::string(kToken) + "\n");
  }

  // Answers every request with the next of `replies` (status, body), the last one forever,
  // and records it.
  void Answer(std::vector<std::pair<int, std::string>> replies) {
    const auto handler = [this, replies](const httplib::Request& req, httplib::Response& res) {
      const std::lock_guard lock(mutex_);
      requests_.push_back(
          {req.method, req.target, req.get_header_value("Authorization"), req.body});
      const auto& [status, body] = replies[std::min(requests_.size(), replies.size()) - 1];
      res.status = status;
      res.set_content(body, "application/json");
    };
    api_.server().Post(R"(/.*)", handler);
    api_.server().Put(R"(/.*)", handler);
    api_.Start();
  }

  std::vector<Captured> Requests() {
    const std::lock_guard lock(mutex_);
    return requests_;
  }

  std::string Config(const std::string& notifier) const {
    return "[defaults]\ninitial_lookback = \"all\"\n[[feed]]\nname = \"lenta\"\nurl = \"" +
           feeds_.Url("/feed.rss") +
           "\"\n[[watch]]\nname = \"darchiev\"\nquery = 'Дарчиев*'\n"
           "notify = [\"chat\"]\n[[notify]]\nname = \"chat\"\ntype = \"webhook\"\n" +
           notifier + "token_file = \"token\"\n";
  }

  void Poll(const std::string& config) { RunOnce(config, {.dir = dir_.path(), .clock = &clock_}); }
  void Deliver(const std::string& config) {
    if (const auto daemon = MakeDaemon(config, {.dir = dir_.path(), .clock = &clock_})) {
      daemon->Flush();
    }
  }

  std::vector<store::Delivery> Outbox() {
    auto store = store::Store::Open(dir_.path() / "feedwatch.db");
    return *(*store)->ListDeliveries(/*all=*/true);
  }

  testing::LogCapture log_;
  testing::TempDir dir_;
  testing::FakeClock clock_{kNow};
  testing::LoopbackServer feeds_;
  testing::LoopbackServer api_;
  std::mutex mutex_;
  std::vector<Captured> requests_;
};

TEST_F(ChatApisTest, TelegramGetsEscapedHtmlAndItsRetryAfterIsHonoured) {
  Answer(
      {{429, R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 120",)"
             R"("parameters":{"retry_after":120}})"},
       {200, R"({"ok":true,"result":{"message_id":7}})"}});
  const std::string config =
      Config("format = \"telegram\"\nurl = \"" + api_.Url("") + "\"\nchat = \"@desk\"\n");
  Poll(config);
  ASSERT_EQ(Requests().size(), 1u);
  const Captured first = Requests()[0];
  EXPECT_EQ(first.method, "POST");
  EXPECT_EQ(first.path, "/bot" + std::string(kToken) + "/sendMessage");
  const json body = json::parse(first.body);
  EXPECT_EQ(body["chat_id"], "@desk");
  EXPECT_EQ(body["parse_mode"], "HTML");
  const std::string text = body["text"];
  // Everything from the feed is escaped (the title's escaped tags are markup to RSS, so they
  // are gone; its & and < are text); the link that would break out of href is not a link.
  EXPECT_NE(text.find("<b>Дарчиев: посол &amp; «раздражители» &lt; 3</b>"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("<a href"), std::string::npos) << text;
  EXPECT_EQ(text.find("<script"), std::string::npos) << text;
  EXPECT_NE(text.find("Александр <b>Дарчиев</b> рассказал о переговорах &amp; визах"),
            std::string::npos)
      << text;

  // The 429 asked for 120 s: nothing is sent before, and the retry goes out after.
  std::vector<store::Delivery> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].state, store::DeliveryState::kPending);
  EXPECT_GE(outbox[0].next_attempt_at, clock_.Now() + Seconds(119));
  EXPECT_NE(outbox[0].last_error.find("telegram: HTTP 429"), std::string::npos);
  clock_.Advance(Seconds(60));
  Deliver(config);
  EXPECT_EQ(Requests().size(), 1u);
  clock_.Advance(Seconds(90));
  Deliver(config);
  ASSERT_EQ(Requests().size(), 2u);
  EXPECT_EQ(Requests()[1].body, first.body);
  EXPECT_EQ(Outbox()[0].state, store::DeliveryState::kSent);
  // The token is part of the URL: it is in no log line and no stored error.
  EXPECT_EQ(log_.str().find(kToken), std::string::npos) << log_.str();
  EXPECT_EQ(outbox[0].last_error.find(kToken), std::string::npos);
}

TEST_F(ChatApisTest, AnErrorEchoingTheTokenInAnyFormKeepsNoPartOfIt) {
  // A proxy that echoes the request: the token raw where the 200-byte cut would halve it,
  // percent-encoded, JSON-escaped; and a terminal escape.
  const std::string token(kToken);
  std::string encoded;
  for (const char c : token) encoded += c == ':' ? std::string("%3a") : std::string(1, c);
  const std::string echo = std::string(185, '.') + token + " \x1b[2J\x07 " + encoded +
                           R"( {"url": "\/bot)" + token + R"("})";
  Answer({{403, echo}});
  Poll(Config("format = \"telegram\"\nurl = \"" + api_.Url("") + "\"\nchat = \"@desk\"\n"));
  ASSERT_EQ(Requests().size(), 1u);
  const std::vector<store::Delivery> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].state, store::DeliveryState::kDead);
  const std::string& error = outbox[0].last_error;
  EXPECT_NE(error.find("telegram: HTTP 403: ...."), std::string::npos) << error;
  for (const std::string& part :
       {std::string("hostile"), std::string("123456"), std::string("\x1b"), std::string("\x07")}) {
    EXPECT_EQ(error.find(part), std::string::npos) << part << " in " << error;
    EXPECT_EQ(log_.str().find(part), std::string::npos) << part << " in the log";
  }
}

TEST_F(ChatApisTest, AWebhookRedirectsLocationReachesNoTerminalRaw) {
  api_.server().Post(R"(/.*)", [](const httplib::Request&, httplib::Response& res) {
    res.status = 302;
    res.set_header("Location", "https://elsewhere.test/\x1b]0;owned\x07/hook");
  });
  api_.Start();
  Poll("[defaults]\ninitial_lookback = \"all\"\n[[feed]]\nname = \"lenta\"\nurl = \"" +
       feeds_.Url("/feed.rss") +
       "\"\n[[watch]]\nname = \"darchiev\"\nquery = 'Дарчиев*'\nnotify = [\"hook\"]\n"
       "[[notify]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
       api_.Url("/hook") + "\"\n");
  const std::vector<store::Delivery> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_NE(
      outbox[0].last_error.find("HTTP 302 (redirects to https://elsewhere.test/ ]0;owned /hook"),
      std::string::npos)
      << outbox[0].last_error;
  EXPECT_EQ(outbox[0].last_error.find('\x1b'), std::string::npos);
  EXPECT_EQ(log_.str().find('\x1b'), std::string::npos);
  EXPECT_EQ(log_.str().find('\x07'), std::string::npos);
}

TEST_F(ChatApisTest, ATelegramDigestTooLongForOneMessageIsSplitNotCut) {
  Answer({{200, R"({"ok":true})"}});
  notify::Message message;
  message.id = "x-g1";
  message.digest = true;
  for (int i = 0; i < 40; ++i) {
    notify::Alert alert;
    alert.watch = "darchiev";
    alert.feed = "lenta";
    alert.title = "Дарчиев: новость номер " + std::to_string(i);
    alert.link = "https://lenta.test/news/" + std::to_string(i);
    alert.summary = std::string(300, 'x');
    message.alerts.push_back(alert);
  }
  const std::vector<std::string> texts = notify::TelegramTexts(message);
  ASSERT_GT(texts.size(), 1u);
  std::string all;
  for (const std::string& text : texts) {
    size_t characters = 0;
    for (const char c : text) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    EXPECT_LE(characters, notify::kTelegramLimit);
    all += text;
  }
  for (int i = 0; i < 40; ++i) {  // every alert, whole, in one of the parts
    EXPECT_NE(all.find("новость номер " + std::to_string(i) + "</a>"), std::string::npos) << i;
  }
}

TEST_F(ChatApisTest, MatrixGetsANoticeAndARetryReusesItsTransactionId) {
  Answer({{502, R"({"errcode":"M_UNKNOWN"})"}, {200, R"({"event_id":"$abc"})"}});
  const std::string config = Config("format = \"matrix\"\nurl = \"" + api_.Url("") +
                                    "/\"\nroom = \"!desk:example.org\"\n");
  Poll(config);
  clock_.Advance(Seconds(120));  // past the first retry delay (30 s, +-10%)
  Deliver(config);
  const std::vector<Captured> requests = Requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const Captured& request : requests) {
    EXPECT_EQ(request.method, "PUT");
    EXPECT_EQ(request.authorization, "Bearer " + std::string(kToken));
    EXPECT_TRUE(request.path.starts_with(
        "/_matrix/client/v3/rooms/%21desk%3Aexample.org/send/m.room.message/"))
        << request.path;
  }
  EXPECT_EQ(requests[0].path, requests[1].path);  // the same transaction id: shown once
  const json event = json::parse(requests[1].body);
  EXPECT_EQ(event["msgtype"], "m.notice");
  EXPECT_EQ(event["format"], "org.matrix.custom.html");
  const std::string html = event["formatted_body"];
  EXPECT_NE(html.find("Дарчиев: посол &amp; «раздражители» &lt; 3"), std::string::npos) << html;
  EXPECT_EQ(html.find("<script"), std::string::npos) << html;
  EXPECT_NE(event["body"].get<std::string>().find("Дарчиев: посол & «раздражители» < 3"),
            std::string::npos);  // the plain body is plain text
  EXPECT_EQ(Outbox()[0].state, store::DeliveryState::kSent);
  EXPECT_EQ(log_.str().find(kToken), std::string::npos);
}

TEST_F(ChatApisTest, TheConfigurationSaysWhatAChatApiNeeds) {
  const Result<config::Config> no_chat = config::LoadConfigText(
      "[[notify]]\nname = \"t\"\ntype = \"webhook\"\nformat = \"telegram\"\n"
      "token_file = \"token\"\n",
      dir_.path() / "feedwatch.toml");
  ASSERT_FALSE(no_chat.ok());
  EXPECT_NE(no_chat.error().message.find("chat"), std::string::npos) << no_chat.error().message;
  testing::WriteFile(dir_.path() / "bad-token", "12345 6789\n");
  const Result<config::Config> bad_token = config::LoadConfigText(
      "[[notify]]\nname = \"m\"\ntype = \"webhook\"\nformat = \"matrix\"\n"
      "url = \"https://matrix.example.org\"\nroom = \"!r:example.org\"\n"
      "token_file = \"bad-token\"\n",
      dir_.path() / "feedwatch.toml");
  ASSERT_FALSE(bad_token.ok());
  EXPECT_NE(bad_token.error().message.find("must be one line without spaces"), std::string::npos)
      << bad_token.error().message;
  EXPECT_EQ(bad_token.error().message.find("12345"), std::string::npos);  // a secret stays one
}

}  // namespace
}  // namespace feedwatch::daemon
