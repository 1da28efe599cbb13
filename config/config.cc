// LoadConfigText: the file's areas loaded in turn over one Reader (config/sections.h), so that
// one run reports every problem in the file.
#include "config/config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/reader.h"
#include "config/sections.h"

namespace feedwatch::config {

Result<Config> LoadConfigText(std::string_view text, const std::filesystem::path& path) {
  Reader reader(text, path);
  const std::optional<toml::table> root = reader.Parse(text);
  if (!root) return reader.Errors().error();
  Config config;
  config.path = path;
  reader.CheckKeys(
      *root, {"daemon", "http", "store", "defaults", "smtp", "feed", "terms", "watch", "notify"},
      "the top level");
  LoadDaemon(reader, *root, config.daemon);
  LoadStore(reader, *root, config.store);
  LoadHttp(reader, *root, config.http);
  const FeedDefaults defaults = LoadDefaults(reader, *root, config.schedule);
  config.smtp = LoadSmtp(reader, *root);
  Notifiers notifiers = LoadNotifiers(reader, *root, config);
  config.feeds = LoadFeeds(reader, *root, defaults);
  const Terms terms = LoadTerms(reader, *root);
  config.terms = terms.lists;
  config.watches = LoadWatches(reader, *root, terms, notifiers);
  config.notifiers = std::move(notifiers.loaded);
  WarnOfOpenWatches(reader, *root, config);
  config.warnings = reader.TakeWarnings();
  if (const Status errors = reader.Errors(); !errors) return errors.error();
  return config;
}

Result<Config> LoadConfigFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::NotFound(path.string() +
                           ": cannot read the config file: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return LoadConfigText(text.str(), path);
}

std::string_view NotifierTypeName(const NotifierConfig& notifier) {
  return notify::LabelOf(notifier.settings);
}

}  // namespace feedwatch::config
