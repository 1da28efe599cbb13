#include "daemon/story_index.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "filters/headline.h"

namespace feedwatch::daemon {
namespace {

// Whether entry `a` was matched after `b` (ties: the later match id).
template <typename Entry>
bool Later(const Entry& a, const Entry& b) {
  return a.matched_at != b.matched_at ? a.matched_at > b.matched_at : a.match_id > b.match_id;
}

}  // namespace

void StoryIndex::Add(const store::StoryHead& head) {
  Prune(head.matched_at);
  Entry& entry = entries_.emplace_back();
  entry.match_id = head.match_id;
  entry.matched_at = head.matched_at;
  entry.words = filters::HeadlineWords(head.title);
  entry.pairs = filters::HeadlinePairs(entry.words);
  entry.canonical_url = head.canonical_url;
  Index(entries_.size() - 1);
}

void StoryIndex::Index(size_t index) {
  const Entry& entry = entries_[index];
  if (!entry.canonical_url.empty()) {
    const auto [it, inserted] = by_url_.try_emplace(entry.canonical_url, index);
    if (!inserted && Later(entry, entries_[it->second])) it->second = index;
  }
  if (entry.words.size() < 2) short_.push_back(index);
  for (const std::string& pair : entry.pairs) by_pair_[pair].push_back(index);
}

void StoryIndex::Prune(TimePoint now) {
  if (entries_.size() < 2 * std::max<size_t>(live_after_prune_, 64)) return;
  const TimePoint since = now - window_;
  std::vector<Entry> live;
  for (Entry& entry : entries_) {
    if (entry.matched_at >= since) live.push_back(std::move(entry));
  }
  entries_ = std::move(live);
  by_url_.clear();
  by_pair_.clear();
  short_.clear();
  for (size_t i = 0; i < entries_.size(); ++i) Index(i);
  live_after_prune_ = entries_.size();
}

std::optional<std::int64_t> StoryIndex::Find(const std::string& canonical_url,
                                             const std::vector<std::string>& words, TimePoint now) {
  const TimePoint since = now - window_;
  const std::vector<std::string> pairs = filters::HeadlinePairs(words);
  const Entry* best = nullptr;
  const auto consider = [&](size_t index, bool same_url) {
    const Entry& entry = entries_[index];
    if (entry.matched_at < since || (best != nullptr && !Later(entry, *best))) return;
    const double similarity = words.size() >= 2 && entry.words.size() >= 2
                                  ? filters::Jaccard(pairs, entry.pairs)
                                  : filters::HeadlineSimilarity(words, entry.words);
    if (same_url || similarity >= filters::kSameStory) best = &entry;
  };
  if (!canonical_url.empty()) {
    if (const auto it = by_url_.find(canonical_url); it != by_url_.end()) {
      consider(it->second, true);
    }
  }
  if (words.size() < 2) {
    // Compared on words with every story: rare (a one-word headline), so not indexed.
    for (size_t i = 0; i < entries_.size(); ++i) consider(i, false);
    return best != nullptr ? std::optional(best->match_id) : std::nullopt;
  }
  for (const size_t i : short_) consider(i, false);
  // A story at least kSameStory alike shares at least t = floor(kSameStory * n) of the n word
  // pairs of the headline, so it holds one of any n - t + 1 of them: take the rarest, where
  // a pair no story has counts as the rarest of all.
  const size_t needed = std::max<size_t>(
      1, static_cast<size_t>(std::floor(filters::kSameStory * static_cast<double>(pairs.size()))));
  size_t prefix = pairs.size() - needed + 1;
  std::vector<const std::vector<size_t>*> postings;
  for (const std::string& pair : pairs) {
    if (const auto it = by_pair_.find(pair); it != by_pair_.end()) {
      postings.push_back(&it->second);
    } else if (prefix > 0) {
      --prefix;
    }
  }
  std::sort(postings.begin(), postings.end(),
            [](const auto* a, const auto* b) { return a->size() < b->size(); });
  std::unordered_set<size_t> seen;
  for (size_t p = 0; p < std::min(prefix, postings.size()); ++p) {
    for (const size_t i : *postings[p]) {
      if (seen.insert(i).second) consider(i, false);
    }
  }
  return best != nullptr ? std::optional(best->match_id) : std::nullopt;
}

}  // namespace feedwatch::daemon
