// `feedwatch eval`: the configured watches against items labelled with the watches that should
// fire, through the same ItemPipeline as the daemon. Precision, recall and F1 per watch, per
// split of the file and overall, and every miss and false alarm with its explanation.
//
// The labels file is JSON Lines, one item per line (docs/queries.md):
//   {"title": "...", "summary": "...", "content": "...", "feed": "...",
//    "watches": ["darchiev"], "id": "...", "split": "held-out"}
// Only "title" and "watches" are required; "watches": [] marks an item no watch should match.
// Blank lines and lines starting with '#' are skipped.
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/config.h"

namespace feedwatch::daemon {

struct LabelledItem {
  int line = 0;    // in the labels file
  std::string id;  // optional, for the report
  std::string title;
  std::string summary;
  std::string content;
  std::string feed;
  std::set<std::string> watches;  // that should fire
  std::string split;              // optional: the part of the set it belongs to
};

// The items of a labels file. Errors: NotFound / Io (the file), InvalidInput ("FILE:LINE: what
// was expected").
Result<std::vector<LabelledItem>> ReadLabels(const std::filesystem::path& file);

struct Score {
  int true_positives = 0;
  int false_positives = 0;
  int false_negatives = 0;
  double precision() const;
  double recall() const;
  double f1() const;
  void Add(bool fired, bool expected);
  Score& operator+=(const Score& other);
};

// A decision the watches got wrong.
struct Mistake {
  const LabelledItem* item = nullptr;
  std::string watch;
  bool fired = false;  // a false alarm; else a miss
  std::string hits;    // a false alarm's hits (the query's terms where they hit)
  std::string snippet;
};

struct EvalReport {
  std::map<std::string, Score> per_watch;
  std::map<std::string, Score> per_split;  // over every watch; "" is the items without a split
  Score overall;                           // every (item, watch) decision
  std::vector<Mistake> mistakes;           // in file order
};

// Runs `items` through the watches of `config` (only `only_watch` when not empty). Errors:
// InvalidInput when an item names a watch the configuration does not have.
Result<EvalReport> Evaluate(const config::Config& config, const std::vector<LabelledItem>& items,
                            const std::string& only_watch);

}  // namespace feedwatch::daemon
