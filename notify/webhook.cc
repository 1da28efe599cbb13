#include "notify/webhook.h"

#include <nlohmann/json.hpp>

#include "base/hash.h"
#include "base/text.h"
#include "notify/chat_apis.h"
#include "notify/email.h"

namespace feedwatch::notify {
namespace {

// What a receiver's answer may hold that is worth logging.
constexpr size_t kErrorBodyBytes = 200;
// Discord refuses content over 2,000 characters; Slack truncates text past 40,000; ntfy turns a
// message past 4,096 bytes into an attachment.
constexpr size_t kDiscordLimit = 1900;
constexpr size_t kSlackLimit = 35'000;
constexpr size_t kNtfyLimit = 4000;
// What one entry of a chat message may take of a feed's strings, so that one long or hostile
// item cannot push the others out of a digest.
constexpr size_t kEntryTitleBytes = 300;
constexpr size_t kEntrySnippetBytes = 400;
constexpr size_t kEntryLinkBytes = 600;

using nlohmann::json;

json Nullable(const std::optional<TimePoint>& t) {
  return t ? json(FormatIso8601(*t)) : json(nullptr);
}

json AlertJson(const Alert& alert) {
  json watches = json::array();
  json matches = json::array();
  json first_hits = json::array();
  for (const WatchMatch& match : MatchesOf(alert)) {
    json hits = json::array();
    for (const TermHit& hit : match.hits) {
      hits.push_back({{"field", hit.field}, {"term", hit.term}, {"text", hit.text}});
    }
    if (watches.empty()) first_hits = hits;
    watches.push_back(match.watch);
    matches.push_back({{"watch", match.watch},
                       {"terms", match.terms},
                       {"hits", std::move(hits)},
                       {"snippet", match.snippet},
                       {"source", InArticle(match) ? "article" : "feed"}});
  }
  return {
      {"delivery", alert.delivery},
      {"watch", alert.watch},
      {"watches", watches},
      {"matches", matches},
      {"feed", alert.feed},
      {"title", alert.title},
      {"link", alert.link},
      {"published", Nullable(alert.published)},
      {"matched_at", FormatIso8601(alert.matched_at)},
      {"summary", alert.summary},
      {"terms", alert.terms},
      {"hits", first_hits},
      {"snippet", alert.snippet},
      {"story", alert.story},
      {"also_reported_by", alert.also_reported_by},
  };
}

std::string Dump(const json& document) {
  // Invalid UTF-8 from a feed is replaced, never a thrown exception.
  return document.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Slack's mrkdwn: &, < and > are its control characters, escaped as entities; *, _, ~ and `
// format, and mrkdwn has no escape for them: a zero-width space before each keeps it from
// opening or closing a span ("*bold*" in a title stays two asterisks and a word).
std::string SlackEscape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '*' || c == '_' || c == '~' || c == '`') {
      out += "\u200B";
      out += c;
    } else if (c == '&') {
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
    if (std::string_view("\\*_~`|<>[]()#@:-").find(c) != std::string_view::npos) out += '\\';
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
}

bool IsWebLink(std::string_view link) {
  return (link.starts_with("https://") || link.starts_with("http://")) &&
         link.size() <= kEntryLinkBytes;
}

// `link` with every character that could end or break out of a chat format's link syntax
// (Discord's "(<...>)", Slack's "<...|...>") percent-encoded: brackets, angle brackets,
// parentheses, the pipe, quotes, backslash, backtick, whitespace and controls.
std::string LinkEscape(std::string_view link) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : link) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F ||
        std::string_view("<>()[]|\"'`\\").find(c) != std::string_view::npos) {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    } else {
      out += c;
    }
  }
  return out;
}

// The entry's title and snippet, each shortened to its share of a chat message.
std::string EntryTitle(const Alert& alert) { return ShortenUtf8(alert.title, kEntryTitleBytes); }
// The lede with its hits marked, or the snippet (notify::Excerpt).
std::string EntrySnippet(const Alert& alert) {
  return ShortenMarked(Excerpt(alert), kEntrySnippetBytes);
}

// Joins `entries` while they fit in `limit` bytes, then says how many did not.
std::string JoinWithin(const std::vector<std::string>& entries, size_t limit) {
  std::string out;
  for (size_t i = 0; i < entries.size(); ++i) {
    const size_t more = (out.empty() ? 0 : 2) + entries[i].size();
    if (out.size() + more > limit - 40) {
      out += (out.empty() ? "" : "\n\n") + std::string("… and ") +
             std::to_string(entries.size() - i) + " more";
      break;
    }
    if (!out.empty()) out += "\n\n";
    out += entries[i];
  }
  return out;
}

