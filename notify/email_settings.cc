// type = "email": its keys, and the notifier made from them.
#include <cassert>

#include "notify/email.h"

namespace feedwatch::notify {

std::optional<EmailSettings> EmailSettings::Parse(OptionReader& reader,
                                                  const ParseContext& context) {
  EmailSettings email;
  bool ok = true;
  if (!context.smtp_loaded) {
    // A bad [smtp] has been reported already.
    if (!context.smtp_section) {
      reader.Report(reader.Get("type", "[[notify]]", true)->at,
                    "an email notifier needs an [smtp] section with at least url and from");
    }
    ok = false;
  }
  const std::optional<OptionReader::Value> to =
      reader.Get("to", "[[notify]] of type \"email\"", true);
  if (!to) return std::nullopt;
  const std::optional<std::vector<OptionReader::Value>> addresses = reader.Elements("to");
  if (!addresses || addresses->empty()) {
    reader.Report(to->at, "expected \"to\" to be a non-empty array of email addresses");
    return std::nullopt;
  }
  for (const OptionReader::Value& element : *addresses) {
    Result<Mailbox> mailbox =
        element.text
            ? ParseMailbox(*element.text)
            : Result<Mailbox>(Error::InvalidInput("expected an email address (a string), got " +
                                                  std::string(element.kind)));
    if (!mailbox) {
      reader.Report(element.at, mailbox.error().message);
      ok = false;
    } else {
      email.to.push_back(mailbox->address);
    }
  }
  if (!ok) return std::nullopt;
  return email;
}

std::unique_ptr<Notifier> EmailSettings::Make(const std::string& name,
                                              const NotifierServices& services) const {
  assert(services.smtp != nullptr);  // a loaded configuration with an email notifier has [smtp]
  EmailSettings email = *this;
  email.notifier = name;
  return std::make_unique<EmailNotifier>(services.http, *services.smtp, std::move(email),
                                         services.clock);
}

}  // namespace feedwatch::notify
