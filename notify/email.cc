#include "notify/email.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "base/hash.h"
#include "base/text.h"

namespace feedwatch::notify {
namespace {

// An encoded word is at most 75 characters: "=?UTF-8?B?" and "?=" leave 63 for base64, which
// carries 45 bytes in 60.
constexpr size_t kEncodedWordBytes = 45;
// Longer titles are cut in a Subject: a mail client shows less than this anyway.
constexpr size_t kSubjectTitleBytes = 200;
// The item's lede in the body, at most.
constexpr size_t kLedeBytes = 400;

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Control characters become spaces, runs of spaces one space, and the ends are trimmed.
std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool space = c < 0x20 || c == 0x7F || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(ch);
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool IsWebLink(std::string_view link) {
  return link.starts_with("https://") || link.starts_with("http://");
}

// An escaped snippet with its **hits** in <b>; an unpaired ** stays as it is.

// Base64 in lines of 76 characters, each ended by CRLF (RFC 2045).
std::string Base64Lines(std::string_view data) {
  const std::string encoded = Base64Encode(data);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / 38 + 2);
  for (size_t at = 0; at < encoded.size(); at += 76) {
    out.append(encoded, at, 76);
    out += "\r\n";
  }
  return out;
}

std::string FormatPublished(const std::optional<TimePoint>& published) {
  if (!published) return "unknown";
  std::string iso = FormatIso8601(*published);  // 2025-06-11T06:00:00Z
  return iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC";
}

std::string DomainOf(std::string_view address) {
  const size_t at = address.rfind('@');
  return at == std::string_view::npos ? "localhost" : std::string(address.substr(at + 1));
}

std::string WatchList(const Message& message) {
  std::vector<std::string> watches;
  for (const Alert& alert : message.alerts) {
    for (const WatchMatch& match : MatchesOf(alert)) {
      if (std::find(watches.begin(), watches.end(), match.watch) == watches.end()) {
        watches.push_back(match.watch);
      }
    }
  }
  std::string out;
  for (const std::string& watch : watches) out += (out.empty() ? "" : ", ") + watch;
  return out;
}

std::string Subject(const Message& message) {
  if (!message.digest) {
    const Alert& alert = message.alerts.front();
    return "[feedwatch] " + WatchNames(alert) + ": " +
           ShortenUtf8(OneLine(alert.title), kSubjectTitleBytes);
  }
  const size_t n = message.alerts.size();
  return "[feedwatch] digest: " + std::to_string(n) + (n == 1 ? " alert (" : " alerts (") +
         WatchList(message) + ")";
}

// What an editor decides on first: the headline, where it is from, the lede; then why each
// watch matched, in its own words; the query detail last and small.
void AppendText(const Alert& alert, std::string& out) {
  out += "Title:     " + OneLine(alert.title) + "\n";
  out += "Link:      " + OneLine(alert.link) + "\n";
  out += "Feed:      " + alert.feed + "\n";
  out += "Published: " + FormatPublished(alert.published) + "\n";
  const std::vector<WatchMatch> matches = MatchesOf(alert);
  out += std::string(matches.size() > 1 ? "Watches:   " : "Watch:     ") + WatchNames(alert) + "\n";
  if (!alert.also_reported_by.empty()) {
    out += "Also in:   ";
    for (size_t i = 0; i < alert.also_reported_by.size(); ++i) {
      out += (i == 0 ? "" : ", ") + alert.also_reported_by[i];
    }
    out += "\n";
  }
  if (const std::string lede = Lede(alert); !lede.empty()) {
    out += "\n" + ShortenMarked(OneLine(lede), kLedeBytes) + "\n";
  }
  out += "\n";
  for (const WatchMatch& match : matches) {
    if (match.snippet.empty()) continue;
    out += match.watch + (InArticle(match) ? " (from the article): " : ": ") +
           OneLine(match.snippet) + "\n";
  }
  for (const WatchMatch& match : matches) {
    if (!match.terms.empty()) out += "(" + match.watch + " matched " + OneLine(match.terms) + ")\n";
  }
}

void AppendHtml(const Alert& alert, std::string& out) {
  const std::string title = HtmlEscape(OneLine(alert.title));
  out += "<h3>";
  out += IsWebLink(alert.link) ? "<a href=\"" + HtmlEscape(alert.link) + "\">" + title + "</a>"
                               : title;
  out += "</h3>\n<p>" + HtmlEscape(alert.feed) + " &middot; " +
         HtmlEscape(FormatPublished(alert.published)) + " &middot; " +
         HtmlEscape(WatchNames(alert)) + "</p>\n";
  if (const std::string lede = Lede(alert); !lede.empty()) {
    out += "<p>" + MarkedToHtml(ShortenMarked(OneLine(lede), kLedeBytes)) + "</p>\n";
  }
  const std::vector<WatchMatch> matches = MatchesOf(alert);
  for (const WatchMatch& match : matches) {
    if (match.snippet.empty()) continue;
    out += "<blockquote><small>" + HtmlEscape(match.watch) +
           (InArticle(match) ? " (from the article)" : "") + ":</small> " +
           MarkedToHtml(OneLine(match.snippet)) + "</blockquote>\n";
  }
  if (!alert.also_reported_by.empty()) {
    out += "<p><small>Also reported by: ";
    for (size_t i = 0; i < alert.also_reported_by.size(); ++i) {
      out += (i == 0 ? "" : ", ") + HtmlEscape(alert.also_reported_by[i]);
    }
    out += "</small></p>\n";
  }
  for (const WatchMatch& match : matches) {
    if (match.terms.empty()) continue;
    out += "<p><small>" + HtmlEscape(match.watch) + " matched " + HtmlEscape(OneLine(match.terms)) +
           "</small></p>\n";
  }
}

std::string TextBody(const Message& message, const EmailSettings& email) {
  std::string out;
  if (message.digest) {
    out += std::to_string(message.alerts.size()) + " alerts from feedwatch\n";
  }
  for (size_t i = 0; i < message.alerts.size(); ++i) {
    if (message.digest) out += "\n" + std::to_string(i + 1) + ".\n";
    AppendText(message.alerts[i], out);
  }
  out += "\n-- \nfeedwatch, notifier " + email.notifier + "\n";
  // CRLF line ends, as a mail body must have.
  std::string crlf;
  crlf.reserve(out.size() + out.size() / 20);
  for (const char c : out) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  return crlf;
}

std::string HtmlBody(const Message& message, const EmailSettings& email) {
  std::string out = "<!DOCTYPE html>\r\n<html><head><meta charset=\"utf-8\"></head><body>\r\n";
  if (message.digest) {
    out += "<p>" + std::to_string(message.alerts.size()) + " alerts from feedwatch</p>\r\n";
  }
  for (const Alert& alert : message.alerts) AppendHtml(alert, out);
  out += "<hr><p><small>feedwatch, notifier " + HtmlEscape(email.notifier) +
         "</small></p>\r\n</body></html>\r\n";
  return out;
}

std::string FormatMailbox(const Mailbox& mailbox) {
  if (mailbox.name.empty()) return mailbox.address;
  const bool plain = std::all_of(mailbox.name.begin(), mailbox.name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
           c == '-' || c == '_' || c == '.';
  });
  const std::string name = plain ? mailbox.name : EncodeHeaderText(mailbox.name);
  return name + " <" + mailbox.address + ">";
}