std::string SlackText(const Message& message) {
  std::vector<std::string> entries;
  for (const Alert& alert : message.alerts) {
    const std::string title = SlackEscape(EntryTitle(alert));
    std::string entry = IsWebLink(alert.link)
                            ? "*<" + SlackEscape(LinkEscape(alert.link)) + "|" + title + ">*"
                            : "*" + title + "*";
    entry += "\n" + SlackEscape(WatchNames(alert)) + " · " + SlackEscape(alert.feed);
    if (const std::string lede = EntrySnippet(alert); !lede.empty()) {
      // The hits' "**" marks become mrkdwn's bold; the text between them is escaped.
      std::string snippet;
      size_t from = 0;
      for (size_t at; (at = lede.find("**", from)) != std::string::npos; from = at + 2) {
        snippet += SlackEscape(std::string_view(lede).substr(from, at - from)) + "*";
      }
      snippet += SlackEscape(std::string_view(lede).substr(from));
      entry += "\n> " + snippet;
    }
    entries.push_back(std::move(entry));
  }
  return JoinWithin(entries, kSlackLimit);
}

std::string DiscordText(const Message& message) {
  std::vector<std::string> entries;
  for (const Alert& alert : message.alerts) {
    const std::string title = DiscordEscape(EntryTitle(alert));
    std::string entry = IsWebLink(alert.link)
                            ? "**[" + title + "](<" + LinkEscape(alert.link) + ">)**"
                            : "**" + title + "**";
    entry += "\n" + DiscordEscape(WatchNames(alert)) + " · " + DiscordEscape(alert.feed);
    if (const std::string lede = EntrySnippet(alert); !lede.empty()) {
      entry += "\n> " + DiscordEscape(lede);
    }
    entries.push_back(std::move(entry));
  }
  return JoinWithin(entries, kDiscordLimit);
}

std::string NtfyText(const Message& message) {
  std::vector<std::string> entries;
  for (const Alert& alert : message.alerts) {
    std::string entry;
    if (message.digest) entry += EntryTitle(alert) + "\n";
    entry += WatchNames(alert) + " · " + alert.feed;
    if (const std::string lede = EntrySnippet(alert); !lede.empty()) entry += "\n" + lede;
    if (message.digest && alert.link.size() <= kEntryLinkBytes) entry += "\n" + alert.link;
    entries.push_back(std::move(entry));
  }
  return JoinWithin(entries, kNtfyLimit);
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
    case WebhookFormat::kTelegram:
      request.body = Dump({{"text", TelegramTexts(message).front()}, {"parse_mode", "HTML"}});
      request.headers.emplace_back("Content-Type: application/json");
      break;
    case WebhookFormat::kMatrix:
      request.body = MatrixEvent(message);
      request.headers.emplace_back("Content-Type: application/json");
      break;
  }
  return request;
}

net::Request NotifierRequest(const WebhookSettings& settings, std::string url) {
  net::Request request;
  request.url = std::move(url);
  request.timeout = settings.timeout;
  request.connect_timeout = std::min(settings.timeout, request.connect_timeout);
  request.ca_file = settings.ca_file;
  request.proxy = settings.proxy;
  request.max_body = std::uint64_t{64} * 1024;
  request.follow_redirects = false;
  return request;
}

namespace {

// What a receiver, or a proxy in front of it, may echo that is secret: the URL's path and query
// (Slack's and Discord's webhook URLs are bearer tokens) and the values of configured headers
// (an Authorization).
std::vector<std::string> SecretsOf(const WebhookSettings& settings) {
  std::vector<std::string> secrets;
  const size_t scheme = settings.url.find("://");
  const size_t path =
      scheme == std::string::npos ? std::string::npos : settings.url.find('/', scheme + 3);
  // A short path ("/hook") is a name, not a token, and would hide words of the error.
  if (path != std::string::npos && settings.url.size() - path > 16) {
    secrets.push_back(settings.url.substr(path + 1));
  }
  for (const std::string& header : settings.headers) {
    const size_t colon = header.find(':');
    if (colon == std::string::npos) continue;
    std::string_view value = std::string_view(header).substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (const size_t space = value.find(' '); space != std::string_view::npos) {
      secrets.emplace_back(value.substr(space + 1));  // "Bearer TOKEN": the token alone too
    }
    secrets.emplace_back(value);
  }
  return secrets;
}

}  // namespace

void WebhookNotifier::Send(const Message& message, std::function<void(SendResult)> done) {
  const TimePoint now = clock_.Now();
  WebhookRequest rendered = RenderWebhook(message, settings_.format, now);
  net::Request request = NotifierRequest(settings_, settings_.url);
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
  client_.Start(request, [done = std::move(done),
                          owned = SecretsOf(settings_)](Result<net::Response> response) {
    const std::vector<std::string_view> secrets(owned.begin(), owned.end());
    if (!response) {
      done(SendResult::Retry(PeerText(response.error().message, secrets, kErrorBodyBytes * 4)));
      return;
    }
    const long status = response->status;
    if (status >= 200 && status < 300) {
      done(SendResult::Sent());
      return;
    }
    std::string error = "HTTP " + std::to_string(status);
    const std::string body = PeerText(response->body, secrets, kErrorBodyBytes);
    if (!body.empty()) error += ": " + body;
    if (status >= 300 && status < 400) {
      const std::string location = PeerText(response->Header("location"), secrets, 2000);
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
