// The store on PostgreSQL, through libpq: the C client library PostgreSQL ships (Debian's
// libpq5), with nothing between it and us. libpqxx would add a C++ layer, its own exceptions
// and a second Debian package for what a few dozen lines here do: prepared statements,
// parameters as text, one connection.
//
// Several instances share the database. What each guarantee rests on:
// - a feed is polled by one instance at a time: ClaimFeeds takes due, unleased rows with
//   FOR UPDATE SKIP LOCKED and writes a lease (owner, deadline) in the same statement;
// - a delivery is sent by one instance: DueDeliveries claims the same way;
// - a story alerts once per watch: a head's story_seq is UNIQUE per watch (CommitPoll), and
//   numbered after the heads read in the same snapshot (RecentStories);
// - an item is matched once per watch: UNIQUE (watch, item_id), as in SQLite.
// A lost connection is opened again on the next call; the call that found it lost fails (Io).
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "base/text.h"
#include "store/schema.h"
#include "store/sql.h"

namespace feedwatch::store {
namespace {

struct ConnectionCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using Connection = std::unique_ptr<PGconn, ConnectionCloser>;

struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};

// `text` as PostgreSQL's text type holds it: valid UTF-8 without NUL. What a server sent may be
// neither (an ETag of raw bytes, a redirect's URL): such bytes become U+FFFD and NULs go, so
// that what a peer sends cannot make every write about its feed fail. SQLite keeps the bytes.
std::string StorableText(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && text[i] != '\0') {
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) break;
    i += length;
  }
  if (i == text.size()) return std::string(text);
  std::string out;
  CopyUtf8Replacing(text, out);
  std::erase(out, '\0');
  return out;
}

// A text[] or bigint[] literal: {"a","b\"c"}; nullopt elements are NULL.
std::string ArrayLiteral(const std::vector<std::optional<std::string>>& elements) {
  std::string literal = "{";
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) literal += ',';
    if (!elements[i]) {
      literal += "NULL";
      continue;
    }
    literal += '"';
    for (const char c : StorableText(*elements[i])) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  return literal + '}';
}
std::string ArrayLiteral(const std::vector<std::string>& elements) {
  return ArrayLiteral(std::vector<std::optional<std::string>>(elements.begin(), elements.end()));
}

// The type of each of a feed row's values (SqlStore::AddPollRows), in its columns' order.
constexpr std::array<std::string_view, SqlStore::kFeedRowValues> kFeedRowTypes = {
    "text", "text", "bigint", "bigint",  "text",   "text", "bigint", "integer", "text",
    "text", "text", "text",   "integer", "bigint", "text", "text",   "bigint",  "text"};

// Rows of polls as a SELECT of one array a column, from ?`first` (AddPollColumns): one text
// for any number of rows, where a VALUES list is a statement for each number.
std::string PollColumnsSelect(int first) {
  std::string sql = "SELECT * FROM unnest(";
  for (int v = 0; v < SqlStore::kFeedRowValues; ++v) {
    sql += (v == 0 ? "?" : ", ?") + std::to_string(first + v) +
           "::" + std::string(kFeedRowTypes[static_cast<size_t>(v)]) + "[]";
  }
  return sql + ")";
}

// A feed polled twice in one round: `polls` split into each feed's last poll (`last`) and the
// polls before it (`earlier`), each in the order made, as a statement writes a row once. False,
// and nothing split, when every feed is there once.
bool SplitRepeats(const std::vector<Store::FeedPoll>& polls, std::vector<Store::FeedPoll>& earlier,
                  std::vector<Store::FeedPoll>& last) {
  std::unordered_map<std::string_view, size_t> last_of;
  last_of.reserve(polls.size());
  for (size_t i = 0; i < polls.size(); ++i) last_of[polls[i].feed] = i;
  if (last_of.size() == polls.size()) return false;
  for (size_t i = 0; i < polls.size(); ++i) {
    (last_of.at(polls[i].feed) == i ? last : earlier).push_back(polls[i]);
  }
  return true;
}

// The lines of `text` (hosts, from string_agg: a host is what precedes a URL's path, which
// may hold a space but never a line break, as no header that brings a URL can).
std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> words;
  for (size_t start = 0; start < text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    words.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

// `sql` with its parameters written as PostgreSQL writes them: ?1 becomes $1. Quoted text and
// names are left as they are.
std::string DollarParams(std::string_view sql) {
  std::string out(sql);
  char quote = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?' && i + 1 < out.size() &&
               std::isdigit(static_cast<unsigned char>(out[i + 1])) != 0) {
      out[i] = '$';
    }
  }
  return out;
}

// A query's rows.
class Rows {
 public:
  explicit Rows(PGresult* result) : result_(result) {}
  ExecStatusType status() const { return PQresultStatus(result_.get()); }
  std::string ErrorMessage() const {
    std::string message = PQresultErrorMessage(result_.get());
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return message;
  }
  int size() const { return PQntuples(result_.get()); }
  size_t count() const { return static_cast<size_t>(size()); }
  bool Null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string Text(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<size_t>(PQgetlength(result_.get(), row, column))};
  }
  std::int64_t Int(int row, int column) const {
    const char* text = PQgetvalue(result_.get(), row, column);
    std::int64_t value = 0;
    std::from_chars(text, text + PQgetlength(result_.get(), row, column), value);
    return value;
  }
  std::optional<TimePoint> Time(int row, int column) const {
    if (Null(row, column)) return std::nullopt;
    return FromUnix(Int(row, column));
  }
  int columns() const { return PQnfields(result_.get()); }
  std::string ColumnName(int column) const { return PQfname(result_.get(), column); }
  // The number of rows a command changed.
  int Changed() const {
    const char* text = PQcmdTuples(result_.get());
    return text[0] != '\0' ? std::stoi(text) : 0;
  }

 private:
  std::unique_ptr<PGresult, ResultClearer> result_;
};

