#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "store/schema.h"
#include "store/sql.h"

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
  // Binds `text` without copying it: it must stay as it is until the statement is reset (the
  // next Reset, or the Statement's end). For the rows a poll writes, whose texts outlive it.
  Statement& BindKept(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
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

// Runs one statement without results (BEGIN, COMMIT, a PRAGMA), prepared once per connection.
Status RunOnce(sqlite3* db, const char* sql) {
  Statement stmt(db, sql);
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  return Error::Io(std::string("database: ") + sqlite3_errmsg(db));
}

// A migration's transaction.
class Migration {
 public:
  explicit Migration(sqlite3* db) : db_(db), status_(RunOnce(db, "BEGIN IMMEDIATE")) {}
  ~Migration() {
    if (status_.ok() && !committed_) (void)RunOnce(db_, "ROLLBACK");
  }
  Migration(const Migration&) = delete;
  Migration& operator=(const Migration&) = delete;
  const Status& begun() const { return status_; }
  Status Commit() {
    Status status = RunOnce(db_, "COMMIT");
    committed_ = status.ok();
    return status;
  }

 private:
  sqlite3* db_;
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
    Migration transaction(db);
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

// Where one instance runs, as on a SQLite file: every feed is its own, nothing is leased,
// stories need no lock (SQLite's write lock lets one writer in at a time), no other instance is
// listed, and a feed is polled when it is due.
class OneInstance final : public Coordination {
 public:
  Result<std::vector<FeedClaim>> ClaimFeeds(const std::vector<FeedRef>& feeds, TimePoint /*now*/,
                                            TimePoint /*until*/) override {
    std::vector<FeedClaim> out;
    out.reserve(feeds.size());
    for (const FeedRef& feed : feeds) out.push_back({feed.name, true, std::nullopt, {}});
    return out;
  }
  Status RenewLeases(const std::vector<std::string>& /*feeds*/, TimePoint /*until*/) override {
    return Status::Ok();
  }
  Status ReleaseLeases() override { return Status::Ok(); }
  Result<std::set<std::string>> HoldHosts(const std::vector<std::string>& hosts,
                                          const std::set<std::string>& /*busy*/, TimePoint /*now*/,
                                          Seconds /*lease*/) override {
    return std::set<std::string>(hosts.begin(), hosts.end());
  }
  Status LockStories(const std::set<std::string>& /*watches*/) override { return Status::Ok(); }
  Status UnlockStories() override { return Status::Ok(); }
  Result<std::vector<InstanceInfo>> Instances(TimePoint /*since*/) override {
    return std::vector<InstanceInfo>{};
  }
};

// A stepped statement's row.
class StatementRow final : public Row {
 public:
  explicit StatementRow(const Statement& stmt) : stmt_(stmt) {}
  bool Null(int column) const override {
    return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
  }
  std::int64_t Int(int column) const override { return stmt_.Int(column); }
  std::string Text(int column) const override { return stmt_.Text(column); }

 private:
  const Statement& stmt_;
};

class SqliteStore final : public Session, public SqlStore {
 public:
  SqliteStore(Database db, std::filesystem::path file)
      : SqlStore(static_cast<Session&>(*this)), db_(std::move(db)), file_(std::move(file)) {}

  std::string_view backend() const override { return "sqlite"; }
  Coordination& coordination() override { return one_instance_; }
  std::string location() const override { return file_.string(); }
  Result<std::unordered_map<std::string, std::string>> KnownItems(
      std::string_view feed, const std::vector<std::string>& keys) override;
  Status Heartbeat(TimePoint now, const std::vector<FeedPoll>& polls) override;
  Result<std::vector<Delivery>> DueDeliveries(TimePoint now, int limit, TimePoint until) override;
  Result<TableRows> ReadTable(std::string_view table) override;
  Status WriteTables(const std::vector<TableRows>& tables) override;

  Result<std::int64_t> Run(std::string_view sql, const Params& params, std::string_view what,
                           const EachRow& each, Plan /*plan*/) override {
    Statement stmt(db_.get(), sql);
    int index = 1;
    for (const Params::Value& value : params.values()) {
      if (const auto* text = std::get_if<std::string>(&value)) {
        stmt.Bind(index, std::string_view(*text));
      } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
        stmt.Bind(index, *number);
      } else {
        stmt.BindNull(index);
      }
      ++index;
    }
    const StatementRow row(stmt);
    int rc = 0;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      if (each) each(row);
    }
    if (rc != SQLITE_DONE) return DbError(stmt, db_.get(), what);
    return sqlite3_changes64(db_.get());
  }
  std::string IdsIn(std::string_view column, int param) const override {
    return std::string(column) + " IN (SELECT value FROM json_each(?" + std::to_string(param) +
           "))";
  }
  std::string IdsParam(const std::vector<std::int64_t>& ids) const override {
    std::string json = "[";
    for (const std::int64_t id : ids) json += (json.size() > 1 ? "," : "") + std::to_string(id);
    return json + "]";
  }

  // The connection runs with synchronous = NORMAL: in WAL mode a commit survives a crash of the
  // process, and the WAL is synced at checkpoints. A durable transaction runs under
  // synchronous = FULL: the WAL is synced at its COMMIT. Each durable commit costs an fsync.
  // A write takes the write lock at BEGIN (IMMEDIATE); a read takes one shared lock for its
  // statements (DEFERRED).
  Status Begin(Sync sync, Access access) override {
    durable_ = sync == Sync::kDurable;
    if (durable_) (void)RunOnce(db_.get(), "PRAGMA synchronous = FULL");
    Status begun =
        RunOnce(db_.get(), access == Access::kWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
    if (!begun) Relax();
    return begun;
  }
  Status Commit() override {
    Status committed = RunOnce(db_.get(), "COMMIT");
    if (committed) Relax();
    return committed;
  }
  void Rollback() override {
    (void)RunOnce(db_.get(), "ROLLBACK");
    Relax();
  }

 protected:
  Status LockStoriesForCommit(const std::set<std::string>& /*watches*/) override {
    return Status::Ok();
  }
  Result<std::unordered_map<std::string, std::int64_t>> RecordItems(
      std::int64_t feed_id, const std::vector<ItemRecord>& items, TimePoint now) override;

 private:
  void Relax() {
    if (std::exchange(durable_, false)) (void)RunOnce(db_.get(), "PRAGMA synchronous = NORMAL");
  }

  Database db_;
  std::filesystem::path file_;
  OneInstance one_instance_;
  bool durable_ = false;  // in a durable transaction
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

// The SQL of the deliveries a store may send, taken fairly (FairDueSql).
const std::string& DueSql() {
  static const std::string sql = FairDueSql("", "?2") + std::string(kDeliverySelect) +
                                 "JOIN pending p ON p.id = d.id JOIN chosen c ON c.unit = p.unit "
                                 "ORDER BY c.turn, c.at, c.unit, d.id";
  return sql;
}

}  // namespace

Result<std::unordered_map<std::string, std::string>> SqliteStore::KnownItems(
    std::string_view feed, const std::vector<std::string>& keys) {
  Transaction read(*this, Sync::kRelaxed, Access::kRead);
  if (!read.begun()) return read.begun().error();
  Statement stmt(db_.get(),
                 "SELECT items.content_hash FROM items JOIN feeds ON feeds.id = items.feed_id "
                 "WHERE feeds.name = ?1 AND items.item_key = ?2");
  std::unordered_map<std::string, std::string> known;
  for (const std::string& key : keys) {
    stmt.Reset();
    stmt.BindKept(1, feed).BindKept(2, key);
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

// One statement each, kept prepared: a poll writes one item after another.
Result<std::unordered_map<std::string, std::int64_t>> SqliteStore::RecordItems(
    std::int64_t feed_id, const std::vector<ItemRecord>& items, TimePoint now) {
  // No RETURNING: SQLite gathers a RETURNING statement's rows in a temporary b-tree, opened
  // and closed for each execution (without it, a 1,000-feed cold cycle cost 7% less). A new
  // item's id is the rowid just inserted; a known one's is read before its row is updated.
  sqlite3* db = db_.get();
  Statement insert_item(db,
                        "INSERT INTO items (feed_id, item_key, title, link, published_at, "
                        "first_seen_at, last_seen_at, canonical_url, content_hash, summary, "
                        "summary_marked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10) "
                        "ON CONFLICT (feed_id, item_key) DO NOTHING");
  Statement find_item(db, "SELECT id FROM items WHERE feed_id = ?1 AND item_key = ?2");
  Statement touch_item(db,
                       "UPDATE items SET last_seen_at = ?2, title = ?4, link = ?5, "
                       "canonical_url = ?6, content_hash = iif(?3 != '', ?3, content_hash), "
                       "summary = iif(?7 != '', ?7, summary), "
                       "summary_marked = iif(?8 != '', ?8, summary_marked) WHERE id = ?1");
  std::unordered_map<std::string, std::int64_t> ids;
  for (const ItemRecord& item : items) {
    // The item's texts outlive the statements: bound without a copy each.
    insert_item.Reset();
    insert_item.Bind(1, feed_id).BindKept(2, item.key).BindKept(3, item.title);
    insert_item.BindKept(4, item.link).Bind(5, item.published).Bind(6, ToUnix(now));
    insert_item.BindKept(7, item.canonical_url).BindKept(8, item.content_hash);
    insert_item.BindKept(9, item.summary).BindKept(10, item.summary_marked);
    if (insert_item.Step() != SQLITE_DONE) return DbError(insert_item, db, "recording item");
    if (sqlite3_changes64(db) == 1) {
      ids[item.key] = sqlite3_last_insert_rowid(db);
      continue;
    }
    // Seen before: still there, perhaps edited.
    find_item.Reset();
    find_item.Bind(1, feed_id).BindKept(2, item.key);
    if (find_item.Step() != SQLITE_ROW) return DbError(find_item, db, "finding item");
    const std::int64_t id = find_item.Int(0);
    touch_item.Reset();
    touch_item.Bind(1, id).Bind(2, ToUnix(now)).BindKept(3, item.content_hash);
    touch_item.BindKept(4, item.title).BindKept(5, item.link).BindKept(6, item.canonical_url);
    touch_item.BindKept(7, item.summary).BindKept(8, item.summary_marked);
    if (touch_item.Step() != SQLITE_DONE) return DbError(touch_item, db, "updating item");
    ids[item.key] = id;
  }
  return ids;
}

// Only the write: one instance leaves no heartbeat for others to read. The polls go first, in
// statements of their own: a round trip costs nothing in-process. The heartbeat is written
// whether or not they are.
Status SqliteStore::Heartbeat(TimePoint now, const std::vector<FeedPoll>& polls) {
  Status written = RecordPolls(polls);
  Statement stmt(db_.get(),
                 "INSERT INTO meta (key, value) VALUES ('heartbeat', ?1) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  stmt.Bind(1, std::to_string(ToUnix(now)));
  if (stmt.Step() != SQLITE_DONE) return DbError(stmt, db_.get(), "writing");
  return written;
}

Result<std::vector<Delivery>> SqliteStore::DueDeliveries(TimePoint now, int limit,
                                                         TimePoint /*until*/) {
  return Deliveries(DueSql(), Params().Add(now).Add(std::int64_t{limit}));
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
  Transaction transaction(*this, Sync::kDurable);
  if (!transaction.begun()) return transaction.begun();
  Statement count(db_.get(), kCountState);
  if (count.Step() != SQLITE_ROW) return DbError(count, db_.get(), "reading");
  if (count.Int(0) != 0) return NotEmpty(file_.string());
  for (const TableRows& table : tables) {
    if (!IsCopiedTable(table.table)) return Error::InvalidInput("no table " + table.table);
    Result<TableRows> mine = ReadTable(table.table);
    if (!mine) return mine.error();
    if (Status s = TargetHoldsColumns(table, *mine, file_.string()); !s) return s;
    const std::string sql = InsertRowSql(table);
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
