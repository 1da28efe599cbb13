#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/internal.h"
#include "store/schema.h"
#include "store/store.h"

namespace feedwatch::store {
namespace {

// Prepared statements kept for reuse, per connection: a poll runs the same few statements, and
// preparing them again each time (parsing the SQL, planning) was a third of SQLite's share of a
// warm cycle. A statement in use is taken out, so a second Statement of the same SQL at once
// prepares its own. Connections may live on different threads: the map is under a mutex.
class StatementCache {
 public:
  static StatementCache& Get() {
    static StatementCache cache;
    return cache;
  }

  // A statement for `sql` on `db`: a cached one, reset, or a newly prepared one (null if the
  // SQL does not prepare).
  sqlite3_stmt* Take(sqlite3* db, std::string_view sql) {
    {
      const std::lock_guard lock(mutex_);
      auto& idle = cache_[db][std::string(sql)];
      if (!idle.empty()) {
        sqlite3_stmt* stmt = idle.back();
        idle.pop_back();
        return stmt;
      }
    }
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                       &stmt, nullptr);
    return stmt;
  }

  // Gives `stmt` back, reset and unbound, for the next Take of the same SQL.
  void Give(sqlite3* db, sqlite3_stmt* stmt) {
    if (stmt == nullptr) return;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    const std::lock_guard lock(mutex_);
    cache_[db][sqlite3_sql(stmt)].push_back(stmt);
  }

  // Finalizes every statement kept for `db`, before it closes.
  void Forget(sqlite3* db) {
    const std::lock_guard lock(mutex_);
    const auto it = cache_.find(db);
    if (it == cache_.end()) return;
    for (auto& [sql, idle] : it->second) {
      for (sqlite3_stmt* stmt : idle) sqlite3_finalize(stmt);
    }
    cache_.erase(it);
  }

 private:
  std::mutex mutex_;
  std::unordered_map<sqlite3*, std::unordered_map<std::string, std::vector<sqlite3_stmt*>>> cache_;
};

struct DatabaseCloser {
  void operator()(sqlite3* db) const {
    StatementCache::Get().Forget(db);
    sqlite3_close_v2(db);
  }
};
using Database = std::unique_ptr<sqlite3, DatabaseCloser>;

Error DbError(sqlite3* db, std::string_view what) {
  return Error::Io("database: " + std::string(what) + ": " + sqlite3_errmsg(db));
}

// A prepared statement with bound parameters, from the connection's StatementCache and given
// back to it, reset, on destruction.
class Statement {
 public:
  // A statement that fails to prepare stays null and keeps why; stepping it then fails with
  // SQLITE_MISUSE, which the caller reports like any other step error (DbError).
  Statement(sqlite3* db, std::string_view sql)
      : db_(db), stmt_(StatementCache::Get().Take(db, sql)) {
    if (stmt_ == nullptr) prepare_error_ = sqlite3_errmsg(db);
  }
  ~Statement() { StatementCache::Get().Give(db_, stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  Statement& BindNull(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
  }
  Statement& Bind(int index, std::optional<TimePoint> value) {
    if (value) {
      sqlite3_bind_int64(stmt_, index, ToUnix(*value));
    } else {
      sqlite3_bind_null(stmt_, index);
    }
    return *this;
  }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  sqlite3_stmt* get() const { return stmt_; }
  // sqlite3_reset() takes a null statement; sqlite3_clear_bindings() does not.
  void Reset() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string Text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text != nullptr ? std::string(text, sqlite3_column_bytes(stmt_, column)) : "";
  }
  std::optional<TimePoint> Time(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return FromUnix(Int(column));
  }

  // Why the statement did not prepare; later calls on the connection overwrite its message.
  const std::string& prepare_error() const { return prepare_error_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string prepare_error_;
};

// What went wrong with `stmt`: why it did not prepare, or the connection's last error.
Error DbError(const Statement& stmt, sqlite3* db, std::string_view what) {
  if (stmt.get() == nullptr) {
    return Error::Io("database: " + std::string(what) + ": " + stmt.prepare_error());
  }
  return DbError(db, what);
}

Status Exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    Error error = Error::Io(std::string("database: ") + (message ? message : sqlite3_errmsg(db)));
    sqlite3_free(message);
    return error;
  }
  return Status::Ok();
}

// How a transaction's COMMIT reaches the disk. The connection runs with synchronous = NORMAL:
// in WAL mode a commit survives a crash of the process, and the WAL is synced at checkpoints.
// A durable transaction runs under synchronous = FULL: the WAL is synced at its COMMIT, so it,
// and every commit before it, survives a power cut or a disk turning read-only. Durable: what
// alerts depend on (matches with their deliveries, a delivery's state), so that a match is
// never lost and a sent alert never sent again. Relaxed: the bookkeeping of polls, whose loss
// costs a poll done again; each durable commit would cost an fsync per poll.
enum class Sync { kRelaxed, kDurable };

// Runs one statement without results (BEGIN, COMMIT, a PRAGMA), prepared once per connection.
Status Run(sqlite3* db, const char* sql) {
  Statement stmt(db, sql);
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  return Error::Io(std::string("database: ") + sqlite3_errmsg(db));
}

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless Commit() succeeded.
class Transaction {
 public:
  // IMMEDIATE takes the write lock at once; DEFERRED suits reads (one shared lock for many
  // statements instead of one each).
  explicit Transaction(sqlite3* db, Sync sync = Sync::kRelaxed,
                       const char* begin = "BEGIN IMMEDIATE")
      : db_(db), sync_(sync) {
    if (sync_ == Sync::kDurable) (void)Run(db_, "PRAGMA synchronous = FULL");
    status_ = Run(db_, begin);
  }
  ~Transaction() {
    if (status_.ok() && !committed_) (void)Run(db_, "ROLLBACK");
    if (sync_ == Sync::kDurable) (void)Run(db_, "PRAGMA synchronous = NORMAL");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  const Status& begun() const { return status_; }
  Status Commit() {
    Status status = Run(db_, "COMMIT");
    committed_ = status.ok();
    return status;
  }

 private:
  sqlite3* db_;
  Sync sync_;
  Status status_;
  bool committed_ = false;
};

Result<int> UserVersion(sqlite3* db) {
  Statement stmt(db, "PRAGMA user_version");
  if (stmt.Step() != SQLITE_ROW) return DbError(stmt, db, "reading the schema version");
  return static_cast<int>(stmt.Int(0));
}

Status Migrate(sqlite3* db, const std::filesystem::path& file) {
  Result<int> version = UserVersion(db);
  if (!version) return version.error();
  if (*version > Store::kSchemaVersion) {
    return Error::Io(file.string() + ": database schema version " + std::to_string(*version) +
                     " is newer than this feedwatch understands (" +
                     std::to_string(Store::kSchemaVersion) + "); upgrade feedwatch");
  }
  for (int v = *version; v < Store::kSchemaVersion; ++v) {
    Transaction transaction(db);
    if (!transaction.begun()) return transaction.begun();
    if (Status s = Exec(db, std::string(kMigrations[v].sqlite).c_str()); !s) {
      return Error::Io("migrating the database to schema version " + std::to_string(v + 1) + ": " +
                       s.error().message);
    }
    const std::string set_version = "PRAGMA user_version = " + std::to_string(v + 1);
    if (Status s = Exec(db, set_version.c_str()); !s) return s;
    if (Status s = transaction.Commit(); !s) return s;
  }
  return Status::Ok();
}

class SqliteStore final : public Store {
 public:
  SqliteStore(Database db, std::filesystem::path file)
      : db_(std::move(db)), file_(std::move(file)) {}