// One row of a query's rows.
class PgRow final : public Row {
 public:
  PgRow(const Rows& rows, int row) : rows_(rows), row_(row) {}
  bool Null(int column) const override { return rows_.Null(row_, column); }
  std::int64_t Int(int column) const override { return rows_.Int(row_, column); }
  std::string Text(int column) const override { return rows_.Text(row_, column); }

 private:
  const Rows& rows_;
  int row_;
};

// Where `url` says the database is, for messages: its user, host, port and database as libpq's
// own parser (PQconninfoParse) reads them, never a password, in the user info or in a
// parameter. A URL it cannot read is not quoted, nor is its parser's message, which can quote
// the password. A password with '@', '/' or ':' written plainly moves part of it into the host,
// port or database name, where a connection error would quote it: such a URL is refused too.
Result<std::string> Location(std::string_view url) {
  constexpr std::string_view kEncode =
      "; write '@' as %40, ':' as %3A, '/' as %2F and '%' as %25 in the user and password";
  const std::string text(url);
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(text.c_str(), &error), PQconninfoFree);
  PQfreemem(error);
  if (options == nullptr) {
    return Error::Config("the store URL is not a PostgreSQL connection URI libpq can read" +
                         std::string(kEncode));
  }
  std::string user, host, port, dbname;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view keyword = o->keyword;
    if (keyword == "user") user = o->val;
    if (keyword == "host") host = o->val;
    if (keyword == "port") port = o->val;
    if (keyword == "dbname") dbname = o->val;
  }
  const auto has = [](const std::string& field, std::string_view chars) {
    return field.find_first_of(chars) != std::string::npos;
  };
  if (has(host, "@") || has(dbname, "@") ||
      port.find_first_not_of("0123456789,") != std::string::npos) {
    return Error::Config(
        "the store URL's host, port or database name holds part of its user "
        "info" +
        std::string(kEncode));
  }
  std::string location = "postgresql://" + (user.empty() ? "" : user + "@");
  if (host.starts_with('/')) {  // a Unix socket's folder
    location += "/" + dbname + "?host=" + host + (port.empty() ? "" : "&port=" + port);
  } else {
    location += host + (port.empty() ? "" : ":" + port) + "/" + dbname;
  }
  return location;
}

// The first key of the advisory locks on a watch's stories ("fw" and 1); the second is the
// watch name's hashtext. Two names with one hash share a lock, which only serialises more.
constexpr std::int64_t kStoryLockClass = 0x66770001;

// The instance of `instances` that `host` goes to: the one whose id hashed with the host weighs
// most (rendezvous hashing). Every instance works it out alike from the same list, and a host
// moves only when the instance it goes to joins or leaves.
const std::string& ShareOf(const std::string& host, const std::vector<std::string>& instances) {
  const auto weight = [&](const std::string& id) {
    // FNV-1a over host, NUL, id; then a finaliser (splitmix64).
    uint64_t h = 0xcbf29ce484222325;
    const auto mix = [&](std::string_view text) {
      for (const char c : text) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3;
    };
    mix(host);
    mix(std::string_view("\0", 1));
    mix(id);
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9;
    h = (h ^ (h >> 27)) * 0x94d049bb133111eb;
    return h ^ (h >> 31);
  };
  const std::string* best = &instances.front();
  uint64_t best_weight = weight(*best);
  for (const std::string& id : instances) {
    const uint64_t w = weight(id);
    if (w > best_weight || (w == best_weight && id < *best)) {
      best = &id;
      best_weight = w;
    }
  }
  return *best;
}

// An instance whose heartbeat is older than this (or than the lease) has no share of the hosts.
constexpr Seconds kHostShareLive{15};

// An instance's row and the hosts it holds (ReadInstances), before a FROM.
constexpr std::string_view kInstanceSelect =
    "SELECT id, started_at, last_seen_at, config_hash, version, coalesce((SELECT "
    "string_agg(host, E'\\n' ORDER BY host) FROM host_leases WHERE owner = id), '')";

std::vector<InstanceInfo> ReadInstances(const Rows& rows) {
  std::vector<InstanceInfo> out;
  out.reserve(rows.count());
  for (int r = 0; r < rows.size(); ++r) {
    out.push_back({rows.Text(r, 0), FromUnix(rows.Int(r, 1)), FromUnix(rows.Int(r, 2)),
                   rows.Text(r, 3), rows.Text(r, 4), SplitLines(rows.Text(r, 5))});
  }
  return out;
}

class PgStore final : public Session, public SqlStore, public Coordination {
 public:
  PgStore(Connection conn, std::string location)
      : SqlStore(static_cast<Session&>(*this)),
        conn_(std::move(conn)),
        location_(std::move(location)) {}

  // `read_only`: every transaction of the session is read-only, and the schema is checked, not
  // migrated: NotFound when feedwatch never ran on the database, Io when it is another version.
  static Result<std::unique_ptr<Store>> Open(std::string_view url, std::string_view password,
                                             bool read_only);

  std::string_view backend() const override { return "postgresql"; }
  Coordination& coordination() override { return *this; }
  std::string location() const override { return location_; }

