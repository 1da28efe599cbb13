// The stories one watch alerted on within the story window, indexed so that finding the one a
// new item belongs to costs in proportion to the stories that share a word pair with it, not
// to every story of the last 72 hours.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "store/store.h"

namespace feedwatch::daemon {

class StoryIndex {
 public:
  // Stories matched more than `window` before the time given to Find are not found.
  explicit StoryIndex(Seconds window) : window_(window) {}

  // A story head, as recorded: by a poll's commit, or read from the store.
  void Add(const store::StoryHead& head);

  // The story an item with this canonical URL (may be empty) and headline words
  // (filters::HeadlineWords) belongs to: the latest head within the window at `now` with the
  // same canonical URL or a headline at least filters::kSameStory alike; its match id.
  std::optional<std::int64_t> Find(const std::string& canonical_url,
                                   const std::vector<std::string>& words, TimePoint now);

 private:
  struct Entry {
    std::int64_t match_id = 0;
    TimePoint matched_at;
    std::vector<std::string> words;
    std::vector<std::string> pairs;  // filters::HeadlinePairs(words)
    std::string canonical_url;
  };

  void Index(size_t entry);
  // Drops the entries out of the window at `now`, each time the index has doubled since it last
  // did: amortised O(1) an Add.
  void Prune(TimePoint now);

  Seconds window_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> by_url_;  // the latest entry with that URL
  std::unordered_map<std::string, std::vector<size_t>> by_pair_;
  std::vector<size_t> short_;  // headlines of fewer than two words: compared on words
  size_t live_after_prune_ = 0;
};

}  // namespace feedwatch::daemon
