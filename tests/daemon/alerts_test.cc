// Alerts end to end against real servers on 127.0.0.1: an SMTP server (python3-aiosmtpd) whose
// messages a real MIME parser (Python's email package) reads, a webhook receiver that checks
// Standard Webhooks signatures with its own code, outages, a digest, and a kill -9.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "daemon/dispatch.h"
#include "tests/daemon/log_capture.h"
#include "tests/daemon/run_daemon.h"
#include "tests/support/pg.h"
#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

struct Item {
  std::string title;  // XML text: escape it as XML
  std::string link;
};

// An RSS document of `items`.
std::string Rss(const std::vector<Item>& items) {
  std::string rss = R"(<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>)"
                    "<title>Лента</title><link>https://lenta.test/</link>";
  for (const Item& item : items) {
    rss += "<item><title>" + item.title + "</title><link>" + item.link + "</link><guid>" +
           item.link +
           "</guid><description>Посол России в США Александр Дарчиев сообщил о "
           "переговорах.</description></item>";
  }
  return rss + "</channel></rss>";
}

std::vector<Item> Numbered(int n) {
  std::vector<Item> items;
  for (int i = 1; i <= n; ++i) {
    items.push_back({"Дарчиев: новость номер " + std::to_string(i),
                     "https://lenta.test/news/" + std::to_string(i)});
  }
  return items;
}

// The lines of a JSON-lines file (empty when it does not exist yet).
std::vector<json> JsonLines(const std::filesystem::path& file) {
  std::vector<json> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

// Python's email package's reading of a message file.
json ReadMail(const std::filesystem::path& eml) {
  const testing::CommandResult result = [&] {
    testing::ChildProcess checker(
        "/usr/bin/python3",
        {(testing::SourceDir() / "tests" / "support" / "mail_check.py").string(), eml.string()});
    const std::optional<int> code = checker.Wait(30s);
    return testing::CommandResult{code.value_or(-1), checker.out(), checker.err()};
  }();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return json::parse(result.out);
}

std::vector<std::filesystem::path> Mails(const std::filesystem::path& maildir) {
  std::vector<std::filesystem::path> mails;
  for (const auto& entry : std::filesystem::directory_iterator(maildir)) {
    if (entry.path().extension() == ".eml") mails.push_back(entry.path());
  }
  std::sort(mails.begin(), mails.end());
  return mails;
}

class AlertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(maildir());
    server_.server().Get("/feed.rss", [this](const httplib::Request&, httplib::Response& res) {
      const std::lock_guard lock(mutex_);
      res.set_content(feed_, "application/rss+xml");
    });
    server_.Start();
    SetFeed(Numbered(1));
  }

  void SetFeed(const std::vector<Item>& items) {
    const std::lock_guard lock(mutex_);
    feed_ = Rss(items);
  }

  std::filesystem::path maildir() const { return dir_.path() / "mail"; }
  std::filesystem::path hooks() const { return dir_.path() / "hooks.jsonl"; }

  std::string SmtpToml(int port) const {
    return "[smtp]\nurl = \"smtp://127.0.0.1:" + std::to_string(port) +
           "\"\nfrom = \"feedwatch <alerts@example.org>\"\ntimeout = \"5s\"\n";
  }

  // The SMTP sink storing into maildir(), on `port` (0: a free one), with `options`.
  std::unique_ptr<testing::PythonServer> StartSmtp(int port,
                                                   std::vector<std::string> options = {}) const {
    options.insert(options.end(),
                   {"--maildir", maildir().string(), "--port", std::to_string(port)});
    return std::make_unique<testing::PythonServer>("smtp_sink", options);
  }

  // [smtp] on `port` and an email notifier "desk" sending to desk@example.org.
  std::string DeskEmailToml(int port) const {
    return SmtpToml(port) +
           "[[notify]]\nname = \"desk\"\ntype = \"email\"\nto = [\"desk@example.org\"]\n";
  }

  std::string WebhookToml(int port, const std::string& extra = "") const {
    testing::WriteFile(dir_.path() / "hook-secret", std::string(kSecret) + "\n");
    return "[[notify]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:" +
           std::to_string(port) + "/hook\"\nsecret_file = \"hook-secret\"\n" + extra;
  }

  // A configuration with the loopback feed, a watch for Darchiev, and `notify`.
  std::string Config(const std::string& notify, const std::string& interval = "10m") const {
    return "[daemon]\nstate_dir = \".\"\n[http]\ntimeout = \"5s\"\n[defaults]\n"
           "initial_lookback = \"all\"\n" +
           notify + "\n[[feed]]\nname = \"lenta\"\nurl = \"" + server_.Url("/feed.rss") +
           "\"\ninterval = \"" + interval +
           "\"\n[[watch]]\nname = \"darchiev\"\nquery = 'Darchiev OR Дарчиев*'\n";
  }

  // `feedwatch once` in this process on `config_text`: polls the feed, delivers what is due and
  // waits for the sends to finish.
  void RunOnce(const std::string& config_text) { Run(config_text, /*poll=*/true); }

  // Delivers what is due now and waits for the sends, without polling.
  void Deliver(const std::string& config_text) { Run(config_text, /*poll=*/false); }

  void Run(const std::string& config_text, bool poll) {
    testing::WriteFile(dir_.path() / "feedwatch.toml", config_text);  // for the CLI's commands
    const std::unique_ptr<Daemon> daemon =
        MakeDaemon(config_text, {.dir = dir_.path(), .clock = &clock_});
    ASSERT_NE(daemon, nullptr);
    if (poll) {
      daemon->Run(/*signal_fd=*/-1);
    } else {
      daemon->Flush();
    }
  }

  // The outbox holds one delivery, in `state` after `attempts` attempts; its last error.
  std::string ExpectOneDelivery(store::DeliveryState state, int attempts) {
    const std::vector<store::Delivery> outbox = Outbox();
    EXPECT_EQ(outbox.size(), 1u);
    if (outbox.empty()) return "";
    EXPECT_EQ(outbox[0].state, state);
    EXPECT_EQ(outbox[0].attempts, attempts);
    return outbox[0].last_error;
  }

  std::vector<store::Delivery> Outbox() {
    return *(*store::Store::Open(dir_.path() / "feedwatch.db"))->ListDeliveries(/*all=*/true);
  }

  std::mutex mutex_;
  std::string feed_;
  testing::LoopbackServer server_;
  testing::TempDir dir_;
  // Webhook receivers refuse timestamps over 5 minutes from the real time.
  testing::FakeClock clock_{SystemClock().Now()};
  testing::LogCapture log_;
};

