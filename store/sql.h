// The SQL both stores run, written once: the column lists and the readers of their rows, the
// feed's upsert, the story-number loop of CommitPoll, the outbox's queries. What differs between
// SQLite and PostgreSQL is the small part below, which each store implements (Session):
// - parameters are written ?1, ?2... here; PostgreSQL's session writes them $1, $2...;
// - a set of ids is one parameter (Session::IdsIn): a JSON array for SQLite's json_each, an
//   array for PostgreSQL's ANY;
// - a row is read through Row, which a stepped sqlite3_stmt and a PGresult row implement;
// - transactions begin, commit and reach the disk each its own way (Session::Begin);
// - and what a dialect does its own way for speed (items in one statement on PostgreSQL), or
//   what only a shared store does (leases, claims, story locks), stays in its store.
//
// Invariants of the tables, as the stores keep them:
// - A delivery's state is one of the words of DeliveryStateName; a match's hits are a JSON
//   array of {"field", "term", "text"} ("" in matches recorded before schema 8).
// - What a feed's row learnt about its URL (kUrlBound in sql_store.cc) holds only while `url` is
// the
//   configured URL: every write of the row forgets it when the URL changes, and every read for
//   a configured URL leaves it out.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "store/internal.h"
#include "store/store.h"

namespace feedwatch::store {

// One row of a result, columns numbered from 0.
class Row {
 public:
  virtual bool Null(int column) const = 0;
  virtual std::int64_t Int(int column) const = 0;
  virtual std::string Text(int column) const = 0;
  std::optional<TimePoint> Time(int column) const {
    return Null(column) ? std::nullopt : std::optional(FromUnix(Int(column)));
  }
  TimePoint At(int column) const { return FromUnix(Int(column)); }

 protected:
  Row() = default;
  ~Row() = default;
  Row(const Row&) = default;
  Row& operator=(const Row&) = default;
};

// A statement's parameters, ?1 first. A null is std::monostate.
class Params {
 public:
  using Value = std::variant<std::monostate, std::int64_t, std::string>;
  Params& Add(std::string_view text) {
    values_.emplace_back(std::string(text));
    return *this;
  }
  Params& Add(const char* text) { return Add(std::string_view(text)); }
  Params& Add(std::int64_t value) {
    values_.emplace_back(value);
    return *this;
  }
  Params& Add(TimePoint value) { return Add(ToUnix(value)); }
  Params& Add(std::optional<TimePoint> value) { return value ? Add(*value) : Null(); }
  Params& Null() {
    values_.emplace_back(std::monostate{});
    return *this;
  }
  const std::vector<Value>& values() const { return values_; }

 private:
  std::vector<Value> values_;
};

// How a statement is planned, where the database plans (PostgreSQL). kOnce: prepared on first
// use on this connection, and its plan reused. kEachTime: planned for each run with its
// parameters, for the joins across the tables that grow: a generic plan made while they were
// nearly empty (a new database's first minutes) scans them whole, and a prepared statement
// keeps it, which made reading the outbox cost in proportion to every match ever recorded.
enum class Plan { kOnce, kEachTime };

// How a transaction's COMMIT reaches the disk. Relaxed: a commit survives a crash of feedwatch,
// not always one of the machine or the server; losing it costs a poll done again (the
// bookkeeping of polls). Durable: the commit, and every one before it, is on the disk when it
// returns: what alerts depend on (matches with their deliveries, a delivery's state), so that
// a match is never lost and a sent alert never sent again.
enum class Sync { kRelaxed, kDurable };
// Whether a transaction writes (SQLite then takes the write lock at BEGIN) or only reads.
enum class Access { kWrite, kRead };

// A connection to the database, as the shared SQL needs it. Errors: Error::Io, "database:
// WHAT: the database's message".
class Session {
 public:
  using EachRow = std::function<void(const Row&)>;
  // Runs `sql` with `params`, calling `each` (if any) for every row it returns. Returns how
  // many rows a change (INSERT, UPDATE, DELETE) changed.
  virtual Result<std::int64_t> Run(std::string_view sql, const Params& params,
                                   std::string_view what, const EachRow& each = {},
                                   Plan plan = Plan::kOnce) = 0;
  // An SQL condition: `column` is one of the ids of parameter `param`, which IdsParam makes.
  virtual std::string IdsIn(std::string_view column, int param) const = 0;
  virtual std::string IdsParam(const std::vector<std::int64_t>& ids) const = 0;

