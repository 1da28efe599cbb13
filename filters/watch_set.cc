#include "filters/watch_set.h"

#include <algorithm>

namespace feedwatch::filters {

void WatchSet::Add(const Query* query) {
  const auto id = static_cast<uint32_t>(queries_.size());
  queries_.push_back(query);
  needs_accent_folding_ = needs_accent_folding_ || query->fold_accents();
  const std::optional<std::vector<Query::Trigger>> triggers = query->Triggers();
  if (!triggers) {
    always_.push_back(id);
    return;
  }
  Index& index = query->fold_accents() ? accents_ : plain_;
  for (const Query::Trigger& trigger : *triggers) {
    if (trigger.prefix) {
      const std::pair<std::string, uint32_t> entry(trigger.text, id);
      const auto at = std::upper_bound(index.prefixes.begin(), index.prefixes.end(), entry);
      index.prefix_leading.insert(index.prefix_leading.begin() + (at - index.prefixes.begin()),
                                  LeadingBytes(trigger.text));
      index.prefixes.insert(at, entry);
    } else {
      std::vector<uint32_t>& ids = index.exact[trigger.text];
      if (ids.empty() || ids.back() != id) ids.push_back(id);
    }
  }
}

void WatchSet::Candidates(const Document& document, bool accents, const Index& index,
                          std::vector<char>& candidate) const {
  if (index.exact.empty() && index.prefixes.empty()) return;
  const std::vector<std::string_view>& tokens = document.DistinctTokens(accents);
  for (const std::string_view token : tokens) {
    if (const auto it = index.exact.find(token); it != index.exact.end()) {
      for (const uint32_t id : it->second) candidate[id] = 1;
    }
  }
  // Both sorted: the first token at or after each prefix only moves forward.
  size_t t = 0;
  for (size_t p = 0; p < index.prefixes.size(); ++p) {
    const auto& [prefix, id] = index.prefixes[p];
    t = document.SkipBelow(t, prefix, index.prefix_leading[p], accents);
    if (t < tokens.size() && tokens[t].starts_with(prefix)) candidate[id] = 1;
  }
}

std::vector<size_t> WatchSet::Match(const Document& document) const {
  std::vector<char> candidate(queries_.size(), 0);
  Candidates(document, /*accents=*/false, plain_, candidate);
  Candidates(document, /*accents=*/true, accents_, candidate);
  for (const uint32_t id : always_) candidate[id] = 1;
  std::vector<size_t> matched;
  for (size_t id = 0; id < queries_.size(); ++id) {
    if (candidate[id] != 0 && queries_[id]->Matches(document)) matched.push_back(id);
  }
  return matched;
}

}  // namespace feedwatch::filters