TEST_F(AlertsTest, EmailArrivesAsAWellFormedCyrillicMessage) {
  SetFeed(
      {{"Дарчиев: «раздражители», A &lt; B &amp; \"C\"", "https://lenta.test/news/1?a=1&amp;b=2"}});
  const testing::PythonServer smtp("smtp_sink", {"--maildir", maildir().string()});
  RunOnce(Config(DeskEmailToml(smtp.port())));
  const std::vector<std::filesystem::path> mails = Mails(maildir());
  ASSERT_EQ(mails.size(), 1u) << log_.str();
  const json envelope =
      json::parse(testing::ReadFile(std::filesystem::path(mails[0]).replace_extension(".json")));
  EXPECT_EQ(envelope["from"], "alerts@example.org");
  EXPECT_EQ(envelope["to"], json::array({"desk@example.org"}));

  const json mail = ReadMail(mails[0]);
  EXPECT_EQ(mail["defects"], json::array());
  const json& headers = mail["headers"];
  const std::string title = "Дарчиев: «раздражители», A < B & \"C\"";
  EXPECT_EQ(headers["subject"], json::array({"[feedwatch] darchiev: " + title}));
  EXPECT_EQ(headers["from"], json::array({"feedwatch <alerts@example.org>"}));
  EXPECT_EQ(headers["to"], json::array({"desk@example.org"}));
  EXPECT_EQ(headers["list-id"], json::array({"feedwatch desk <desk.feedwatch.example.org>"}));
  ASSERT_EQ(headers["message-id"].size(), 1u);
  EXPECT_TRUE(headers["message-id"][0].get<std::string>().ends_with("@example.org>"));
  ASSERT_EQ(headers["date"].size(), 1u);
  EXPECT_EQ(mail["content_type"], "multipart/alternative");

  ASSERT_EQ(mail["parts"].size(), 2u);
  const json& plain = mail["parts"][0];
  const json& html = mail["parts"][1];
  EXPECT_EQ(plain["type"], "text/plain");
  EXPECT_EQ(plain["charset"], "utf-8");
  const std::string text = plain["text"];
  for (const std::string& expected :
       std::vector<std::string>{"Watch:     darchiev", "Feed:      lenta", "Title:     " + title,
                                "https://lenta.test/news/1?a=1&b=2", "**Дарчиев**"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " in\n" << text;
  }
  EXPECT_EQ(html["type"], "text/html");
  const std::string markup = html["text"];
  EXPECT_NE(markup.find("«раздражители», A &lt; B &amp; &quot;C&quot;</a>"), std::string::npos)
      << markup;
  EXPECT_NE(markup.find("<a href=\"https://lenta.test/news/1?a=1&amp;b=2\">"), std::string::npos);
  EXPECT_NE(markup.find("<b>Дарчиев</b>"), std::string::npos) << markup;
}

TEST_F(AlertsTest, AHeaderInjectionTitleArrivesAsOneHarmlessSubject) {
  SetFeed({{"Дарчиев&#13;&#10;Bcc: victim@example.org&#13;&#10;&#13;&#10;injected body",
            "https://lenta.test/news/1"}});
  const testing::PythonServer smtp("smtp_sink", {"--maildir", maildir().string()});
  RunOnce(Config(DeskEmailToml(smtp.port())));
  const std::vector<std::filesystem::path> mails = Mails(maildir());
  ASSERT_EQ(mails.size(), 1u) << log_.str();
  const json envelope =
      json::parse(testing::ReadFile(std::filesystem::path(mails[0]).replace_extension(".json")));
  EXPECT_EQ(envelope["to"], json::array({"desk@example.org"}));
  const json mail = ReadMail(mails[0]);
  EXPECT_FALSE(mail["headers"].contains("bcc")) << mail.dump();
  ASSERT_EQ(mail["headers"]["subject"].size(), 1u);
  const std::string subject = mail["headers"]["subject"][0];
  EXPECT_NE(subject.find("Bcc: victim@example.org"), std::string::npos) << subject;
  EXPECT_EQ(subject.find_first_of("\r\n"), std::string::npos) << subject;
  EXPECT_EQ(mail["parts"].size(), 2u);
}

TEST_F(AlertsTest, WebhookSignatureVerifiesWithAnIndependentImplementation) {
  const testing::PythonServer receiver(
      "webhook_receiver", {"--log", hooks().string(), "--secret", std::string(kSecret)});
  RunOnce(Config(WebhookToml(receiver.port(), "headers = { X-Team = \"desk\" }\n")));
  const std::vector<json> requests = JsonLines(hooks());
  ASSERT_EQ(requests.size(), 1u) << log_.str();
  EXPECT_TRUE(requests[0]["verified"].get<bool>()) << requests[0].dump();
  EXPECT_EQ(requests[0]["headers"]["x-team"], "desk");
  EXPECT_EQ(requests[0]["headers"]["content-type"], "application/json");
  const json body = json::parse(requests[0]["body"].get<std::string>());
  EXPECT_EQ(body["type"], "feedwatch.alert");
  EXPECT_EQ(body["id"], requests[0]["id"]);
  const json& alert = body["data"]["alerts"][0];
  EXPECT_EQ(alert["watch"], "darchiev");
  EXPECT_EQ(alert["feed"], "lenta");
  EXPECT_EQ(alert["title"], "Дарчиев: новость номер 1");
  EXPECT_EQ(alert["link"], "https://lenta.test/news/1");
  EXPECT_EQ(alert["summary"], "Посол России в США Александр Дарчиев сообщил о переговорах.");
  EXPECT_NE(alert["snippet"].get<std::string>().find("**Дарчиев**"), std::string::npos);
  EXPECT_EQ(alert["published"], nullptr);
}

TEST_F(AlertsTest, AnSmtpOutageDelaysTheAlertWhichThenArrivesExactlyOnce) {
  auto smtp = StartSmtp(0);
  const int port = smtp->port();
  smtp->Kill();  // the mail server is down
  const std::string config = Config(DeskEmailToml(port));
  RunOnce(config);
  const std::string error = ExpectOneDelivery(store::DeliveryState::kPending, 1);
  EXPECT_TRUE(error.starts_with("SMTP: ")) << error;
  Deliver(config);  // not due yet: nothing is tried
  EXPECT_EQ(Outbox()[0].attempts, 1);

  // Back up (answering 451 once, a busy server), then accepting.
  smtp = StartSmtp(port, {"--fail-first", "1"});
  clock_.Advance(35s);
  Deliver(config);
  EXPECT_TRUE(Outbox()[0].last_error.starts_with("SMTP 451: ")) << Outbox()[0].last_error;
  EXPECT_TRUE(Mails(maildir()).empty());
  clock_.Advance(70s);
  Deliver(config);
  clock_.Advance(3600s);
  Deliver(config);
  EXPECT_EQ(Mails(maildir()).size(), 1u) << log_.str();
  ExpectOneDelivery(store::DeliveryState::kSent, 3);
}

// The server takes the message's data and hangs up without a reply: the message may or may not
// have been taken, so it is not marked sent; it is sent again, once, when a server answers.
TEST_F(AlertsTest, AnSmtpServerHangingUpAfterDataLeavesTheAlertPendingUntilOneAnswers) {
  auto smtp = StartSmtp(0, {"--drop-after-data"});
  const int port = smtp->port();
  const std::string config = Config(DeskEmailToml(port));
  RunOnce(config);
  const std::string error = ExpectOneDelivery(store::DeliveryState::kPending, 1);
  EXPECT_TRUE(error.starts_with("SMTP")) << error;
  EXPECT_TRUE(Mails(maildir()).empty());

  smtp->Kill();
  smtp = StartSmtp(port);
  clock_.Advance(35s);
  Deliver(config);
  clock_.Advance(3600s);
  Deliver(config);
  EXPECT_EQ(Mails(maildir()).size(), 1u) << log_.str();
  ExpectOneDelivery(store::DeliveryState::kSent, 2);
}

TEST_F(AlertsTest, AWebhookFailingTwiceIsDeliveredOnceWithTheSameId) {
  const testing::PythonServer receiver(
      "webhook_receiver",
      {"--log", hooks().string(), "--secret", std::string(kSecret), "--statuses", "500,503"});
  const std::string config = Config(WebhookToml(receiver.port()));
  RunOnce(config);
  clock_.Advance(35s);
  Deliver(config);
  clock_.Advance(70s);
  Deliver(config);
  clock_.Advance(3600s - 105s);
  Deliver(config);
  const std::vector<json> requests = JsonLines(hooks());
  ASSERT_EQ(requests.size(), 3u) << log_.str();
  for (const json& request : requests) {
    EXPECT_EQ(request["id"], requests[0]["id"]);
    EXPECT_TRUE(request["verified"].get<bool>()) << request.dump();
  }
  EXPECT_NE(requests[0]["timestamp"], requests[2]["timestamp"]);  // each attempt signs afresh
  ExpectOneDelivery(store::DeliveryState::kSent, 3);
}

TEST_F(AlertsTest, A400GoesDeadAtOnceAndTheOutboxCommandShowsWhy) {
  const testing::PythonServer receiver("webhook_receiver",
                                       {"--log", hooks().string(), "--statuses", "400"});
  const std::string config = Config(WebhookToml(receiver.port()));
  RunOnce(config);
  clock_.Advance(3600s);
  Deliver(config);
  EXPECT_EQ(JsonLines(hooks()).size(), 1u);
  const std::string config_file = (dir_.path() / "feedwatch.toml").string();
  const testing::CommandResult listed = testing::RunFeedwatch({"outbox", "-c", config_file});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("hook           dead"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("last error: HTTP 400: refused by the test receiver"),
            std::string::npos)
      << listed.out;
  EXPECT_NE(listed.out.find("0 pending, 1 dead"), std::string::npos) << listed.out;

  // The operator fixes the receiver (it answers 200 now) and queues the dead one again.
  const testing::CommandResult retried =
      testing::RunFeedwatch({"outbox", "retry", "--dead", "-c", config_file});
  EXPECT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_EQ(retried.out, "1 dead delivery queued again\n");
  clock_ = testing::FakeClock(SystemClock().Now());
  Deliver(config);
  const std::vector<json> requests = JsonLines(hooks());
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1]["id"], requests[0]["id"]);
  EXPECT_EQ(Outbox()[0].state, store::DeliveryState::kSent);
}