  std::string_view backend() const override { return "sqlite"; }
  bool shared() const override { return false; }
  std::string location() const override { return file_.string(); }
  Result<FeedState> GetFeedState(std::string_view feed) override;
  Result<std::vector<FeedState>> ListFeeds() override;
  Result<std::vector<FeedClaim>> ClaimFeeds(const std::vector<FeedRef>& feeds, TimePoint now,
                                            TimePoint until) override;
  Status RenewLeases(const std::vector<std::string>& feeds, TimePoint until) override;
  Status ReleaseLeases() override;
  Result<std::unordered_map<std::string, std::string>> KnownItems(
      std::string_view feed, const std::vector<std::string>& keys) override;
  Result<std::vector<StoryHead>> CommitPoll(
      std::string_view feed, std::string_view url, const PollRecord& poll,
      const std::vector<ItemRecord>& items,
      const std::map<std::string, std::int64_t>& last_seq) override;
  // One writer at a time already (SQLite's write lock): nothing to hold back.
  Status LockStories(const std::set<std::string>& /*watches*/) override { return Status::Ok(); }
  Status UnlockStories() override { return Status::Ok(); }
  Status RecordPoll(std::string_view feed, std::string_view url, const PollRecord& poll) override;
  Result<int> ForgetItemsSeenBefore(TimePoint cutoff) override;
  Result<int> CountMatchesSince(TimePoint since) override;
  Result<OutboxCounts> CountDeliveries() override;
  Result<std::vector<NotifierOutbox>> NotifierOutboxes() override;
  Status Heartbeat(TimePoint now) override;
  Result<std::vector<InstanceInfo>> Instances(TimePoint since) override;
  Result<std::vector<StoryMatch>> StoriesSince(TimePoint since) override;
  Result<std::vector<StoryMatch>> LatestStories(std::string_view watch, int limit) override;
  Result<StoryHeads> RecentStories(std::string_view watch, TimePoint since,
                                   std::int64_t after_seq) override;
  Result<std::string> InstanceId() override;
  Result<std::vector<Delivery>> DueDeliveries(TimePoint now, int limit, TimePoint until) override;
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
  Result<TableRows> ReadTable(std::string_view table) override;
  Status WriteTables(const std::vector<TableRows>& tables) override;

 private:
  // The id of the feed called `name`, created (with `url`) when new; the URL is kept current.
  Result<std::int64_t> FeedId(std::string_view name, std::string_view url) {
    // A new URL in the configuration starts afresh: what was learnt about the old one (its
    // validators, a redirect, 410 Gone) does not apply.
    Statement upsert(db_.get(),
                     "INSERT INTO feeds (name, url) VALUES (?1, ?2) "
                     "ON CONFLICT (name) DO UPDATE SET "
                     "etag = iif(url = excluded.url, etag, ''), "
                     "last_modified = iif(url = excluded.url, last_modified, ''), "
                     "body_hash = iif(url = excluded.url, body_hash, ''), "
                     "moved_to = iif(url = excluded.url, moved_to, ''), "
                     "gone = iif(url = excluded.url, gone, 0), "
                     "url = excluded.url RETURNING id");
    upsert.Bind(1, name).Bind(2, url);
    if (upsert.Step() != SQLITE_ROW) return DbError(upsert, db_.get(), "recording feed");
    return upsert.Int(0);
  }

