// What a notifier type is: its settings, the keys of its [[notify]] table and how they are read,
// and how a notifier is made from them. Each type is written in its own file (console.cc,
// email_settings.cc, webhook_settings.cc) and registered in notifier_settings.h; nothing outside
// notify/ names one.
//
// A type reads its keys through an OptionReader, which config/ implements over the TOML file:
// notify/ never sees TOML. Every problem goes to the reader (Report, or the reader's own
// "missing" and "wrong type" reports) and reaches the operator as PATH:LINE:COLUMN: message with
// the line and a caret, in file order; a type reports each problem once and returns nullopt.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"

namespace feedwatch::net {
class HttpClient;
}

namespace feedwatch::notify {

class Notifier;
struct SmtpSettings;

class OptionReader {
 public:
  // A spot in the file, where a problem is reported.
  struct Place {
    std::uint32_t line = 0;
    std::uint32_t column = 0;
  };
  struct Value {
    Place at;
    std::optional<std::string> text;  // when it is a string
    std::string_view kind;            // what it is, for messages: "a string", "an integer"...
  };
  // A key and its value in a table.
  struct Field {
    std::string key;
    Place key_at;
    Value value;
  };

  virtual ~OptionReader() = default;

  // The value at `key`; nullopt when absent, reported as "SECTION is missing the required key
  // "KEY"" when `required`.
  virtual std::optional<Value> Get(std::string_view key, std::string_view section,
                                   bool required) = 0;
  // The string at `key`; nullopt when absent (reported when `required`) or not a string
  // (reported).
  virtual std::optional<std::string> String(std::string_view key, std::string_view section,
                                            bool required) = 0;
  // A duration like "10m" at `key`; nullopt when absent or (reported) not one.
  virtual std::optional<std::chrono::milliseconds> Duration(std::string_view key) = 0;
  // The contents of the file named at `key`, read as every secret of the configuration is
  // (docs/configuration.md); nullopt when absent (reported when `required`) or (reported)
  // unreadable or empty.
  virtual std::optional<std::string> Secret(std::string_view key, std::string_view section,
                                            bool required) = 0;
  // The elements of the array at `key`; nullopt when absent or not an array (not reported).
  virtual std::optional<std::vector<Value>> Elements(std::string_view key) = 0;
  // The fields of the table at `key`; nullopt when absent or not a table (not reported).
  virtual std::optional<std::vector<Field>> Fields(std::string_view key) = 0;

  virtual void Report(Place where, std::string message) = 0;
};

// What a type may take from the rest of the file while it reads its table.
struct ParseContext {
  // [http]: the defaults of a notifier that sends over HTTP.
  std::chrono::milliseconds http_timeout{30'000};
  std::string ca_file;
  std::string proxy;
  // [smtp]: whether the file has the section, and whether it loaded (else it was reported).
  bool smtp_section = false;
  bool smtp_loaded = false;
};

// What a notifier is made with. Everything here must outlive the notifiers made with it.
struct NotifierServices {
  net::HttpClient& http;
  const Clock& clock;
  std::FILE* console;        // where console notifiers write
  const SmtpSettings* smtp;  // [smtp]; not null when a loaded configuration has email notifiers
};

// A notifier type's settings: the value a [[notify]] table of the type loads into.
template <typename T>
concept NotifierType = std::equality_comparable<T> &&
    requires(const T& settings, OptionReader& reader, const ParseContext& context,
             const std::string& name, const NotifierServices& services) {
  // The [[notify]] `type`, and the keys of its table past the common ones
  // (name, type, digest, max_per_hour, max_age).
  { T::kType } -> std::convertible_to<std::string_view>;
  { T::kKeys.begin() } -> std::convertible_to<const std::string_view*>;
  { T::Parse(reader, context) } -> std::same_as<std::optional<T>>;
  // What `feedwatch status` calls it: "email", "slack"...
  { settings.Label() } -> std::same_as<std::string_view>;
  // Where it sends, as it goes in the configuration hash that instances
  // sharing a store compare; never a secret.
  { settings.Destination() } -> std::same_as<std::vector<std::string>>;
  // The longest one transfer of its own may take; 0 when it has none (a
  // console) or the time is another section's ([smtp]).
  { settings.Timeout() } -> std::same_as<std::chrono::milliseconds>;
  // The notifier named `name`.
  { settings.Make(name, services) } -> std::same_as<std::unique_ptr<Notifier>>;
};

}  // namespace feedwatch::notify
