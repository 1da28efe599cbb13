// `feedwatch eval`: the configured watches against items labelled with the watches that should
// fire, through the same ItemPipeline as the daemon. Precision, recall and F1 per watch, per
// split of the file and overall, and every miss and false alarm with its explanation.
//
// The labels file is JSON Lines, one item per line (docs/queries.md):
//   {"title": "...", "summary": "...", "content": "...", "feed": "...",
//    "watches": ["darchiev"], "id": "...", "split": "held-out"}
// Only "title" and "watches" are required; "watches": [] marks an item no watch should match.
// "summary" and "content" are HTML when they hold tags (as a feed's description does), else
// plain text with a blank line between paragraphs. Blank lines and lines starting with '#' are
// skipped.
//
// With `perturb`, every item is scored again with unrelated text added to it (a sentence at the
// end of its lede, a paragraph after the lede, a closing paragraph), each of the distractors of
// its language in turn: a watch that holds on whole articles fires on the same items.
#pragma once

#include <array>
#include <cstdint>
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

enum class Language : std::uint8_t { kEnglish, kRussian };

// Unrelated text to add to labelled items.
struct Distractors {
  std::vector<std::string> sentences;   // one each, for a lede
  std::vector<std::string> paragraphs;  // for a body
};
// feedwatch's own (daemon/distractors.cc): more than 20 of each, in each language.
const Distractors& BuiltInDistractors(Language language);

// Where unrelated text goes into an item.
enum class Insertion : std::uint8_t {
  kLede,       // a sentence at the end of the lede: the summary's first paragraph, or the content's
  kAfterLede,  // a paragraph right after the lede
  kClosing,    // a paragraph at the end of the body
};
inline constexpr std::array<Insertion, 3> kInsertions{Insertion::kLede, Insertion::kAfterLede,
                                                      Insertion::kClosing};
// "a sentence in the lede", ...
std::string_view InsertionName(Insertion insertion);

// The scores with unrelated text added in one place.
struct Robustness {
  Insertion insertion = Insertion::kLede;
  Score all;  // every item with every distractor of its language
  // The distractor that cost the most precision, and the one that cost the most recall: how
  // much, against the items of its language as labelled.
  double worst_precision_drop = 0;
  std::string worst_precision_text;
  double worst_recall_drop = 0;
  std::string worst_recall_text;
};

// A decision the added text changed.
struct Flip {
  const LabelledItem* item = nullptr;
  std::string watch;
  Insertion insertion = Insertion::kLede;
  std::string text;    // what was added
  bool fired = false;  // with the text: fired where it had not (else fell silent)
};

struct EvalReport {
  std::map<std::string, Score> per_watch;
  std::map<std::string, Score> per_split;  // over every watch; "" is the items without a split
  Score overall;                           // every (item, watch) decision
  std::vector<Mistake> mistakes;           // in file order
  std::vector<Robustness> robustness;      // with `perturb`: one per Insertion
  std::vector<Flip> flips;                 // with `perturb`, in file order
};

struct EvalOptions {
  std::string only_watch;  // score only this watch; empty: all
  bool perturb = false;
};

// Runs `items` through the watches of `config`. Errors: InvalidInput when an item names a watch
// the configuration does not have, or `only_watch` is not one.
Result<EvalReport> Evaluate(const config::Config& config, const std::vector<LabelledItem>& items,
                            const EvalOptions& options);

}  // namespace feedwatch::daemon
