// [[notify]]: the keys every notifier has (name, type, digest, max_per_hour, max_age), and each
// type's own.
#include <algorithm>
#include <cctype>
#include <map>

#include "base/hash.h"
#include "config/sections.h"

namespace feedwatch::config {
namespace {

bool LoadEmail(Reader& reader, const toml::table& table, const Config& config, bool smtp_section,
               NotifierConfig& notifier) {
  bool ok = true;
  if (!config.smtp) {
    // A bad [smtp] has been reported already.
    if (!smtp_section) {
      reader.Add(table.get("type")->source().begin,
                 "an email notifier needs an [smtp] section with at least url and from");
    }
    ok = false;
  }
  const toml::node* node = reader.Get(table, "to", "[[notify]] of type \"email\"", true);
  if (node == nullptr) return false;
  const toml::array* array = node->as_array();
  if (array == nullptr || array->empty()) {
    reader.Add(node->source().begin, "expected \"to\" to be a non-empty array of email addresses");
    return false;
  }
  for (const toml::node& element : *array) {
    const auto* value = element.as_string();
    Result<notify::Mailbox> mailbox =
        value != nullptr
            ? notify::ParseMailbox(value->get())
            : Result<notify::Mailbox>(Error::InvalidInput(
                  "expected an email address (a string), got " + std::string(TypeName(element))));
    if (!mailbox) {
      reader.Add(element.source().begin, mailbox.error().message);
      ok = false;
    } else {
      notifier.email.to.push_back(mailbox->address);
    }
  }
  return ok;
}

// Telegram's token_file and chat, or Matrix's token_file and room.
bool LoadChatApi(Reader& reader, const toml::table& table, notify::WebhookSettings& webhook) {
  const bool telegram = webhook.format == notify::WebhookFormat::kTelegram;
  const char* what =
      telegram ? "[[notify]] of format \"telegram\"" : "[[notify]] of format \"matrix\"";
  bool ok = true;
  if (auto token = reader.Secret(table, "token_file", what, true)) {
    if (token->empty() || token->find_first_of(" \t\r\n/?#") != std::string::npos) {
      reader.Add(table.get("token_file")->source().begin,
                 "the token in " + Quote(table.get("token_file")->as_string()->get()) +
                     " must be one line without spaces, '/', '?' or '#'");
      ok = false;
    }
    webhook.token = std::move(*token);
  } else {
    ok = false;
  }
  const char* key = telegram ? "chat" : "room";
  if (auto chat = reader.String(table, key, what, true)) {
    webhook.chat = *chat;
  } else {
    ok = false;
  }
  return ok;
}

bool LoadWebhook(Reader& reader, const toml::table& table, const HttpSettings& http,
                 notify::WebhookSettings& webhook) {
  bool ok = true;
  webhook.ca_file = http.ca_file;
  webhook.proxy = http.proxy;
  webhook.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(http.timeout);
  if (auto d = reader.DurationValue(table, "timeout")) {
    webhook.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  if (auto format = reader.String(table, "format", "[[notify]]", false)) {
    if (*format == "standard") {
      webhook.format = notify::WebhookFormat::kStandard;
    } else if (*format == "slack") {
      webhook.format = notify::WebhookFormat::kSlack;
    } else if (*format == "discord") {
      webhook.format = notify::WebhookFormat::kDiscord;
    } else if (*format == "ntfy") {
      webhook.format = notify::WebhookFormat::kNtfy;
    } else if (*format == "telegram") {
      webhook.format = notify::WebhookFormat::kTelegram;
    } else if (*format == "matrix") {
      webhook.format = notify::WebhookFormat::kMatrix;
    } else {
      reader.Add(
          table.get("format")->source().begin,
          "unknown webhook format " + Quote(*format) +
              R"(; expected "standard", "slack", "discord", "ntfy", "telegram" or "matrix")");
      ok = false;
    }
  }
  const bool telegram = webhook.format == notify::WebhookFormat::kTelegram;
  const bool matrix = webhook.format == notify::WebhookFormat::kMatrix;
  if (telegram || matrix) ok = LoadChatApi(reader, table, webhook) && ok;
  if (telegram && table.get("url") == nullptr) {
    webhook.url = "https://api.telegram.org";  // the Bot API; a test or a proxy sets its own
  } else if (auto url = reader.String(table, "url", "[[notify]] of type \"webhook\"", true)) {
    const bool web = url->starts_with("http://") || url->starts_with("https://");
    if (!web || url->find_first_of(" \r\n") != std::string::npos) {
      reader.Add(table.get("url")->source().begin,
                 "webhook url " + Quote(*url) + " must be an http:// or https:// URL");
      ok = false;
    }
    webhook.url = *url;
  } else {
    ok = false;
  }
  while (webhook.url.ends_with('/') && (telegram || matrix)) webhook.url.pop_back();
  if (table.get("secret_file") != nullptr) {
    if (auto secret = reader.Secret(table, "secret_file", "[[notify]]", true)) {
      std::string_view text = *secret;
      if (text.starts_with("whsec_")) text.remove_prefix(6);
      std::optional<std::string> key = Base64Decode(text);
      if (!key || key->empty()) {
        reader.Add(table.get("secret_file")->source().begin,
                   "the secret in " + Quote(table.get("secret_file")->as_string()->get()) +
                       " must be \"whsec_\" followed by base64 (Standard Webhooks)");
        ok = false;
      } else {
        webhook.secret = std::move(*key);
      }
    } else {
      ok = false;
    }
  }
  if (const toml::node* node = table.get("headers")) {
    const toml::table* headers = node->as_table();
    if (headers == nullptr) {
      reader.Add(node->source().begin, R"(expected "headers" to be a table of header = "value")");
      return false;
    }
    for (const auto& [key, value] : *headers) {
      const std::string_view name = key.str();
      const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
      });
      const auto* text = value.as_string();
      if (!token) {
        reader.Add(key.source().begin, "header name " + Quote(name) + " is not an HTTP token");
        ok = false;
      } else if (text == nullptr || text->get().find_first_of("\r\n") != std::string::npos) {
        reader.Add(value.source().begin,
                   "expected header " + Quote(name) + " to be a string on one line");
        ok = false;
      } else {
        webhook.headers.push_back(std::string(name) + ": " + text->get());
      }
    }
  }
  return ok;
}

}  // namespace