TEST_F(AlertsTest, ARejectedRecipientGoesDeadAtOnce) {
  const testing::PythonServer smtp("smtp_sink", {"--maildir", maildir().string()});
  RunOnce(Config(SmtpToml(smtp.port()) +
                 "[[notify]]\nname = \"desk\"\ntype = \"email\"\nto = [\"reject@example.org\"]\n"));
  const std::string error = ExpectOneDelivery(store::DeliveryState::kDead, 1);
  EXPECT_TRUE(error.starts_with("SMTP 550")) << error;
}

TEST_F(AlertsTest, FiveMatchesInAnHourMakeOneHourlyDigest) {
  const testing::PythonServer smtp("smtp_sink", {"--maildir", maildir().string()});
  const std::string config =
      Config(SmtpToml(smtp.port()) +
             "[[notify]]\nname = \"desk\"\ntype = \"email\"\nto = [\"desk@example.org\"]\n"
             "digest = \"hourly\"\n");
  const TimePoint hour = std::chrono::ceil<std::chrono::hours>(clock_.Now());
  clock_ = testing::FakeClock(hour - 55min);
  SetFeed(Numbered(3));
  RunOnce(config);
  clock_.Advance(30min);
  SetFeed(Numbered(5));
  RunOnce(config);
  clock_.Advance(20min);  // 5 minutes before the hour
  Deliver(config);
  EXPECT_TRUE(Mails(maildir()).empty()) << "a digest waits for its time";
  clock_.Advance(5min);
  Deliver(config);
  const std::vector<std::filesystem::path> mails = Mails(maildir());
  ASSERT_EQ(mails.size(), 1u) << log_.str();
  const json mail = ReadMail(mails[0]);
  EXPECT_EQ(mail["headers"]["subject"], json::array({"[feedwatch] digest: 5 alerts (darchiev)"}));
  const std::string text = mail["parts"][0]["text"];
  for (int i = 1; i <= 5; ++i) {
    EXPECT_NE(text.find("Дарчиев: новость номер " + std::to_string(i)), std::string::npos) << text;
  }
  for (const store::Delivery& d : Outbox()) EXPECT_EQ(d.state, store::DeliveryState::kSent);
}

