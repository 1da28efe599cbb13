// From a parsed feed to what is to be recorded and delivered, as plain values: no network, no
// database, no clock of its own. For every item it decides
//   its key (feeds::ItemKey) -> new, seen or edited (against what the store knows) ->
//   before the look-back cut-off or not -> the watches it matches, with the hits and snippet
//   -> the story each match belongs to (a watch alerts once per story) -> when each notifier's
//   delivery falls due (now, or its digest's time).
// The engine commits the result (store::Store::CommitPoll) and adds the new story heads to the
// StoryIndexes; `feedwatch test-filter` runs the same pipeline, so what it shows is what the
// daemon would do.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "daemon/story_index.h"
#include "feeds/feed.h"
#include "filters/watch_set.h"
#include "store/store.h"

namespace feedwatch::daemon {

// How far back a new match looks for the story it may belong to.
inline constexpr Seconds kStoryWindow{72 * 3600};

// The summary an item keeps for alerts, at most, in bytes.
inline constexpr size_t kSummaryBytes = 600;

// What the store knows of a feed's items: each known key's content hash ("" for items recorded
// before hashes were kept, which count as unchanged).
using KnownItems = std::unordered_map<std::string, std::string>;

// The stories each watch alerted on within kStoryWindow, by watch name. A watch's index is read
// (through `load`, from the store) when an item first matches it, so a cycle in which nothing
// matches reads no story at all. Each index knows the last number of its watch's story
// sequence that it holds: a commit numbers new heads after it, and when another instance took
// that number first (Error::Conflict), Refresh reads the heads recorded since.
class StoryIndexes {
 public:
  // A watch's story heads since a time with a sequence number above `after_seq`.
  using Loader = std::function<Result<store::StoryHeads>(const std::string& watch, TimePoint since,
                                                         std::int64_t after_seq)>;
  // Without a loader every watch starts with no stories.
  explicit StoryIndexes(Loader load = nullptr) : load_(std::move(load)) {}

  // A head a commit recorded. A watch whose index is not read yet reads it from the store then.
  void Add(const store::StoryHead& head);
  // The story (its first match id) that an item with this canonical URL and title belongs to
  // for `watch`, if any.
  Result<std::optional<std::int64_t>> Find(const std::string& watch,
                                           const std::string& canonical_url,
                                           const std::string& title, TimePoint now);
  // Reads the heads of every watch read so far that were recorded after those it holds.
  Status Refresh(TimePoint now);
  // The last story number each watch read so far holds: CommitPoll's `last_seq`.
  std::map<std::string, std::int64_t> LastSeqs() const;

 private:
  struct Watch {
    StoryIndex index{kStoryWindow};
    std::int64_t last_seq = 0;
  };
  Status Load(const std::string& name, Watch& watch, TimePoint now);

  Loader load_;
  std::unordered_map<std::string, Watch> by_watch_;
};

enum class ItemFate : std::uint8_t {
  kSeen,            // known and unchanged: recorded as seen, not matched
  kNew,             // matched; its matches alert
  kEdited,          // known, its text changed: matched again; a watch it newly matches alerts
  kBeforeLookback,  // new on a feed's first poll but published before the look-back: not matched
};

struct PipelineResult {
  // One per parsed item, in feed order; each new or edited item's matches.
  std::vector<store::ItemRecord> records;
  std::vector<ItemFate> fates;  // parallel to records
  size_t items = 0;             // records of the feed's items, the first ones: summaries follow
  int new_items = 0;            // kNew and kBeforeLookback
  int new_alerts = 0;           // matches of new items that start a story, summaries included
  // Matches past the feed's max_alerts: recorded without deliveries, and told in one summary
  // record per watch at the end of `records` (SummaryKey).
  int held_alerts = 0;
  // Items not looked at because the poll's matching budget was spent: the last ones of the
  // feed, not in `records`, so that the next poll reads them as new.
  int unread = 0;
};

// The key of the record that sums up a watch's held alerts of one poll.
std::string SummaryKey(const std::string& watch, TimePoint now);

class ItemPipeline {
 public:
  // `config` (its watches and notifiers) must outlive the pipeline.
  explicit ItemPipeline(const config::Config& config);

  // Each item's key, in feed order: what to ask the store about.
  static std::vector<std::string> Keys(const feeds::Feed& feed);

  struct Input {
    const config::FeedConfig& feed_config;
    const feeds::Feed& feed;
    const std::vector<std::string>& keys;  // Keys(feed)
    const KnownItems& known;
    bool first_success = false;  // the feed was never polled successfully: look-back applies
    TimePoint now;
    // Whether the matching budget is spent, asked after each item (null: never); the items
    // after it are left unread.
    std::function<bool()> out_of_time = nullptr;
    // The main text of each item's web page (fetch_articles), parallel to feed.items; "" or
    // empty: none.
    std::span<const std::string> articles = {};
  };
  // `stories` is read, not changed: heads are added once the result is committed. Errors: those
  // of reading a watch's stories.
  Result<PipelineResult> Run(const Input& input, StoryIndexes& stories) const;

 private:
  void HoldPastMaxAlerts(const Input& input, PipelineResult& result) const;

  const config::Config& config_;
  filters::WatchSet watches_;  // config_.watches, indexed
};

}  // namespace feedwatch::daemon
