// The durable state of feedwatch: feeds' poll state, the items seen in each feed, the matches,
// and the delivery outbox. Two implementations share one schema history (store/schema.h):
// SQLite in one file (the default: one instance) and PostgreSQL (several instances on one
// database, coordinating through row locks: docs/scaling.md).
//
// Invariants:
// - An item is in `items` only after a poll that saw it committed; its matches and their
//   deliveries are committed in that same transaction. A crash redoes the whole feed or none of
//   it, so a match is never lost and never recorded twice.
// - A (watch, item) pair is matched at most once; a (match, notifier) pair has one delivery.
//
// - Several instances may share a PostgreSQL store. A feed is polled by the instance holding its
//   lease (ClaimFeeds), a delivery sent by the one holding its lease (DueDeliveries); a story
//   head takes the next number of its watch's story sequence, unique per watch, so two
//   instances that see one story at once cannot both alert on it (CommitPoll's kConflict).
//
// - A field's encoding is the store's: hits, other feeds and a delivery's state are data here,
//   whatever text the tables hold them as.
//
// Threading: one thread uses a Store. Errors are Error::Io with the database's message, and
// Error::Conflict as CommitPoll says.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/coordination.h"

namespace feedwatch::store {

// When a feed's items were published, counted by the hour: what its publishing rate is
// estimated from (daemon/publishing_rate.h). The store keeps it with the feed.
struct PublishingHistory {
  struct Hour {
    std::int32_t hour = 0;   // Unix time / 3600
    std::int32_t items = 0;  // published in it
    bool operator==(const Hour&) const = default;
  };
  // From when the counts cover the feed's items; nullopt: nothing read yet.
  std::optional<TimePoint> since;
  std::vector<Hour> hours;  // oldest first, each hour once, none empty
  bool operator==(const PublishingHistory&) const = default;
};

// What a feed says of its own schedule, as the last poll that parsed it read it.
struct ScheduleHints {
  std::optional<Seconds> fresh_for;  // the longer of RSS <ttl> and sy:updatePeriod
  std::uint32_t skip_hours = 0;      // feeds::Feed's
  std::uint8_t skip_days = 0;
  bool operator==(const ScheduleHints&) const = default;
};

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
  std::string moved_to;     // where a permanent redirect leads; empty when none
  bool gone = false;        // answered 410 Gone: not polled until its URL changes
  std::string lease_owner;  // the instance polling it now; empty when none
  std::optional<TimePoint> lease_until;
  // What the last poll that read articles made of them (PollRecord::articles); "" when none did.
  std::string last_articles;
  PublishingHistory history;
  // Kept in the store, so that whichever instance polls the feed next knows them.
  ScheduleHints hints;
  // How long the last poll waited past its due time for a transfer slot (per_host,
  // concurrency).
  Seconds slot_wait{0};
};

// Where a watch's terms hit an item, in reading order.
struct Hit {
  std::string field;  // filters::FieldName
  std::string term;   // as the query writes it
  std::string text;   // as the item writes it
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
  // fetch_articles: "4 read, 1 failed (HTTP 404: https://...)"; kept from the last poll that
  // read articles when empty.
  std::string articles;
  // Replaces the feed's when set (a poll that read its items).
  std::optional<PublishingHistory> history;
  // Replace the feed's when set (a poll that parsed the feed).
  std::optional<ScheduleHints> hints;
  Seconds slot_wait{0};  // FeedState::slot_wait
};

struct MatchRecord {
  std::string watch;
  std::vector<std::string> notifiers;  // one delivery is enqueued for each
  // When a notifier's delivery falls due (a digest's time); absent: at the poll.
  std::map<std::string, TimePoint> due_at;
  std::string terms;      // which terms hit where (filters::Explanation::Summary)
  std::vector<Hit> hits;  // the same as data
  std::string snippet;    // words around the first hit, hits marked **like this**
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
  std::int64_t seq = 0;  // its number in the watch's story sequence
  std::string watch;
  std::string title;
  std::string canonical_url;
  TimePoint matched_at;
};

// Another feed's first report of a story.
struct StoryReport {
  std::string feed;
  TimePoint at;  // AlertOrigin of its item: published, or first seen
  bool operator==(const StoryReport&) const = default;
};

// A story a watch alerted on, with the other feeds that reported it.
struct StoryMatch {
  std::int64_t id = 0;  // the match id of the story's first match: stable
  std::string watch;
  std::string feed;
  std::string title;
  std::string link;
  TimePoint matched_at;
  std::vector<StoryReport> also_reported_by;  // in the order they reported it
  std::optional<TimePoint> published;
  std::string snippet;  // marked **like this**
  std::string lede;     // the item's summary, with the hits of its matches **marked**
};