TEST_F(AlertsTest, AlertsOverTheHourlyLimitAreFoldedIntoOneDigest) {
  const testing::PythonServer receiver(
      "webhook_receiver", {"--log", hooks().string(), "--secret", std::string(kSecret)});
  SetFeed(Numbered(5));
  RunOnce(Config(WebhookToml(receiver.port(), "max_per_hour = 2\n")));
  const std::vector<json> requests = JsonLines(hooks());
  ASSERT_EQ(requests.size(), 2u) << log_.str();
  std::vector<std::string> types;
  size_t alerts = 0;
  for (const json& request : requests) {
    const json body = json::parse(request["body"].get<std::string>());
    types.push_back(body["type"]);
    alerts += body["data"]["alerts"].size();
  }
  std::sort(types.begin(), types.end());
  EXPECT_EQ(types, (std::vector<std::string>{"feedwatch.alert", "feedwatch.digest"}));
  EXPECT_EQ(alerts, 5u);
}

TEST_F(AlertsTest, AfterAKillNineEveryCommittedAlertArrives) {
  // The receiver takes the first five requests and never answers them: the daemon has
  // committed the matches and is delivering when it is killed.
  const testing::PythonServer receiver(
      "webhook_receiver",
      {"--log", hooks().string(), "--secret", std::string(kSecret), "--hang-first", "5"});
  SetFeed(Numbered(5));
  const std::filesystem::path config = dir_.path() / "feedwatch.toml";
  testing::WriteFile(config, Config(WebhookToml(receiver.port()), "2s"));
  const auto wait_for = [&](size_t requests) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (JsonLines(hooks()).size() < requests && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
    }
    return JsonLines(hooks()).size();
  };
  {
    testing::FeedwatchProcess daemon({"run", "--config", config.string()});
    ASSERT_EQ(wait_for(5), 5u) << daemon.err();
    daemon.Signal(SIGKILL);
    EXPECT_EQ(daemon.Wait(10s), -1);
  }
  testing::FeedwatchProcess restarted({"run", "--config", config.string()});
  ASSERT_EQ(wait_for(10), 10u) << restarted.err();
  restarted.Signal(SIGTERM);
  EXPECT_EQ(restarted.Wait(20s), 0) << restarted.err();

  const std::vector<json> requests = JsonLines(hooks());
  std::set<std::string> before, after, titles;
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_TRUE(requests[i]["verified"].get<bool>());
    (i < 5 ? before : after).insert(requests[i]["id"].get<std::string>());
    if (i >= 5) {
      const json body = json::parse(requests[i]["body"].get<std::string>());
      titles.insert(body["data"]["alerts"][0]["title"].get<std::string>());
    }
  }
  EXPECT_EQ(before.size(), 5u);
  EXPECT_EQ(after, before) << "the same messages, by id, after the restart";
  EXPECT_EQ(titles.size(), 5u);
  for (const store::Delivery& d : Outbox())
    EXPECT_EQ(d.state, store::DeliveryState::kSent) << d.title;
}

