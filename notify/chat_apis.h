// Alerts to chat services through their own APIs, where people who follow a beat read:
//
// - Telegram (`format = "telegram"`): the Bot API's sendMessage to a chat or channel, HTML
//   parse mode. The bot token is part of the URL, so it is never logged and never in an error;
//   a 429's retry_after is honoured; a message past Telegram's length goes out as several, a
//   digest split between its alerts rather than cut.
// - Matrix (`format = "matrix"`): PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}
//   with the message id as the transaction id, so a retried message is never shown twice; an
//   m.notice with a plain body and an HTML formatted_body.
#pragma once

#include <string>
#include <vector>

#include "base/clock.h"
#include "net/http_client.h"
#include "notify/notifier.h"
#include "notify/webhook.h"

namespace feedwatch::notify {

// Telegram's limit on a message's text, in characters.
inline constexpr size_t kTelegramLimit = 4096;

// The texts of the sendMessage calls for `message` (Telegram's HTML subset, everything from a
// feed escaped), each within kTelegramLimit characters.
std::vector<std::string> TelegramTexts(const Message& message);

class TelegramNotifier final : public Notifier {
 public:
  // settings.url is the Bot API's base ("https://api.telegram.org"), settings.token the bot's
  // token, settings.chat the chat id or @channel. `client` must outlive the notifier.
  TelegramNotifier(net::HttpClient& client, WebhookSettings settings)
      : client_(client), settings_(std::move(settings)) {}
  void Send(const Message& message, std::function<void(SendResult)> done) override;

 private:
  void SendPart(std::vector<std::string> texts, size_t part, std::function<void(SendResult)> done);

  net::HttpClient& client_;
  WebhookSettings settings_;
};

// The event for `message`: {"msgtype": "m.notice", "body", "format", "formatted_body"}.
std::string MatrixEvent(const Message& message);

class MatrixNotifier final : public Notifier {
 public:
  // settings.url is the homeserver's base URL, settings.token the access token, settings.chat
  // the room id ("!abc:example.org"). `client` must outlive the notifier.
  MatrixNotifier(net::HttpClient& client, WebhookSettings settings)
      : client_(client), settings_(std::move(settings)) {}
  void Send(const Message& message, std::function<void(SendResult)> done) override;

 private:
  net::HttpClient& client_;
  WebhookSettings settings_;
};

}  // namespace feedwatch::notify