Notifiers LoadNotifiers(Reader& reader, const toml::table& root, const Config& config) {
  const bool smtp_section = root.contains("smtp");
  Notifiers notifiers;
  std::map<std::string, toml::source_index> first_line;
  for (const toml::table* table : reader.TableArray(root, "notify")) {
    const auto type = reader.String(*table, "type", "[[notify]]", true);
    NotifierConfig notifier;
    bool ok = type.has_value();
    if (type == "console") {
      notifier.type = NotifierType::kConsole;
      reader.CheckKeys(*table, {"name", "type", "digest", "max_per_hour", "max_age"}, "[[notify]]");
    } else if (type == "email") {
      notifier.type = NotifierType::kEmail;
      reader.CheckKeys(*table, {"name", "type", "digest", "max_per_hour", "max_age", "to"},
                       "[[notify]]");
      ok = LoadEmail(reader, *table, config, smtp_section, notifier) && ok;
    } else if (type == "webhook") {
      notifier.type = NotifierType::kWebhook;
      reader.CheckKeys(*table,
                       {"name", "type", "digest", "max_per_hour", "max_age", "url", "secret_file",
                        "format", "headers", "timeout", "token_file", "chat", "room"},
                       "[[notify]]");
      ok = LoadWebhook(reader, *table, config.http, notifier.webhook) && ok;
    } else if (type) {
      reader.Add(table->get("type")->source().begin,
                 "unknown notifier type " + Quote(*type) +
                     R"(; expected "console", "email" or "webhook")");
      ok = false;
    }
    const auto name = reader.Name(*table, "[[notify]]", first_line, "notifier");
    if (const auto* digest = table->get("digest")) {
      const auto text = reader.String(*table, "digest", "[[notify]]", false);
      Result<notify::DigestSchedule> schedule =
          text ? notify::DigestSchedule::Parse(*text)
               : Result<notify::DigestSchedule>(Error::InvalidInput(""));
      if (schedule) {
        notifier.digest = *schedule;
      } else {
        if (text) reader.Add(digest->source().begin, schedule.error().message);
        ok = false;
      }
    }
    reader.Integer(*table, "max_per_hour", 0, 1'000'000, notifier.max_per_hour);
    if (auto d = reader.DurationValue(*table, "max_age")) notifier.max_age = *d;
    if (name && !ok) notifiers.broken.insert(*name);  // reported: later checks keep quiet
    if (!name || !ok) continue;
    notifier.name = *name;
    notifier.email.notifier = *name;
    notifiers.loaded.push_back(std::move(notifier));
  }
  return notifiers;
}

}  // namespace feedwatch::config