bool IsAddress(std::string_view address) {
  const size_t at = address.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == address.size() ||
      address.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  return std::all_of(address.begin(), address.end(), [](char c) {
    return c > ' ' && c < 0x7F && c != '<' && c != '>' && c != '(' && c != ')' && c != ',' &&
           c != ';' && c != '"' && c != '\\' && c != '[' && c != ']';
  });
}

}  // namespace

Result<Mailbox> ParseMailbox(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return Error::InvalidInput("bad email address \"" + std::string(text) + "\": " + why);
  };
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return bad("control character");
  }
  Mailbox mailbox;
  std::string_view address = text;
  if (const size_t open = text.rfind('<'); open != std::string_view::npos) {
    if (!text.ends_with(">")) return bad("expected \"Name <local@domain>\"");
    address = text.substr(open + 1, text.size() - open - 2);
    std::string_view name = text.substr(0, open);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
    }
    if (name.find('"') != std::string_view::npos) return bad("a quote inside the name");
    mailbox.name = std::string(name);
  }
  if (!IsAddress(address)) return bad("expected local@domain");
  mailbox.address = std::string(address);
  return mailbox;
}

std::string EncodeHeaderText(std::string_view text, std::string_view separator) {
  std::string line = OneLine(text);
  const bool plain =
      std::all_of(line.begin(), line.end(), [](char c) { return c >= 0x20 && c < 0x7F; }) &&
      line.find("=?") == std::string::npos && line.size() <= 900;
  if (plain) return line;
  std::string out;
  size_t at = 0;
  while (at < line.size()) {
    size_t end = std::min(line.size(), at + kEncodedWordBytes);
    while (end < line.size() && end > at && IsContinuation(static_cast<unsigned char>(line[end]))) {
      --end;
    }
    if (end == at) end = std::min(line.size(), at + kEncodedWordBytes);  // not UTF-8: cut anyway
    if (!out.empty()) out += separator;
    out += "=?UTF-8?B?" + Base64Encode(std::string_view(line).substr(at, end - at)) + "?=";
    at = end;
  }
  return out;
}

