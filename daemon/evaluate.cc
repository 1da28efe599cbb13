#include "daemon/evaluate.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/text.h"
#include "daemon/item_pipeline.h"
#include "feeds/html_text.h"

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

namespace {

// Whether a labelled text holds markup (as a feed's description does) rather than plain text.
bool LooksLikeHtml(std::string_view text) {
  for (size_t at = text.find('<'); at != std::string_view::npos; at = text.find('<', at + 1)) {
    size_t name = at + 1;
    if (name < text.size() && text[name] == '/') ++name;
    size_t end = name;
    while (end < text.size() && std::isalpha(static_cast<unsigned char>(text[end])) != 0) ++end;
    if (end > name && end < text.size() &&
        (text[end] == '>' || text[end] == ' ' || text[end] == '/' ||
         std::isdigit(text[end]) != 0)) {
      return true;
    }
  }
  return false;
}

std::string BodyText(std::string_view text) {
  return LooksLikeHtml(text) ? feeds::HtmlToParagraphs(text) : feeds::TextParagraphs(text);
}

// The item as a feed would give it to the pipeline.
feeds::Item ToItem(const LabelledItem& item) {
  feeds::Item parsed;
  parsed.id = item.id.empty() ? "line-" + std::to_string(item.line) : item.id;
  parsed.title = LooksLikeHtml(item.title) ? feeds::HtmlToText(item.title)
                                           : feeds::CollapseWhitespace(item.title);
  parsed.summary_text = BodyText(item.summary);
  parsed.content_text = BodyText(item.content);
  return parsed;
}

// Russian when its title and lede hold more Cyrillic letters than Latin ones.
Language LanguageOf(const feeds::Item& item) {
  int cyrillic = 0;
  int latin = 0;
  for (const std::string* text : {&item.title, &item.summary_text}) {
    for (const char ch : *text) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == 0xD0 || c == 0xD1) ++cyrillic;
      if (std::isalpha(c) != 0) ++latin;
    }
  }
  return cyrillic > latin ? Language::kRussian : Language::kEnglish;
}

// `text` with `addition` at the end of its first paragraph, as a sentence or as a paragraph of
// its own.
std::string AfterFirstParagraph(const std::string& text, const std::string& addition,
                                bool paragraph) {
  const size_t end = std::min(text.find('\n'), text.size());
  return text.substr(0, end) + (paragraph ? "\n" : " ") + addition + text.substr(end);
}

feeds::Item Perturbed(feeds::Item item, Insertion insertion, const std::string& text) {
  std::string& lede = !item.summary_text.empty() ? item.summary_text : item.content_text;
  switch (insertion) {
    case Insertion::kLede:
      lede = lede.empty() ? text : AfterFirstParagraph(lede, text, /*paragraph=*/false);
      break;
    case Insertion::kAfterLede:
      lede = lede.empty() ? text : AfterFirstParagraph(lede, text, /*paragraph=*/true);
      break;
    case Insertion::kClosing: {
      std::string& body = !item.content_text.empty() ? item.content_text : lede;
      body = body.empty() ? text : body + "\n" + text;
      break;
    }
  }
  return item;
}

// Scores items through the daemon's pipeline, one at a time, as if each were new.
class Scorer {
 public:
  // `watches` must outlive the scorer.
  explicit Scorer(const config::Config& watches) : pipeline_(watches) {}

  // The matches of `item` as if it came from feed `feed`.
  Result<std::vector<store::MatchRecord>> Matches(const feeds::Item& item,
                                                  const std::string& feed) const {
    feeds::Feed parsed;
    parsed.items.push_back(item);
    config::FeedConfig feed_config;
    feed_config.name = feed;
    const std::vector<std::string> keys = ItemPipeline::Keys(parsed);
    StoryIndexes no_stories;  // every item is scored on its own, as if new
    Result<PipelineResult> result = pipeline_.Run(
        {.feed_config = feed_config, .feed = parsed, .keys = keys, .known = {}, .now = TimePoint{}},
        no_stories);
    if (!result) return result.error();
    return std::move(result->records.front().matches);
  }

 private:
  const ItemPipeline pipeline_;
};

const store::MatchRecord* MatchOf(const std::vector<store::MatchRecord>& matches,
                                  const std::string& watch) {
  const auto it = std::find_if(matches.begin(), matches.end(),
                               [&](const store::MatchRecord& m) { return m.watch == watch; });
  return it == matches.end() ? nullptr : &*it;
}

}  // namespace

std::string_view InsertionName(Insertion insertion) {
  switch (insertion) {
    case Insertion::kLede:
      return "a sentence in the lede";
    case Insertion::kAfterLede:
      return "a paragraph after the lede";
    case Insertion::kClosing:
      return "a closing paragraph";
  }
  return "";
}