  Database db_;
  std::filesystem::path file_;
};

}  // namespace

static_assert(Store::kSchemaVersion == kMigrations.size(), "a migration per schema version");

namespace {

// The database at `file` (opened with `flags`), set up as feedwatch runs it and migrated.
Result<std::unique_ptr<Store>> OpenAt(const std::filesystem::path& file, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  Database db(raw);
  if (rc != SQLITE_OK) {
    return Error::Io(file.string() + ": cannot open database: " +
                     (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), 5000);
  // WAL: readers (feedwatch status, sqlite3 shell) never block the daemon. NORMAL, and FULL for
  // durable transactions (Sync, above). A 16 MiB page cache (SQLite's default is 2 MiB): with
  // hundreds of thousands of items the seen-item lookups and index inserts of a poll cycle
  // otherwise read most pages again through read(2).
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
                             "PRAGMA foreign_keys = ON", "PRAGMA cache_size = -16384"}) {
    if (Status s = Exec(db.get(), pragma); !s) {
      return Error::Io(file.string() + ": " + s.error().message);
    }
  }
  if (Status s = Migrate(db.get(), file); !s) {
    return Error::Io(s.error().message.starts_with(file.string())
                         ? s.error().message
                         : file.string() + ": " + s.error().message);
  }
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(db), file));
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& file) {
  // The database holds subscribers' addresses and the outbox: readable by its owner alone,
  // whatever the umask. SQLite gives the -wal and -shm files the database file's mode.
  if (const int fd = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0) {
    struct stat info {};
    if (fstat(fd, &info) == 0 && (info.st_mode & 077) != 0 && info.st_uid == geteuid()) {
      fchmod(fd, 0600);
    }
    close(fd);
  }
  return OpenAt(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
}

Result<std::unique_ptr<Store>> Store::OpenReadOnly(const std::filesystem::path& file) {
  return OpenAt(file, SQLITE_OPEN_READONLY);
}

Result<std::unique_ptr<Store>> Store::OpenInMemory() {
  return OpenAt(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY);
}

namespace {

constexpr std::string_view kFeedColumns =
    "name, url, last_attempt_at, last_success_at, next_due_at, consecutive_failures, "
    "last_status, coalesce(last_error, ''), etag, last_modified, body_hash, moved_to, gone, "
    "coalesce(lease_owner, ''), lease_until";

FeedState ReadFeedState(Statement& stmt) {
  FeedState state;
  state.name = stmt.Text(0);
  state.url = stmt.Text(1);
  state.last_attempt_at = stmt.Time(2);
  state.last_success_at = stmt.Time(3);
  state.next_due_at = stmt.Time(4);
  state.consecutive_failures = static_cast<int>(stmt.Int(5));
  state.last_status = stmt.Text(6);
  state.last_error = stmt.Text(7);
  state.etag = stmt.Text(8);
  state.last_modified = stmt.Text(9);
  state.body_hash = stmt.Text(10);
  state.moved_to = stmt.Text(11);
  state.gone = stmt.Int(12) != 0;
  state.lease_owner = stmt.Text(13);
  state.lease_until = stmt.Time(14);
  return state;
}

// Writes `poll` into the feed's row; a success resets the failure count.
Status UpdateFeed(sqlite3* db, std::int64_t feed_id, const PollRecord& poll) {
  const bool ok = poll.error.empty();
  Statement update(db,
                   "UPDATE feeds SET last_attempt_at = ?2, next_due_at = ?3, last_status = ?4, "
                   "last_error = nullif(?5, ''), "
                   "last_success_at = iif(?6, ?2, last_success_at), "
                   "consecutive_failures = iif(?6, 0, consecutive_failures + 1), "
                   "etag = iif(?7 != '', ?7, etag), "
                   "last_modified = iif(?8 != '', ?8, last_modified), "
                   "body_hash = iif(?9 != '', ?9, body_hash), "
                   "moved_to = iif(?10 != '', ?10, moved_to), gone = ?11 WHERE id = ?1");
  update.Bind(1, feed_id).Bind(2, ToUnix(poll.at)).Bind(3, ToUnix(poll.next_due));
  update.Bind(4, poll.status).Bind(5, poll.error).Bind(6, static_cast<std::int64_t>(ok));
  update.Bind(7, poll.etag).Bind(8, poll.last_modified).Bind(9, poll.body_hash);
  update.Bind(10, poll.moved_to).Bind(11, static_cast<std::int64_t>(poll.gone));
  if (update.Step() != SQLITE_DONE) return DbError(update, db, "recording poll");
  return {};
}

}  // namespace

Result<FeedState> SqliteStore::GetFeedState(std::string_view feed) {
  Statement stmt(db_.get(), "SELECT " + std::string(kFeedColumns) + " FROM feeds WHERE name = ?1");
  stmt.Bind(1, feed);
  const int rc = stmt.Step();
  if (rc == SQLITE_ROW) return ReadFeedState(stmt);
  if (rc != SQLITE_DONE) return DbError(stmt, db_.get(), "reading feed state");
  FeedState state;
  state.name = std::string(feed);
  return state;
}

Result<std::vector<FeedState>> SqliteStore::ListFeeds() {
  Statement stmt(db_.get(), "SELECT " + std::string(kFeedColumns) + " FROM feeds ORDER BY name");
  std::vector<FeedState> feeds;
  int rc = 0;
  while ((rc = stmt.Step()) == SQLITE_ROW) feeds.push_back(ReadFeedState(stmt));
  if (rc != SQLITE_DONE) return DbError(stmt, db_.get(), "listing feeds");
  return feeds;
}

Status SqliteStore::RecordPoll(std::string_view feed, std::string_view url,
                               const PollRecord& poll) {
  sqlite3* db = db_.get();
  Transaction transaction(db);
  if (!transaction.begun()) return transaction.begun();
  Result<std::int64_t> feed_id = FeedId(feed, url);
  if (!feed_id) return feed_id.error();
  if (Status s = UpdateFeed(db, *feed_id, poll); !s) return s;
  return transaction.Commit();
}

Result<std::unordered_map<std::string, std::string>> SqliteStore::KnownItems(
    std::string_view feed, const std::vector<std::string>& keys) {
  Transaction read(db_.get(), Sync::kRelaxed, "BEGIN DEFERRED");
  if (!read.begun()) return read.begun().error();
  Statement stmt(db_.get(),
                 "SELECT items.content_hash FROM items JOIN feeds ON feeds.id = items.feed_id "
                 "WHERE feeds.name = ?1 AND items.item_key = ?2");
  std::unordered_map<std::string, std::string> known;
  for (const std::string& key : keys) {
    stmt.Reset();
    stmt.Bind(1, feed).Bind(2, key);
    const int rc = stmt.Step();
    if (rc == SQLITE_ROW) {
      known[key] = stmt.Text(0);
    } else if (rc != SQLITE_DONE) {
      return DbError(stmt, db_.get(), "looking up items");
    }
  }
  stmt.Reset();
  if (Status s = read.Commit(); !s) return s.error();
  return known;
}

Result<int> SqliteStore::ForgetItemsSeenBefore(TimePoint cutoff) {
  // Gone: not in the feed when its items were last read, and not for that long. An item in a
  // feed that has answered 304 since is still there.
  Statement stmt(db_.get(),
                 "DELETE FROM items WHERE last_seen_at < ?1 AND last_seen_at < "
                 "(SELECT coalesce(last_read_at, 0) FROM feeds WHERE feeds.id = items.feed_id)");
  stmt.Bind(1, ToUnix(cutoff));
  if (stmt.Step() != SQLITE_DONE) return DbError(stmt, db_.get(), "forgetting old items");
  return sqlite3_changes(db_.get());
}

Result<std::vector<StoryHead>> SqliteStore::CommitPoll(
    std::string_view feed, std::string_view url, const PollRecord& poll,
    const std::vector<ItemRecord>& items, const std::map<std::string, std::int64_t>& last_seq) {
  const TimePoint now = poll.at;
  sqlite3* db = db_.get();
  const bool matched = std::any_of(items.begin(), items.end(),
                                   [](const ItemRecord& item) { return !item.matches.empty(); });
  Transaction transaction(db, matched ? Sync::kDurable : Sync::kRelaxed);
  if (!transaction.begun()) return transaction.begun().error();
  Result<std::int64_t> feed_id = FeedId(feed, url);
  if (!feed_id) return feed_id.error();

  Statement insert_item(db,
                        "INSERT INTO items (feed_id, item_key, title, link, published_at, "
                        "first_seen_at, last_seen_at, canonical_url, content_hash, summary, "
                        "summary_marked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10) "
                        "ON CONFLICT (feed_id, item_key) DO NOTHING RETURNING id");
  Statement touch_item(db,
                       "UPDATE items SET last_seen_at = ?3, title = ?5, link = ?6, "
                       "canonical_url = ?7, content_hash = iif(?4 != '', ?4, content_hash), "
                       "summary = iif(?8 != '', ?8, summary), "
                       "summary_marked = iif(?9 != '', ?9, summary_marked) "
                       "WHERE feed_id = ?1 AND item_key = ?2 RETURNING id");
  Statement insert_match(
      db,
      "INSERT INTO matches (watch, item_id, matched_at, terms, snippet, story_of, hits, story_seq) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING RETURNING id");
  Statement matched_before(db, "SELECT 1 FROM matches WHERE watch = ?1 AND item_id = ?2");
  std::map<std::string, std::int64_t> seq(last_seq.begin(), last_seq.end());
  Statement insert_delivery(db,
                            "INSERT INTO deliveries (match_id, notifier, created_at, "
                            "next_attempt_at, first_due_at) VALUES (?1, ?2, ?3, ?4, ?4) "
                            "ON CONFLICT (match_id, notifier) DO NOTHING");
  std::vector<StoryHead> heads;
  for (const ItemRecord& item : items) {
    insert_item.Reset();
    insert_item.Bind(1, *feed_id).Bind(2, item.key).Bind(3, item.title).Bind(4, item.link);
    insert_item.Bind(5, item.published).Bind(6, ToUnix(now)).Bind(7, item.canonical_url);
    insert_item.Bind(8, item.content_hash).Bind(9, item.summary).Bind(10, item.summary_marked);
    const int rc = insert_item.Step();
    std::int64_t item_id = 0;
    if (rc == SQLITE_DONE) {  // seen before: still there, perhaps edited
      touch_item.Reset();
      touch_item.Bind(1, *feed_id).Bind(2, item.key).Bind(3, ToUnix(now));
      touch_item.Bind(4, item.content_hash).Bind(5, item.title).Bind(6, item.link);
      touch_item.Bind(7, item.canonical_url).Bind(8, item.summary).Bind(9, item.summary_marked);
      if (touch_item.Step() != SQLITE_ROW) return DbError(touch_item, db, "updating item");
      item_id = touch_item.Int(0);
      touch_item.Step();  // finishes the RETURNING statement
    } else if (rc == SQLITE_ROW) {
      item_id = insert_item.Int(0);
      insert_item.Step();  // finishes the RETURNING statement
    } else {
      return DbError(insert_item, db, "recording item");
    }
    for (const MatchRecord& match : item.matches) {
      insert_match.Reset();
      insert_match.Bind(1, match.watch).Bind(2, item_id).Bind(3, ToUnix(now));
      insert_match.Bind(4, match.terms).Bind(5, match.snippet).Bind(7, match.hits);
      std::int64_t story_seq = 0;
      if (match.story_of) {
        insert_match.Bind(6, *match.story_of).BindNull(8);
      } else {
        story_seq = seq[match.watch] + 1;
        insert_match.BindNull(6).Bind(8, story_seq);
      }
      const int match_rc = insert_match.Step();
      if (match_rc == SQLITE_DONE) {
        // Matched before, or another writer took the story number: then nothing is recorded.
        matched_before.Reset();
        matched_before.Bind(1, match.watch).Bind(2, item_id);
        const int before_rc = matched_before.Step();
        if (before_rc == SQLITE_ROW) continue;
        if (before_rc != SQLITE_DONE) return DbError(matched_before, db, "recording match");
        return Error::Conflict("watch " + match.watch + ": story " + std::to_string(story_seq) +
                               " was recorded by another writer");
      }
      if (match_rc != SQLITE_ROW) return DbError(insert_match, db, "recording match");
      const std::int64_t match_id = insert_match.Int(0);
      insert_match.Step();
      if (match.story_of) continue;  // the story alerted already: linked, not sent
      seq[match.watch] = story_seq;
      heads.push_back({match_id, story_seq, match.watch, item.title, item.canonical_url, now});
      for (const std::string& notifier : match.notifiers) {
        insert_delivery.Reset();
        const auto due = match.due_at.find(notifier);
        insert_delivery.Bind(1, match_id).Bind(2, notifier).Bind(3, ToUnix(now));
        insert_delivery.Bind(4, ToUnix(due != match.due_at.end() ? due->second : now));
        if (insert_delivery.Step() != SQLITE_DONE)
          return DbError(insert_delivery, db, "enqueuing delivery");
      }
    }
  }
  if (Status s = UpdateFeed(db, *feed_id, poll); !s) return s.error();
  Statement read_at(db, "UPDATE feeds SET last_read_at = ?2 WHERE id = ?1");
  read_at.Bind(1, *feed_id).Bind(2, ToUnix(now));
  if (read_at.Step() != SQLITE_DONE) return DbError(read_at, db, "recording poll");
  if (Status s = transaction.Commit(); !s) return s.error();
  return heads;
}

Result<int> SqliteStore::CountMatchesSince(TimePoint since) {
  Statement stmt(db_.get(),
                 "SELECT count(*) FROM matches WHERE matched_at >= ?1 AND story_of IS NULL");
  stmt.Bind(1, ToUnix(since));
  if (stmt.Step() != SQLITE_ROW) return DbError(stmt, db_.get(), "counting matches");
  return static_cast<int>(stmt.Int(0));
}

Result<Store::OutboxCounts> SqliteStore::CountDeliveries() {
  Statement stmt(db_.get(),
                 "SELECT count(*) FILTER (WHERE state = 'pending'), "
                 "count(*) FILTER (WHERE state = 'dead') FROM deliveries "
                 "WHERE state IN ('pending', 'dead')");
  if (stmt.Step() != SQLITE_ROW) return DbError(stmt, db_.get(), "counting deliveries");
  return OutboxCounts{static_cast<int>(stmt.Int(0)), static_cast<int>(stmt.Int(1))};
}

Result<std::vector<Store::NotifierOutbox>> SqliteStore::NotifierOutboxes() {
  Statement stmt(db_.get(), std::string(kNotifierOutboxSql));
  std::vector<NotifierOutbox> out;
  int rc = 0;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    out.push_back({stmt.Text(0), static_cast<int>(stmt.Int(1)), static_cast<int>(stmt.Int(2)),
                   stmt.Time(3), stmt.Time(4)});
  }
  if (rc != SQLITE_DONE) return DbError(stmt, db_.get(), "reading the outbox by notifier");
  return out;
}

