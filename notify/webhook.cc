#include "notify/webhook.h"

#include <nlohmann/json.hpp>

#include "base/hash.h"
#include "notify/email.h"

namespace feedwatch::notify {
namespace {

// What a receiver's answer may hold that is worth logging.
constexpr size_t kErrorBodyBytes = 200;
// Discord refuses content over 2,000 characters.
constexpr size_t kDiscordLimit = 1900;

using nlohmann::json;

json Nullable(const std::optional<TimePoint>& t) {
  return t ? json(FormatIso8601(*t)) : json(nullptr);
}

json AlertJson(const Alert& alert) {
  return {
      {"delivery", alert.delivery},
      {"watch", alert.watch},
      {"feed", alert.feed},
      {"title", alert.title},
      {"link", alert.link},
      {"published", Nullable(alert.published)},
      {"matched_at", FormatIso8601(alert.matched_at)},
      {"summary", alert.summary},
      {"terms", alert.terms},
      {"snippet", alert.snippet},
      {"story", alert.story},
      {"also_reported_by", alert.also_reported_by},
  };
}

std::string Dump(const json& document) {
  // Invalid UTF-8 from a feed is replaced, never a thrown exception.
  return document.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Slack's mrkdwn: &, < and > are its control characters.
std::string SlackEscape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// Discord markdown: a backslash before each character that would format.
std::string DiscordEscape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (std::string_view("\\*_~`|>[]()#@:-").find(c) != std::string_view::npos) out += '\\';
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
}

bool IsWebLink(std::string_view link) {
  return link.starts_with("https://") || link.starts_with("http://");
}

std::string SlackText(const Message& message) {
  std::string out;
  for (const Alert& alert : message.alerts) {
    if (!out.empty()) out += "\n\n";
    const std::string title = SlackEscape(alert.title);
    out += IsWebLink(alert.link) ? "*<" + SlackEscape(alert.link) + "|" + title + ">*"
                                 : "*" + title + "*";
    out += "\n" + SlackEscape(alert.watch) + " · " + SlackEscape(alert.feed);
    if (!alert.snippet.empty()) {
      std::string snippet = SlackEscape(alert.snippet);
      for (size_t at; (at = snippet.find("**")) != std::string::npos;) snippet.replace(at, 2, "*");
      out += "\n> " + snippet;
    }
  }
  return out;
}

std::string DiscordText(const Message& message) {
  std::string out;
  for (const Alert& alert : message.alerts) {
    std::string entry = out.empty() ? "" : "\n\n";
    const std::string title = DiscordEscape(alert.title);
    entry +=
        IsWebLink(alert.link) ? "**[" + title + "](<" + alert.link + ">)**" : "**" + title + "**";
    entry += "\n" + DiscordEscape(alert.watch) + " · " + DiscordEscape(alert.feed);
    if (out.size() + entry.size() > kDiscordLimit) {
      out += "\n\n… and more";
      break;
    }
    out += entry;
  }
  return out;
}

std::string NtfyText(const Message& message) {
  std::string out;
  for (const Alert& alert : message.alerts) {
    if (!out.empty()) out += "\n\n";
    if (message.digest) out += alert.title + "\n";
    out += alert.watch + " · " + alert.feed;
    if (!alert.snippet.empty()) out += "\n" + alert.snippet;
    if (message.digest) out += "\n" + alert.link;
  }
  return out;
}

}  // namespace

std::string StandardWebhookSignature(std::string_view secret, std::string_view id,
                                     std::int64_t timestamp, std::string_view body) {
  const std::string signed_content =
      std::string(id) + "." + std::to_string(timestamp) + "." + std::string(body);
  return "v1," + Base64Encode(HmacSha256(secret, signed_content));
}

WebhookRequest RenderWebhook(const Message& message, WebhookFormat format, TimePoint now) {
  WebhookRequest request;
  switch (format) {
    case WebhookFormat::kStandard: {
      json alerts = json::array();
      for (const Alert& alert : message.alerts) alerts.push_back(AlertJson(alert));
      request.body = Dump({{"type", message.digest ? "feedwatch.digest" : "feedwatch.alert"},
                           {"id", message.id},
                           {"timestamp", FormatIso8601(now)},
                           {"data", {{"alerts", std::move(alerts)}}}});
      request.headers.emplace_back("Content-Type: application/json");
      break;
    }
    case WebhookFormat::kSlack:
      request.body = Dump({{"text", SlackText(message)}});
      request.headers.emplace_back("Content-Type: application/json");
      break;
    case WebhookFormat::kDiscord:
      // No @everyone or role pings, whatever a feed's title says.
      request.body = Dump(
          {{"content", DiscordText(message)}, {"allowed_mentions", {{"parse", json::array()}}}});
      request.headers.emplace_back("Content-Type: application/json");
      break;
    case WebhookFormat::kNtfy: {
      request.body = NtfyText(message);
      request.headers.emplace_back("Content-Type: text/plain; charset=utf-8");
      const std::string title =
          message.digest ? "feedwatch: " + std::to_string(message.alerts.size()) + " alerts"
                         : message.alerts.front().title;
      request.headers.push_back("Title: " + EncodeHeaderText(title, " "));
      request.headers.emplace_back("Tags: newspaper");
      if (!message.digest && IsWebLink(message.alerts.front().link) &&
          message.alerts.front().link.find_first_of("\r\n") == std::string::npos) {
        request.headers.push_back("Click: " + message.alerts.front().link);
      }
      break;
    }
  }
  return request;
}

void WebhookNotifier::Send(const Message& message, std::function<void(SendResult)> done) {
  const TimePoint now = clock_.Now();
  WebhookRequest rendered = RenderWebhook(message, settings_.format, now);
  net::Request request;
  request.url = settings_.url;
  request.timeout = settings_.timeout;
  request.connect_timeout = std::min(settings_.timeout, request.connect_timeout);
  request.ca_file = settings_.ca_file;
  request.proxy = settings_.proxy;
  request.max_body = std::uint64_t{64} * 1024;
  request.follow_redirects = false;
  request.headers = std::move(rendered.headers);
  for (const std::string& header : settings_.headers) request.headers.push_back(header);
  // Standard Webhooks: the id stays the same on every attempt; the timestamp and signature are
  // those of the attempt, so that receivers can refuse replays of old requests.
  const std::int64_t timestamp = now.time_since_epoch().count();
  request.headers.push_back("webhook-id: " + message.id);
  request.headers.push_back("webhook-timestamp: " + std::to_string(timestamp));
  if (!settings_.secret.empty()) {
    request.headers.push_back(
        "webhook-signature: " +
        StandardWebhookSignature(settings_.secret, message.id, timestamp, rendered.body));
  }
  request.post_body = std::move(rendered.body);
  client_.Start(request, [done = std::move(done)](Result<net::Response> response) {
    if (!response) {
      done(SendResult::Retry(response.error().message));
      return;
    }
    const long status = response->status;
    if (status >= 200 && status < 300) {
      done(SendResult::Sent());
      return;
    }
    std::string error = "HTTP " + std::to_string(status);
    std::string body = response->body.substr(0, kErrorBodyBytes);
    for (char& c : body) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    if (!body.empty()) error += ": " + body;
    if (status >= 300 && status < 400) {
      const std::string location = response->Header("location");
      done(SendResult::Permanent(
          error + (location.empty() ? "" : " (redirects to " + location + "; set url to it)")));
    } else if (status == 408 || status == 429 || status >= 500) {
      done(SendResult::Retry(std::move(error), response->Header("retry-after")));
    } else {
      done(SendResult::Permanent(std::move(error)));
    }
  });
}

}  // namespace feedwatch::notify