  Result<std::vector<FeedClaim>> ClaimFeeds(const std::vector<FeedRef>& feeds, TimePoint now,
                                            TimePoint until) override {
    // A claimed feed's state is read as it applies to the URL configured here.
    static const std::string claim_sql =
        "WITH due AS (SELECT f.id, x.configured FROM feeds f "
        "JOIN unnest(?1::text[], ?2::text[]) AS x(name, configured) ON x.name = f.name "
        "WHERE coalesce(f.next_due_at, 0) <= ?3 "
        "AND (f.lease_owner IS NULL OR f.lease_owner = ?4 OR f.lease_until < ?3) "
        "FOR UPDATE OF f SKIP LOCKED) "
        "UPDATE feeds f SET lease_owner = ?4, lease_until = ?5 FROM due WHERE f.id = due.id "
        "RETURNING " +
        FeedColumns("due.configured");
    std::unordered_map<std::string, FeedState> won;
    const auto claim = [&](const std::vector<std::string>& names,
                           const std::vector<std::string>& urls) -> Status {
      Result<Rows> claimed = Query(claim_sql,
                                   Params()
                                       .Add(ArrayLiteral(names))
                                       .Add(ArrayLiteral(urls))
                                       .Add(now)
                                       .Add(instance_.id)
                                       .Add(until),
                                   "claiming feeds");
      if (!claimed) return claimed.error();
      for (int r = 0; r < claimed->size(); ++r) {
        FeedState state = ReadFeedState(PgRow(*claimed, r));
        won.emplace(state.name, std::move(state));
      }
      return Status::Ok();
    };
    std::vector<std::string> names, urls;
    names.reserve(feeds.size());
    urls.reserve(feeds.size());
    for (const FeedRef& feed : feeds) {
      names.push_back(feed.name);
      urls.push_back(feed.url);
    }
    if (Status s = claim(names, urls); !s) return s.error();
    // Those not claimed: held by another instance, not due, or new to the store. The new ones
    // are recorded and claimed (rarely: a feed's first poll), so that a cycle costs one
    // statement a batch, two when another instance holds some.
    std::unordered_map<std::string, TimePoint> retry;
    if (won.size() < feeds.size()) {
      Result<Rows> state = Query(
          "SELECT name, greatest(coalesce(next_due_at, 0), coalesce(lease_until, 0)) FROM feeds "
          "WHERE name = ANY(?1::text[])",
          Params().Add(ArrayLiteral(names)), "claiming feeds");
      if (!state) return state.error();
      for (int r = 0; r < state->size(); ++r) {
        retry[state->Text(r, 0)] = FromUnix(state->Int(r, 1));
      }
      std::vector<std::string> new_names, new_urls;
      for (const FeedRef& feed : feeds) {
        if (won.contains(feed.name) || retry.contains(feed.name)) continue;
        new_names.push_back(feed.name);
        new_urls.push_back(feed.url);
      }
      if (!new_names.empty()) {
        if (Status s = Exec("INSERT INTO feeds (name, url) SELECT * FROM unnest(?1::text[], "
                            "?2::text[]) ON CONFLICT DO NOTHING",
                            Params().Add(ArrayLiteral(new_names)).Add(ArrayLiteral(new_urls)),
                            "recording feeds");
            !s) {
          return s.error();
        }
        if (Status s = claim(new_names, new_urls); !s) return s.error();
      }
    }
    std::vector<FeedClaim> out;
    out.reserve(feeds.size());
    for (const FeedRef& feed : feeds) {
      FeedClaim& result = out.emplace_back();
      result.name = feed.name;
      if (const auto it = won.find(feed.name); it != won.end()) {
        result.claimed = true;
        result.state = std::move(it->second);
      } else {
        const auto at = retry.find(feed.name);
        result.retry_at = at != retry.end() ? at->second : now;
      }
    }
    return out;
  }

  Status RenewLeases(const std::vector<std::string>& feeds, TimePoint until) override {
    return Exec(
        "UPDATE feeds SET lease_until = ?3 WHERE name = ANY(?1::text[]) AND lease_owner = ?2",
        Params().Add(ArrayLiteral(feeds)).Add(instance_.id).Add(until), "renewing leases");
  }

  Status ReleaseLeases() override {
    hosts_asked_.reset();
    for (const char* sql : {"UPDATE feeds SET lease_owner = NULL, lease_until = NULL "
                            "WHERE lease_owner = ?1",
                            "DELETE FROM host_leases WHERE owner = ?1",
                            "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL "
                            "WHERE lease_owner = ?1"}) {
      if (Status s = Exec(sql, Params().Add(instance_.id), "releasing leases"); !s) return s;
    }
    return Status::Ok();
  }

