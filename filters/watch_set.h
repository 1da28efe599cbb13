// Many watches evaluated against one document, cheaply.
//
// Each query's trigger terms (Query::Triggers: at least one of them is in every document it
// matches) are one Lexicon (per accent mode): a document's words are looked up in it once, and
// only watches with a trigger in the document are evaluated, plus the few whose query has no
// trigger set. So 1,000 watches cost about as much as the handful a given item could match.
// The watches' words are another Lexicon: when the candidates share term lists ("@us":
// hundreds of words in each of three watches), the document's words are looked up in it once
// (a Resolution) and each candidate reads its postings from there, instead of looking the same
// words up again.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "filters/document.h"
#include "filters/lexicon.h"
#include "filters/query.h"

namespace feedwatch::filters {

class WatchSet {
 public:
  // Adds a watch; its index is the number of watches added before it. `query` must outlive the
  // set.
  void Add(const Query* query);

  // Whether documents need the accent-folded token set (some watch folds accents).
  bool needs_accent_folding() const { return needs_accent_folding_; }
  // The fields some watch searches: the only ones documents need tokenised.
  FieldMask fields() const { return fields_; }

  // The indexes of the watches that match `document`, ascending. Same answer as asking every
  // query in turn, which tests/filters/watch_set_test.cc checks.
  std::vector<size_t> Match(const Document& document) const;

  size_t size() const { return watches_.size(); }

 private:
  struct Watch {
    const Query* query;
    std::vector<uint32_t> places;  // of the query's words in words_ of its accent mode
    bool always = false;           // no trigger set: evaluated for every document
  };

  std::vector<Watch> watches_;
  // Per accent mode (plain, folded): every watch's words, and every watch's triggers.
  std::array<Lexicon, 2> words_;
  std::array<Lexicon, 2> triggers_;
  std::array<std::vector<std::vector<uint32_t>>, 2> watches_of_;  // by trigger: the watches
  bool needs_accent_folding_ = false;
  FieldMask fields_ = 0;
};

}  // namespace feedwatch::filters
