#include "notify/chat_apis.h"

#include <nlohmann/json.hpp>

#include "base/text.h"

namespace feedwatch::notify {
namespace {

using nlohmann::json;

constexpr size_t kErrorBodyBytes = 200;
// Matrix events are capped at 64 KiB; a digest's HTML stays well under it.
constexpr size_t kMatrixBodyBytes = size_t{48} * 1024;
// An alert's lede in a chat message, at most.
constexpr size_t kLedeBytes = 600;

std::string Dump(const json& document) {
  return document.dump(-1, ' ', false, json::error_handler_t::replace);
}

size_t Characters(std::string_view text) {
  size_t n = 0;
  for (const char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

bool IsWebLink(std::string_view link) {
  return (link.starts_with("https://") || link.starts_with("http://")) &&
         link.find_first_of(" \r\n\"<>") == std::string_view::npos;
}

// One alert in HTML: the linked title, the watches and feed, the lede with its hits in bold.
std::string AlertHtml(const Alert& alert, size_t lede_bytes) {
  const std::string title = HtmlEscape(alert.title);
  std::string out = IsWebLink(alert.link)
                        ? "<b><a href=\"" + HtmlEscape(alert.link) + "\">" + title + "</a></b>"
                        : "<b>" + title + "</b>";
  out += "\n" + HtmlEscape(WatchNames(alert)) + " · " + HtmlEscape(alert.feed);
  const std::string lede = Excerpt(alert);
  if (!lede.empty()) out += "\n" + MarkedToHtml(ShortenMarked(lede, lede_bytes));
  return out;
}

// The plain text of one alert, for Matrix's `body`.
std::string AlertText(const Alert& alert) {
  std::string out = alert.title + "\n" + WatchNames(alert) + " · " + alert.feed;
  if (!alert.link.empty()) out += "\n" + alert.link;
  const std::string lede = Excerpt(alert);
  if (!lede.empty()) out += "\n" + ShortenMarked(lede, kLedeBytes);
  return out;
}

// Percent-encodes everything but RFC 3986's unreserved characters: for a path segment.
std::string PathSegment(std::string_view text) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

// The outcome of a call to a chat API: 2xx sent; 408, 429 and 5xx retried after what the
// service asks (`retry_after`, seconds); any other status given up.
SendResult Outcome(const Result<net::Response>& response, std::string_view service,
                   std::string_view secret, const std::string& retry_after) {
  // The token rides in the URL (Telegram) or a header (Matrix); a service, or a proxy in front of
  // it, may echo either, in any encoding: redacted before the body is cut (PeerText).
  if (!response) {
    return SendResult::Retry(PeerText(response.error().message, {secret}, kErrorBodyBytes * 4));
  }
  const long status = response->status;
  if (status >= 200 && status < 300) return SendResult::Sent();
  const std::string body = PeerText(response->body, {secret}, kErrorBodyBytes);
  std::string error = std::string(service) + ": HTTP " + std::to_string(status);
  if (!body.empty()) error += ": " + body;
  if (status == 408 || status == 429 || status >= 500) {
    return SendResult::Retry(std::move(error),
                             retry_after.empty() ? response->Header("retry-after") : retry_after);
  }
  return SendResult::Permanent(std::move(error));
}

}  // namespace

std::vector<std::string> TelegramTexts(const Message& message) {
  // HTML tags do not count towards Telegram's limit, only the text they leave; counting them
  // leaves a margin.
  constexpr size_t kBudget = kTelegramLimit - 96;
  std::vector<std::string> texts;
  std::string current;
  if (message.digest) {
    current = "<b>feedwatch: " + std::to_string(message.alerts.size()) +
              (message.alerts.size() == 1 ? " alert" : " alerts") + "</b>";
  }
  for (const Alert& alert : message.alerts) {
    std::string entry = AlertHtml(alert, kLedeBytes);
    if (Characters(entry) > kBudget) entry = AlertHtml(alert, 200);  // a title of 3,000 words
    if (Characters(entry) > kBudget) {
      entry = "<b>" + HtmlEscape(ShortenUtf8(alert.title, 2000)) + "</b>";
    }
    if (!current.empty() && Characters(current) + 2 + Characters(entry) > kBudget) {
      texts.push_back(std::move(current));
      current.clear();
    }
    current += (current.empty() ? "" : "\n\n") + entry;
  }
  if (!current.empty()) texts.push_back(std::move(current));
  return texts;
}

void TelegramNotifier::Send(const Message& message, std::function<void(SendResult)> done) {
  SendPart(TelegramTexts(message), 0, std::move(done));
}

void TelegramNotifier::SendPart(std::vector<std::string> texts, size_t part,
                                std::function<void(SendResult)> done) {
  if (part >= texts.size()) {
    done(SendResult::Sent());
    return;
  }
  net::Request request =
      NotifierRequest(settings_, settings_.url + "/bot" + settings_.token + "/sendMessage");
  request.headers = {"Content-Type: application/json"};
  request.post_body = Dump({{"chat_id", settings_.chat},
                            {"text", texts[part]},
                            {"parse_mode", "HTML"},
                            {"disable_web_page_preview", true}});
  client_.Start(request, [this, texts = std::move(texts), part,
                          done = std::move(done)](Result<net::Response> response) mutable {
    // {"ok": false, "error_code": 429, "parameters": {"retry_after": 35}}
    std::string retry_after;
    if (response && response->status == 429) {
      const json body = json::parse(response->body, nullptr, false);
      if (body.is_object() && body.contains("parameters") && body["parameters"].is_object() &&
          body["parameters"].contains("retry_after") &&
          body["parameters"]["retry_after"].is_number_unsigned()) {
        retry_after = std::to_string(body["parameters"]["retry_after"].get<std::uint64_t>());
      }
    }
    SendResult result = Outcome(response, "telegram", settings_.token, retry_after);
    if (result.kind != SendResult::Kind::kSent) {
      if (part > 0) result.error += " (part " + std::to_string(part + 1) + " of a split message)";
      done(std::move(result));
      return;
    }
    SendPart(std::move(texts), part + 1, std::move(done));
  });
}

std::string MatrixEvent(const Message& message) {
  std::string text;
  std::string html;
  if (message.digest) {
    text = "feedwatch: " + std::to_string(message.alerts.size()) + " alerts";
    html = "<p><b>" + HtmlEscape(text) + "</b></p>";
  }
  size_t shown = 0;
  for (const Alert& alert : message.alerts) {
    std::string entry = AlertHtml(alert, kLedeBytes);
    for (size_t at; (at = entry.find('\n')) != std::string::npos;) entry.replace(at, 1, "<br>");
    if (html.size() + entry.size() > kMatrixBodyBytes) break;
    html += "<p>" + entry + "</p>";
    text += (text.empty() ? "" : "\n\n") + AlertText(alert);
    ++shown;
  }
  if (shown < message.alerts.size()) {
    const std::string more = "… and " + std::to_string(message.alerts.size() - shown) + " more";
    html += "<p>" + HtmlEscape(more) + "</p>";
    text += "\n\n" + more;
  }
  return Dump({{"msgtype", "m.notice"},
               {"body", text},
               {"format", "org.matrix.custom.html"},
               {"formatted_body", html}});
}

void MatrixNotifier::Send(const Message& message, std::function<void(SendResult)> done) {
  // The message id is the transaction id: the homeserver shows a retried message once.
  net::Request request = NotifierRequest(
      settings_, settings_.url + "/_matrix/client/v3/rooms/" + PathSegment(settings_.chat) +
                     "/send/m.room.message/" + PathSegment(message.id));
  request.headers = {"Content-Type: application/json", "Authorization: Bearer " + settings_.token};
  request.post_body = MatrixEvent(message);
  request.put = true;
  client_.Start(request, [this, done = std::move(done)](Result<net::Response> response) {
    // {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 2000}
    std::string retry_after;
    if (response && response->status == 429) {
      const json body = json::parse(response->body, nullptr, false);
      if (body.is_object() && body.contains("retry_after_ms") &&
          body["retry_after_ms"].is_number_unsigned()) {
        retry_after = std::to_string((body["retry_after_ms"].get<std::uint64_t>() + 999) / 1000);
      }
    }
    done(Outcome(response, "matrix", settings_.token, retry_after));
  });
}

}  // namespace feedwatch::notify