  Result<std::set<std::string>> HoldHosts(const std::vector<std::string>& hosts,
                                          const std::set<std::string>& busy, TimePoint now,
                                          Seconds lease) override {
    // The hosts are shared among the instances whose heartbeat (every 5 s) is no older than
    // the lease (15 s at least): the hosts of one that stopped move once it is that old.
    const TimePoint live_since = now - std::max(lease, kHostShareLive);
    const bool beat_now = BeatFresh(now);
    Result<std::vector<InstanceInfo>> live = InstancesSeen(now, live_since);
    beat_.reset();  // the hosts it read are this statement's to change
    if (!live) return live.error();
    std::vector<std::string> instances{instance_.id};  // live before its first heartbeat
    for (const InstanceInfo& instance : *live) {
      if (instance.id != instance_.id) instances.push_back(instance.id);
    }
    std::vector<std::string> share;
    std::vector<std::string> kept;  // the share, and the hosts being fetched from
    for (const std::string& host : hosts) {
      if (ShareOf(host, instances) == instance_.id) {
        share.push_back(host);
        kept.push_back(host);
      } else if (busy.contains(host)) {
        kept.push_back(host);
      }
    }
    // Asked again with nothing changed (the same hosts and live instances, none kept for its
    // fetches, now or by the last statement, which would have left it in host_leases) when
    // the last answer was the whole share and this round's heartbeat was written: the
    // statement would give up nothing, take nothing and keep it all (no live instance's host
    // is taken). It is asked anyway every sixth time, in case another instance took one all
    // the same (a clock far ahead of this one's).
    constexpr int kAnswerAgain = 5;
    if (HostsAsked* last = hosts_asked_ ? &*hosts_asked_ : nullptr;
        last != nullptr && beat_now && last->hosts == hosts && last->instances == instances &&
        last->lease == lease && kept.size() == share.size() && last->kept == share &&
        last->held.size() == share.size() && last->answered_again < kAnswerAgain) {
      ++last->answered_again;
      return last->held;
    }
    // In one statement: gives up the hosts neither in the share nor being fetched from, keeps
    // those of the share already held (no write: a host is held while its instance is live,
    // and the heartbeat says so), and takes the others that no live instance holds. Two
    // instances taking one host at once: the second's insert meets the first's row and its
    // WHERE, which refuses it. A host taken within the live window is refused too, whatever
    // the instances this statement sees: its owner may have taken it before its first
    // heartbeat, or committed that heartbeat after this statement's snapshot. A host kept only
    // for its fetches is not answered: no new fetch starts there, so that it is given up once
    // they end.
    Result<Rows> held = Query(
        "WITH given_up AS (DELETE FROM host_leases WHERE owner = ?2 "
        "AND NOT host = ANY(?4::text[])), "
        "kept AS (SELECT host FROM host_leases WHERE owner = ?2 AND host = ANY(?1::text[])), "
        "taken AS (INSERT INTO host_leases (host, owner, taken_at) "
        "SELECT h, ?2, ?5 FROM unnest(?1::text[]) h WHERE h NOT IN (SELECT host FROM kept) "
        "ON CONFLICT (host) DO UPDATE SET owner = excluded.owner, taken_at = excluded.taken_at "
        "WHERE host_leases.taken_at < ?3 AND NOT EXISTS (SELECT 1 FROM instances i "
        "WHERE i.id = host_leases.owner AND i.last_seen_at >= ?3) RETURNING host) "
        "SELECT host FROM kept UNION ALL SELECT host FROM taken",
        Params()
            .Add(ArrayLiteral(share))
            .Add(instance_.id)
            .Add(live_since)
            .Add(ArrayLiteral(kept))
            .Add(now),
        "leasing hosts");
    if (!held) return held.error();
    std::set<std::string> out;
    for (int r = 0; r < held->size(); ++r) out.insert(held->Text(r, 0));
    hosts_asked_ = HostsAsked{hosts, std::move(instances), lease, std::move(kept), out};
    return out;
  }

  // Advisory locks keyed by the watch's name: a session lock here, a transaction lock in
  // CommitPoll; the same session may hold both.
  Status LockStories(const std::set<std::string>& watches) override {
    for (const std::string& watch : watches) {
      if (Status s = Exec("SELECT pg_advisory_lock(?1, hashtext(?2))",
                          Params().Add(kStoryLockClass).Add(watch), "locking stories");
          !s) {
        return s;
      }
    }
    return Status::Ok();
  }
  Status UnlockStories() override {
    return Exec("SELECT pg_advisory_unlock_all()", Params(), "unlocking stories");
  }

  Result<std::vector<InstanceInfo>> Instances(TimePoint since) override {
    return InstancesSeen(since + kInstanceLive, since);  // housekeeping asks for those live
  }

  Result<std::unordered_map<std::string, std::string>> KnownItems(
      std::string_view feed, const std::vector<std::string>& keys) override {
    Result<Rows> rows = Query(
        "SELECT i.item_key, i.content_hash FROM items i JOIN feeds f ON f.id = i.feed_id "
        "WHERE f.name = ?1 AND i.item_key = ANY(?2::text[])",
        Params().Add(feed).Add(ArrayLiteral(keys)), "looking up items");
    if (!rows) return rows.error();
    // Keys as the caller gave them, which StorableText may have changed.
    std::unordered_map<std::string, std::string> stored_as;
    for (const std::string& key : keys) stored_as.try_emplace(StorableText(key), key);
    std::unordered_map<std::string, std::string> known;
    for (int r = 0; r < rows->size(); ++r) {
      const auto key = stored_as.find(rows->Text(r, 0));
      if (key != stored_as.end()) known[key->second] = rows->Text(r, 1);
    }
    return known;
  }

