#include "cli/check.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>
#include <vector>

#include "base/text.h"
#include "cli/inputs.h"
#include "daemon/item_pipeline.h"
#include "daemon/story_index.h"
#include "filters/query.h"

namespace feedwatch::cli {

Status CheckConfig(const std::string& config_path, std::ostream& out, std::ostream& err) {
  Result<config::Config> config = LoadConfig(config_path);
  if (!config) return config.error();
  for (const std::string& warning : config->warnings) err << warning << "\n";
  const auto count = [](size_t n, std::string_view one, std::string_view many) {
    return Counted(static_cast<std::int64_t>(n), one, many);
  };
  out << config_path << ": OK (" << count(config->feeds.size(), "feed", "feeds") << ", "
      << count(config->watches.size(), "watch", "watches") << ", "
      << count(config->notifiers.size(), "notifier", "notifiers") << ")\n";
  return Status::Ok();
}

namespace {

// The one watch to try, and the feeds when it comes from the configuration; `source` names it
// for the summary line.
Result<config::Config> WatchToTry(const TestFilterOptions& options, const std::string& path,
                                  std::string& source) {
  config::Config config;
  if (!options.watch.empty()) {
    Result<config::Config> loaded = LoadConfig(path);
    if (!loaded) return loaded.error();
    const auto it =
        std::find_if(loaded->watches.begin(), loaded->watches.end(),
                     [&](const config::WatchConfig& w) { return w.name == options.watch; });
    if (it == loaded->watches.end()) {
      return Error::Config(path + ": no [[watch]] named \"" + options.watch + "\"");
    }
    config.watches = {*it};
    config.feeds = loaded->feeds;
    source = "watch \"" + options.watch + "\"";
    return config;
  }
  // A query that names term lists (@name) reads them from the configuration's [terms].
  if (options.query.find('@') != std::string::npos) {
    Result<config::Config> loaded = LoadConfig(path);
    if (!loaded) return loaded.error();
    config.terms = loaded->terms;
  }
  Result<filters::Query> parsed =
      filters::Query::Parse(options.query, {.lists = config.terms.get()});
  if (!parsed) {
    // "query:1:14: message", the query's line and a caret under the column.
    const Error& error = parsed.error();
    std::istringstream lines(options.query);
    std::string line;
    for (int i = 0; i < error.line && std::getline(lines, line); ++i) {
    }
    return Error::Config("query:" + error.message + "\n" +
                         Caret(line, static_cast<size_t>(error.column)));
  }
  config::WatchConfig& watch = config.watches.emplace_back();
  watch.name = "query";
  watch.query_text = options.query;
  watch.query = std::make_shared<const filters::Query>(std::move(*parsed));
  source = "query";
  return config;
}

}  // namespace

// The items go through the daemon's ItemPipeline as if new, so what it shows is what the daemon
// would alert on.
Status TestFilter(const TestFilterOptions& options, std::ostream& out, std::ostream& err) {
  std::string config_path = options.config_path;
  if (!options.watch.empty() && !options.config_given && !std::filesystem::exists(config_path) &&
      std::filesystem::exists("config/feedwatch.example.toml")) {
    err << "(no " << config_path << "; using config/feedwatch.example.toml)\n";
    config_path = "config/feedwatch.example.toml";
  }
  std::string source;
  Result<config::Config> config = WatchToTry(options, config_path, source);
  if (!config) return config.error();
  for (config::WatchConfig& watch : config->watches) watch.notify.clear();

  const Result<feeds::Feed> feed = ReadFeed(options.feed);
  if (!feed) return feed.error();
  config::FeedConfig feed_config;
  feed_config.name = options.feed;
  feed_config.url = options.feed;
  for (const config::FeedConfig& configured : config->feeds) {
    if (configured.url == options.feed) feed_config = configured;
  }
  feed_config.initial_lookback.reset();
  const daemon::ItemPipeline pipeline(*config);
  const std::vector<std::string> keys = daemon::ItemPipeline::Keys(*feed);
  daemon::StoryIndexes no_stories;
  const Result<daemon::PipelineResult> result = pipeline.Run({.feed_config = feed_config,
                                                              .feed = *feed,
                                                              .keys = keys,
                                                              .known = {},
                                                              .now = SystemClock().Now()},
                                                             no_stories);
  if (!result) return result.error();  // there is no store to read: never
  int matched = 0;
  for (const store::ItemRecord& item : result->records) {
    out << (item.matches.empty() ? "-      " : "MATCH  ") << item.title << "\n";
    if (item.matches.empty()) continue;
    ++matched;
    out << "       hits:    " << item.matches.front().terms << "\n"
        << "       snippet: " << item.matches.front().snippet << "\n";
  }
  out << "\n"
      << source << ": " << matched << " of "
      << Counted(static_cast<std::int64_t>(feed->items.size()), "item", "items") << " match\n";
  return Status::Ok();
}

Status Eval(const std::string& config_path, const std::string& labels_path,
            const daemon::EvalOptions& options, std::ostream& out) {
  using daemon::Score;
  Result<config::Config> config = LoadConfig(config_path);
  if (!config) return config.error();
  if (!options.only_watch.empty()) {  // the command line's mistake first, before the file's
    Result<daemon::EvalReport> none = daemon::Evaluate(*config, {}, options);
    if (!none) return Error::Usage("eval: --watch: " + none.error().message);
  }
  Result<std::vector<daemon::LabelledItem>> items = daemon::ReadLabels(labels_path);
  if (!items && items.error().code == Error::Code::kIo) {
    return Error::NotFound(items.error().message);  // an unreadable input file, like parse's
  }
  if (!items) return items.error();
  Result<daemon::EvalReport> report = daemon::Evaluate(*config, *items, options);
  if (!report) {
    // file:line: like every other error of the labels file (ReadLabels).
    return Error::InvalidInput(labels_path + ":" + std::to_string(report.error().line) + ": " +
                               report.error().message);
  }
  const auto row = [&out](const std::string& name, const Score& score) {
    out << Printf("%-24s %9.3f %7.3f %6.3f %5d %5d %5d\n", name.c_str(), score.precision(),
                  score.recall(), score.f1(), score.true_positives, score.false_positives,
                  score.false_negatives);
  };
  out << Printf("%zu labelled items\n%-24s %9s %7s %6s %5s %5s %5s\n", items->size(), "WATCH",
                "PRECISION", "RECALL", "F1", "TP", "FP", "FN");
  for (const auto& [watch, score] : report->per_watch) row(watch, score);
  row("all", report->overall);
  if (report->per_split.size() > 1) {
    out << Printf("\n%-24s\n", "BY SPLIT");
    for (const auto& [split, score] : report->per_split) {
      row(split.empty() ? "(no split)" : split, score);
    }
  }
  if (!report->robustness.empty()) {
    out << "\nWITH UNRELATED TEXT ADDED (each item with each passage of its language)\n";
    row("as labelled", report->overall);
    for (const daemon::Robustness& robustness : report->robustness) {
      row(std::string("+ ") + std::string(daemon::InsertionName(robustness.insertion)),
          robustness.all);
      out << Printf("  the worst for precision (%.3f lower): %s\n", robustness.worst_precision_drop,
                    ShortenUtf8(robustness.worst_precision_text, 90).c_str())
          << Printf("  the worst for recall (%.3f lower):    %s\n", robustness.worst_recall_drop,
                    ShortenUtf8(robustness.worst_recall_text, 90).c_str());
    }
    out << Printf("%zu decisions changed\n", report->flips.size());
  }
  for (const daemon::Mistake& mistake : report->mistakes) {
    const daemon::LabelledItem& item = *mistake.item;
    out << Printf("\n%s %s, line %d%s%s: %s\n", mistake.fired ? "FALSE ALARM" : "MISS",
                  mistake.watch.c_str(), item.line, item.id.empty() ? "" : " ", item.id.c_str(),
                  item.title.c_str());
    if (mistake.fired) {
      out << Printf("  hits:    %s\n  snippet: %s\n", mistake.hits.c_str(),
                    mistake.snippet.c_str());
    } else if (!item.summary.empty()) {
      out << Printf("  summary: %s\n", ShortenUtf8(item.summary, 300).c_str());
    }
  }
  for (const daemon::Flip& flip : report->flips) {
    const daemon::LabelledItem& item = *flip.item;
    out << Printf("\n%s %s with %s, line %d%s%s: %s\n  added: %s\n",
                  flip.fired ? "FIRES" : "FALLS SILENT", flip.watch.c_str(),
                  std::string(daemon::InsertionName(flip.insertion)).c_str(), item.line,
                  item.id.empty() ? "" : " ", item.id.c_str(), item.title.c_str(),
                  ShortenUtf8(flip.text, 200).c_str());
  }
  return Status::Ok();
}

}  // namespace feedwatch::cli
