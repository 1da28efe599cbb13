// Alerts by webhook: an HTTP POST of a JSON document (docs/alerts.md has its schema), signed
// per the Standard Webhooks specification, or the payload that Slack, Discord or ntfy accept at
// their incoming-webhook URLs.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "net/http_client.h"
#include "notify/notifier.h"
#include "notify/notifier_type.h"

namespace feedwatch::notify {

enum class WebhookFormat { kStandard, kSlack, kDiscord, kNtfy, kTelegram, kMatrix };

// type = "webhook" (webhook_settings.cc): url, secret_file, headers, timeout, and a format whose
// own keys come with it (Telegram's token_file and chat, Matrix's token_file and room).
struct WebhookSettings {
  std::string url;
  // The signing key: the bytes that the "whsec_..." secret's base64 encodes. Empty: unsigned.
  std::string secret;
  std::vector<std::string> headers;  // "Name: value", sent with every request
  // Telegram and Matrix (chat_apis.h): the bot or access token, and the chat or room.
  std::string token;
  std::string chat;
  WebhookFormat format = WebhookFormat::kStandard;
  std::chrono::milliseconds timeout{30'000};
  std::string ca_file;
  std::string proxy;

  bool operator==(const WebhookSettings&) const = default;

  static constexpr std::string_view kType = "webhook";
  static constexpr std::array<std::string_view, 8> kKeys = {
      "url", "secret_file", "format", "headers", "timeout", "token_file", "chat", "room"};
  static std::optional<WebhookSettings> Parse(OptionReader& reader, const ParseContext& context);
  // "webhook" for the standard format, else the format's name: "slack", "telegram"...
  std::string_view Label() const;
  std::vector<std::string> Destination() const { return {url, chat}; }
  std::chrono::milliseconds Timeout() const { return timeout; }
  std::unique_ptr<Notifier> Make(const std::string& name, const NotifierServices& services) const;
};

// A request to `url` with what every notifier over HTTP sets from its settings: the timeout, the
// CA file and proxy, no redirects followed, and a small limit on the answer.
net::Request NotifierRequest(const WebhookSettings& settings, std::string url);

// "v1," + base64(HMAC-SHA256(secret, id + "." + timestamp + "." + body)).
std::string StandardWebhookSignature(std::string_view secret, std::string_view id,
                                     std::int64_t timestamp, std::string_view body);

struct WebhookRequest {
  std::string body;
  std::vector<std::string> headers;  // Content-Type and any format-specific ones
};

// The request body and headers for `message` in `format` (signature headers excluded); for
// Telegram, the first of its sendMessage calls.
// `now` is the document's timestamp.
WebhookRequest RenderWebhook(const Message& message, WebhookFormat format, TimePoint now);

class WebhookNotifier final : public Notifier {
 public:
  // `client` and `clock` must outlive the notifier.
  WebhookNotifier(net::HttpClient& client, WebhookSettings settings, const Clock& clock)
      : client_(client), settings_(std::move(settings)), clock_(clock) {}
  void Send(const Message& message, std::function<void(SendResult)> done) override;

 private:
  net::HttpClient& client_;
  WebhookSettings settings_;
  const Clock& clock_;
};

}  // namespace feedwatch::notify