  // The write is this instance's heartbeat.
  Status Heartbeat(TimePoint now, const std::vector<FeedPoll>& polls) override {
    if (instance_.id.empty()) {
      Status written = RecordPolls(polls);
      const Status beat = Exec(
          "INSERT INTO meta (key, value) VALUES ('heartbeat', ?1) "
          "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          Params().Add(std::to_string(ToUnix(now))), "writing");
      return written ? beat : written;
    }
    // The instances are read back and the outbox counted in the same statement, for the
    // housekeeping that follows (Instances, HoldHosts, CountDeliveries), and the polls are
    // written in it, each feed's last (one before it goes first, on its own): an instance's
    // round is one round trip. Its parts see the tables as they were before its writes, so
    // this instance's row is the written one.
    beat_.reset();
    std::vector<FeedPoll> earlier;
    std::vector<FeedPoll> last;
    const std::vector<FeedPoll>& in_beat = SplitRepeats(polls, earlier, last) ? last : polls;
    Status written = RecordPolls(earlier);
    Params params;
    params.Add(instance_.id)
        .Add(now)
        .Add(instance_.config_hash)
        .Add(instance_.version)
        .Add(now - kInstanceLive);
    if (!in_beat.empty()) AddPollColumns(params, in_beat);
    // Texts that do not change with the polls' number: prepared once, and planned once.
    static const std::string beat_sql =
        "beat AS (INSERT INTO instances (id, started_at, last_seen_at, config_hash, version) "
        "VALUES (?1, ?2, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET "
        "last_seen_at = excluded.last_seen_at, config_hash = excluded.config_hash, "
        "version = excluded.version RETURNING *), "
        "live AS (SELECT * FROM beat UNION ALL SELECT * FROM instances "
        "WHERE last_seen_at >= ?5 AND id <> ?1), outbox AS (" +
        std::string(kCountDeliveries) + ") " + std::string(kInstanceSelect) +
        ", outbox.pending, outbox.dead FROM live, outbox ORDER BY id";
    static const std::string beat_alone = "WITH " + beat_sql;
    static const std::string beat_with_polls =
        "WITH polls AS (" + PollsUpsert(PollColumnsSelect(6)) + "), " + beat_sql;
    Result<Rows> rows = Query(in_beat.empty() ? beat_alone : beat_with_polls, params, "writing");
    if (!rows) return rows.error();
    beat_ =
        Beat{now, ReadInstances(*rows),
             OutboxCounts{static_cast<int>(rows->Int(0, 6)), static_cast<int>(rows->Int(0, 7))}};
    return written;
  }

  Result<OutboxCounts> CountDeliveries() override {
    if (beat_ && beat_->outbox) return *std::exchange(beat_->outbox, std::nullopt);
    return SqlStore::CountDeliveries();
  }

  Result<std::vector<Delivery>> DueDeliveries(TimePoint now, int limit, TimePoint until) override {
    // Free, this instance's, or held by an instance whose lease ran out (?1 now, ?2 this one).
    static constexpr const char* kMayClaim =
        "(d.lease_owner IS NULL OR d.lease_owner = ?2 OR d.lease_until < ?1)";
    Result<Rows> claimed = Query(
        // Instances claiming at the same moment read the same due units: each looks at eight
        // times its share, locks what no other holds (SKIP LOCKED) and keeps the first whole
        // units of those, so that a second claimer gets the next units, not nothing. Every
        // condition of `pending` stands again in `picked`: a row another instance claimed,
        // failed, deferred or put in a message since this statement's snapshot is checked
        // there once more (PostgreSQL rechecks a locked row against the conditions of its own
        // query level only), and left alone.
        FairDueSql(std::string("AND ") + kMayClaim, "8 * ?3") +
            ", picked AS (SELECT d.id, c.turn, c.at, c.unit, c.n FROM deliveries d "
            "JOIN pending p ON p.id = d.id JOIN chosen c ON c.unit = p.unit "
            "WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 "
            "AND coalesce(d.message_id, 'd' || d.id) = p.unit AND " +
            kMayClaim +
            // Rows are locked in order until twice the share (and the largest unit) is held:
            // the rest of the window stays free for the other claimers.
            " ORDER BY c.turn, c.at, c.unit FOR UPDATE OF d SKIP LOCKED "
            "LIMIT 2 * ?3 + (SELECT max(n) FROM chosen)), "
            "kept AS (SELECT unit FROM picked GROUP BY unit HAVING count(*) = min(n) "
            "ORDER BY min(turn), min(at), unit LIMIT ?3) "
            "UPDATE deliveries d SET lease_owner = ?2, lease_until = ?4 FROM picked "
            "JOIN kept ON kept.unit = picked.unit WHERE d.id = picked.id "
            "RETURNING d.id, picked.turn, picked.at, picked.unit",
        Params().Add(now).Add(instance_.id).Add(std::int64_t{limit}).Add(until),
        "claiming deliveries");
    if (!claimed) return claimed.error();
    if (claimed->size() == 0) return std::vector<Delivery>{};
    std::vector<std::int64_t> ids;
    ids.reserve(claimed->count());
    // Each delivery's place in the fair order (FairDueSql): the claim returns them unordered.
    std::unordered_map<std::int64_t, std::tuple<std::int64_t, std::int64_t, std::string>> order;
    for (int r = 0; r < claimed->size(); ++r) {
      ids.push_back(claimed->Int(r, 0));
      order[claimed->Int(r, 0)] = {claimed->Int(r, 1), claimed->Int(r, 2), claimed->Text(r, 3)};
    }
    Result<std::vector<Delivery>> due = Deliveries(
        std::string(kDeliverySelect) + "WHERE " + IdsIn("d.id", 1), Params().Add(IdsParam(ids)));
    if (!due) return due;
    std::sort(due->begin(), due->end(), [&](const Delivery& a, const Delivery& b) {
      return std::tie(order[a.id], a.id) < std::tie(order[b.id], b.id);
    });
    return due;
  }

  Result<TableRows> ReadTable(std::string_view table) override {
    if (!IsCopiedTable(table)) return Error::InvalidInput("no table " + std::string(table));
    Result<Rows> rows =
        Query("SELECT * FROM " + std::string(table) + " ORDER BY 1", Params(), "reading");
    if (!rows) return rows.error();
    TableRows out;
    out.table = std::string(table);
    std::vector<int> kept;
    for (int c = 0; c < rows->columns(); ++c) {
      if (IsLeaseColumn(rows->ColumnName(c))) continue;
      kept.push_back(c);
      out.columns.push_back(rows->ColumnName(c));
    }
    for (int r = 0; r < rows->size(); ++r) {
      auto& row = out.rows.emplace_back();
      for (const int c : kept) {
        row.push_back(rows->Null(r, c) ? std::nullopt : std::optional(rows->Text(r, c)));
      }
    }
    return out;
  }

  Status WriteTables(const std::vector<TableRows>& tables) override;

  Result<std::int64_t> Run(std::string_view sql, const Params& params, std::string_view what,
                           const EachRow& each, Plan plan) override {
    Result<Rows> rows = Query(sql, params, what, plan);
    if (!rows) return rows.error();
    if (each) {
      for (int r = 0; r < rows->size(); ++r) each(PgRow(*rows, r));
    }
    return rows->Changed();
  }
  std::string IdsIn(std::string_view column, int param) const override {
    return std::string(column) + " = ANY(?" + std::to_string(param) + "::bigint[])";
  }
  std::string IdsParam(const std::vector<std::int64_t>& ids) const override {
    std::string literal = "{";
    for (const std::int64_t id : ids) {
      literal += (literal.size() > 1 ? "," : "") + std::to_string(id);
    }
    return literal + "}";
  }

  // The session runs with synchronous_commit off, as SQLite's relaxed transactions: a commit
  // returns before its WAL reaches the disk, so a crash of the server (not of feedwatch) may
  // lose the last moment's bookkeeping. A durable transaction waits for the disk. Reads begin
  // as writes do.
  Status Begin(Sync sync, Access /*access*/) override {
    if (Status s = Exec("BEGIN", Params(), "beginning a transaction"); !s) return s;
    in_transaction_ = true;
    if (sync == Sync::kDurable) {
      if (Status s = Exec("SET LOCAL synchronous_commit = on", Params(), "beginning"); !s) {
        Rollback();
        return s;
      }
    }
    return Status::Ok();
  }
  Status Commit() override {
    Status committed = Exec("COMMIT", Params(), "committing");
    if (committed) in_transaction_ = false;
    return committed;
  }
  void Rollback() override {
    (void)Exec("ROLLBACK", Params(), "rolling back");
    in_transaction_ = false;
  }

 protected:
  Status LockStoriesForCommit(const std::set<std::string>& watches) override {
    for (const std::string& watch : watches) {
      if (Status s = Exec("SELECT pg_advisory_xact_lock(?1, hashtext(?2))",
                          Params().Add(kStoryLockClass).Add(watch), "locking stories");
          !s) {
        return s;
      }
    }
    return Status::Ok();
  }

  // Every item in one statement: new ones inserted, known ones touched (a feed listing one key
  // twice is read once, as its first).
  Result<std::unordered_map<std::string, std::int64_t>> RecordItems(
      std::int64_t feed_id, const std::vector<ItemRecord>& items, TimePoint now) override {
    std::unordered_map<std::string, std::int64_t> ids;
    if (items.empty()) return ids;
    {
      std::vector<std::optional<std::string>> keys, titles, links, published, urls, hashes,
          summaries, marked;
      std::unordered_map<std::string, bool> listed;  // as stored
      for (const ItemRecord& item : items) {
        if (!listed.try_emplace(StorableText(item.key), true).second) continue;
        keys.emplace_back(item.key);
        titles.emplace_back(item.title);
        links.emplace_back(item.link);
        published.push_back(item.published ? std::optional(std::to_string(ToUnix(*item.published)))
                                           : std::nullopt);
        urls.emplace_back(item.canonical_url);
        hashes.emplace_back(item.content_hash);
        summaries.emplace_back(item.summary);
        marked.emplace_back(item.summary_marked);
      }
      Result<Rows> rows = Query(
          "INSERT INTO items AS i (feed_id, item_key, title, link, published_at, first_seen_at, "
          "last_seen_at, canonical_url, content_hash, summary, summary_marked) "
          "SELECT ?1, k, t, l, p, ?2, ?2, c, h, s, sm FROM unnest(?3::text[], ?4::text[], "
          "?5::text[], ?6::bigint[], ?7::text[], ?8::text[], ?9::text[], ?10::text[]) "
          "AS x(k, t, l, p, c, h, s, sm) "
          "ON CONFLICT (feed_id, item_key) DO UPDATE SET last_seen_at = excluded.last_seen_at, "
          "title = excluded.title, link = excluded.link, canonical_url = excluded.canonical_url, "
          "content_hash = CASE WHEN excluded.content_hash <> '' THEN excluded.content_hash "
          "ELSE i.content_hash END, "
          "summary = CASE WHEN excluded.summary <> '' THEN excluded.summary ELSE i.summary END, "
          "summary_marked = CASE WHEN excluded.summary_marked <> '' THEN excluded.summary_marked "
          "ELSE i.summary_marked END RETURNING id, item_key",
          Params()
              .Add(feed_id)
              .Add(now)
              .Add(ArrayLiteral(keys))
              .Add(ArrayLiteral(titles))
              .Add(ArrayLiteral(links))
              .Add(ArrayLiteral(published))
              .Add(ArrayLiteral(urls))
              .Add(ArrayLiteral(hashes))
              .Add(ArrayLiteral(summaries))
              .Add(ArrayLiteral(marked)),
          "recording items");
      if (!rows) return rows.error();
      for (int r = 0; r < rows->size(); ++r) ids[rows->Text(r, 1)] = rows->Int(r, 0);
    }
    // By the keys as given, which StorableText may have changed.
    for (const ItemRecord& item : items) {
      if (const auto it = ids.find(StorableText(item.key)); it != ids.end()) {
        ids.try_emplace(item.key, it->second);
      }
    }
    return ids;
  }

 private:
  // `polls`' rows as one array a column (PollColumnsSelect), added to `params`.
  static void AddPollColumns(Params& params, const std::vector<FeedPoll>& polls) {
    Params rows;
    AddPollRows(rows, polls);
    for (size_t v = 0; v < kFeedRowValues; ++v) {
      std::vector<std::optional<std::string>> column;
      column.reserve(polls.size());
      for (size_t r = 0; r < polls.size(); ++r) {
        const Params::Value& value = rows.values()[r * kFeedRowValues + v];
        if (const auto* text = std::get_if<std::string>(&value)) {
          column.emplace_back(*text);
        } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
          column.emplace_back(std::to_string(*number));
        } else {
          column.emplace_back(std::nullopt);
        }
      }
      params.Add(ArrayLiteral(column));
    }
  }

