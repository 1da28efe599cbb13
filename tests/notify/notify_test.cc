#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/hash.h"
#include "notify/email.h"
#include "notify/policy.h"
#include "notify/webhook.h"

namespace feedwatch::notify {
namespace {

using namespace std::chrono_literals;

TimePoint At(int y, unsigned m, unsigned d, int hh, int mm) {
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}} +
         std::chrono::hours(hh) + std::chrono::minutes(mm);
}

// Decodes a header of "=?UTF-8?B?...?=" words (folded or not) the way RFC 2047 says: the
// whitespace between encoded words is dropped.
std::string DecodeWords(std::string_view header) {
  std::string out;
  size_t at = 0;
  while ((at = header.find("=?UTF-8?B?", at)) != std::string_view::npos) {
    const size_t end = header.find("?=", at + 10);
    out += Base64Decode(header.substr(at + 10, end - at - 10)).value_or("<bad base64>");
    at = end + 2;
  }
  return out;
}

Alert SampleAlert() {
  Alert alert;
  alert.delivery = 7;
  alert.watch = "darchiev";
  alert.feed = "tass-ru";
  alert.title = "Дарчиев: «раздражители» обсудят в Москве";
  alert.link = "https://tass.ru/politika/1";
  alert.published = At(2026, 11, 25, 9, 30);
  alert.matched_at = At(2026, 11, 25, 9, 31);
  alert.summary = "Посол России в США Александр Дарчиев…";
  alert.terms = "title: дарчиев";
  alert.snippet = "Посол **Дарчиев** заявил <b>";
  alert.story = 7;
  return alert;
}

TEST(HeaderText, LeavesPlainAsciiAloneAndEncodesTheRest) {
  EXPECT_EQ(EncodeHeaderText("[feedwatch] darchiev: talks"), "[feedwatch] darchiev: talks");
  const std::string title =
      "[feedwatch] darchiev: Дарчиев заявил о «раздражителях» в отношениях "
      "России и США — подробности";
  const std::string encoded = EncodeHeaderText(title);
  EXPECT_EQ(DecodeWords(encoded), title);
  size_t start = 0;
  while (start < encoded.size()) {
    const size_t end = std::min(encoded.find("\r\n ", start), encoded.size());
    EXPECT_LE(end - start, 75u) << "an encoded word is at most 75 characters";
    start = end + 3;
  }
  // A word that looks like an encoded word is encoded too, so that it reads as itself.
  EXPECT_EQ(DecodeWords(EncodeHeaderText("=?UTF-8?B?QQ==?=")), "=?UTF-8?B?QQ==?=");
}

TEST(HeaderText, NothingFromAFeedCanStartAHeader) {
  const std::string encoded = EncodeHeaderText("Hi\r\nBcc: victim@example.org\r\n\r\nbody");
  EXPECT_EQ(encoded.find('\n'), std::string::npos);
  EXPECT_EQ(encoded, "Hi Bcc: victim@example.org body");
  const std::string cyrillic = EncodeHeaderText("Привет\r\nBcc: victim@example.org");
  EXPECT_EQ(DecodeWords(cyrillic), "Привет Bcc: victim@example.org");
}

TEST(Mailbox, ParsesAddressesWithAndWithoutNames) {
  EXPECT_EQ(ParseMailbox("a@example.org")->address, "a@example.org");
  const Mailbox named = *ParseMailbox("\"Desk, night\" <night@example.org>");
  EXPECT_EQ(named.name, "Desk, night");
  EXPECT_EQ(named.address, "night@example.org");
  EXPECT_FALSE(ParseMailbox("no-at-sign").ok());
  EXPECT_FALSE(ParseMailbox("a@b\r\nBcc: c@d").ok());
  EXPECT_FALSE(ParseMailbox("Name <a@b").ok());
}

TEST(Email, DateIsRfc5322) {
  EXPECT_EQ(FormatRfc5322Date(At(2026, 11, 25, 11, 17) + 45s), "Wed, 25 Nov 2026 11:17:45 +0000");
}

