// The durable state of feedwatch in one SQLite file: feeds' poll state, the items seen in each
// feed, the matches, and the delivery outbox.
//
// Invariants:
// - An item is in `items` only after a poll that saw it committed; its matches and their
//   deliveries are committed in that same transaction. A crash redoes the whole feed or none of
//   it, so a match is never lost and never recorded twice.
// - A (watch, item) pair is matched at most once; a (match, notifier) pair has one delivery.
//
// Threading: one thread uses a Store. Errors are Error::Io with SQLite's message.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace feedwatch::store {

struct FeedState {
  std::string name;
  std::string url;  // as configured
  std::optional<TimePoint> last_attempt_at;
  std::optional<TimePoint> last_success_at;  // nullopt: never polled successfully
  std::optional<TimePoint> next_due_at;
  int consecutive_failures = 0;
  // The last fetch's result as daemon::StatusText wrote it: "200", "304 not modified",
  // "200 unchanged", "410 gone", "HTTP 500", "timeout", "network error", "too large",
  // "unreadable", "not stored".
  std::string last_status;
  std::string last_error;  // empty after a success
  std::string etag;
  std::string last_modified;
  std::string body_hash;
  std::string moved_to;  // where a permanent redirect leads; empty when none
  bool gone = false;     // answered 410 Gone: not polled until its URL changes
};

// What one poll of a feed found, besides items.
struct PollRecord {
  TimePoint at;
  TimePoint next_due;
  std::string status;
  std::string error;  // empty: the poll succeeded
  // Kept from the last success when empty.
  std::string etag;
  std::string last_modified;
  std::string body_hash;
  std::string moved_to;  // set to record a permanent redirect
  bool gone = false;
};

struct MatchRecord {
  std::string watch;
  std::vector<std::string> notifiers;  // one delivery is enqueued for each
  // When a notifier's delivery falls due (a digest's time); absent: at the poll.
  std::map<std::string, TimePoint> due_at;
  std::string terms;  // which terms hit where (filters::Explanation::Summary)
  // The same as data: a JSON array of {"field", "term", "text"}, in reading order.
  std::string hits;
  std::string snippet;  // words around the first hit, hits marked **like this**
  // The first match of the same story for this watch: recorded and linked, nothing is sent.
  std::optional<std::int64_t> story_of;
};

struct ItemRecord {
  std::string key;  // feeds::ItemKey
  std::string title;
  std::string link;
  std::string canonical_url;   // feeds::CanonicalUrl of the link
  std::string content_hash;    // of the text the item was matched on
  std::string summary;         // plain text, for webhooks; kept short
  std::string summary_marked;  // the same with every hit of the item's matches **marked**
  std::optional<TimePoint> published;
  std::vector<MatchRecord> matches;  // recorded only if the item is new to the feed
};

// The first match of a story: what later items are compared with.
struct StoryHead {
  std::int64_t match_id = 0;
  std::string watch;
  std::string title;
  std::string canonical_url;
  TimePoint matched_at;
};

// A story a watch alerted on, with the other feeds that reported it.
struct StoryMatch {
  std::int64_t id = 0;  // the match id of the story's first match: stable
  std::string watch;
  std::string feed;
  std::string title;
  std::string link;
  TimePoint matched_at;
  std::vector<std::string> also_reported_by;  // feed names, in the order they reported it
  std::optional<TimePoint> published;
  std::string snippet;  // marked **like this**
};

// A delivery joined with what it is about: everything a notifier needs to render it.
struct Delivery {
  std::int64_t id = 0;
  std::string notifier;
  std::string state;  // "pending", "sent" or "dead"
  int attempts = 0;
  TimePoint first_due_at;
  TimePoint next_attempt_at;
  std::string last_error;
  std::string message_id;  // empty until the first attempt
  std::string watch;
  std::string feed;
  std::string title;
  std::string link;
  std::optional<TimePoint> published;
  TimePoint matched_at;
  std::string summary;
  std::string summary_marked;
  std::string terms;
  std::string hits;  // MatchRecord::hits
  std::string snippet;
  std::int64_t story = 0;                     // the match id of the story's first match
  std::int64_t item = 0;                      // the item matched: one message per item
  std::vector<std::string> also_reported_by;  // other feeds' matches linked to it, so far
};

