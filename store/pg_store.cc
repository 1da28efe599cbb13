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
#include <charconv>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/text.h"
#include "store/internal.h"
#include "store/schema.h"
#include "store/store.h"

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

// A statement's parameters, as text (nullopt: NULL).
class Params {
 public:
  Params& Add(std::string_view text) {
    values_.emplace_back(StorableText(text));
    return *this;
  }
  Params& Add(std::int64_t value) {
    values_.emplace_back(std::to_string(value));
    return *this;
  }
  Params& Add(std::optional<TimePoint> value) {
    values_.push_back(value ? std::optional(std::to_string(ToUnix(*value))) : std::nullopt);
    return *this;
  }
  Params& Null() {
    values_.emplace_back(std::nullopt);
    return *this;
  }
  // A text[] or bigint[] literal: {"a","b\"c"}; nullopt elements are NULL.
  Params& Array(const std::vector<std::optional<std::string>>& elements) {
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
    literal += '}';
    values_.emplace_back(std::move(literal));
    return *this;
  }
  Params& Array(const std::vector<std::string>& elements) {
    return Array(std::vector<std::optional<std::string>>(elements.begin(), elements.end()));
  }

  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> Pointers() const {
    std::vector<const char*> out;
    out.reserve(values_.size());
    for (const auto& value : values_) out.push_back(value ? value->c_str() : nullptr);
    return out;
  }

 private:
  std::vector<std::optional<std::string>> values_;
};

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

constexpr std::string_view kFeedColumns =
    "name, url, last_attempt_at, last_success_at, next_due_at, consecutive_failures, "
    "last_status, coalesce(last_error, ''), etag, last_modified, body_hash, moved_to, gone, "
    "coalesce(lease_owner, ''), lease_until";

FeedState ReadFeedState(const Rows& rows, int r) {
  FeedState state;
  state.name = rows.Text(r, 0);
  state.url = rows.Text(r, 1);
  state.last_attempt_at = rows.Time(r, 2);
  state.last_success_at = rows.Time(r, 3);
  state.next_due_at = rows.Time(r, 4);
  state.consecutive_failures = static_cast<int>(rows.Int(r, 5));
  state.last_status = rows.Text(r, 6);
  state.last_error = rows.Text(r, 7);
  state.etag = rows.Text(r, 8);
  state.last_modified = rows.Text(r, 9);
  state.body_hash = rows.Text(r, 10);
  state.moved_to = rows.Text(r, 11);
  state.gone = rows.Int(r, 12) != 0;
  state.lease_owner = rows.Text(r, 13);
  state.lease_until = rows.Time(r, 14);
  return state;
}

constexpr std::string_view kStoryColumns =
    "SELECT m.id, m.watch, f.name, i.title, i.link, m.matched_at, i.published_at, m.snippet, "
    "(SELECT string_agg(name, E'\\n' ORDER BY first) FROM (SELECT ofd.name, min(om.id) AS first "
    "   FROM matches om JOIN items oi ON oi.id = om.item_id JOIN feeds ofd ON ofd.id = oi.feed_id "
    "   WHERE om.story_of = m.id AND ofd.id <> f.id GROUP BY ofd.name) o) "
    "FROM matches m JOIN items i ON i.id = m.item_id JOIN feeds f ON f.id = i.feed_id ";

constexpr std::string_view kDeliverySelect =
    "SELECT d.id, d.notifier, d.state, d.attempts, coalesce(d.first_due_at, d.created_at), "
    "d.next_attempt_at, coalesce(d.last_error, ''), coalesce(d.message_id, ''), m.watch, f.name, "
    "i.title, i.link, i.published_at, m.matched_at, i.summary, m.terms, m.snippet, m.id, "
    "(SELECT string_agg(name, E'\\n' ORDER BY first) FROM (SELECT ofd.name, min(om.id) AS first "
    "   FROM matches om JOIN items oi ON oi.id = om.item_id JOIN feeds ofd ON ofd.id = oi.feed_id "
    "   WHERE om.story_of = m.id AND ofd.id <> f.id GROUP BY ofd.name) o), m.item_id, "
    "i.summary_marked, m.hits "
    "FROM deliveries d JOIN matches m ON m.id = d.match_id "
    "JOIN items i ON i.id = m.item_id JOIN feeds f ON f.id = i.feed_id ";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    out.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

Delivery ReadDelivery(const Rows& rows, int r) {
  Delivery d;
  d.id = rows.Int(r, 0);
  d.notifier = rows.Text(r, 1);
  d.state = rows.Text(r, 2);
  d.attempts = static_cast<int>(rows.Int(r, 3));
  d.first_due_at = FromUnix(rows.Int(r, 4));
  d.next_attempt_at = FromUnix(rows.Int(r, 5));
  d.last_error = rows.Text(r, 6);
  d.message_id = rows.Text(r, 7);
  d.watch = rows.Text(r, 8);
  d.feed = rows.Text(r, 9);
  d.title = rows.Text(r, 10);
  d.link = rows.Text(r, 11);
  d.published = rows.Time(r, 12);
  d.matched_at = FromUnix(rows.Int(r, 13));
  d.summary = rows.Text(r, 14);
  d.terms = rows.Text(r, 15);
  d.snippet = rows.Text(r, 16);
  d.story = rows.Int(r, 17);
  d.also_reported_by = Lines(rows.Text(r, 18));
  d.item = rows.Int(r, 19);
  d.summary_marked = rows.Text(r, 20);
  d.hits = rows.Text(r, 21);
  return d;
}