  // Runs `sql`. A lost connection is opened again first; the call fails if that fails.
  Result<Rows> Query(std::string_view sql, const Params& params, std::string_view what,
                     Plan plan = Plan::kOnce) {
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      // Never inside a transaction: the rest of it would run on the new connection without
      // the part before, each statement committing on its own.
      if (in_transaction_) {
        return Error::Io("database: " + std::string(what) + ": the connection was lost");
      }
      PQreset(conn_.get());
      prepared_.clear();
      if (PQstatus(conn_.get()) != CONNECTION_OK) return Failed(what);
    }
    // Parameters as text, which PostgreSQL reads as the type their place in the SQL wants.
    std::vector<std::optional<std::string>> texts;
    texts.reserve(params.values().size());
    for (const Params::Value& value : params.values()) {
      if (const auto* text = std::get_if<std::string>(&value)) {
        texts.emplace_back(StorableText(*text));
      } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
        texts.emplace_back(std::to_string(*number));
      } else {
        texts.emplace_back(std::nullopt);
      }
    }
    std::vector<const char*> values;
    values.reserve(texts.size());
    for (const auto& text : texts) values.push_back(text ? text->c_str() : nullptr);
    const int count = static_cast<int>(values.size());
    if (plan == Plan::kEachTime) {
      Rows rows(PQexecParams(conn_.get(), DollarParams(sql).c_str(), count, nullptr, values.data(),
                             nullptr, nullptr, 0));
      if (rows.status() != PGRES_COMMAND_OK && rows.status() != PGRES_TUPLES_OK) {
        return Error::Io("database: " + std::string(what) + ": " + rows.ErrorMessage());
      }
      return rows;
    }
    auto [it, added] = prepared_.try_emplace(std::string(sql), "");
    if (added) {
      it->second = "s" + std::to_string(prepared_.size());
      Rows prepared(
          PQprepare(conn_.get(), it->second.c_str(), DollarParams(sql).c_str(), 0, nullptr));
      if (prepared.status() != PGRES_COMMAND_OK) {
        prepared_.erase(it);
        return Error::Io("database: " + std::string(what) + ": " + prepared.ErrorMessage());
      }
    }
    Rows rows(
        PQexecPrepared(conn_.get(), it->second.c_str(), count, values.data(), nullptr, nullptr, 0));
    if (rows.status() != PGRES_COMMAND_OK && rows.status() != PGRES_TUPLES_OK) {
      return Error::Io("database: " + std::string(what) + ": " + rows.ErrorMessage());
    }
    return rows;
  }
  Status Exec(std::string_view sql, const Params& params, std::string_view what) {
    Result<Rows> rows = Query(sql, params, what);
    if (!rows) return rows.error();
    return Status::Ok();
  }
  Error Failed(std::string_view what) const {
    std::string message = PQerrorMessage(conn_.get());
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Error::Io("database: " + std::string(what) + ": " + message);
  }

  Status Migrate();
  // The schema is this build's, read without writing (Open's read_only).
  Status CheckSchema();

  // This instance's heartbeat was written at most a second before `now` (this round's).
  bool BeatFresh(TimePoint now) const {
    return beat_ && now >= beat_->at && now - beat_->at <= Seconds(1);
  }
  // The instances seen at or after `since`, asked at `now`: as the last Heartbeat read them
  // if it was written at most a second before and read back that far, else read.
  Result<std::vector<InstanceInfo>> InstancesSeen(TimePoint now, TimePoint since) {
    if (BeatFresh(now) && since >= beat_->at - kInstanceLive) {
      std::vector<InstanceInfo> out;
      std::copy_if(beat_->live.begin(), beat_->live.end(), std::back_inserter(out),
                   [&](const InstanceInfo& instance) { return instance.last_seen_at >= since; });
      return out;
    }
    Result<Rows> rows =
        Query(std::string(kInstanceSelect) + " FROM instances WHERE last_seen_at >= ?1 ORDER BY id",
              Params().Add(since), "reading instances");
    if (!rows) return rows.error();
    return ReadInstances(*rows);
  }

  struct Beat {
    TimePoint at;
    std::vector<InstanceInfo> live;      // those seen since at - kInstanceLive, this one included
    std::optional<OutboxCounts> outbox;  // for the first CountDeliveries after it
  };
  // What the last HoldHosts asked and was answered, and how many times since it was asked of
  // the database.
  struct HostsAsked {
    std::vector<std::string> hosts;
    std::vector<std::string> instances;
    Seconds lease{};
    std::vector<std::string> kept;  // what host_leases holds for it, at most
    std::set<std::string> held;
    int answered_again = 0;
  };

  Connection conn_;
  std::string location_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
  bool in_transaction_ = false;                            // between a Transaction's BEGIN and end
  std::optional<Beat> beat_;
  std::optional<HostsAsked> hosts_asked_;
};