// Messages a notifier sent in a window, for its rate limit.
struct SentMessages {
  int count = 0;
  std::optional<TimePoint> oldest;  // when the first of them was sent
};

class Store {
 public:
  static constexpr int kSchemaVersion = 8;

  // Opens or creates the database at `file` and migrates it to kSchemaVersion. Refuses a
  // database whose schema is newer than this build.
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& file);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The state of `feed` (default values when it was never polled).
  Result<FeedState> GetFeedState(std::string_view feed);

  // Every feed the store knows, by name.
  Result<std::vector<FeedState>> ListFeeds();

  // Of `keys`, those the feed has recorded, each with its content hash as last recorded (empty
  // for items recorded before hashes were kept).
  Result<std::unordered_map<std::string, std::string>> KnownItems(
      std::string_view feed, const std::vector<std::string>& keys);

  // One transaction: records a successful poll of `feed` (configured at `url`), remembers
  // every item as seen (with its latest content hash), and records the matches given for any
  // item, new or edited, enqueueing deliveries (due at `poll.at`) for those that are new: a
  // watch that matched an item before never matches it again. Returns the new matches that
  // send alerts: the heads of new stories, in the order recorded.
  Result<std::vector<StoryHead>> CommitPoll(std::string_view feed, std::string_view url,
                                            const PollRecord& poll,
                                            const std::vector<ItemRecord>& items);

  // Records a poll that brought no items to read: not modified, the same body, a failure
  // (`poll.error` set: consecutive failures count up) or 410 Gone.
  Status RecordPoll(std::string_view feed, std::string_view url, const PollRecord& poll);

  // Forgets the items last seen before `cutoff` that were absent when their feed's items were
  // last read (a 304 or an unchanged body reads none), with their matches and deliveries.
  // Returns how many.
  Result<int> ForgetItemsSeenBefore(TimePoint cutoff);

  // For the daemon's status line.
  Result<int> CountMatchesSince(TimePoint since);
  struct OutboxCounts {
    int pending = 0;
    int dead = 0;
  };
  Result<OutboxCounts> CountDeliveries();

  // A small write, to learn whether the database still takes them (for /healthz).
  Status Heartbeat(TimePoint now);

  // Every story matched at or after `since`, newest first.
  Result<std::vector<StoryMatch>> StoriesSince(TimePoint since);
  // The `limit` latest stories of `watch`, newest first.
  Result<std::vector<StoryMatch>> LatestStories(std::string_view watch, int limit);

  // The stories `watch` matched at or after `since` (first matches only), oldest first.
  Result<std::vector<StoryHead>> RecentStories(std::string_view watch, TimePoint since);

  // This database's instance id: 16 random hex digits made when it was created.
  Result<std::string> InstanceId();

  // Pending deliveries due at or before `now`, oldest first, at most `limit`.
  Result<std::vector<Delivery>> DueDeliveries(TimePoint now, int limit);
  // Deliveries not sent (pending and dead), or with `all` every one, oldest first.
  Result<std::vector<Delivery>> ListDeliveries(bool all);

  // Each change below applies to every delivery in `ids` in one transaction.
  // Names the message the deliveries go out in; it stays theirs through retries.
  Status AssignMessage(const std::vector<std::int64_t>& ids, std::string_view message_id);
  Status MarkSent(const std::vector<std::int64_t>& ids, TimePoint now);
  // A failed attempt: counted, and the next one due at `next_attempt`.
  Status MarkFailed(const std::vector<std::int64_t>& ids, TimePoint next_attempt,
                    std::string_view error);
  // Given up: kept, listed by `feedwatch outbox`, never attempted unless retried.
  Status MarkDead(const std::vector<std::int64_t>& ids, std::string_view error);
  // Not attempted now (a rate limit): due again at `next_attempt`, no attempt counted.
  Status Defer(const std::vector<std::int64_t>& ids, TimePoint next_attempt);

  // Makes a pending or dead delivery due at `now` as if new (attempts 0, age from now), in its
  // message of before. NotFound when there is no such delivery; InvalidInput when it was sent.
  Status Retry(std::int64_t id, TimePoint now);
  // The same for every dead delivery; returns how many.
  Result<int> RetryDead(TimePoint now);

  // Distinct messages `notifier` sent at or after `since`.
  Result<SentMessages> SentMessagesSince(std::string_view notifier, TimePoint since);

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedwatch::store
