// The reading layer that every section's loader shares (config/ only; notify/ reads its keys
// through notify::OptionReader, which config/notifiers.cc implements over this).
//
// A Reader turns TOML values into typed ones and collects every problem as a diagnostic at its
// position instead of stopping, so that one run reports them all. Errors() renders them in file
// order, each as "PATH:LINE:COLUMN: message", the source line and a caret under the spot; tests
// assert these texts byte for byte. A problem is reported once: where a value is missing or of
// the wrong type, the getter reports it and returns nullopt, and the caller adds nothing.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/units.h"

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

namespace feedwatch::config {

// "\"text\"".
std::string Quote(std::string_view text);

// What a TOML node is, for messages: "a string", "an integer", "a table"...
std::string_view TypeName(const toml::node& node);

class Reader {
 public:
  // `text` is the file's contents, `path` names it in messages and anchors relative paths.
  Reader(std::string_view text, std::filesystem::path path);

  // The document; nullopt after a diagnostic when it is not TOML.
  std::optional<toml::table> Parse(std::string_view text);

  // The diagnostics so far, rendered, as one Error::Config; ok when there are none.
  Status Errors() const;
  // "PATH:LINE:COLUMN: warning: what", in the order warned.
  std::vector<std::string> TakeWarnings() { return std::move(warnings_); }

  void Add(const toml::source_position& where, std::string message);
  void Warn(const toml::source_position& where, const std::string& message);

  // The file's line `line` (from 1); "" past the end.
  std::string_view Line(toml::source_index line) const;
  // `relative` (a path in the file) against the config file's folder; "" stays "".
  std::string FromConfigFolder(const std::string& relative) const;
  // The config file's folder, absolute or as given.
  std::filesystem::path Folder() const { return path_.parent_path(); }

  // Reports each key of `table` that is not `known`, with the closest known one or the list.
  void CheckKeys(const toml::table& table, std::span<const std::string_view> known,
                 std::string_view section);
  void CheckKeys(const toml::table& table, std::initializer_list<std::string_view> known,
                 std::string_view section) {
    CheckKeys(table, std::span(known.begin(), known.size()), section);
  }

  // The table at root[name], or nullptr when absent or (reported) not a table.
  const toml::table* Section(const toml::table& root, std::string_view name);
  // The tables of an array of tables [[name]]; empty when absent or (reported) malformed.
  std::vector<const toml::table*> TableArray(const toml::table& root, std::string_view name);

  // table[key]; nullptr when absent, reported as "SECTION is missing the required key" when
  // `required`.
  const toml::node* Get(const toml::table& table, std::string_view key, std::string_view section,
                        bool required);
  std::optional<std::string> String(const toml::table& table, std::string_view key,
                                    std::string_view section, bool required);
  // An optional boolean: false when absent, nullopt (reported) when not a boolean.
  std::optional<bool> Bool(const toml::table& table, std::string_view key);
  // A duration string like "10m"; nullopt when absent or (reported) malformed.
  std::optional<Duration> DurationValue(const toml::table& table, std::string_view key);
  // An integer in [min, max] into `out`; `out` unchanged when absent or (reported) out of range.
  void Integer(const toml::table& table, std::string_view key, int min, int max, int& out);

  // The contents of the file that `key` names, trailing line breaks dropped. A relative name is
  // looked up in $CREDENTIALS_DIRECTORY first (systemd's LoadCredential=), as itself or as
  // feedwatch_NAME (a file of the unit's credentials folder), then next to the config file.
  // A file others can read is warned of.
  std::optional<std::string> Secret(const toml::table& table, std::string_view key,
                                    std::string_view section, bool required);

  // A [[feed]], [[watch]] or [[notify]] name: present, well-formed and unique among its kind
  // (`first_line` holds the names seen so far).
  std::optional<std::string> Name(const toml::table& table, std::string_view section,
                                  std::map<std::string, toml::source_index>& first_line,
                                  std::string_view kind);

 private:
  struct Diagnostic {
    toml::source_index line;
    toml::source_index column;
    std::string message;
  };

  void AddParseError(const toml::parse_error& error);

  std::filesystem::path path_;
  std::vector<std::string> lines_;
  std::vector<Diagnostic> diagnostics_;
  std::vector<std::string> warnings_;
};

}  // namespace feedwatch::config
