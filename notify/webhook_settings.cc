// type = "webhook": its keys, those of the format it names, and the notifier made from them.
#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "base/hash.h"
#include "notify/chat_apis.h"
#include "notify/webhook.h"

namespace feedwatch::notify {
namespace {

constexpr std::array<std::pair<std::string_view, WebhookFormat>, 6> kFormats = {{
    {"standard", WebhookFormat::kStandard},
    {"slack", WebhookFormat::kSlack},
    {"discord", WebhookFormat::kDiscord},
    {"ntfy", WebhookFormat::kNtfy},
    {"telegram", WebhookFormat::kTelegram},
    {"matrix", WebhookFormat::kMatrix},
}};

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Telegram's token_file and chat, or Matrix's token_file and room.
bool ParseChatApi(OptionReader& reader, WebhookSettings& webhook) {
  const bool telegram = webhook.format == WebhookFormat::kTelegram;
  const char* what =
      telegram ? "[[notify]] of format \"telegram\"" : "[[notify]] of format \"matrix\"";
  bool ok = true;
  if (auto token = reader.Secret("token_file", what, true)) {
    if (token->empty() || token->find_first_of(" \t\r\n/?#") != std::string::npos) {
      const std::optional<OptionReader::Value> file = reader.Get("token_file", what, true);
      reader.Report(file->at, "the token in " + Quote(file->text.value_or("")) +
                                  " must be one line without spaces, '/', '?' or '#'");
      ok = false;
    }
    webhook.token = std::move(*token);
  } else {
    ok = false;
  }
  const char* key = telegram ? "chat" : "room";
  if (auto chat = reader.String(key, what, true)) {
    webhook.chat = *chat;
  } else {
    ok = false;
  }
  return ok;
}

// headers = { Name = "value", ... }: each name an HTTP token, each value one line.
bool ParseHeaders(OptionReader& reader, WebhookSettings& webhook) {
  const std::optional<OptionReader::Value> node = reader.Get("headers", "[[notify]]", false);
  if (!node) return true;
  const std::optional<std::vector<OptionReader::Field>> headers = reader.Fields("headers");
  if (!headers) {
    reader.Report(node->at, R"(expected "headers" to be a table of header = "value")");
    return false;
  }
  bool ok = true;
  for (const OptionReader::Field& header : *headers) {
    const std::string& name = header.key;
    const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) ||
             std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
    const std::optional<std::string>& text = header.value.text;
    if (!token) {
      reader.Report(header.key_at, "header name " + Quote(name) + " is not an HTTP token");
      ok = false;
    } else if (!text || text->find_first_of("\r\n") != std::string::npos) {
      reader.Report(header.value.at,
                    "expected header " + Quote(name) + " to be a string on one line");
      ok = false;
    } else {
      webhook.headers.push_back(name + ": " + *text);
    }
  }
  return ok;
}

}  // namespace

std::optional<WebhookSettings> WebhookSettings::Parse(OptionReader& reader,
                                                      const ParseContext& context) {
  WebhookSettings webhook;
  bool ok = true;
  webhook.ca_file = context.ca_file;
  webhook.proxy = context.proxy;
  webhook.timeout = context.http_timeout;
  if (auto d = reader.Duration("timeout")) webhook.timeout = *d;
  if (auto format = reader.String("format", "[[notify]]", false)) {
    const auto known = std::find_if(kFormats.begin(), kFormats.end(),
                                    [&](const auto& entry) { return entry.first == *format; });
    if (known != kFormats.end()) {
      webhook.format = known->second;
    } else {
      reader.Report(reader.Get("format", "[[notify]]", false)->at,
                    "unknown webhook format " + Quote(*format) +
                        R"(; expected "standard", "slack", "discord", "ntfy", "telegram" or )"
                        R"("matrix")");
      ok = false;
    }
  }
  const bool telegram = webhook.format == WebhookFormat::kTelegram;
  const bool matrix = webhook.format == WebhookFormat::kMatrix;
  if (telegram || matrix) ok = ParseChatApi(reader, webhook) && ok;
  if (telegram && !reader.Get("url", "[[notify]]", false)) {
    webhook.url = "https://api.telegram.org";  // the Bot API; a test or a proxy sets its own
  } else if (auto url = reader.String("url", "[[notify]] of type \"webhook\"", true)) {
    const bool web = url->starts_with("http://") || url->starts_with("https://");
    if (!web || url->find_first_of(" \r\n") != std::string::npos) {
      reader.Report(reader.Get("url", "[[notify]]", false)->at,
                    "webhook url " + Quote(*url) + " must be an http:// or https:// URL");
      ok = false;
    }
    webhook.url = *url;
  } else {
    ok = false;
  }
  while (webhook.url.ends_with('/') && (telegram || matrix)) webhook.url.pop_back();
  if (reader.Get("secret_file", "[[notify]]", false)) {
    if (auto secret = reader.Secret("secret_file", "[[notify]]", true)) {
      std::string_view text = *secret;
      if (text.starts_with("whsec_")) text.remove_prefix(6);
      std::optional<std::string> key = Base64Decode(text);
      if (!key || key->empty()) {
        const std::optional<OptionReader::Value> file =
            reader.Get("secret_file", "[[notify]]", true);
        reader.Report(file->at, "the secret in " + Quote(file->text.value_or("")) +
                                    " must be \"whsec_\" followed by base64 (Standard Webhooks)");
        ok = false;
      } else {
        webhook.secret = std::move(*key);
      }
    } else {
      ok = false;
    }
  }
  ok = ParseHeaders(reader, webhook) && ok;
  if (!ok) return std::nullopt;
  return webhook;
}

std::string_view WebhookSettings::Label() const {
  if (format == WebhookFormat::kStandard) return kType;
  for (const auto& [name, known] : kFormats) {
    if (known == format) return name;
  }
  return kType;
}

std::unique_ptr<Notifier> WebhookSettings::Make(const std::string& /*name*/,
                                                const NotifierServices& services) const {
  switch (format) {
    case WebhookFormat::kTelegram:
      return std::make_unique<TelegramNotifier>(services.http, *this);
    case WebhookFormat::kMatrix:
      return std::make_unique<MatrixNotifier>(services.http, *this);
    case WebhookFormat::kStandard:
    case WebhookFormat::kSlack:
    case WebhookFormat::kDiscord:
    case WebhookFormat::kNtfy:
      break;
  }
  return std::make_unique<WebhookNotifier>(services.http, *this, services.clock);
}

}  // namespace feedwatch::notify