namespace {

// "no [[watch]] named "darchiev2"; did you mean "darchiev"?", or the watches there are.
std::string UnknownWatch(const std::string& name, const std::set<std::string>& known) {
  std::string message = "no [[watch]] named \"" + name + "\" in the configuration";
  if (const std::string_view best = Closest(name, known); !best.empty()) {
    return message + "; did you mean \"" + std::string(best) + "\"?";
  }
  message += "; its watches:";
  for (const std::string& watch : known) message += " " + watch;
  return message;
}

}  // namespace

Result<EvalReport> Evaluate(const config::Config& config, const std::vector<LabelledItem>& items,
                            const EvalOptions& options) {
  // The watches to score, sending nowhere; the pipeline is the daemon's.
  config::Config watches;
  watches.terms = config.terms;
  for (const config::WatchConfig& watch : config.watches) {
    if (!options.only_watch.empty() && watch.name != options.only_watch) continue;
    watches.watches.push_back(watch);
    watches.watches.back().notify.clear();
  }
  std::set<std::string> known;
  for (const config::WatchConfig& watch : config.watches) known.insert(watch.name);
  if (watches.watches.empty()) return Error::Usage(UnknownWatch(options.only_watch, known));
  for (const LabelledItem& item : items) {
    for (const std::string& name : item.watches) {
      if (!known.contains(name)) {
        Error error = Error::InvalidInput(UnknownWatch(name, known));
        error.line = item.line;
        return error;
      }
    }
  }

  const Scorer scorer(watches);
  EvalReport report;
  for (const config::WatchConfig& watch : watches.watches) report.per_watch[watch.name];
  std::vector<feeds::Item> parsed;
  std::vector<std::set<std::string>> fired_on;  // per item, the watches that fired
  parsed.reserve(items.size());
  for (const LabelledItem& item : items) {
    parsed.push_back(ToItem(item));
    Result<std::vector<store::MatchRecord>> matches = scorer.Matches(parsed.back(), item.feed);
    if (!matches) return matches.error();
    std::set<std::string>& fired_watches = fired_on.emplace_back();
    for (const config::WatchConfig& watch : watches.watches) {
      const store::MatchRecord* match = MatchOf(*matches, watch.name);
      const bool fired = match != nullptr;
      if (fired) fired_watches.insert(watch.name);
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
  if (!options.perturb) return report;

  // Each language's items as labelled: what a distractor of that language is measured against.
  std::map<Language, Score> clean;
  for (size_t i = 0; i < items.size(); ++i) {
    for (const config::WatchConfig& watch : watches.watches) {
      clean[LanguageOf(parsed[i])].Add(fired_on[i].contains(watch.name),
                                       items[i].watches.contains(watch.name));
    }
  }
  for (const Insertion insertion : kInsertions) {
    Robustness& robustness = report.robustness.emplace_back();
    robustness.insertion = insertion;
    // Per distractor (its language and index), the score over every item of that language.
    std::map<std::pair<Language, size_t>, Score> per_text;
    for (size_t i = 0; i < items.size(); ++i) {
      const Language language = LanguageOf(parsed[i]);
      const Distractors& distractors = BuiltInDistractors(language);
      const std::vector<std::string>& texts =
          insertion == Insertion::kLede ? distractors.sentences : distractors.paragraphs;
      for (size_t t = 0; t < texts.size(); ++t) {
        Result<std::vector<store::MatchRecord>> matches =
            scorer.Matches(Perturbed(parsed[i], insertion, texts[t]), items[i].feed);
        if (!matches) return matches.error();
        for (const config::WatchConfig& watch : watches.watches) {
          const bool fired = MatchOf(*matches, watch.name) != nullptr;
          const bool expected = items[i].watches.contains(watch.name);
          robustness.all.Add(fired, expected);
          per_text[{language, t}].Add(fired, expected);
          if (fired == fired_on[i].contains(watch.name)) continue;
          report.flips.push_back({&items[i], watch.name, insertion, texts[t], fired});
        }
      }
    }
    for (const auto& [key, score] : per_text) {
      const Distractors& distractors = BuiltInDistractors(key.first);
      const std::string& text =
          (insertion == Insertion::kLede ? distractors.sentences
                                         : distractors.paragraphs)[key.second];
      const double precision_drop = clean[key.first].precision() - score.precision();
      const double recall_drop = clean[key.first].recall() - score.recall();
      if (robustness.worst_precision_text.empty() ||
          precision_drop > robustness.worst_precision_drop) {
        robustness.worst_precision_drop = precision_drop;
        robustness.worst_precision_text = text;
      }
      if (robustness.worst_recall_text.empty() || recall_drop > robustness.worst_recall_drop) {
        robustness.worst_recall_drop = recall_drop;
        robustness.worst_recall_text = text;
      }
    }
  }
  std::stable_sort(report.flips.begin(), report.flips.end(),
                   [](const Flip& a, const Flip& b) { return a.item->line < b.item->line; });
  return report;
}

}  // namespace feedwatch::daemon
