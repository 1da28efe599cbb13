// The notifier types, registered in one place: NotifierSettings holds the settings of one
// [[notify]] table, whichever its type. A new type is a NotifierType (notifier_type.h) in a file
// of its own and one more alternative below; config/ and daemon/ go through these functions
// and never name a type.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "notify/email.h"
#include "notify/notifier.h"
#include "notify/notifier_type.h"
#include "notify/webhook.h"

namespace feedwatch::notify {

// In the order messages list the types.
using NotifierSettings = std::variant<ConsoleSettings, EmailSettings, WebhookSettings>;

// The [[notify]] types: "console", "email", "webhook".
std::vector<std::string_view> NotifierTypes();

// The keys of a [[notify]] table of `type` past the common ones; nullopt for no such type.
std::optional<std::span<const std::string_view>> NotifierKeys(std::string_view type);

// The settings of a [[notify]] table of `type` (one of NotifierTypes()), read through `reader`;
// nullopt when a problem was reported.
std::optional<NotifierSettings> ParseNotifierSettings(std::string_view type, OptionReader& reader,
                                                      const ParseContext& context);

// Its [[notify]] type: "webhook".
std::string_view TypeOf(const NotifierSettings& settings);
// What `feedwatch status` calls it: "slack".
std::string_view LabelOf(const NotifierSettings& settings);
// Where it sends, for the configuration hash; never a secret.
std::vector<std::string> DestinationOf(const NotifierSettings& settings);
// The longest one transfer of its own may take; 0 when it has none, or it is [smtp]'s.
std::chrono::milliseconds TimeoutOf(const NotifierSettings& settings);
// The notifier named `name` that `settings` describe.
std::unique_ptr<Notifier> MakeNotifier(const std::string& name, const NotifierSettings& settings,
                                       const NotifierServices& services);

}  // namespace feedwatch::notify
