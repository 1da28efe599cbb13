// The example watches against a labelled set of English and Russian headlines with ledes
// (tests/data/filters/talks-labelled.tsv): precision and recall of "some watch fires" against
// "the item is about the talks", and per watch.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "config/config.h"
#include "filters/watch_set.h"
#include "tests/support/support.h"

namespace feedwatch::filters {
namespace {

struct Labelled {
  std::set<std::string> watches;  // that should fire
  std::string title;
  std::string lede;
};

std::vector<Labelled> LoadLabelled() {
  std::vector<Labelled> items;
  std::istringstream in(testing::ReadFile(testing::DataDir() / "filters" / "talks-labelled.tsv"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    std::istringstream fields(line);
    std::string labels;
    Labelled item;
    std::getline(fields, labels, '\t');
    std::getline(fields, item.title, '\t');
    std::getline(fields, item.lede, '\t');
    std::istringstream names(labels);
    for (std::string name; std::getline(names, name, ',');) {
      if (name != "-") item.watches.insert(name == "property" ? "diplomatic-property" : name);
    }
    items.push_back(std::move(item));
  }
  return items;
}

struct Score {
  int true_positive = 0, false_positive = 0, false_negative = 0;
  double precision() const {
    return true_positive + false_positive == 0
               ? 1.0
               : static_cast<double>(true_positive) / (true_positive + false_positive);
  }
  double recall() const {
    return true_positive + false_negative == 0
               ? 1.0
               : static_cast<double>(true_positive) / (true_positive + false_negative);
  }
  void Add(bool predicted, bool relevant) {
    true_positive += predicted && relevant ? 1 : 0;
    false_positive += predicted && !relevant ? 1 : 0;
    false_negative += !predicted && relevant ? 1 : 0;
  }
};

TEST(LabelledSet, ExampleWatchesReachPrecisionAndRecallOf95Percent) {
  const Result<config::Config> config =
      config::LoadConfigFile(testing::SourceDir() / "config" / "feedwatch.example.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  WatchSet set;
  for (const config::WatchConfig& watch : config->watches) set.Add(watch.query.get());

  const std::vector<Labelled> items = LoadLabelled();
  ASSERT_GE(items.size(), 150u);
  Score overall;
  std::map<std::string, Score> per_watch;
  for (const Labelled& item : items) {
    const Document document({.title = item.title, .summary = item.lede},
                            set.needs_accent_folding());
    std::set<std::string> fired;
    for (const size_t index : set.Match(document)) fired.insert(config->watches[index].name);
    overall.Add(!fired.empty(), !item.watches.empty());
    for (const config::WatchConfig& watch : config->watches) {
      const bool predicted = fired.contains(watch.name);
      const bool relevant = item.watches.contains(watch.name);
      per_watch[watch.name].Add(predicted, relevant);
      if (predicted != relevant) {
        std::printf("  %s %-20s %s | %s\n", predicted ? "false positive" : "missed        ",
                    watch.name.c_str(), item.title.c_str(), item.lede.c_str());
      }
    }
  }
  for (const auto& [name, score] : per_watch) {
    std::printf("%-20s precision %.3f recall %.3f\n", name.c_str(), score.precision(),
                score.recall());
  }
  std::printf("%zu items, any watch: precision %.3f recall %.3f\n", items.size(),
              overall.precision(), overall.recall());
  EXPECT_GE(overall.precision(), 0.95);
  EXPECT_GE(overall.recall(), 0.95);
}

}  // namespace
}  // namespace feedwatch::filters
