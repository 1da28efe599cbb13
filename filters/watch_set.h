// Many watches evaluated against one document, cheaply.
//
// Each query's trigger terms (Query::Triggers: at least one of them is in every document it
// matches) are indexed: exact terms in a hash table, prefixes in a sorted list merged against
// the document's sorted tokens. Only watches with a trigger in the document are evaluated, plus
// the few whose query has no trigger set. So 1,000 watches cost about as much as the handful a
// given item could match.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/hash.h"
#include "filters/document.h"
#include "filters/query.h"

namespace feedwatch::filters {

class WatchSet {
 public:
  // Adds a watch; its index is the number of watches added before it. `query` must outlive the
  // set.
  void Add(const Query* query);

  // Whether documents need the accent-folded token set (some watch folds accents).
  bool needs_accent_folding() const { return needs_accent_folding_; }

  // The indexes of the watches that match `document`, ascending. Same answer as asking every
  // query in turn, which tests/filters/watch_set_test.cc checks.
  std::vector<size_t> Match(const Document& document) const;

  size_t size() const { return queries_.size(); }

 private:
  struct Index {
    std::unordered_map<std::string, std::vector<uint32_t>, StringHash, std::equal_to<>> exact;
    std::vector<std::pair<std::string, uint32_t>> prefixes;  // sorted by text
    std::vector<uint64_t> prefix_leading;  // LeadingBytes of each prefix, parallel to `prefixes`
  };
  void Candidates(const Document& document, bool accents, const Index& index,
                  std::vector<char>& candidate) const;

  std::vector<const Query*> queries_;
  Index plain_;
  Index accents_;
  std::vector<uint32_t> always_;  // no trigger set: evaluated for every document
  bool needs_accent_folding_ = false;
};

}  // namespace feedwatch::filters
