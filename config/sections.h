// The loaders of the config file's areas (config/ only), each over the shared Reader: one file
// per area, values in and out. LoadConfigText calls them in this order, the order their
// diagnostics are added in (a tie in position keeps it).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/reader.h"

namespace feedwatch::config {

// daemon_section.cc: the service's own sections.
void LoadDaemon(Reader& reader, const toml::table& root, DaemonSettings& daemon);
void LoadStore(Reader& reader, const toml::table& root, StoreSettings& store);
void LoadHttp(Reader& reader, const toml::table& root, HttpSettings& http);
// [smtp]; nullopt when absent or (reported) wrong.
std::optional<notify::SmtpSettings> LoadSmtp(Reader& reader, const toml::table& root);

// feeds.cc: what a [[feed]] without a value of its own takes.
struct FeedDefaults {
  Duration interval = std::chrono::minutes(10);
  Duration min_interval = FeedConfig{}.min_interval;
  std::optional<Duration> initial_lookback = std::chrono::hours(48);  // nullopt: "all"
  int max_items = FeedConfig{}.max_items;
  int max_alerts = FeedConfig{}.max_alerts;
  bool fetch_articles = FeedConfig{}.fetch_articles;
  int max_articles = FeedConfig{}.max_articles;
  Duration article_wait = FeedConfig{}.article_wait;
};
// [defaults]; its max_backoff goes to `schedule`.
FeedDefaults LoadDefaults(Reader& reader, const toml::table& root, ScheduleSettings& schedule);
std::vector<FeedConfig> LoadFeeds(Reader& reader, const toml::table& root,
                                  const FeedDefaults& defaults);

// notifiers.cc: [[notify]], each table's own keys read by its type in notify/.
struct Notifiers {
  std::vector<NotifierConfig> loaded;
  // Those with an error reported: a watch naming one is not told it is unknown.
  std::set<std::string> broken;
};
// `config` has its [http] and [smtp] loaded: a type may take its defaults from them.
Notifiers LoadNotifiers(Reader& reader, const toml::table& root, const Config& config);

// watches.cc: [terms] and [[watch]].
struct Terms {
  std::shared_ptr<filters::TermLists> lists;
  // The lists reported broken: a query using one is not reported again.
  std::set<std::string> broken;
};
Terms LoadTerms(Reader& reader, const toml::table& root);
std::vector<WatchConfig> LoadWatches(Reader& reader, const toml::table& root, const Terms& terms,
                                     const Notifiers& notifiers);
// A listener that other hosts can reach serves every watch without a token to them: a warning.
void WarnOfOpenWatches(Reader& reader, const toml::table& root, const Config& config);

}  // namespace feedwatch::config