TEST(Email, RendersAWellFormedMessage) {
  SmtpSettings smtp;
  smtp.from = *ParseMailbox("Лента <alerts@example.org>");
  const EmailSettings email{"desk", {"desk@example.org"}};
  Message message{"0123456789abcdef-a7", false, {SampleAlert()}};
  const std::string text = RenderEmail(message, smtp, email, At(2026, 11, 25, 9, 31));
  const size_t header_end = text.find("\r\n\r\n");
  ASSERT_NE(header_end, std::string::npos);
  const std::string headers = text.substr(0, header_end + 2);
  EXPECT_NE(headers.find("Message-ID: <0123456789abcdef-a7@example.org>\r\n"), std::string::npos);
  EXPECT_NE(headers.find("List-Id: feedwatch desk <desk.feedwatch.example.org>\r\n"),
            std::string::npos);
  EXPECT_NE(headers.find("From: =?UTF-8?B?"), std::string::npos);
  // Every line ends in CRLF and none is longer than SMTP allows.
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find("\r\n", start);
    ASSERT_NE(end, std::string::npos) << "a line without CRLF";
    EXPECT_LE(end - start, 998u);
    EXPECT_EQ(text.substr(start, end - start).find('\n'), std::string::npos) << "a bare LF";
    start = end + 2;
  }
}

TEST(Email, OnlyLoopbackHostsMaySkipTls) {
  EXPECT_TRUE(IsLoopbackUrl("smtp://127.0.0.1:2525"));
  EXPECT_TRUE(IsLoopbackUrl("smtp://localhost"));
  EXPECT_TRUE(IsLoopbackUrl("smtp://[::1]:25"));
  EXPECT_FALSE(IsLoopbackUrl("smtp://mail.example.org:587"));
  EXPECT_FALSE(IsLoopbackUrl("smtp://127.0.0.1.example.org"));
}