Status PgStore::WriteTables(const std::vector<TableRows>& tables) {
  Transaction transaction(*this, Sync::kDurable);
  if (!transaction.begun()) return transaction.begun();
  Result<Rows> count = Query(kCountState, Params(), "reading");
  if (!count) return count.error();
  if (count->Int(0, 0) != 0) return NotEmpty(location_);
  for (const TableRows& table : tables) {
    if (!IsCopiedTable(table.table)) return Error::InvalidInput("no table " + table.table);
    Result<TableRows> mine = ReadTable(table.table);
    if (!mine) return mine.error();
    if (Status s = TargetHoldsColumns(table, *mine, location_); !s) return s;
    const std::string sql = InsertRowSql(table);
    for (const auto& row : table.rows) {
      Params params;
      for (const auto& cell : row) {
        if (cell) {
          params.Add(*cell);
        } else {
          params.Null();
        }
      }
      if (Status s = Exec(sql, params, "writing " + table.table); !s) return s;
    }
    // Ids were copied: the identity columns go on after the largest.
    if (table.table != "meta") {
      if (Status s = Exec("SELECT setval(pg_get_serial_sequence('" + table.table +
                              "', 'id'), coalesce((SELECT max(id) FROM " + table.table +
                              "), 0) + 1, false)",
                          Params(), "writing " + table.table);
          !s) {
        return s;
      }
    }
  }
  return transaction.Commit();
}