std::string FormatRfc5322Date(TimePoint t) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::weekday weekday{day};
  const std::chrono::hh_mm_ss hms{t - day};
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "%s, %02u %s %04d %02ld:%02ld:%02lld +0000",
                kDays[weekday.c_encoding()], static_cast<unsigned>(ymd.day()),
                kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return buf.data();
}

std::string RenderEmail(const Message& message, const SmtpSettings& smtp,
                        const EmailSettings& email, TimePoint now) {
  const std::string domain = DomainOf(smtp.from.address);
  // Base64 never contains "=_", so the boundary cannot occur inside a part.
  const std::string boundary = "=_feedwatch_" + Sha256Hex(message.id).substr(0, 24);
  std::string to;
  for (const std::string& address : email.to) to += (to.empty() ? "" : ",\r\n ") + address;
  std::string out;
  out += "From: " + FormatMailbox(smtp.from) + "\r\n";
  out += "To: " + to + "\r\n";
  out += "Subject: " + EncodeHeaderText(Subject(message)) + "\r\n";
  out += "Date: " + FormatRfc5322Date(now) + "\r\n";
  out += "Message-ID: <" + message.id + "@" + domain + ">\r\n";
  out += "List-Id: feedwatch " + email.notifier + " <" + email.notifier + ".feedwatch." + domain +
         ">\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
  out += "\r\n";
  out += "--" + boundary + "\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  out += Base64Lines(TextBody(message, email));
  out += "--" + boundary + "\r\n";
  out += "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  out += Base64Lines(HtmlBody(message, email));
  out += "--" + boundary + "--\r\n";
  return out;
}

bool IsLoopbackUrl(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return false;
  std::string_view host = url.substr(scheme + 3);
  host = host.substr(0, host.find_first_of("/?#"));
  if (const size_t at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  if (host.starts_with("[")) return host.starts_with("[::1]");
  const std::string name(host.substr(0, host.find(':')));
  in_addr address{};
  return name == "localhost" ||
         (inet_pton(AF_INET, name.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127);
}

void EmailNotifier::Send(const Message& message, std::function<void(SendResult)> done) {
  net::MailRequest request;
  request.url = smtp_.url;
  request.from = smtp_.from.address;
  request.to = email_.to;
  request.message = RenderEmail(message, smtp_, email_, clock_.Now());
  request.username = smtp_.username;
  request.password = smtp_.password;
  request.require_tls = !IsLoopbackUrl(smtp_.url);
  request.ca_file = smtp_.ca_file;
  request.timeout = smtp_.timeout;
  client_.StartMail(request, [done = std::move(done)](Result<net::Response> response) {
    if (!response) {
      done(SendResult::Retry("SMTP: " + response.error().message));
    } else if (response->status >= 500) {
      done(SendResult::Permanent("SMTP " + std::to_string(response->status) + ": " +
                                 response->body));
    } else if (response->status >= 400) {
      done(SendResult::Retry("SMTP " + std::to_string(response->status) + ": " + response->body));
    } else {
      done(SendResult::Sent());
    }
  });
}

}  // namespace feedwatch::notify