Status SqliteStore::Heartbeat(TimePoint now) {
  Statement stmt(db_.get(),
                 "INSERT INTO meta (key, value) VALUES ('heartbeat', ?1) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  stmt.Bind(1, std::to_string(ToUnix(now)));
  if (stmt.Step() != SQLITE_DONE) return DbError(stmt, db_.get(), "writing");
  if (instance_.id.empty()) return Status::Ok();
  Statement beat(db_.get(),
                 "INSERT INTO instances (id, started_at, last_seen_at, config_hash, version) "
                 "VALUES (?1, ?2, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET "
                 "last_seen_at = excluded.last_seen_at, config_hash = excluded.config_hash, "
                 "version = excluded.version");
  beat.Bind(1, instance_.id).Bind(2, ToUnix(now)).Bind(3, instance_.config_hash);
  beat.Bind(4, instance_.version);
  if (beat.Step() != SQLITE_DONE) return DbError(beat, db_.get(), "writing");
  return Status::Ok();
}

Result<std::vector<InstanceInfo>> SqliteStore::Instances(TimePoint since) {
  Statement stmt(db_.get(),
                 "SELECT id, started_at, last_seen_at, config_hash, version FROM instances "
                 "WHERE last_seen_at >= ?1 ORDER BY id");
  stmt.Bind(1, ToUnix(since));
  std::vector<InstanceInfo> out;
  int rc = 0;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    out.push_back(
        {stmt.Text(0), FromUnix(stmt.Int(1)), FromUnix(stmt.Int(2)), stmt.Text(3), stmt.Text(4)});
  }
  if (rc != SQLITE_DONE) return DbError(stmt, db_.get(), "reading instances");
  return out;
}