TEST_F(AlertsTest, AfterStoreCopyAnInstanceOnPostgresqlSendsThePendingAlertsAndNothingTwice) {
  // On SQLite: two alerts sent, then three more that the receiver, down, never took.
  SetFeed(Numbered(2));
  auto down = std::make_unique<testing::PythonServer>(
      "webhook_receiver", std::vector<std::string>{"--log", (dir_.path() / "before.jsonl").string(),
                                                   "--secret", std::string(kSecret)});
  RunOnce(Config(WebhookToml(down->port())));
  ASSERT_EQ(JsonLines(dir_.path() / "before.jsonl").size(), 2u) << log_.str();
  down->Kill();
  SetFeed(Numbered(5));
  RunOnce(Config(WebhookToml(down->port())));
  std::map<std::string, std::string> pending;  // title -> message id
  for (const store::Delivery& d : Outbox()) {
    if (d.state == store::DeliveryState::kPending) pending[d.title] = d.message_id;
  }
  ASSERT_EQ(pending.size(), 3u) << log_.str();

  // The operator grows: stops feedwatch, copies the state, points the config at PostgreSQL.
  const std::string url = testing::NewPgDatabase();
  const testing::CommandResult copy = testing::RunFeedwatch(
      {"store", "copy", "--from", (dir_.path() / "feedwatch.db").string(), "--to", url});
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  EXPECT_EQ(copy.out.find("copied "), 0u) << copy.out;
  EXPECT_NE(copy.out.find(": 1 feeds 5 items 5 matches 5 deliveries"), std::string::npos)
      << copy.out;
  const testing::CommandResult again = testing::RunFeedwatch(
      {"store", "copy", "--from", (dir_.path() / "feedwatch.db").string(), "--to", url});
  EXPECT_EQ(again.exit_code, 65);
  EXPECT_NE(again.err.find("holds feedwatch state already; copy into an empty store"),
            std::string::npos)
      << again.err;

  const testing::PythonServer up("webhook_receiver",
                                 {"--log", hooks().string(), "--secret", std::string(kSecret)});
  clock_.Advance(120s);  // the failed attempts' retries are due
  RunOnce(Config(WebhookToml(up.port())) + "[store]\nurl = \"" + url + "\"\n");
  const std::vector<json> requests = JsonLines(hooks());
  ASSERT_EQ(requests.size(), 3u) << log_.str();
  std::map<std::string, std::string> sent;
  for (const json& request : requests) {
    EXPECT_TRUE(request["verified"].get<bool>());
    const json body = json::parse(request["body"].get<std::string>());
    sent[body["data"]["alerts"][0]["title"].get<std::string>()] = request["id"].get<std::string>();
  }
  EXPECT_EQ(sent, pending) << "the pending alerts, each once, in the messages they were";
  // Everything is sent; the feed was polled again on PostgreSQL and alerted nothing new.
  const auto store = store::Store::Connect(url, "");
  ASSERT_TRUE(store.ok()) << store.error().message;
  const std::vector<store::Delivery> outbox = *(*store)->ListDeliveries(/*all=*/true);
  EXPECT_EQ(outbox.size(), 5u);
  for (const store::Delivery& d : outbox)
    EXPECT_EQ(d.state, store::DeliveryState::kSent) << d.title;
  // The commands that read the state read it there too.
  const testing::CommandResult status = testing::RunFeedwatch(
      {"status", "--json", "--config", (dir_.path() / "feedwatch.toml").string()});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const json document = json::parse(status.out);
  EXPECT_EQ(document["store"], "postgresql");
  EXPECT_EQ(document["feeds"][0]["health"], "ok");
  EXPECT_TRUE(document["instances"].is_array());
}

}  // namespace
}  // namespace feedwatch::daemon