  // One transaction at a time. Begin's error means none began.
  virtual Status Begin(Sync sync, Access access) = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

 protected:
  Session() = default;
  ~Session() = default;
  Session(const Session&) = default;
  Session& operator=(const Session&) = default;
};

// Begins on construction; rolls back on destruction unless Commit() succeeded.
class Transaction {
 public:
  Transaction(Session& session, Sync sync, Access access = Access::kWrite)
      : session_(session), status_(session.Begin(sync, access)) {}
  ~Transaction() {
    if (status_.ok() && !ended_) session_.Rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  const Status& begun() const { return status_; }
  Status Commit() {
    ended_ = true;
    Status status = session_.Commit();
    if (!status) session_.Rollback();
    return status;
  }

 private:
  Session& session_;
  Status status_;
  bool ended_ = false;
};

// A row's columns, for reading it back (ReadFeedState, ReadDelivery, ReadStory).
//
// The feed's columns as they apply to the URL in `url`, an SQL expression (the configured URL
// as a parameter; `url` itself for the row as recorded).
std::string FeedColumns(std::string_view url);
FeedState ReadFeedState(const Row& row);
// From the deliveries d, their matches m, items i and feeds f; ListDeliveries' order and
// conditions follow.
extern const std::string_view kDeliverySelect;
Delivery ReadDelivery(const Row& row);
// From the story heads m, their items i and feeds f.
extern const std::string_view kStorySelect;
StoryMatch ReadStory(const Row& row);

// The outbox's pending and dead deliveries, counted (Store::CountDeliveries).
extern const std::string_view kCountDeliveries;

// The encodings the store owns.
std::string EncodeHits(const std::vector<Hit>& hits);
std::vector<Hit> DecodeHits(std::string_view json);
// "SINCE HOUR:ITEMS ..." in Unix seconds and hours; "" when nothing was read. A text it did
// not write decodes as far as it reads well.
std::string EncodeHistory(const PublishingHistory& history);
PublishingHistory DecodeHistory(std::string_view text);
// "FRESH_FOR_SECONDS SKIP_HOURS SKIP_DAYS", "-" for no fresh_for; "" (none) decodes as none.
std::string EncodeHints(const ScheduleHints& hints);
ScheduleHints DecodeHints(std::string_view text);

// The implementation of Store both backends share: everything written once over a Session.
// Each backend implements the Session, its own transactions' durability, and the statements it
// writes its own way (the virtuals below Store's).
class SqlStore : public Store {
 public:
  static constexpr int kFeedRowValues = 18;  // a row of `feeds` a poll writes (PollsUpsert)