// One instance runs on a SQLite file: every feed is its own, and nothing is leased.
Result<std::vector<FeedClaim>> SqliteStore::ClaimFeeds(const std::vector<FeedRef>& feeds,
                                                       TimePoint /*now*/, TimePoint /*until*/) {
  std::vector<FeedClaim> out;
  out.reserve(feeds.size());
  for (const FeedRef& feed : feeds) out.push_back({feed.name, true, std::nullopt, {}});
  return out;
}

Status SqliteStore::RenewLeases(const std::vector<std::string>& /*feeds*/, TimePoint /*until*/) {
  return Status::Ok();
}

Status SqliteStore::ReleaseLeases() { return Status::Ok(); }

namespace {

// The stories `heads` selects (m.id, m.watch, f.name, i.title, i.link, m.matched_at,
// i.published_at, m.snippet), with the other feeds that reported each.
Result<std::vector<StoryMatch>> ReadStories(sqlite3* db, Statement& heads) {
  Statement others(db,
                   "SELECT f.name FROM matches m JOIN items i ON i.id = m.item_id "
                   "JOIN feeds f ON f.id = i.feed_id WHERE m.story_of = ?1 ORDER BY m.id");
  std::vector<StoryMatch> stories;
  int rc = 0;
  while ((rc = heads.Step()) == SQLITE_ROW) {
    StoryMatch& story = stories.emplace_back();
    story.id = heads.Int(0);
    story.watch = heads.Text(1);
    story.feed = heads.Text(2);
    story.title = heads.Text(3);
    story.link = heads.Text(4);
    story.matched_at = FromUnix(heads.Int(5));
    story.published = heads.Time(6);
    story.snippet = heads.Text(7);
    others.Reset();
    others.Bind(1, heads.Int(0));
    int other_rc = 0;
    while ((other_rc = others.Step()) == SQLITE_ROW) {
      std::string feed = others.Text(0);
      if (feed != story.feed &&
          std::find(story.also_reported_by.begin(), story.also_reported_by.end(), feed) ==
              story.also_reported_by.end()) {
        story.also_reported_by.push_back(std::move(feed));
      }
    }
    if (other_rc != SQLITE_DONE) return DbError(others, db, "reading stories");
  }
  if (rc != SQLITE_DONE) return DbError(heads, db, "reading stories");
  return stories;
}

constexpr std::string_view kStoryColumns =
    "SELECT m.id, m.watch, f.name, i.title, i.link, m.matched_at, i.published_at, m.snippet "
    "FROM matches m JOIN items i ON i.id = m.item_id JOIN feeds f ON f.id = i.feed_id ";

}  // namespace