TEST(Webhook, SignsAsTheStandardWebhooksSpecificationShows) {
  // The example in the Standard Webhooks specification's reference tests.
  const std::string secret = *Base64Decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  EXPECT_EQ(StandardWebhookSignature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                     R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(Webhook, StandardPayloadCarriesTheAlert) {
  const Message message{"0123456789abcdef-a7", false, {SampleAlert()}};
  const WebhookRequest request =
      RenderWebhook(message, WebhookFormat::kStandard, At(2026, 11, 25, 9, 31));
  const nlohmann::json body = nlohmann::json::parse(request.body);
  EXPECT_EQ(body["type"], "feedwatch.alert");
  EXPECT_EQ(body["id"], "0123456789abcdef-a7");
  EXPECT_EQ(body["timestamp"], "2026-11-25T09:31:00Z");
  const nlohmann::json& alert = body["data"]["alerts"][0];
  EXPECT_EQ(alert["title"], SampleAlert().title);
  EXPECT_EQ(alert["published"], "2026-11-25T09:30:00Z");
  EXPECT_EQ(alert["story"], 7);
  EXPECT_EQ(alert["snippet"], "Посол **Дарчиев** заявил <b>");
  EXPECT_EQ(request.headers, std::vector<std::string>{"Content-Type: application/json"});
}

TEST(Webhook, ChatFormatsCannotBeHijackedByFeedText) {
  Alert alert = SampleAlert();
  alert.title = "@everyone <!channel> *bold* & more";
  const Message message{"x-a1", false, {alert}};
  const nlohmann::json slack =
      nlohmann::json::parse(RenderWebhook(message, WebhookFormat::kSlack, {}).body);
  EXPECT_NE(slack["text"].get<std::string>().find("&lt;!channel&gt;"), std::string::npos);
  const nlohmann::json discord =
      nlohmann::json::parse(RenderWebhook(message, WebhookFormat::kDiscord, {}).body);
  EXPECT_EQ(discord["allowed_mentions"]["parse"], nlohmann::json::array());
  EXPECT_NE(discord["content"].get<std::string>().find("\\@everyone"), std::string::npos);
  const WebhookRequest ntfy =
      RenderWebhook({"x-a1", false, {SampleAlert()}}, WebhookFormat::kNtfy, {});
  ASSERT_GE(ntfy.headers.size(), 2u);
  EXPECT_EQ(DecodeWords(ntfy.headers[1]), SampleAlert().title);
  EXPECT_EQ(ntfy.headers[1].find('\n'), std::string::npos);
}

TEST(Webhook, AFeedLinkCannotEndTheChatLinkAndForgeAnother) {
  Alert alert = SampleAlert();
  alert.link = "https://outlet.example/a>)**[Click me](<https://evil.example/>)";
  alert.title = "Title](https://evil.example/) [x";
  const Message message{"x-a1", false, {alert}};
  const std::string discord =
      nlohmann::json::parse(RenderWebhook(message, WebhookFormat::kDiscord, {}).body)["content"]
          .get<std::string>();
  // One link, to the outlet, ending where feedwatch ends it.
  EXPECT_EQ(discord.find("](<"), discord.rfind("](<")) << discord;
  EXPECT_NE(discord.find("(<https://outlet.example/a%3E%29**%5BClick%20me%5D%28%3Chttps://"
                         "evil.example/%3E%29>)**"),
            std::string::npos)
      << discord;
  EXPECT_NE(discord.find("**[Title\\]\\(https\\:"), std::string::npos) << discord;
  const std::string slack =
      nlohmann::json::parse(RenderWebhook(message, WebhookFormat::kSlack, {}).body)["text"]
          .get<std::string>();
  EXPECT_EQ(slack.find("|Click"), std::string::npos) << slack;
  EXPECT_EQ(std::count(slack.begin(), slack.end(), '|'), 1) << slack;
}

TEST(Webhook, SlacksFormattingCharactersInAFeedsTextFormatNothing) {
  Alert alert = SampleAlert();
  alert.title = "*Breaking* _Darchiev_ ~not~ `code`";
  alert.link.clear();
  alert.snippet = "the *envoy* **Darchiev** said_so";
  alert.summary.clear();
  alert.summary_marked.clear();
  Message message;
  message.alerts = {alert};
  const std::string slack =
      nlohmann::json::parse(RenderWebhook(message, WebhookFormat::kSlack, {}).body)["text"]
          .get<std::string>();
  const std::string z = "\u200B";
  EXPECT_NE(slack.find("*" + z + "*Breaking" + z + "* " + z + "_Darchiev" + z + "_ " + z + "~not" +
                       z + "~ " + z + "`code" + z + "`*"),
            std::string::npos)
      << slack;
  // The hit's mark is bold; the feed's own asterisks and underscores are text.
  EXPECT_NE(slack.find("> the " + z + "*envoy" + z + "* *Darchiev* said" + z + "_so"),
            std::string::npos)
      << slack;
}

TEST(Webhook, OneOversizedEntryDoesNotHideTheOthers) {
  Alert huge = SampleAlert();
  huge.title = std::string(5000, 'T');
  huge.snippet = std::string(9000, 'S');
  huge.link = "https://outlet.example/" + std::string(3000, 'p');
  std::vector<Alert> alerts = {huge};
  for (int i = 0; i < 4; ++i) {
    Alert other = SampleAlert();
    other.title = "Other story " + std::to_string(i);
    alerts.push_back(other);
  }
  const Message digest{"x-g1", true, alerts};
  const std::string discord =
      nlohmann::json::parse(RenderWebhook(digest, WebhookFormat::kDiscord, {}).body)["content"]
          .get<std::string>();
  EXPECT_LE(discord.size(), 2000u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NE(discord.find("Other story " + std::to_string(i)), std::string::npos) << discord;
  }
  const std::string ntfy = RenderWebhook(digest, WebhookFormat::kNtfy, {}).body;
  EXPECT_LE(ntfy.size(), 4096u);
  EXPECT_NE(ntfy.find("Other story 3"), std::string::npos);
  // Past the limit, the message says how many entries it left out.
  const Message many{"x-g2", true, std::vector<Alert>(60, SampleAlert())};
  const std::string crowded =
      nlohmann::json::parse(RenderWebhook(many, WebhookFormat::kDiscord, {}).body)["content"]
          .get<std::string>();
  EXPECT_LE(crowded.size(), 2000u);
  EXPECT_NE(crowded.find(" more"), std::string::npos);
  EXPECT_NE(crowded.find("… and "), std::string::npos);
}

TEST(DigestSchedule, ParsesAndFindsTheNextSlot) {
  EXPECT_TRUE(DigestSchedule::Parse("off")->off());
  const DigestSchedule hourly = *DigestSchedule::Parse("hourly");
  EXPECT_EQ(hourly.Next(At(2026, 11, 25, 9, 31)), At(2026, 11, 25, 10, 0));
  EXPECT_EQ(hourly.Next(At(2026, 11, 25, 10, 0)), At(2026, 11, 25, 10, 0));
  // 08:00 in Moscow is 05:00 UTC.
  const DigestSchedule moscow = *DigestSchedule::Parse("daily 08:00 Europe/Moscow");
  EXPECT_EQ(moscow.Next(At(2026, 11, 25, 4, 0)), At(2026, 11, 25, 5, 0));
  EXPECT_EQ(moscow.Next(At(2026, 11, 25, 6, 0)), At(2026, 11, 26, 5, 0));
  const DigestSchedule utc = *DigestSchedule::Parse("daily 23:30");
  EXPECT_EQ(utc.Next(At(2026, 11, 25, 23, 45)), At(2026, 11, 26, 23, 30));
  // 02:30 does not exist in Berlin on 29 March 2026: the digest goes at the change (01:00 UTC).
  const DigestSchedule berlin = *DigestSchedule::Parse("daily 02:30 Europe/Berlin");
  EXPECT_EQ(berlin.Next(At(2026, 3, 28, 12, 0)), At(2026, 3, 29, 1, 0));
  EXPECT_FALSE(DigestSchedule::Parse("daily 8:00").ok());
  EXPECT_FALSE(DigestSchedule::Parse("weekly").ok());
  EXPECT_FALSE(DigestSchedule::Parse("daily 08:00 Nowhere/Atlantis").ok());
}

TEST(RetryDelay, DoublesFromThirtySecondsToAnHourAndHonoursRetryAfter) {
  std::vector<std::int64_t> delays;
  for (int attempts = 1; attempts <= 9; ++attempts) {
    delays.push_back(RetryDelay(attempts, std::nullopt, 0.0).count());
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{30, 60, 120, 240, 480, 960, 1920, 3600, 3600}));
  EXPECT_EQ(RetryDelay(1, std::nullopt, 1.0), 33s);
  EXPECT_EQ(RetryDelay(1, std::nullopt, -1.0), 27s);
  EXPECT_EQ(RetryDelay(1, 600s, 0.0), 600s);
  EXPECT_EQ(RetryDelay(8, 10s, 0.0), 3600s);  // never sooner than the backoff
}

TEST(Alert, TheLedeIsCutAtAWordWithItsMarksPaired) {
  EXPECT_EQ(ShortenMarked("short **lede**", 100), "short **lede**");
  // Cut inside a mark: the mark is closed before the ellipsis.
  EXPECT_EQ(ShortenMarked("The envoy **Alexander Darchiev said** more", 30),
            "The envoy **Alexander Darchiev**…");
  EXPECT_EQ(ShortenMarked("Посол России **Дарчиев** заявил сегодня", 44),
            "Посол России **Дарчиев**…");
}

TEST(Webhook, OneArticleNamesEveryWatchWithItsHitsAsData) {
  using nlohmann::json;
  Alert alert = SampleAlert();
  alert.summary_marked = "Посол России в США Александр **Дарчиев**…";
  alert.matches = {{"darchiev",
                    "title: Дарчиев* (Дарчиев)",
                    "**Дарчиев**: «раздражители»",
                    {{"title", "Дарчиев*", "Дарчиев"}}},
                   {"moscow-round",
                    "title: Москв* (Москве)",
                    "обсудят в **Москве**",
                    {{"title", "Москв*", "Москве"}}}};
  const Message message{"0123456789abcdef-a7", false, {alert}};
  const json payload =
      json::parse(RenderWebhook(message, WebhookFormat::kStandard, At(2026, 11, 25, 9, 31)).body);
  const json& rendered = payload["data"]["alerts"][0];
  EXPECT_EQ(rendered["watch"], "darchiev");
  EXPECT_EQ(rendered["watches"], (json{"darchiev", "moscow-round"}));
  EXPECT_EQ(rendered["matches"][1]["hits"][0],
            (json{{"field", "title"}, {"term", "Москв*"}, {"text", "Москве"}}));
  EXPECT_EQ(rendered["hits"], rendered["matches"][0]["hits"]);
  EXPECT_EQ(rendered["summary"], alert.summary);  // plain in the payload
  // Chat formats show the lede with its hits marked, and every watch.
  const std::string slack = json::parse(
      RenderWebhook(message, WebhookFormat::kSlack, At(2026, 11, 25, 9, 31)).body)["text"];
  EXPECT_NE(slack.find("darchiev, moscow-round · tass-ru"), std::string::npos) << slack;
  EXPECT_NE(slack.find("> Посол России в США Александр *Дарчиев*"), std::string::npos) << slack;
}

}  // namespace
}  // namespace feedwatch::notify