  Result<FeedState> GetFeedState(std::string_view feed, std::string_view url) override;
  Result<std::vector<FeedState>> GetFeedStates(const std::vector<FeedRef>& feeds) override;
  Result<std::vector<FeedState>> ListFeeds() override;
  Result<std::vector<StoryHead>> CommitPoll(
      std::string_view feed, std::string_view url, const PollRecord& poll,
      const std::vector<ItemRecord>& items,
      const std::map<std::string, std::int64_t>& last_seq) override;
  Status RecordPolls(const std::vector<FeedPoll>& polls) override;
  Result<int> ForgetItemsSeenBefore(TimePoint cutoff) override;
  Result<int> CountMatchesSince(TimePoint since) override;
  Result<OutboxCounts> CountDeliveries() override;
  Result<std::vector<NotifierOutbox>> NotifierOutboxes() override;
  Result<std::vector<AlertLatency>> AlertLatencies(TimePoint since) override;
  Result<std::vector<StoryMatch>> StoriesSince(TimePoint since) override;
  Result<std::vector<DayCount>> CountStoriesByDay(TimePoint since) override;
  Result<std::vector<StoryMatch>> LatestStories(std::string_view watch, int limit) override;
  Result<StoryHeads> RecentStories(std::string_view watch, TimePoint since,
                                   std::int64_t after_seq) override;
  Result<std::string> InstanceId() override;
  Result<std::vector<Delivery>> ListDeliveries(bool all) override;
  Status AssignMessage(const std::vector<std::int64_t>& ids, std::string_view message_id) override;
  Status MarkSent(const std::vector<std::int64_t>& ids, TimePoint now) override;
  Status MarkFailed(const std::vector<std::int64_t>& ids, TimePoint next_attempt,
                    std::string_view error) override;
  Status MarkDead(const std::vector<std::int64_t>& ids, std::string_view error) override;
  Status Defer(const std::vector<std::int64_t>& ids, TimePoint next_attempt) override;
  Status Retry(std::int64_t id, TimePoint now) override;
  Result<int> RetryDead(TimePoint now) override;
  Result<std::vector<std::int64_t>> BringForward(std::string_view notifier,
                                                 const std::vector<std::int64_t>& ids,
                                                 TimePoint now) override;
  Result<SentMessages> SentMessagesSince(std::string_view notifier, TimePoint since) override;

 protected:
  explicit SqlStore(Session& session) : session_(session) {}

  // Takes, for the transaction under way, the locks on the stories of `watches` that other
  // instances' LockStories and CommitPoll take, in name order; nothing where one instance runs.
  virtual Status LockStoriesForCommit(const std::set<std::string>& watches) = 0;
  // Records `items` (of feed `feed_id`, seen at `now`) as CommitPoll says, and returns each one's
  // id by its key as given.
  virtual Result<std::unordered_map<std::string, std::int64_t>> RecordItems(
      std::int64_t feed_id, const std::vector<ItemRecord>& items, TimePoint now) = 0;

  // RecordPolls' statement: the rows `rows` gives (a VALUES list, or a SELECT), kFeedRowValues
  // columns each (AddPollRows' values, in order), written into `feeds`, new feeds created; ?1
  // is this instance's id, whose leases of them end. A success resets the failure count (a
  // failure's row says 1, a success's 0); a validator, body hash, redirect, history or hints is
  // kept from before when the poll brings none, as the URL allows.
  static std::string PollsUpsert(std::string_view rows);
  // The values of `polls`' rows, kFeedRowValues each.
  static void AddPollRows(Params& params, const std::vector<FeedPoll>& polls);
  // Records `poll` in the row of the feed called `name` (created with `url` when new) and
  // returns its id; ends this instance's lease on it. `items_read`: the poll read the feed's
  // items (CommitPoll).
  Result<std::int64_t> RecordFeed(std::string_view name, std::string_view url,
                                  const PollRecord& poll, bool items_read);
  // Every delivery `sql` (kDeliverySelect and its conditions) selects, in its order, with the
  // other feeds that reported each one's story.
  Result<std::vector<Delivery>> Deliveries(const std::string& sql, const Params& params);

  Session& session_;

 private:
  Result<std::vector<StoryMatch>> Stories(const std::string& sql, const Params& params);
  // The feeds that reported each of `stories` (story heads' match ids) besides the head's own,
  // each once (its first report), in the order they did.
  Result<std::map<std::int64_t, std::vector<StoryReport>>> OthersOf(
      const std::vector<std::int64_t>& stories);
  // Runs `sql` in a durable transaction of its own.
  Status Durably(const std::string& sql, const Params& params, std::string_view what);
};

}  // namespace feedwatch::store