Result<std::vector<StoryMatch>> SqliteStore::StoriesSince(TimePoint since) {
  Statement heads(db_.get(), std::string(kStoryColumns) +
                                 "WHERE m.matched_at >= ?1 AND m.story_of IS NULL "
                                 "ORDER BY m.matched_at DESC, m.id DESC");
  heads.Bind(1, ToUnix(since));
  return ReadStories(db_.get(), heads);
}

Result<std::vector<StoryMatch>> SqliteStore::LatestStories(std::string_view watch, int limit) {
  Statement heads(db_.get(), std::string(kStoryColumns) +
                                 "WHERE m.watch = ?1 AND m.story_of IS NULL "
                                 "ORDER BY m.matched_at DESC, m.id DESC LIMIT ?2");
  heads.Bind(1, watch).Bind(2, static_cast<std::int64_t>(limit));
  return ReadStories(db_.get(), heads);
}

Result<StoryHeads> SqliteStore::RecentStories(std::string_view watch, TimePoint since,
                                              std::int64_t after_seq) {
  Transaction read(db_.get(), Sync::kRelaxed, "BEGIN DEFERRED");
  if (!read.begun()) return read.begun().error();
  Statement stmt(db_.get(),
                 "SELECT m.id, i.title, i.canonical_url, m.matched_at, coalesce(m.story_seq, 0) "
                 "FROM matches m JOIN items i ON i.id = m.item_id "
                 "WHERE m.watch = ?1 AND m.matched_at >= ?2 AND m.story_of IS NULL "
                 "AND (?3 = 0 OR m.story_seq > ?3) ORDER BY m.matched_at, m.id");
  stmt.Bind(1, watch).Bind(2, ToUnix(since)).Bind(3, after_seq);
  StoryHeads out;
  int rc = 0;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    out.heads.push_back({stmt.Int(0), stmt.Int(4), std::string(watch), stmt.Text(1), stmt.Text(2),
                         FromUnix(stmt.Int(3))});
  }
  if (rc != SQLITE_DONE) return DbError(stmt, db_.get(), "reading recent stories");
  Statement last(db_.get(), "SELECT coalesce(max(story_seq), 0) FROM matches WHERE watch = ?1");
  last.Bind(1, watch);
  if (last.Step() != SQLITE_ROW) return DbError(last, db_.get(), "reading recent stories");
  out.last_seq = last.Int(0);
  if (Status s = read.Commit(); !s) return s.error();
  return out;
}

Result<std::string> SqliteStore::InstanceId() {
  Statement stmt(db_.get(), "SELECT value FROM meta WHERE key = 'instance'");
  if (stmt.Step() != SQLITE_ROW) return DbError(stmt, db_.get(), "reading the instance id");
  return stmt.Text(0);
}

namespace {

constexpr std::string_view kDeliverySelect =
    "SELECT d.id, d.notifier, d.state, d.attempts, coalesce(d.first_due_at, d.created_at), "
    "d.next_attempt_at, coalesce(d.last_error, ''), coalesce(d.message_id, ''), m.watch, f.name, "
    "i.title, i.link, i.published_at, m.matched_at, i.summary, m.terms, m.snippet, m.id, "
    "(SELECT group_concat(name, char(10)) FROM (SELECT DISTINCT ofd.name AS name "
    "   FROM matches om JOIN items oi ON oi.id = om.item_id JOIN feeds ofd ON ofd.id = oi.feed_id "
    "   WHERE om.story_of = m.id AND ofd.id != f.id ORDER BY om.id)), m.item_id, "
    "i.summary_marked, m.hits "
    "FROM deliveries d JOIN matches m ON m.id = d.match_id "
    "JOIN items i ON i.id = m.item_id JOIN feeds f ON f.id = i.feed_id ";

Delivery ReadDelivery(const Statement& stmt) {
  Delivery d;
  d.id = stmt.Int(0);
  d.notifier = stmt.Text(1);
  d.state = stmt.Text(2);
  d.attempts = static_cast<int>(stmt.Int(3));
  d.first_due_at = FromUnix(stmt.Int(4));
  d.next_attempt_at = FromUnix(stmt.Int(5));
  d.last_error = stmt.Text(6);
  d.message_id = stmt.Text(7);
  d.watch = stmt.Text(8);
  d.feed = stmt.Text(9);
  d.title = stmt.Text(10);
  d.link = stmt.Text(11);
  d.published = stmt.Time(12);
  d.matched_at = FromUnix(stmt.Int(13));
  d.summary = stmt.Text(14);
  d.terms = stmt.Text(15);
  d.snippet = stmt.Text(16);
  d.story = stmt.Int(17);
  const std::string others = stmt.Text(18);
  for (size_t at = 0; at < others.size();) {
    const size_t end = std::min(others.find('\n', at), others.size());
    d.also_reported_by.push_back(others.substr(at, end - at));
    at = end + 1;
  }
  d.item = stmt.Int(19);
  d.summary_marked = stmt.Text(20);
  d.hits = stmt.Text(21);
  return d;
}

Result<std::vector<Delivery>> ReadDeliveries(sqlite3* db, Statement& stmt) {
  std::vector<Delivery> out;
  int rc = 0;
  while ((rc = stmt.Step()) == SQLITE_ROW) out.push_back(ReadDelivery(stmt));
  if (rc != SQLITE_DONE) return DbError(stmt, db, "reading the outbox");
  return out;
}

}  // namespace

