#include "filters/watch_set.h"

#include <algorithm>
#include <optional>

namespace feedwatch::filters {

void WatchSet::Add(const Query* query) {
  needs_accent_folding_ = needs_accent_folding_ || query->fold_accents();
  fields_ |= query->fields();
  Lexicon& lexicon = query->fold_accents() ? accents_ : plain_;
  Watch& watch = watches_.emplace_back();
  watch.query = query;
  const Lexicon& own = query->lexicon();
  watch.places.reserve(own.size());
  for (uint32_t i = 0; i < own.size(); ++i) watch.places.push_back(lexicon.Add(own[i]));
  const std::optional<std::vector<Query::Trigger>> triggers = query->Triggers();
  if (!triggers) {
    watch.always = true;
    return;
  }
  for (const Query::Trigger& trigger : *triggers) watch.triggers.push_back(lexicon.Add(trigger));
}

std::vector<size_t> WatchSet::Match(const Document& document) const {
  // Every word of every watch at once: one pass over the document's words, which is what
  // finding the watches with a trigger in it costs anyway.
  const Resolution plain(plain_, document, /*accents=*/false, /*all_at_once=*/true);
  const std::optional<Resolution> accents =
      needs_accent_folding_
          ? std::make_optional<Resolution>(accents_, document, /*accents=*/true, true)
          : std::nullopt;
  std::vector<size_t> matched;
  for (size_t id = 0; id < watches_.size(); ++id) {
    const Watch& watch = watches_[id];
    const Resolution& resolution = watch.query->fold_accents() ? *accents : plain;
    const bool candidate =
        watch.always || std::any_of(watch.triggers.begin(), watch.triggers.end(),
                                    [&](uint32_t t) { return !resolution.Postings(t).empty(); });
    if (candidate && watch.query->Matches(resolution, watch.places)) matched.push_back(id);
  }
  return matched;
}

}  // namespace feedwatch::filters