std::vector<std::string> IdTexts(const std::vector<std::int64_t>& ids) {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (const std::int64_t id : ids) out.push_back(std::to_string(id));
  return out;
}

// The first key of the advisory locks on a watch's stories ("fw" and 1); the second is the
// watch name's hashtext. Two names with one hash share a lock, which only serialises more.
constexpr std::int64_t kStoryLockClass = 0x66770001;

class PgStore final : public Store {
 public:
  PgStore(Connection conn, std::string location)
      : conn_(std::move(conn)), location_(std::move(location)) {}

  // `read_only`: every transaction of the session is read-only, and the schema is checked, not
  // migrated: NotFound when feedwatch never ran on the database, Io when it is another version.
  static Result<std::unique_ptr<Store>> Open(std::string_view url, std::string_view password,
                                             bool read_only);

  std::string_view backend() const override { return "postgresql"; }
  bool shared() const override { return true; }
  std::string location() const override { return location_; }

  Result<FeedState> GetFeedState(std::string_view feed) override {
    Result<Rows> rows = Query("SELECT " + std::string(kFeedColumns) + " FROM feeds WHERE name = $1",
                              Params().Add(feed), "reading feed state");
    if (!rows) return rows.error();
    if (rows->size() > 0) return ReadFeedState(*rows, 0);
    FeedState state;
    state.name = std::string(feed);
    return state;
  }

  Result<std::vector<FeedState>> ListFeeds() override {
    Result<Rows> rows = Query("SELECT " + std::string(kFeedColumns) + " FROM feeds ORDER BY name",
                              Params(), "listing feeds");
    if (!rows) return rows.error();
    std::vector<FeedState> feeds;
    feeds.reserve(rows->count());
    for (int r = 0; r < rows->size(); ++r) feeds.push_back(ReadFeedState(*rows, r));
    return feeds;
  }

  Result<std::vector<FeedClaim>> ClaimFeeds(const std::vector<FeedRef>& feeds, TimePoint now,
                                            TimePoint until) override {
    std::unordered_map<std::string, FeedState> won;
    const auto claim = [&](const std::vector<std::string>& names) -> Status {
      Result<Rows> claimed = Query(
          "WITH due AS (SELECT id FROM feeds WHERE name = ANY($1::text[]) "
          "AND coalesce(next_due_at, 0) <= $2 "
          "AND (lease_owner IS NULL OR lease_owner = $3 OR lease_until < $2) "
          "FOR UPDATE SKIP LOCKED) "
          "UPDATE feeds f SET lease_owner = $3, lease_until = $4 FROM due WHERE f.id = due.id "
          "RETURNING " +
              std::string(kFeedColumns),
          Params().Array(names).Add(ToUnix(now)).Add(instance_.id).Add(ToUnix(until)),
          "claiming feeds");
      if (!claimed) return claimed.error();
      for (int r = 0; r < claimed->size(); ++r) {
        FeedState state = ReadFeedState(*claimed, r);
        won.emplace(state.name, std::move(state));
      }
      return Status::Ok();
    };
    std::vector<std::string> names;
    names.reserve(feeds.size());
    for (const FeedRef& feed : feeds) names.push_back(feed.name);
    if (Status s = claim(names); !s) return s.error();
    // Those not claimed: held by another instance, not due, or new to the store. The new ones
    // are recorded and claimed (rarely: a feed's first poll), so that a cycle costs one
    // statement a batch, two when another instance holds some.
    std::unordered_map<std::string, TimePoint> retry;
    if (won.size() < feeds.size()) {
      Result<Rows> state = Query(
          "SELECT name, greatest(coalesce(next_due_at, 0), coalesce(lease_until, 0)) FROM feeds "
          "WHERE name = ANY($1::text[])",
          Params().Array(names), "claiming feeds");
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
        if (Status s = Exec("INSERT INTO feeds (name, url) SELECT * FROM unnest($1::text[], "
                            "$2::text[]) ON CONFLICT DO NOTHING",
                            Params().Array(new_names).Array(new_urls), "recording feeds");
            !s) {
          return s.error();
        }
        if (Status s = claim(new_names); !s) return s.error();
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
        "UPDATE feeds SET lease_until = $3 WHERE name = ANY($1::text[]) AND lease_owner = $2",
        Params().Array(feeds).Add(instance_.id).Add(ToUnix(until)), "renewing leases");
  }

  Status ReleaseLeases() override {
    for (const char* sql : {"UPDATE feeds SET lease_owner = NULL, lease_until = NULL "
                            "WHERE lease_owner = $1",
                            "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL "
                            "WHERE lease_owner = $1"}) {
      if (Status s = Exec(sql, Params().Add(instance_.id), "releasing leases"); !s) return s;
    }
    return Status::Ok();
  }

