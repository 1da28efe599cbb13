#include "daemon/evaluate.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "daemon/item_pipeline.h"

namespace feedwatch::daemon {

double Score::precision() const {
  const int fired = true_positives + false_positives;
  return fired == 0 ? 1.0 : static_cast<double>(true_positives) / fired;
}

double Score::recall() const {
  const int expected = true_positives + false_negatives;
  return expected == 0 ? 1.0 : static_cast<double>(true_positives) / expected;
}

double Score::f1() const {
  const double p = precision();
  const double r = recall();
  return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
}

void Score::Add(bool fired, bool expected) {
  true_positives += fired && expected ? 1 : 0;
  false_positives += fired && !expected ? 1 : 0;
  false_negatives += !fired && expected ? 1 : 0;
}

Score& Score::operator+=(const Score& other) {
  true_positives += other.true_positives;
  false_positives += other.false_positives;
  false_negatives += other.false_negatives;
  return *this;
}

namespace {

// The string member `key` of `object`, "" when absent; an error when it is not a string.
Result<std::string> StringMember(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Error::InvalidInput(std::string("\"") + key + "\" is not a string");
  return it->get<std::string>();
}

Result<LabelledItem> ParseLine(const std::string& text) {
  const nlohmann::json object = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return Error::InvalidInput("not a JSON object");
  if (!object.is_object()) return Error::InvalidInput("expected a JSON object");
  LabelledItem item;
  for (const auto& [key, field] :
       {std::pair("title", &item.title), std::pair("summary", &item.summary),
        std::pair("content", &item.content), std::pair("feed", &item.feed),
        std::pair("id", &item.id), std::pair("split", &item.split)}) {
    Result<std::string> value = StringMember(object, key);
    if (!value) return value.error();
    *field = std::move(*value);
  }
  if (item.title.empty() && item.summary.empty() && item.content.empty()) {
    return Error::InvalidInput(R"(expected a "title", "summary" or "content")");
  }
  const auto watches = object.find("watches");
  if (watches == object.end() || !watches->is_array()) {
    return Error::InvalidInput(
        "expected \"watches\": a list of the watches that should fire ([] for none)");
  }
  for (const nlohmann::json& watch : *watches) {
    if (!watch.is_string()) return Error::InvalidInput("\"watches\" holds something not a name");
    item.watches.insert(watch.get<std::string>());
  }
  return item;
}

}  // namespace

Result<std::vector<LabelledItem>> ReadLabels(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    return std::filesystem::exists(file) ? Error::Io(file.string() + ": cannot be read")
                                         : Error::NotFound(file.string() + ": no such file");
  }
  std::vector<LabelledItem> items;
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos || text.starts_with('#')) continue;
    Result<LabelledItem> item = ParseLine(text);
    if (!item) {
      return Error::InvalidInput(file.string() + ":" + std::to_string(line) + ": " +
                                 item.error().message);
    }
    item->line = line;
    items.push_back(std::move(*item));
  }
  return items;
}

Result<EvalReport> Evaluate(const config::Config& config, const std::vector<LabelledItem>& items,
                            const std::string& only_watch) {
  // The watches to score, sending nowhere; the pipeline is the daemon's.
  config::Config watches;
  for (const config::WatchConfig& watch : config.watches) {
    if (!only_watch.empty() && watch.name != only_watch) continue;
    watches.watches.push_back(watch);
    watches.watches.back().notify.clear();
  }
  if (watches.watches.empty()) {
    return Error::InvalidInput("no [[watch]] named \"" + only_watch + "\"");
  }
  std::set<std::string> known;
  for (const config::WatchConfig& watch : config.watches) known.insert(watch.name);
  for (const LabelledItem& item : items) {
    for (const std::string& name : item.watches) {
      if (!known.contains(name)) {
        return Error::InvalidInput("line " + std::to_string(item.line) + ": no [[watch]] named \"" +
                                   name + "\" in the configuration");
      }
    }
  }

  const ItemPipeline pipeline(watches);
  EvalReport report;
  for (const config::WatchConfig& watch : watches.watches) report.per_watch[watch.name];
  const KnownItems none;
  const TimePoint now{};
  for (const LabelledItem& item : items) {
    feeds::Feed feed;
    feeds::Item& parsed = feed.items.emplace_back();
    parsed.id = item.id.empty() ? "line-" + std::to_string(item.line) : item.id;
    parsed.title = item.title;
    parsed.summary_text = item.summary;
    parsed.content_text = item.content;
    config::FeedConfig feed_config;
    feed_config.name = item.feed;
    const std::vector<std::string> keys = ItemPipeline::Keys(feed);
    StoryIndexes no_stories;  // every item is scored on its own, as if new
    const Result<PipelineResult> result = pipeline.Run(
        {.feed_config = feed_config, .feed = feed, .keys = keys, .known = none, .now = now},
        no_stories);
    if (!result) return result.error();
    const std::vector<store::MatchRecord>& matches = result->records.front().matches;
    for (const config::WatchConfig& watch : watches.watches) {
      const auto match =
          std::find_if(matches.begin(), matches.end(),
                       [&](const store::MatchRecord& m) { return m.watch == watch.name; });
      const bool fired = match != matches.end();
      const bool expected = item.watches.contains(watch.name);
      report.per_watch[watch.name].Add(fired, expected);
      report.per_split[item.split].Add(fired, expected);
      report.overall.Add(fired, expected);
      if (fired == expected) continue;
      Mistake& mistake = report.mistakes.emplace_back();
      mistake.item = &item;
      mistake.watch = watch.name;
      mistake.fired = fired;
      if (fired) {
        mistake.hits = match->terms;
        mistake.snippet = match->snippet;
      }
    }
  }
  return report;
}

}  // namespace feedwatch::daemon
