// Alerts by email: the message text (MIME, RFC 5322) and its submission over SMTP.
//
// Nothing from a feed reaches a header unencoded: every header value built from feed text has
// its control characters (CR and LF among them) replaced and is sent as RFC 2047 encoded words
// when it is not plain printable ASCII, so a title cannot add a header or end the header block.
// In the HTML part every feed string is escaped, and only http(s) links become links.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "net/http_client.h"
#include "notify/notifier.h"
#include "notify/notifier_type.h"

namespace feedwatch::notify {

struct Mailbox {
  std::string name;     // display name, may be empty
  std::string address;  // local@domain, printable ASCII

  bool operator==(const Mailbox&) const = default;
};

// "alerts@example.org", "feedwatch <alerts@example.org>" or "\"Desk, night\" <a@b.c>".
Result<Mailbox> ParseMailbox(std::string_view text);

// `text` as a header value: control characters become spaces; if anything is not printable
// ASCII, or a word looks like an encoded word, the whole is UTF-8 "B" encoded words of at most
// 75 characters that never split a character, joined by `separator` ("\r\n " to fold a mail
// header; " " for an HTTP header, which must stay on one line).
std::string EncodeHeaderText(std::string_view text, std::string_view separator = "\r\n ");

// "Wed, 25 Nov 2026 11:17:45 +0000".
std::string FormatRfc5322Date(TimePoint t);

struct SmtpSettings {
  std::string url;  // smtp://host[:port] (STARTTLS) or smtps://host[:port]
  Mailbox from;
  std::string username;  // empty: no AUTH
  std::string password;
  std::string ca_file;  // empty: the system's CA store
  std::chrono::milliseconds timeout{60'000};

  bool operator==(const SmtpSettings&) const = default;
};

// type = "email" (email_settings.cc): to = ["ADDRESS", ...], sent through [smtp].
struct EmailSettings {
  std::string notifier;         // its name, for List-Id; set when the notifier is made
  std::vector<std::string> to;  // addresses

  bool operator==(const EmailSettings&) const = default;

  static constexpr std::string_view kType = "email";
  static constexpr std::array<std::string_view, 1> kKeys = {"to"};
  static std::optional<EmailSettings> Parse(OptionReader& reader, const ParseContext& context);
  std::string_view Label() const { return kType; }
  std::vector<std::string> Destination() const { return to; }
  std::chrono::milliseconds Timeout() const { return {}; }  // [smtp]'s
  std::unique_ptr<Notifier> Make(const std::string& name, const NotifierServices& services) const;
};

// The whole message, CRLF line ends: headers, then multipart/alternative with a text/plain and
// a text/html part, both UTF-8 in base64.
std::string RenderEmail(const Message& message, const SmtpSettings& smtp,
                        const EmailSettings& email, TimePoint now);

// Whether `url` names a loopback host (127.0.0.0/8, ::1, localhost), where STARTTLS is not
// required.
bool IsLoopbackUrl(std::string_view url);

class EmailNotifier final : public Notifier {
 public:
  // Every argument must outlive the notifier.
  EmailNotifier(net::HttpClient& client, const SmtpSettings& smtp, EmailSettings email,
                const Clock& clock)
      : client_(client), smtp_(smtp), email_(std::move(email)), clock_(clock) {}
  void Send(const Message& message, std::function<void(SendResult)> done) override;

 private:
  net::HttpClient& client_;
  SmtpSettings smtp_;
  EmailSettings email_;
  const Clock& clock_;
};

}  // namespace feedwatch::notify