  Result<std::unordered_map<std::string, std::string>> KnownItems(
      std::string_view feed, const std::vector<std::string>& keys) override {
    Result<Rows> rows = Query(
        "SELECT i.item_key, i.content_hash FROM items i JOIN feeds f ON f.id = i.feed_id "
        "WHERE f.name = $1 AND i.item_key = ANY($2::text[])",
        Params().Add(feed).Array(keys), "looking up items");
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

  Result<std::vector<StoryHead>> CommitPoll(
      std::string_view feed, std::string_view url, const PollRecord& poll,
      const std::vector<ItemRecord>& items,
      const std::map<std::string, std::int64_t>& last_seq) override;

  // Advisory locks keyed by the watch's name: a session lock here, a transaction lock in
  // CommitPoll; the same session may hold both.
  Status LockStories(const std::set<std::string>& watches) override {
    for (const std::string& watch : watches) {
      if (Status s = Exec("SELECT pg_advisory_lock($1, hashtext($2))",
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

  Status RecordPoll(std::string_view feed, std::string_view url, const PollRecord& poll) override {
    // One statement, one round trip: a warm cycle is thousands of these.
    Result<std::int64_t> feed_id = RecordFeed(feed, url, poll, /*items_read=*/false);
    if (!feed_id) return feed_id.error();
    return Status::Ok();
  }

  Result<int> ForgetItemsSeenBefore(TimePoint cutoff) override {
    Result<Rows> rows = Query(
        "DELETE FROM items i USING feeds f WHERE f.id = i.feed_id AND i.last_seen_at < $1 "
        "AND i.last_seen_at < coalesce(f.last_read_at, 0)",
        Params().Add(ToUnix(cutoff)), "forgetting old items");
    if (!rows) return rows.error();
    return rows->Changed();
  }

  Result<int> CountMatchesSince(TimePoint since) override {
    Result<Rows> rows =
        Query("SELECT count(*) FROM matches WHERE matched_at >= $1 AND story_of IS NULL",
              Params().Add(ToUnix(since)), "counting matches");
    if (!rows) return rows.error();
    return static_cast<int>(rows->Int(0, 0));
  }

  Result<OutboxCounts> CountDeliveries() override {
    Result<Rows> rows = Query(
        "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = "
        "'dead') FROM deliveries WHERE state IN ('pending', 'dead')",
        Params(), "counting deliveries");
    if (!rows) return rows.error();
    return OutboxCounts{static_cast<int>(rows->Int(0, 0)), static_cast<int>(rows->Int(0, 1))};
  }

  Result<std::vector<NotifierOutbox>> NotifierOutboxes() override {
    Result<Rows> rows =
        Query(std::string(kNotifierOutboxSql), Params(), "reading the outbox by notifier");
    if (!rows) return rows.error();
    std::vector<NotifierOutbox> out;
    out.reserve(rows->count());
    for (int r = 0; r < rows->size(); ++r) {
      out.push_back({rows->Text(r, 0), static_cast<int>(rows->Int(r, 1)),
                     static_cast<int>(rows->Int(r, 2)), rows->Time(r, 3), rows->Time(r, 4)});
    }
    return out;
  }

  Status Heartbeat(TimePoint now) override {
    if (instance_.id.empty()) {
      return Exec(
          "INSERT INTO meta (key, value) VALUES ('heartbeat', $1) "
          "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          Params().Add(std::to_string(ToUnix(now))), "writing");
    }
    return Exec(
        "INSERT INTO instances (id, started_at, last_seen_at, config_hash, version) "
        "VALUES ($1, $2, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET "
        "last_seen_at = excluded.last_seen_at, config_hash = excluded.config_hash, "
        "version = excluded.version",
        Params()
            .Add(instance_.id)
            .Add(ToUnix(now))
            .Add(instance_.config_hash)
            .Add(instance_.version),
        "writing");
  }

  Result<std::vector<InstanceInfo>> Instances(TimePoint since) override {
    Result<Rows> rows = Query(
        "SELECT id, started_at, last_seen_at, config_hash, version FROM instances "
        "WHERE last_seen_at >= $1 ORDER BY id",
        Params().Add(ToUnix(since)), "reading instances");
    if (!rows) return rows.error();
    std::vector<InstanceInfo> out;
    out.reserve(rows->count());
    for (int r = 0; r < rows->size(); ++r) {
      out.push_back({rows->Text(r, 0), FromUnix(rows->Int(r, 1)), FromUnix(rows->Int(r, 2)),
                     rows->Text(r, 3), rows->Text(r, 4)});
    }
    return out;
  }

  Result<std::vector<StoryMatch>> StoriesSince(TimePoint since) override {
    return Stories(std::string(kStoryColumns) +
                       "WHERE m.matched_at >= $1 AND m.story_of IS NULL "
                       "ORDER BY m.matched_at DESC, m.id DESC",
                   Params().Add(ToUnix(since)));
  }

  Result<std::vector<StoryMatch>> LatestStories(std::string_view watch, int limit) override {
    return Stories(std::string(kStoryColumns) +
                       "WHERE m.watch = $1 AND m.story_of IS NULL "
                       "ORDER BY m.matched_at DESC, m.id DESC LIMIT $2",
                   Params().Add(watch).Add(static_cast<std::int64_t>(limit)));
  }

  Result<StoryHeads> RecentStories(std::string_view watch, TimePoint since,
                                   std::int64_t after_seq) override {
    // One statement, so one snapshot: the heads and the last number agree. Read apart, a story
    // another instance commits between the two reads would be counted in `last_seq` yet missing
    // from the heads, and this instance's commit would start it a second time unopposed.
    Result<Rows> rows = Query(
        "SELECT l.seq, h.id, h.title, h.canonical_url, h.matched_at, h.story_seq "
        "FROM (SELECT coalesce(max(story_seq), 0) AS seq FROM matches WHERE watch = $1) l "
        "LEFT JOIN (SELECT m.id, i.title, i.canonical_url, m.matched_at, "
        "coalesce(m.story_seq, 0) AS story_seq FROM matches m JOIN items i ON i.id = m.item_id "
        "WHERE m.watch = $1 AND m.matched_at >= $2 AND m.story_of IS NULL "
        "AND ($3 = 0 OR m.story_seq > $3)) h ON true ORDER BY h.matched_at, h.id",
        Params().Add(watch).Add(ToUnix(since)).Add(after_seq), "reading recent stories");
    if (!rows) return rows.error();
    StoryHeads out;
    out.last_seq = rows->Int(0, 0);
    for (int r = 0; r < rows->size(); ++r) {
      if (rows->Null(r, 1)) break;  // no head: the one row holds the last number only
      out.heads.push_back({rows->Int(r, 1), rows->Int(r, 5), std::string(watch), rows->Text(r, 2),
                           rows->Text(r, 3), FromUnix(rows->Int(r, 4))});
    }
    return out;
  }

  Result<std::string> InstanceId() override {
    Result<Rows> rows =
        Query("SELECT value FROM meta WHERE key = 'instance'", Params(), "reading the instance id");
    if (!rows) return rows.error();
    if (rows->size() == 0) return Error::Io("database: no instance id");
    return rows->Text(0, 0);
  }

  Result<std::vector<Delivery>> DueDeliveries(TimePoint now, int limit, TimePoint until) override {
    // Free, this instance's, or held by an instance whose lease ran out ($1 now, $2 this one).
    static constexpr const char* kMayClaim =
        "(d.lease_owner IS NULL OR d.lease_owner = $2 OR d.lease_until < $1)";
    Result<Rows> claimed = Query(
        // Instances claiming at the same moment read the same due units: each looks at eight
        // times its share, locks what no other holds (SKIP LOCKED) and keeps the first whole
        // units of those, so that a second claimer gets the next units, not nothing. Every
        // condition of `pending` stands again in `picked`: a row another instance claimed,
        // failed, deferred or put in a message since this statement's snapshot is checked
        // there once more (PostgreSQL rechecks a locked row against the conditions of its own
        // query level only), and left alone.
        FairDueSql(std::string("AND ") + kMayClaim, '$', "8 * $3") +
            ", picked AS (SELECT d.id, c.turn, c.at, c.unit, c.n FROM deliveries d "
            "JOIN pending p ON p.id = d.id JOIN chosen c ON c.unit = p.unit "
            "WHERE d.state = 'pending' AND d.next_attempt_at <= $1 "
            "AND coalesce(d.message_id, 'd' || d.id) = p.unit AND " +
            kMayClaim +
            // Rows are locked in order until twice the share (and the largest unit) is held:
            // the rest of the window stays free for the other claimers.
            " ORDER BY c.turn, c.at, c.unit FOR UPDATE OF d SKIP LOCKED "
            "LIMIT 2 * $3 + (SELECT max(n) FROM chosen)), "
            "kept AS (SELECT unit FROM picked GROUP BY unit HAVING count(*) = min(n) "
            "ORDER BY min(turn), min(at), unit LIMIT $3) "
            "UPDATE deliveries d SET lease_owner = $2, lease_until = $4 FROM picked "
            "JOIN kept ON kept.unit = picked.unit WHERE d.id = picked.id "
            "RETURNING d.id, picked.turn, picked.at, picked.unit",
        Params()
            .Add(ToUnix(now))
            .Add(instance_.id)
            .Add(static_cast<std::int64_t>(limit))
            .Add(ToUnix(until)),
        "claiming deliveries");
    if (!claimed) return claimed.error();
    if (claimed->size() == 0) return std::vector<Delivery>{};
    std::vector<std::string> ids;
    ids.reserve(claimed->count());
    // Each delivery's place in the fair order (FairDueSql): the claim returns them unordered.
    std::unordered_map<std::int64_t, std::tuple<std::int64_t, std::int64_t, std::string>> order;
    for (int r = 0; r < claimed->size(); ++r) {
      ids.push_back(claimed->Text(r, 0));
      order[claimed->Int(r, 0)] = {claimed->Int(r, 1), claimed->Int(r, 2), claimed->Text(r, 3)};
    }
    Result<std::vector<Delivery>> due = Deliveries(
        std::string(kDeliverySelect) + "WHERE d.id = ANY($1::bigint[])", Params().Array(ids));
    if (!due) return due;
    std::sort(due->begin(), due->end(), [&](const Delivery& a, const Delivery& b) {
      return std::tie(order[a.id], a.id) < std::tie(order[b.id], b.id);
    });
    return due;
  }

  Result<std::vector<Delivery>> ListDeliveries(bool all) override {
    return Deliveries(
        std::string(kDeliverySelect) + (all ? "" : "WHERE d.state <> 'sent' ") + "ORDER BY d.id",
        Params());
  }

  Status AssignMessage(const std::vector<std::int64_t>& ids, std::string_view message_id) override {
    return Durably("UPDATE deliveries SET message_id = $2 WHERE id = ANY($1::bigint[])",
                   Params().Array(IdTexts(ids)).Add(message_id), "naming a message");
  }

  Status MarkSent(const std::vector<std::int64_t>& ids, TimePoint now) override {
    return Durably(
        "UPDATE deliveries SET state = 'sent', sent_at = $2, attempts = attempts + 1, "
        "last_error = NULL, lease_owner = NULL, lease_until = NULL WHERE id = ANY($1::bigint[])",
        Params().Array(IdTexts(ids)).Add(ToUnix(now)), "marking delivery sent");
  }

  Status MarkFailed(const std::vector<std::int64_t>& ids, TimePoint next_attempt,
                    std::string_view error) override {
    return Durably(
        "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3, "
        "lease_owner = NULL, lease_until = NULL WHERE id = ANY($1::bigint[])",
        Params().Array(IdTexts(ids)).Add(ToUnix(next_attempt)).Add(error),
        "recording delivery failure");
  }

  Status MarkDead(const std::vector<std::int64_t>& ids, std::string_view error) override {
    return Durably(
        "UPDATE deliveries SET state = 'dead', attempts = attempts + 1, last_error = $2, "
        "lease_owner = NULL, lease_until = NULL WHERE id = ANY($1::bigint[])",
        Params().Array(IdTexts(ids)).Add(error), "giving up a delivery");
  }

  Status Defer(const std::vector<std::int64_t>& ids, TimePoint next_attempt) override {
    return Durably(
        "UPDATE deliveries SET next_attempt_at = $2, lease_owner = NULL, lease_until = NULL "
        "WHERE id = ANY($1::bigint[])",
        Params().Array(IdTexts(ids)).Add(ToUnix(next_attempt)), "deferring a delivery");
  }

  Status Retry(std::int64_t id, TimePoint now) override {
    Result<Rows> rows =
        Query("SELECT state FROM deliveries WHERE id = $1", Params().Add(id), "reading the outbox");
    if (!rows) return rows.error();
    if (rows->size() == 0) return Error::NotFound("no delivery " + std::to_string(id));
    if (rows->Text(0, 0) == "sent") {
      return Error::InvalidInput("delivery " + std::to_string(id) + " was sent already");
    }
    return Exec(
        "UPDATE deliveries SET state = 'pending', attempts = 0, first_due_at = $2, "
        "next_attempt_at = $2, lease_owner = NULL, lease_until = NULL WHERE id = $1",
        Params().Add(id).Add(ToUnix(now)), "requeueing a delivery");
  }

  Result<int> RetryDead(TimePoint now) override {
    Result<Rows> rows = Query(
        "UPDATE deliveries SET state = 'pending', attempts = 0, first_due_at = $1, "
        "next_attempt_at = $1, lease_owner = NULL, lease_until = NULL WHERE state = 'dead'",
        Params().Add(ToUnix(now)), "requeueing deliveries");
    if (!rows) return rows.error();
    return rows->Changed();
  }

  Result<std::vector<std::int64_t>> BringForward(std::string_view notifier,
                                                 const std::vector<std::int64_t>& ids,
                                                 TimePoint now) override {
    Params params;
    params.Add(notifier).Add(ToUnix(now));
    if (!ids.empty()) params.Array(IdTexts(ids));
    Result<Rows> rows =
        Query(BringForwardSql('$', ids.empty() ? "" : " AND id = ANY($3::bigint[])"), params,
              "bringing deliveries forward");
    if (!rows) return rows.error();
    std::vector<std::int64_t> brought;
    brought.reserve(rows->count());
    for (int r = 0; r < rows->size(); ++r) brought.push_back(rows->Int(r, 0));
    return brought;
  }

  Result<SentMessages> SentMessagesSince(std::string_view notifier, TimePoint since) override {
    Result<Rows> rows = Query(
        "SELECT count(DISTINCT coalesce(message_id, id::text)), min(sent_at) FROM deliveries "
        "WHERE notifier = $1 AND state = 'sent' AND sent_at >= $2",
        Params().Add(notifier).Add(ToUnix(since)), "counting sent messages");
    if (!rows) return rows.error();
    return SentMessages{static_cast<int>(rows->Int(0, 0)), rows->Time(0, 1)};
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

 private:
  // BEGIN on construction; ROLLBACK on destruction unless Commit() succeeded. The session runs
  // with synchronous_commit off, as SQLite's relaxed transactions: a commit returns before its
  // WAL reaches the disk, so a crash of the server (not of feedwatch) may lose the last moment's
  // bookkeeping, which costs a poll done again. A durable transaction waits for the disk: what
  // alerts depend on (matches with their deliveries, a delivery's state).
  class Transaction {
   public:
    Transaction(PgStore& store, bool durable) : store_(store) {
      status_ = store_.Exec("BEGIN", Params(), "beginning a transaction");
      store_.in_transaction_ = status_.ok();
      if (status_ && durable) {
        status_ = store_.Exec("SET LOCAL synchronous_commit = on", Params(), "beginning");
      }
    }
    ~Transaction() {
      if (status_.ok() && !committed_) (void)store_.Exec("ROLLBACK", Params(), "rolling back");
      store_.in_transaction_ = false;
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    const Status& begun() const { return status_; }
    Status Commit() {
      Status status = store_.Exec("COMMIT", Params(), "committing");
      committed_ = status.ok();
      return status;
    }

   private:
    PgStore& store_;
    Status status_;
    bool committed_ = false;
  };

  // How a statement is planned. kOnce: prepared on first use on this connection, and its plan
  // reused (PostgreSQL settles on a generic plan after five runs). kEachTime: planned for each
  // run with its parameters, for the joins across the tables that grow: a generic plan made
  // while they were nearly empty (a new database's first minutes) scans them whole, and a
  // prepared statement keeps it, which made reading the outbox cost in proportion to every
  // match ever recorded.
  enum class Plan { kOnce, kEachTime };

  // Runs `sql`. A lost connection is opened again first; the call fails if that fails.
  Result<Rows> Query(const std::string& sql, const Params& params, std::string_view what,
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
    const std::vector<const char*> values = params.Pointers();
    if (plan == Plan::kEachTime) {
      Rows rows(PQexecParams(conn_.get(), sql.c_str(), params.size(), nullptr, values.data(),
                             nullptr, nullptr, 0));
      if (rows.status() != PGRES_COMMAND_OK && rows.status() != PGRES_TUPLES_OK) {
        return Error::Io("database: " + std::string(what) + ": " + rows.ErrorMessage());
      }
      return rows;
    }
    auto [it, added] = prepared_.try_emplace(sql, "");
    if (added) {
      it->second = "s" + std::to_string(prepared_.size());
      Rows prepared(PQprepare(conn_.get(), it->second.c_str(), sql.c_str(), 0, nullptr));
      if (prepared.status() != PGRES_COMMAND_OK) {
        prepared_.erase(it);
        return Error::Io("database: " + std::string(what) + ": " + prepared.ErrorMessage());
      }
    }
    Rows rows(PQexecPrepared(conn_.get(), it->second.c_str(), params.size(), values.data(), nullptr,
                             nullptr, 0));
    if (rows.status() != PGRES_COMMAND_OK && rows.status() != PGRES_TUPLES_OK) {
      return Error::Io("database: " + std::string(what) + ": " + rows.ErrorMessage());
    }
    return rows;
  }
  Status Exec(const std::string& sql, const Params& params, std::string_view what) {
    Result<Rows> rows = Query(sql, params, what);
    if (!rows) return rows.error();
    return Status::Ok();
  }
  // Exec in a durable transaction of its own.
  Status Durably(const std::string& sql, const Params& params, std::string_view what) {
    Transaction transaction(*this, /*durable=*/true);
    if (!transaction.begun()) return transaction.begun();
    if (Status s = Exec(sql, params, what); !s) return s;
    return transaction.Commit();
  }
  Error Failed(std::string_view what) const {
    std::string message = PQerrorMessage(conn_.get());
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Error::Io("database: " + std::string(what) + ": " + message);
  }
  // Records `poll` in the row of the feed called `name` (created with `url` when new) and
  // returns its id. A success resets the failure count; a validator, body hash or redirect is
  // kept from before when the poll brings none, unless the configured URL changed: what was
  // learnt about the old one (its validators, a redirect, 410 Gone) does not apply. Ends this
  // instance's lease. `items_read`: the poll read the feed's items (CommitPoll).
  Result<std::int64_t> RecordFeed(std::string_view name, std::string_view url,
                                  const PollRecord& poll, bool items_read) {
    const bool ok = poll.error.empty();
    Result<Rows> rows = Query(
        "INSERT INTO feeds AS f (name, url, last_attempt_at, next_due_at, last_status, "
        "last_error, last_success_at, consecutive_failures, etag, last_modified, body_hash, "
        "moved_to, gone, last_read_at) VALUES ($1, $2, $3::bigint, $4, $5, nullif($6, ''), "
        "CASE WHEN $7::boolean THEN $3::bigint END, CASE WHEN $7::boolean THEN 0 ELSE 1 END, $8, "
        "$9, $10, $11, $12, "
        "CASE WHEN $14::boolean THEN $3::bigint END) "
        "ON CONFLICT (name) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, "
        "next_due_at = excluded.next_due_at, last_status = excluded.last_status, "
        "last_error = excluded.last_error, "
        "last_success_at = CASE WHEN $7::boolean THEN excluded.last_attempt_at ELSE "
        "f.last_success_at END, "
        "consecutive_failures = CASE WHEN $7::boolean THEN 0 ELSE f.consecutive_failures + 1 END, "
        "etag = CASE WHEN $8 <> '' THEN $8 WHEN f.url = excluded.url THEN f.etag ELSE '' END, "
        "last_modified = CASE WHEN $9 <> '' THEN $9 WHEN f.url = excluded.url "
        "THEN f.last_modified ELSE '' END, "
        "body_hash = CASE WHEN $10 <> '' THEN $10 WHEN f.url = excluded.url THEN f.body_hash "
        "ELSE '' END, "
        "moved_to = CASE WHEN $11 <> '' THEN $11 WHEN f.url = excluded.url THEN f.moved_to "
        "ELSE '' END, "
        "gone = excluded.gone, "
        "last_read_at = CASE WHEN $14::boolean THEN excluded.last_attempt_at ELSE f.last_read_at "
        "END, "
        "lease_until = CASE WHEN f.lease_owner = $13 THEN NULL ELSE f.lease_until END, "
        "lease_owner = CASE WHEN f.lease_owner = $13 THEN NULL ELSE f.lease_owner END, "
        "url = excluded.url RETURNING id",
        Params()
            .Add(name)
            .Add(url)
            .Add(ToUnix(poll.at))
            .Add(ToUnix(poll.next_due))
            .Add(poll.status)
            .Add(poll.error)
            .Add(ok ? "true" : "false")
            .Add(poll.etag)
            .Add(poll.last_modified)
            .Add(poll.body_hash)
            .Add(poll.moved_to)
            .Add(static_cast<std::int64_t>(poll.gone))
            .Add(instance_.id)
            .Add(items_read ? "true" : "false"),
        "recording poll");
    if (!rows) return rows.error();
    return rows->Int(0, 0);
  }

  Result<std::vector<StoryMatch>> Stories(const std::string& sql, const Params& params) {
    Result<Rows> rows = Query(sql, params, "reading stories", Plan::kEachTime);
    if (!rows) return rows.error();
    std::vector<StoryMatch> stories;
    for (int r = 0; r < rows->size(); ++r) {
      StoryMatch& story = stories.emplace_back();
      story.id = rows->Int(r, 0);
      story.watch = rows->Text(r, 1);
      story.feed = rows->Text(r, 2);
      story.title = rows->Text(r, 3);
      story.link = rows->Text(r, 4);
      story.matched_at = FromUnix(rows->Int(r, 5));
      story.published = rows->Time(r, 6);
      story.snippet = rows->Text(r, 7);
      story.also_reported_by = Lines(rows->Text(r, 8));
    }
    return stories;
  }

  Result<std::vector<Delivery>> Deliveries(const std::string& sql, const Params& params) {
    Result<Rows> rows = Query(sql, params, "reading the outbox", Plan::kEachTime);
    if (!rows) return rows.error();
    std::vector<Delivery> out;
    out.reserve(rows->count());
    for (int r = 0; r < rows->size(); ++r) out.push_back(ReadDelivery(*rows, r));
    return out;
  }

  Status Migrate();
  // The schema is this build's, read without writing (Open's read_only).
  Status CheckSchema();

  Connection conn_;
  std::string location_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
  bool in_transaction_ = false;                            // between a Transaction's BEGIN and end
};

Result<std::vector<StoryHead>> PgStore::CommitPoll(
    std::string_view feed, std::string_view url, const PollRecord& poll,
    const std::vector<ItemRecord>& items, const std::map<std::string, std::int64_t>& last_seq) {
  const TimePoint now = poll.at;
  const bool matched = std::any_of(items.begin(), items.end(),
                                   [](const ItemRecord& item) { return !item.matches.empty(); });
  Transaction transaction(*this, /*durable=*/matched);
  if (!transaction.begun()) return transaction.begun().error();
  // The watches this poll starts stories of, locked in name order for the transaction: a
  // writer holding them (LockStories) finishes first. Before any row is written: a writer
  // holding them may wait for a row this one writes (two `once` committing one feed), and
  // this one must then not be waiting for them.
  std::set<std::string> starting;
  for (const ItemRecord& item : items) {
    for (const MatchRecord& match : item.matches) {
      if (!match.story_of) starting.insert(match.watch);
    }
  }
  for (const std::string& watch : starting) {
    if (Status s = Exec("SELECT pg_advisory_xact_lock($1, hashtext($2))",
                        Params().Add(kStoryLockClass).Add(watch), "locking stories");
        !s) {
      return s.error();
    }
  }
  Result<std::int64_t> feed_id = RecordFeed(feed, url, poll, /*items_read=*/true);
  if (!feed_id) return feed_id.error();

  // Every item in one statement: new ones inserted, known ones touched (a feed listing one key
  // twice is read once, as its first).
  std::unordered_map<std::string, std::int64_t> ids;
  if (!items.empty()) {
    std::vector<std::optional<std::string>> keys, titles, links, published, urls, hashes, summaries,
        marked;
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
        "SELECT $1, k, t, l, p, $2, $2, c, h, s, sm FROM unnest($3::text[], $4::text[], "
        "$5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[]) "
        "AS x(k, t, l, p, c, h, s, sm) "
        "ON CONFLICT (feed_id, item_key) DO UPDATE SET last_seen_at = excluded.last_seen_at, "
        "title = excluded.title, link = excluded.link, canonical_url = excluded.canonical_url, "
        "content_hash = CASE WHEN excluded.content_hash <> '' THEN excluded.content_hash "
        "ELSE i.content_hash END, "
        "summary = CASE WHEN excluded.summary <> '' THEN excluded.summary ELSE i.summary END, "
        "summary_marked = CASE WHEN excluded.summary_marked <> '' THEN excluded.summary_marked "
        "ELSE i.summary_marked END RETURNING id, item_key",
        Params()
            .Add(*feed_id)
            .Add(ToUnix(now))
            .Array(keys)
            .Array(titles)
            .Array(links)
            .Array(published)
            .Array(urls)
            .Array(hashes)
            .Array(summaries)
            .Array(marked),
        "recording items");
    if (!rows) return rows.error();
    for (int r = 0; r < rows->size(); ++r) ids[rows->Text(r, 1)] = rows->Int(r, 0);
  }

  std::map<std::string, std::int64_t> seq(last_seq.begin(), last_seq.end());
  std::vector<StoryHead> heads;
  for (const ItemRecord& item : items) {
    const std::int64_t item_id = ids[StorableText(item.key)];
    for (const MatchRecord& match : item.matches) {
      Params params;
      params.Add(match.watch).Add(item_id).Add(ToUnix(now)).Add(match.terms).Add(match.snippet);
      std::int64_t story_seq = 0;
      if (match.story_of) {
        params.Add(*match.story_of).Null();
      } else {
        story_seq = seq[match.watch] + 1;
        params.Null().Add(story_seq);
      }
      params.Add(match.hits);
      // DO NOTHING on either key: the item matched the watch before, or another instance took
      // the story number (told apart below). An error would abort the transaction.
      Result<Rows> inserted = Query(
          "INSERT INTO matches (watch, item_id, matched_at, terms, snippet, story_of, story_seq, "
          "hits) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id",
          params, "recording match");
      if (!inserted) return inserted.error();
      if (inserted->size() == 0) {
        Result<Rows> before = Query("SELECT 1 FROM matches WHERE watch = $1 AND item_id = $2",
                                    Params().Add(match.watch).Add(item_id), "recording match");
        if (!before) return before.error();
        if (before->size() > 0) continue;
        return Error::Conflict("watch " + match.watch + ": story " + std::to_string(story_seq) +
                               " was recorded by another instance");
      }
      const std::int64_t match_id = inserted->Int(0, 0);
      if (match.story_of) continue;  // the story alerted already: linked, not sent
      seq[match.watch] = story_seq;
      heads.push_back({match_id, story_seq, match.watch, item.title, item.canonical_url, now});
      for (const std::string& notifier : match.notifiers) {
        const auto due = match.due_at.find(notifier);
        if (Status s = Exec("INSERT INTO deliveries (match_id, notifier, created_at, "
                            "next_attempt_at, first_due_at) VALUES ($1, $2, $3, $4, $4) "
                            "ON CONFLICT (match_id, notifier) DO NOTHING",
                            Params()
                                .Add(match_id)
                                .Add(notifier)
                                .Add(ToUnix(now))
                                .Add(ToUnix(due != match.due_at.end() ? due->second : now)),
                            "enqueuing delivery");
            !s) {
          return s.error();
        }
      }
    }
  }
  if (Status s = transaction.Commit(); !s) return s.error();
  return heads;
}

Status PgStore::WriteTables(const std::vector<TableRows>& tables) {
  Transaction transaction(*this, /*durable=*/true);
  if (!transaction.begun()) return transaction.begun();
  Result<Rows> count = Query(std::string(kCountState), Params(), "reading");
  if (!count) return count.error();
  if (count->Int(0, 0) != 0) return NotEmpty(location_);
  for (const TableRows& table : tables) {
    if (!IsCopiedTable(table.table)) return Error::InvalidInput("no table " + table.table);
    Result<TableRows> mine = ReadTable(table.table);
    if (!mine) return mine.error();
    if (Status s = TargetHoldsColumns(table, *mine, location_); !s) return s;
    const std::string sql = InsertRowSql(table, '$');
    for (const auto& row : table.rows) {
      Params params;
      for (const auto& cell : row) {
        if (cell) {
          params.Add(std::string_view(*cell));
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
  if (Status s = Exec("SELECT pg_advisory_lock($1)", Params().Add(kMigrationLock), "migrating");
      !s) {
    return s;
  }
  struct Unlock {
    PgStore& store;
    ~Unlock() {
      (void)store.Exec("SELECT pg_advisory_unlock($1)", Params().Add(kMigrationLock), "migrating");
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
    Transaction transaction(*this, /*durable=*/true);
    if (!transaction.begun()) return transaction.begun();
    // Several statements: the simple query protocol, which takes them in one string.
    Rows migrated(PQexec(conn_.get(), std::string(kMigrations[v].postgresql).c_str()));
    if (migrated.status() != PGRES_COMMAND_OK && migrated.status() != PGRES_TUPLES_OK) {
      return Error::Io("migrating the database to schema version " + std::to_string(v + 1) + ": " +
                       migrated.ErrorMessage());
    }
    if (Status s = Exec("UPDATE feedwatch_schema SET version = $1",
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
  // The session commits without waiting for the disk unless a transaction asks (Transaction).
  std::vector<const char*> keywords = {"dbname", "connect_timeout", "application_name",
                                       "client_encoding", "options"};
  std::vector<const char*> values = {
      dbname.c_str(), "10", "feedwatch", "UTF8",
      read_only ? "-c synchronous_commit=off -c default_transaction_read_only=on"
                : "-c synchronous_commit=off"};
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