// How many stories a watch alerted on in one UTC day.
struct DayCount {
  std::string watch;
  TimePoint day;  // its midnight
  int stories = 0;
};

enum class DeliveryState { kPending, kSent, kDead };
// "pending", "sent", "dead": as `feedwatch outbox` prints it.
std::string_view DeliveryStateName(DeliveryState state);

// A delivery joined with what it is about: everything a notifier needs to render it.
struct Delivery {
  std::int64_t id = 0;
  std::string notifier;
  DeliveryState state = DeliveryState::kPending;
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
  std::vector<Hit> hits;  // MatchRecord::hits
  std::string snippet;
  std::int64_t story = 0;                     // the match id of the story's first match
  std::int64_t item = 0;                      // the item matched: one message per item
  std::vector<std::string> also_reported_by;  // other feeds' matches linked to it, so far
};

// Where an alert's latency counts from: the item's publication, or the poll that first saw it
// (`matched_at`) when its date is missing or later than that.
inline TimePoint AlertOrigin(std::optional<TimePoint> published, TimePoint matched_at) {
  return published && *published <= matched_at ? *published : matched_at;
}

// Messages a notifier sent in a window, for its rate limit.
struct SentMessages {
  int count = 0;
  std::optional<TimePoint> oldest;  // when the first of them was sent
};

// A watch's story heads since a time, and the last number of its story sequence (0: none yet).
struct StoryHeads {
  std::vector<StoryHead> heads;
  std::int64_t last_seq = 0;
};

// A feed as the configuration names it.
struct FeedRef {
  std::string name;
  std::string url;
};

// What Coordination::ClaimFeeds found for one feed.
struct FeedClaim {
  std::string name;
  bool claimed = false;  // the caller holds its lease now
  // Claimed: the feed's state as recorded, as it applies to the configured URL (another
  // instance may have polled it last); absent when there is nothing to learn (one instance).
  std::optional<FeedState> state;
  // Not claimed: when to ask again (its next due time, or when another's lease ends).
  TimePoint retry_at;
};

// An instance that runs on the store, as its heartbeats say.
struct InstanceInfo {
  std::string id;  // "host:pid" unless configured
  TimePoint started_at;
  TimePoint last_seen_at;
  std::string config_hash;  // of the watches and notifiers it runs
  std::string version;
  std::vector<std::string> hosts;  // whose feeds it polls (Coordination::HoldHosts), sorted
};

// One table's rows as text (a null cell: nullopt), for `feedwatch store copy`.
struct TableRows {
  std::string table;
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

class Store {
 public:
  static constexpr int kSchemaVersion = 14;
  // The tables `feedwatch store copy` moves, parents first.
  static constexpr std::array<std::string_view, 5> kTables = {"meta", "feeds", "items", "matches",
                                                              "deliveries"};

  // Opens or creates the SQLite database at `file` and migrates it to kSchemaVersion. Refuses
  // a database whose schema is newer than this build.
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& file);
  // Opens the store at `url`: a libpq connection URI ("postgresql://…" or "postgres://…"),
  // with `password` (may be empty: the URI's, or libpq's usual sources) — or "sqlite:PATH" or a
  // plain path, a SQLite file. Migrates it as Open does.
  static Result<std::unique_ptr<Store>> Connect(std::string_view url, std::string_view password);
  // Every table of `from` written into `to`, which must be empty (WriteTables), in one
  // transaction; returns what was copied (`feedwatch store copy`, `--dry-run`).
  static Result<std::vector<TableRows>> Copy(Store& from, Store& to);
  // A new SQLite database in memory, gone when the Store is (`--dry-run` works on one).
  static Result<std::unique_ptr<Store>> OpenInMemory();
  // The SQLite database at `file`, only to read (`--dry-run` copies it): it must exist and have
  // the current schema; any write fails.
  static Result<std::unique_ptr<Store>> OpenReadOnly(const std::filesystem::path& file);
  // The PostgreSQL database at `url`, only to read: every transaction is read-only and the
  // schema is not migrated. NotFound when feedwatch never ran on it; Io when its schema is
  // another version than this build's.
  static Result<std::unique_ptr<Store>> ConnectReadOnly(std::string_view url,
                                                        std::string_view password);

  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // "sqlite" or "postgresql".
  virtual std::string_view backend() const = 0;
  // How the instances on this store share its work; one instance on SQLite. Lives as long as
  // the Store.
  virtual Coordination& coordination() = 0;
  // Where it is, without a password: for messages.
  virtual std::string location() const = 0;