// Migrations run under an advisory lock, so that instances starting together migrate once;
// each in its own transaction (PostgreSQL's DDL is transactional).
Status PgStore::CheckSchema() {
  Result<Rows> table = Query("SELECT to_regclass('feedwatch_schema') IS NOT NULL", Params(),
                             "reading the schema version");
  if (!table) return table.error();
  if (table->Text(0, 0) != "t") {
    return Error::NotFound(location_ + ": feedwatch has not run on this database yet");
  }
  Result<Rows> rows =
      Query("SELECT version FROM feedwatch_schema", Params(), "reading the schema version");
  if (!rows) return rows.error();
  const int version = rows->size() > 0 ? static_cast<int>(rows->Int(0, 0)) : 0;
  if (version != kSchemaVersion) {
    return Error::Io(location_ + ": database schema version " + std::to_string(version) +
                     "; this feedwatch reads version " + std::to_string(kSchemaVersion) +
                     " and does not change it here");
  }
  return Status::Ok();
}

Status PgStore::Migrate() {
  constexpr std::int64_t kMigrationLock = 0x66656564776174;  // "feedwat"
  if (Status s = Exec("SELECT pg_advisory_lock(?1)", Params().Add(kMigrationLock), "migrating");
      !s) {
    return s;
  }
  struct Unlock {
    PgStore& store;
    ~Unlock() {
      (void)store.Exec("SELECT pg_advisory_unlock(?1)", Params().Add(kMigrationLock), "migrating");
    }
  } unlock{*this};
  if (Status s = Exec("CREATE TABLE IF NOT EXISTS feedwatch_schema (version INTEGER NOT NULL)",
                      Params(), "migrating");
      !s) {
    return s;
  }
  Result<Rows> rows = Query("SELECT version FROM feedwatch_schema", Params(), "migrating");
  if (!rows) return rows.error();
  int version = 0;
  if (rows->size() == 0) {
    if (Status s = Exec("INSERT INTO feedwatch_schema (version) VALUES (0)", Params(), "migrating");
        !s) {
      return s;
    }
  } else {
    version = static_cast<int>(rows->Int(0, 0));
  }
  if (version > kSchemaVersion) {
    return Error::Io(location_ + ": database schema version " + std::to_string(version) +
                     " is newer than this feedwatch understands (" +
                     std::to_string(kSchemaVersion) + "); upgrade feedwatch");
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    Transaction transaction(*this, Sync::kDurable);
    if (!transaction.begun()) return transaction.begun();
    // Several statements: the simple query protocol, which takes them in one string.
    Rows migrated(PQexec(conn_.get(), std::string(kMigrations[v].postgresql).c_str()));
    if (migrated.status() != PGRES_COMMAND_OK && migrated.status() != PGRES_TUPLES_OK) {
      return Error::Io("migrating the database to schema version " + std::to_string(v + 1) + ": " +
                       migrated.ErrorMessage());
    }
    if (Status s = Exec("UPDATE feedwatch_schema SET version = ?1",
                        Params().Add(static_cast<std::int64_t>(v) + 1), "migrating");
        !s) {
      return s;
    }
    if (Status s = transaction.Commit(); !s) return s;
  }
  return Status::Ok();
}

Result<std::unique_ptr<Store>> PgStore::Open(std::string_view url, std::string_view password,
                                             bool read_only) {
  const std::string dbname(url);
  const std::string pass(password);
  // The URI expands into its parts (expand_dbname); a password given apart overrides the URI's.
  // The session commits without waiting for the disk unless a transaction asks (Transaction),
  // and reads an unquoted NULL in an array as null (ArrayLiteral), whatever the server's
  // array_nulls says.
  std::vector<const char*> keywords = {"dbname", "connect_timeout", "application_name",
                                       "client_encoding", "options"};
  std::vector<const char*> values = {
      dbname.c_str(), "10", "feedwatch", "UTF8",
      read_only ? "-c synchronous_commit=off -c array_nulls=on -c default_transaction_read_only=on"
                : "-c synchronous_commit=off -c array_nulls=on"};
  if (!pass.empty()) {
    keywords.push_back("password");
    values.push_back(pass.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  Result<std::string> where = Location(url);
  if (!where) return where.error();
  const std::string location = *where;
  Connection conn(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1));
  if (conn == nullptr) return Error::Io(location + ": cannot connect: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn.get());
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Error::Io(location + ": cannot connect: " + message);
  }
  // Feeds are in every script; a database in a single-byte encoding cannot hold Cyrillic and
  // Latin together. SQL_ASCII stores the bytes as they come, which suits too.
  const std::string encoding = PQparameterStatus(conn.get(), "server_encoding") != nullptr
                                   ? PQparameterStatus(conn.get(), "server_encoding")
                                   : "";
  if (encoding != "UTF8" && encoding != "SQL_ASCII") {
    return Error::Io(location + ": the database's encoding is " + encoding +
                     "; feedwatch needs UTF8 (CREATE DATABASE ... ENCODING 'UTF8')");
  }
  // Notices (such as "relation already exists, skipping") are not ours to print.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  auto store = std::make_unique<PgStore>(std::move(conn), location);
  if (read_only) {
    if (Status s = store->CheckSchema(); !s) return s.error();
    return std::unique_ptr<Store>(std::move(store));
  }
  if (Status s = store->Migrate(); !s) {
    return Error::Io(s.error().message.starts_with(location) ? s.error().message
                                                             : location + ": " + s.error().message);
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgres(std::string_view url, std::string_view password,
                                            bool read_only) {
  return PgStore::Open(url, password, read_only);
}

}  // namespace feedwatch::store
