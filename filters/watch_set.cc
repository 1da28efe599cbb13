#include "filters/watch_set.h"

#include <algorithm>
#include <array>
#include <optional>

namespace feedwatch::filters {

void WatchSet::Add(const Query* query) {
  needs_accent_folding_ = needs_accent_folding_ || query->fold_accents();
  fields_ |= query->fields();
  const size_t mode = query->fold_accents() ? 1 : 0;
  Watch& watch = watches_.emplace_back();
  watch.query = query;
  const Lexicon& own = query->lexicon();
  watch.places.reserve(own.size());
  for (uint32_t i = 0; i < own.size(); ++i) watch.places.push_back(words_[mode].Add(own[i]));
  const std::optional<std::vector<Query::Trigger>> triggers = query->Triggers();
  if (!triggers) {
    watch.always = true;
    return;
  }
  const auto id = static_cast<uint32_t>(watches_.size() - 1);
  for (const Query::Trigger& trigger : *triggers) {
    const uint32_t index = triggers_[mode].Add(trigger);
    if (index == watches_of_[mode].size()) watches_of_[mode].emplace_back();
    std::vector<uint32_t>& ids = watches_of_[mode][index];
    if (ids.empty() || ids.back() != id) ids.push_back(id);
  }
}

std::vector<size_t> WatchSet::Match(const Document& document) const {
  // The candidates: the document's words against every watch's triggers, in one pass.
  std::vector<char> candidate(watches_.size(), 0);
  for (const size_t mode : {0, 1}) {
    triggers_[mode].ForEachIn(document, mode == 1, [&](uint32_t index, Lexicon::Postings) {
      for (const uint32_t id : watches_of_[mode][index]) candidate[id] = 1;
    });
  }
  std::vector<uint32_t> candidates;
  std::array<size_t, 2> candidate_words{};
  for (size_t id = 0; id < watches_.size(); ++id) {
    const Watch& watch = watches_[id];
    if (!watch.always && candidate[id] == 0) continue;
    candidates.push_back(static_cast<uint32_t>(id));
    candidate_words[watch.query->fold_accents() ? 1 : 0] += watch.query->lexicon().size();
  }
  // When the candidates' words are a good part of every watch's (watches that share their term
  // lists, and are all candidates), all are looked up at once and each candidate reads its
  // own from there; else (many watches of a few words, a few of them candidates) each
  // candidate looks up its own, as few as it needs.
  std::array<std::optional<Resolution>, 2> shared;
  for (const size_t mode : {0, 1}) {
    if (candidate_words[mode] > 0 && 2 * candidate_words[mode] >= words_[mode].size()) {
      shared[mode].emplace(words_[mode], document, mode == 1, /*all_at_once=*/true);
    }
  }
  std::vector<size_t> matched;
  for (const uint32_t id : candidates) {
    const Watch& watch = watches_[id];
    const std::optional<Resolution>& words = shared[watch.query->fold_accents() ? 1 : 0];
    if (words ? watch.query->Matches(*words, watch.places) : watch.query->Matches(document)) {
      matched.push_back(id);
    }
  }
  return matched;
}

}  // namespace feedwatch::filters
