// [[notify]]: the keys every notifier has (name, type, digest, max_per_hour, max_age) read here;
// the rest by the notifier's type in notify/ (notifier_settings.h), through TableOptions.
#include <array>
#include <map>

#include "config/sections.h"
#include "notify/notifier_settings.h"

namespace feedwatch::config {
namespace {

constexpr std::array<std::string_view, 5> kCommonKeys = {"name", "type", "digest", "max_per_hour",
                                                         "max_age"};

notify::OptionReader::Place PlaceOf(const toml::node& node) {
  return {node.source().begin.line, node.source().begin.column};
}

notify::OptionReader::Value ValueOf(const toml::node& node) {
  const auto* text = node.as_string();
  return {PlaceOf(node), text != nullptr ? std::optional(text->get()) : std::nullopt,
          TypeName(node)};
}

// One [[notify]] table as a notifier type reads it: the Reader's getters and diagnostics.
class TableOptions final : public notify::OptionReader {
 public:
  // Both must outlive this.
  TableOptions(Reader& reader, const toml::table& table) : reader_(reader), table_(table) {}

  std::optional<Value> Get(std::string_view key, std::string_view section, bool required) override {
    const toml::node* node = reader_.Get(table_, key, section, required);
    if (node == nullptr) return std::nullopt;
    return ValueOf(*node);
  }
  std::optional<std::string> String(std::string_view key, std::string_view section,
                                    bool required) override {
    return reader_.String(table_, key, section, required);
  }
  std::optional<std::chrono::milliseconds> Duration(std::string_view key) override {
    return reader_.DurationValue(table_, key);
  }
  std::optional<std::string> Secret(std::string_view key, std::string_view section,
                                    bool required) override {
    return reader_.Secret(table_, key, section, required);
  }
  std::optional<std::vector<Value>> Elements(std::string_view key) override {
    const toml::node* node = table_.get(key);
    const toml::array* array = node != nullptr ? node->as_array() : nullptr;
    if (array == nullptr) return std::nullopt;
    std::vector<Value> elements;
    for (const toml::node& element : *array) elements.push_back(ValueOf(element));
    return elements;
  }
  std::optional<std::vector<Field>> Fields(std::string_view key) override {
    const toml::node* node = table_.get(key);
    const toml::table* table = node != nullptr ? node->as_table() : nullptr;
    if (table == nullptr) return std::nullopt;
    std::vector<Field> fields;
    for (const auto& [name, value] : *table) {
      fields.push_back({std::string(name.str()),
                        {name.source().begin.line, name.source().begin.column},
                        ValueOf(value)});
    }
    return fields;
  }
  void Report(Place where, std::string message) override {
    reader_.Add({where.line, where.column}, std::move(message));
  }

 private:
  Reader& reader_;
  const toml::table& table_;
};

// "\"console\", \"email\" or \"webhook\"".
std::string OneOf(const std::vector<std::string_view>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += Quote(names[i]);
  }
  return out;
}

}  // namespace

Notifiers LoadNotifiers(Reader& reader, const toml::table& root, const Config& config) {
  const notify::ParseContext context{
      .http_timeout = config.http.timeout,
      .ca_file = config.http.ca_file,
      .proxy = config.http.proxy,
      .smtp_section = root.contains("smtp"),
      .smtp_loaded = config.smtp.has_value(),
  };
  Notifiers notifiers;
  std::map<std::string, toml::source_index> first_line;
  for (const toml::table* table : reader.TableArray(root, "notify")) {
    const auto type = reader.String(*table, "type", "[[notify]]", true);
    NotifierConfig notifier;
    bool ok = type.has_value();
    if (type) {
      if (const auto keys = notify::NotifierKeys(*type)) {
        std::vector<std::string_view> known(kCommonKeys.begin(), kCommonKeys.end());
        known.insert(known.end(), keys->begin(), keys->end());
        reader.CheckKeys(*table, known, "[[notify]]");
        TableOptions options(reader, *table);
        if (auto settings = notify::ParseNotifierSettings(*type, options, context)) {
          notifier.settings = std::move(*settings);
        } else {
          ok = false;
        }
      } else {
        reader.Add(table->get("type")->source().begin, "unknown notifier type " + Quote(*type) +
                                                           "; expected " +
                                                           OneOf(notify::NotifierTypes()));
        ok = false;
      }
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
    notifiers.loaded.push_back(std::move(notifier));
  }
  return notifiers;
}

}  // namespace feedwatch::config
