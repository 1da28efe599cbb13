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
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace feedwatch::store {

struct FeedState {
  std::optional<TimePoint> last_attempt_at;
  std::optional<TimePoint> last_success_at;  // nullopt: never polled successfully
  int consecutive_failures = 0;
  std::string last_error;
};

struct MatchRecord {
  std::string watch;
  std::vector<std::string> notifiers;  // one delivery is enqueued for each
  std::string terms;                   // which terms hit where (filters::Explanation::Summary)
  std::string snippet;                 // words around the first hit, hits marked **like this**
};

struct ItemRecord {
  std::string key;  // feeds::ItemKey
  std::string title;
  std::string link;
  std::optional<TimePoint> published;
  std::vector<MatchRecord> matches;  // recorded only if the item is new to the feed
};

// A delivery joined with what it is about: everything a notifier needs to render it.
struct Delivery {
  std::int64_t id = 0;
  std::string notifier;
  std::string watch;
  std::string feed;
  std::string title;
  std::string link;
  std::optional<TimePoint> published;
  TimePoint matched_at;
  std::string terms;
  std::string snippet;
  int attempts = 0;
};

class Store {
 public:
  static constexpr int kSchemaVersion = 3;

  // Opens or creates the database at `file` and migrates it to kSchemaVersion. Refuses a
  // database whose schema is newer than this build.
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& file);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Result<FeedState> GetFeedState(std::string_view feed);

  // The keys in `keys` that the feed has not recorded yet, in the given order.
  Result<std::vector<std::string>> UnseenKeys(std::string_view feed,
                                              const std::vector<std::string>& keys);

  // One transaction: records a successful poll of `feed`, remembers every item as seen, and
  // for the items new to the feed records their matches and enqueues their deliveries (due at
  // `now`). Returns the number of new matches.
  Result<int> CommitPoll(std::string_view feed, std::string_view url, TimePoint now,
                         const std::vector<ItemRecord>& items);

  // Records a failed poll of `feed` with the reason.
  Status RecordFailure(std::string_view feed, std::string_view url, TimePoint now,
                       std::string_view error);

  // Pending deliveries due at or before `now`, oldest first, at most `limit`.
  Result<std::vector<Delivery>> DueDeliveries(TimePoint now, int limit);
  Status MarkSent(std::int64_t delivery, TimePoint now);
  Status MarkFailed(std::int64_t delivery, TimePoint next_attempt, std::string_view error);

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedwatch::store