Result<std::vector<Delivery>> SqliteStore::DueDeliveries(TimePoint now, int limit,
                                                         TimePoint /*until*/) {
  Statement stmt(db_.get(), FairDueSql("", '?', "?2") + std::string(kDeliverySelect) +
                                "JOIN pending p ON p.id = d.id JOIN chosen c ON c.unit = p.unit "
                                "ORDER BY c.turn, c.at, c.unit, d.id");
  stmt.Bind(1, ToUnix(now)).Bind(2, static_cast<std::int64_t>(limit));
  return ReadDeliveries(db_.get(), stmt);
}

Result<std::vector<Delivery>> SqliteStore::ListDeliveries(bool all) {
  Statement stmt(db_.get(), std::string(kDeliverySelect) + (all ? "" : "WHERE d.state != 'sent' ") +
                                "ORDER BY d.id");
  return ReadDeliveries(db_.get(), stmt);
}

namespace {

// Runs `stmt` (whose ?1 is a delivery id) for each of `ids` in one transaction.
Status ForEachDelivery(sqlite3* db, Statement& stmt, const std::vector<std::int64_t>& ids,
                       std::string_view what) {
  Transaction transaction(db, Sync::kDurable);
  if (!transaction.begun()) return transaction.begun();
  for (const std::int64_t id : ids) {
    stmt.Bind(1, id);
    if (stmt.Step() != SQLITE_DONE) return DbError(stmt, db, what);
    sqlite3_reset(stmt.get());
  }
  return transaction.Commit();
}

}  // namespace

Status SqliteStore::AssignMessage(const std::vector<std::int64_t>& ids,
                                  std::string_view message_id) {
  Statement stmt(db_.get(), "UPDATE deliveries SET message_id = ?2 WHERE id = ?1");
  stmt.Bind(2, message_id);
  return ForEachDelivery(db_.get(), stmt, ids, "naming a message");
}

Status SqliteStore::MarkSent(const std::vector<std::int64_t>& ids, TimePoint now) {
  Statement stmt(db_.get(),
                 "UPDATE deliveries SET state = 'sent', sent_at = ?2, attempts = attempts + 1, "
                 "last_error = NULL WHERE id = ?1");
  stmt.Bind(2, ToUnix(now));
  return ForEachDelivery(db_.get(), stmt, ids, "marking delivery sent");
}

Status SqliteStore::MarkFailed(const std::vector<std::int64_t>& ids, TimePoint next_attempt,
                               std::string_view error) {
  Statement stmt(db_.get(),
                 "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?2, "
                 "last_error = ?3 WHERE id = ?1");
  stmt.Bind(2, ToUnix(next_attempt)).Bind(3, error);
  return ForEachDelivery(db_.get(), stmt, ids, "recording delivery failure");
}

Status SqliteStore::MarkDead(const std::vector<std::int64_t>& ids, std::string_view error) {
  Statement stmt(db_.get(),
                 "UPDATE deliveries SET state = 'dead', attempts = attempts + 1, "
                 "last_error = ?2 WHERE id = ?1");
  stmt.Bind(2, error);
  return ForEachDelivery(db_.get(), stmt, ids, "giving up a delivery");
}

Status SqliteStore::Defer(const std::vector<std::int64_t>& ids, TimePoint next_attempt) {
  Statement stmt(db_.get(), "UPDATE deliveries SET next_attempt_at = ?2 WHERE id = ?1");
  stmt.Bind(2, ToUnix(next_attempt));
  return ForEachDelivery(db_.get(), stmt, ids, "deferring a delivery");
}

Status SqliteStore::Retry(std::int64_t id, TimePoint now) {
  Statement find(db_.get(), "SELECT state FROM deliveries WHERE id = ?1");
  find.Bind(1, id);
  const int rc = find.Step();
  if (rc == SQLITE_DONE) return Error::NotFound("no delivery " + std::to_string(id));
  if (rc != SQLITE_ROW) return DbError(find, db_.get(), "reading the outbox");
  if (find.Text(0) == "sent") {
    return Error::InvalidInput("delivery " + std::to_string(id) + " was sent already");
  }
  Statement stmt(db_.get(),
                 "UPDATE deliveries SET state = 'pending', attempts = 0, first_due_at = ?2, "
                 "next_attempt_at = ?2 WHERE id = ?1");
  stmt.Bind(1, id).Bind(2, ToUnix(now));
  if (stmt.Step() != SQLITE_DONE) return DbError(stmt, db_.get(), "requeueing a delivery");
  return Status::Ok();
}