  // Who this process is to the store: the id its leases and heartbeats carry, and the hash of
  // the configuration it runs (watches, notifiers). Set before the first ClaimFeeds.
  void SetInstance(std::string id, std::string config_hash, std::string version) {
    instance_ = {std::move(id), {}, {}, std::move(config_hash), std::move(version), {}};
  }
  const std::string& instance() const { return instance_.id; }

  // The state of `feed` (default values when it was never polled). With `url`, the feed's
  // configured URL: what was learnt about another URL (validators, the body hash, a permanent
  // redirect, 410 Gone) is left out, as the next write forgets it.
  virtual Result<FeedState> GetFeedState(std::string_view feed, std::string_view url = {}) = 0;

  // GetFeedState(feed.name, feed.url) of each of `feeds`, in order: one read of every feed
  // (100,000 feeds would be as many round trips to a server), and one more for each feed whose
  // configured URL is not the one its row holds.
  virtual Result<std::vector<FeedState>> GetFeedStates(const std::vector<FeedRef>& feeds) = 0;

  // Every feed the store knows, by name.
  virtual Result<std::vector<FeedState>> ListFeeds() = 0;

  // Of `keys`, those the feed has recorded, each with its content hash as last recorded (empty
  // for items recorded before hashes were kept).
  virtual Result<std::unordered_map<std::string, std::string>> KnownItems(
      std::string_view feed, const std::vector<std::string>& keys) = 0;

  // One transaction: records a successful poll of `feed` (configured at `url`), remembers
  // every item as seen (with its latest content hash), and records the matches given for any
  // item, new or edited, enqueueing deliveries (due at `poll.at`) for those that are new: a
  // watch that matched an item before never matches it again. Returns the new matches that
  // send alerts: the heads of new stories, in the order recorded. Ends the feed's lease.
  //
  // Each new head of watch W takes the next number of W's story sequence after
  // `last_seq[W]` (0 when absent): the heads the caller compared its items with. When another
  // writer took that number first, nothing is recorded and the error is Conflict: read W's
  // new heads (RecentStories), decide the items' stories again, and commit again.
  virtual Result<std::vector<StoryHead>> CommitPoll(
      std::string_view feed, std::string_view url, const PollRecord& poll,
      const std::vector<ItemRecord>& items,
      const std::map<std::string, std::int64_t>& last_seq) = 0;

  // Records polls that brought no items to read: not modified, the same body, a failure
  // (`poll.error` set: consecutive failures count up) or 410 Gone, in one transaction, in
  // order (a feed may be there twice). Ends each feed's lease. A busy instance records them
  // five seconds' worth at a time (daemon/poll_records.h): one commit, not one a poll.
  struct FeedPoll {
    std::string feed;
    std::string url;  // as configured
    PollRecord poll;
  };
  virtual Status RecordPolls(const std::vector<FeedPoll>& polls) = 0;
  Status RecordPoll(std::string_view feed, std::string_view url, const PollRecord& poll) {
    return RecordPolls({{std::string(feed), std::string(url), poll}});
  }

  // Forgets the items last seen before `cutoff` that were absent when their feed's items were
  // last read (a 304 or an unchanged body reads none), with their matches and deliveries.
  // Returns how many.
  virtual Result<int> ForgetItemsSeenBefore(TimePoint cutoff) = 0;

  // For the daemon's status line.
  virtual Result<int> CountMatchesSince(TimePoint since) = 0;
  struct OutboxCounts {
    int pending = 0;
    int dead = 0;
  };
  virtual Result<OutboxCounts> CountDeliveries() = 0;
  // What the outbox holds for each notifier that has deliveries, by name (feedwatch status).
  struct NotifierOutbox {
    std::string notifier;
    int pending = 0;
    int dead = 0;
    std::optional<TimePoint> oldest_pending;  // when the oldest pending delivery first fell due
    std::optional<TimePoint> last_sent;
  };
  virtual Result<std::vector<NotifierOutbox>> NotifierOutboxes() = 0;
  // How long each alert sent at or after `since` took, from its item's publication (or the
  // poll that first saw it, when the item has no date or a date after that) to being sent.
  struct AlertLatency {
    std::string feed;
    std::string notifier;
    Seconds latency{0};
  };
  virtual Result<std::vector<AlertLatency>> AlertLatencies(TimePoint since) = 0;

  // A small write, to learn whether the database still takes them (for /healthz); on a store
  // several instances share, it is this instance's heartbeat (Coordination::Instances) as well,
  // and reads the live instances back in the same round trip: Coordination::Instances and
  // HoldHosts asked within a second of it answer from that read. `polls` are recorded with it
  // as RecordPolls does (on PostgreSQL in the same statement, each feed's last poll: an
  // instance's round is one round trip, and a failed statement writes neither); polls written
  // in statements of their own do not keep the heartbeat from being written. The first error
  // is returned, and after one the polls may or may not be written: RecordPolls writes them
  // again, the same rows.
  virtual Status Heartbeat(TimePoint now, const std::vector<FeedPoll>& polls) = 0;
  Status Heartbeat(TimePoint now) { return Heartbeat(now, {}); }

  // Every story matched at or after `since`, newest first.
  virtual Result<std::vector<StoryMatch>> StoriesSince(TimePoint since) = 0;
  // Stories matched at or after `since`, counted per watch per UTC day.
  virtual Result<std::vector<DayCount>> CountStoriesByDay(TimePoint since) = 0;
  // The `limit` latest stories of `watch`, newest first.
  virtual Result<std::vector<StoryMatch>> LatestStories(std::string_view watch, int limit) = 0;

  // The story heads of `watch` matched at or after `since` whose sequence number is above
  // `after_seq`, oldest first, and the watch's last sequence number.
  virtual Result<StoryHeads> RecentStories(std::string_view watch, TimePoint since,
                                           std::int64_t after_seq = 0) = 0;

  // This database's id: 16 random hex digits made when it was created.
  virtual Result<std::string> InstanceId() = 0;

  // Takes the lease, until `until`, of the pending deliveries due at or before `now` that no
  // other instance holds, and returns them: at most `limit` units (a message tried before, with
  // all its deliveries, or one delivery), taken fairly across feeds (each feed's oldest unit,
  // then each feed's second...), in that order. Each change below
  // ends the lease of the deliveries it names.
  virtual Result<std::vector<Delivery>> DueDeliveries(TimePoint now, int limit,
                                                      TimePoint until) = 0;
  // Deliveries not sent (pending and dead), or with `all` every one, oldest first.
  virtual Result<std::vector<Delivery>> ListDeliveries(bool all) = 0;

  // Each change below applies to every delivery in `ids` in one transaction.
  // Names the message the deliveries go out in; it stays theirs through retries.
  virtual Status AssignMessage(const std::vector<std::int64_t>& ids,
                               std::string_view message_id) = 0;
  virtual Status MarkSent(const std::vector<std::int64_t>& ids, TimePoint now) = 0;
  // A failed attempt: counted, and the next one due at `next_attempt`.
  virtual Status MarkFailed(const std::vector<std::int64_t>& ids, TimePoint next_attempt,
                            std::string_view error) = 0;
  // Given up: kept, listed by `feedwatch outbox`, never attempted unless retried.
  virtual Status MarkDead(const std::vector<std::int64_t>& ids, std::string_view error) = 0;
  // Not attempted now (a rate limit): due again at `next_attempt`, no attempt counted.
  virtual Status Defer(const std::vector<std::int64_t>& ids, TimePoint next_attempt) = 0;
  // `notifier`'s server answers again: of its pending deliveries waiting on a retry after `now`,
  // those in `ids` (empty: every one) are due at once, each at the time it first fell due, so
  // that they go out oldest first. Deliveries due later by design (a digest's time) stay.
  // Returns the ids brought forward.
  virtual Result<std::vector<std::int64_t>> BringForward(std::string_view notifier,
                                                         const std::vector<std::int64_t>& ids,
                                                         TimePoint now) = 0;

  // Makes a pending or dead delivery due at `now` as if new (attempts 0, age from now), in its
  // message of before. NotFound when there is no such delivery; InvalidInput when it was sent.
  virtual Status Retry(std::int64_t id, TimePoint now) = 0;
  // The same for every dead delivery; returns how many.
  virtual Result<int> RetryDead(TimePoint now) = 0;

  // Distinct messages `notifier` sent at or after `since`.
  virtual Result<SentMessages> SentMessagesSince(std::string_view notifier, TimePoint since) = 0;

  // For `feedwatch store copy`: every row of `table` (one of kTables), by id.
  virtual Result<TableRows> ReadTable(std::string_view table) = 0;
  // Writes every table of `tables` into this store, which must hold no feeds, items, matches
  // or deliveries, in one transaction; ids are kept.
  virtual Status WriteTables(const std::vector<TableRows>& tables) = 0;

 protected:
  Store() = default;
  InstanceInfo instance_;
};

}  // namespace feedwatch::store