Result<int> SqliteStore::RetryDead(TimePoint now) {
  Statement stmt(db_.get(),
                 "UPDATE deliveries SET state = 'pending', attempts = 0, first_due_at = ?1, "
                 "next_attempt_at = ?1 WHERE state = 'dead'");
  stmt.Bind(1, ToUnix(now));
  if (stmt.Step() != SQLITE_DONE) return DbError(stmt, db_.get(), "requeueing deliveries");
  return sqlite3_changes(db_.get());
}

Result<std::vector<std::int64_t>> SqliteStore::BringForward(std::string_view notifier,
                                                            const std::vector<std::int64_t>& ids,
                                                            TimePoint now) {
  Transaction transaction(db_.get(), Sync::kRelaxed);
  if (!transaction.begun()) return transaction.begun().error();
  Statement stmt(db_.get(), BringForwardSql('?', ids.empty() ? "" : " AND id = ?3"));
  std::vector<std::int64_t> brought;
  // Every delivery of the notifier in one pass, or each of `ids`.
  for (size_t i = 0; i < std::max<size_t>(ids.size(), 1); ++i) {
    stmt.Bind(1, notifier).Bind(2, ToUnix(now));
    if (!ids.empty()) stmt.Bind(3, ids[i]);
    int rc = 0;
    while ((rc = stmt.Step()) == SQLITE_ROW) brought.push_back(stmt.Int(0));
    if (rc != SQLITE_DONE) return DbError(stmt, db_.get(), "bringing deliveries forward");
    sqlite3_reset(stmt.get());
  }
  if (Status s = transaction.Commit(); !s) return s.error();
  return brought;
}

Result<SentMessages> SqliteStore::SentMessagesSince(std::string_view notifier, TimePoint since) {
  Statement stmt(db_.get(),
                 "SELECT count(DISTINCT coalesce(message_id, id)), min(sent_at) FROM deliveries "
                 "WHERE notifier = ?1 AND state = 'sent' AND sent_at >= ?2");
  stmt.Bind(1, notifier).Bind(2, ToUnix(since));
  if (stmt.Step() != SQLITE_ROW) return DbError(stmt, db_.get(), "counting sent messages");
  return SentMessages{static_cast<int>(stmt.Int(0)), stmt.Time(1)};
}

Result<TableRows> SqliteStore::ReadTable(std::string_view table) {
  if (!IsCopiedTable(table)) return Error::InvalidInput("no table " + std::string(table));
  Statement stmt(db_.get(), "SELECT * FROM " + std::string(table) + " ORDER BY 1");
  TableRows out;
  out.table = std::string(table);
  for (int c = 0; c < sqlite3_column_count(stmt.get()); ++c) {
    std::string column = sqlite3_column_name(stmt.get(), c);
    if (!IsLeaseColumn(column)) out.columns.push_back(std::move(column));
  }
  int rc = 0;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    auto& row = out.rows.emplace_back();
    for (int c = 0; c < sqlite3_column_count(stmt.get()); ++c) {
      if (IsLeaseColumn(sqlite3_column_name(stmt.get(), c))) continue;
      row.push_back(sqlite3_column_type(stmt.get(), c) == SQLITE_NULL
                        ? std::nullopt
                        : std::optional<std::string>(stmt.Text(c)));
    }
  }
  if (rc != SQLITE_DONE) return DbError(stmt, db_.get(), "reading " + std::string(table));
  return out;
}

Status SqliteStore::WriteTables(const std::vector<TableRows>& tables) {
  Transaction transaction(db_.get(), Sync::kDurable);
  if (!transaction.begun()) return transaction.begun();
  Statement count(db_.get(), kCountState);
  if (count.Step() != SQLITE_ROW) return DbError(count, db_.get(), "reading");
  if (count.Int(0) != 0) return NotEmpty(file_.string());
  for (const TableRows& table : tables) {
    if (!IsCopiedTable(table.table)) return Error::InvalidInput("no table " + table.table);
    Result<TableRows> mine = ReadTable(table.table);
    if (!mine) return mine.error();
    if (Status s = TargetHoldsColumns(table, *mine, file_.string()); !s) return s;
    const std::string sql = InsertRowSql(table, '?');
    Statement insert(db_.get(), sql);
    for (const auto& row : table.rows) {
      insert.Reset();
      for (size_t c = 0; c < row.size(); ++c) {
        if (row[c]) {
          insert.Bind(static_cast<int>(c + 1), std::string_view(*row[c]));
        } else {
          insert.BindNull(static_cast<int>(c + 1));
        }
      }
      if (insert.Step() != SQLITE_DONE) return DbError(insert, db_.get(), "writing " + table.table);
    }
  }
  return transaction.Commit();
}

}  // namespace feedwatch::store

namespace feedwatch::store {

Result<std::vector<TableRows>> Store::Copy(Store& from, Store& to) {
  std::vector<TableRows> tables;
  for (const std::string_view table : kTables) {
    Result<TableRows> rows = from.ReadTable(table);
    if (!rows) return rows.error();
    tables.push_back(std::move(*rows));
  }
  if (Status s = to.WriteTables(tables); !s) return s.error();
  return tables;
}

Result<std::unique_ptr<Store>> Store::ConnectReadOnly(std::string_view url,
                                                      std::string_view password) {
  return OpenPostgres(url, password, /*read_only=*/true);
}

Result<std::unique_ptr<Store>> Store::Connect(std::string_view url, std::string_view password) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return OpenPostgres(url, password);
  }
  if (url.starts_with("sqlite:")) url.remove_prefix(7);
  if (url.empty()) return Error::Usage("a store URL is empty");
  return Open(std::filesystem::path(url));
}

}  // namespace feedwatch::store
