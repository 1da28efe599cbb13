#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <map>
#include <set>
#include <thread>

#include "tests/support/pg.h"
#include "tests/support/support.h"

namespace feedwatch::store {
namespace {

PollRecord Ok(TimePoint at) {
  PollRecord poll;
  poll.at = at;
  poll.next_due = at + Seconds(600);
  poll.status = "200";
  return poll;
}

PollRecord Failed(TimePoint at, std::string error) {
  PollRecord poll = Ok(at);
  poll.status = error;
  poll.error = std::move(error);
  return poll;
}

constexpr TimePoint kNow{Seconds(1'750'000'000)};
constexpr TimePoint kForever = TimePoint::max();

std::unique_ptr<Store> OpenOrDie(const std::filesystem::path& file) {
  Result<std::unique_ptr<Store>> store = Store::Open(file);
  EXPECT_TRUE(store.ok()) << store.error().message;
  return store.ok() ? std::move(*store) : nullptr;
}

// Runs SQL on the file directly, as an operator's sqlite3 shell would.
void ExecSql(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

int64_t QueryInt(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  const int64_t value = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

ItemRecord Item(const std::string& key, std::vector<MatchRecord> matches = {}) {
  ItemRecord item;
  item.key = key;
  item.title = "title of " + key;
  item.link = "https://x.test/" + key;
  item.matches = std::move(matches);
  return item;
}

// The store's behaviour, the same on both backends: each test runs on a new SQLite file and on
// a new PostgreSQL database.
class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  // The store under test (a new one: a new file or database).
  std::unique_ptr<Store> Open() {
    location_ = NewLocation();
    return Reopen();
  }
  // The same store opened again (another connection, as a restart or a second instance).
  std::unique_ptr<Store> Reopen() {
    Result<std::unique_ptr<Store>> store = Store::Connect(location_, "");
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(*store) : nullptr;
  }
  // Another new store.
  std::unique_ptr<Store> OpenAnother() {
    Result<std::unique_ptr<Store>> store = Store::Connect(NewLocation(), "");
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::string NewLocation() {
    if (GetParam() == "postgresql") return testing::NewPgDatabase();
    return (dir_.path() / ("feedwatch-" + std::to_string(files_++) + ".db")).string();
  }

  testing::TempDir dir_;
  int files_ = 0;
  std::string location_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& param_info) { return param_info.param; });

TEST_P(StoreTest, ASecondWriterOfTheSameStoryReadsItAndLinksInsteadOfAlerting) {
  // Two instances match one story in two outlets at once: both compared their items with the
  // stories they knew (none yet), so both would start it.
  const auto a = Open();
  const auto b = Reopen();
  MatchRecord match{"darchiev", {"desk"}};
  Result<std::vector<StoryHead>> first =
      a->CommitPoll("tass", "u1", Ok(kNow), {Item("t1", {match})}, {{"darchiev", 0}});
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].seq, 1);
  Result<std::vector<StoryHead>> second =
      b->CommitPoll("ria", "u2", Ok(kNow), {Item("r1", {match})}, {{"darchiev", 0}});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Error::Code::kConflict) << second.error().message;
  EXPECT_TRUE(b->KnownItems("ria", {"r1"})->empty());  // nothing of the poll was recorded
  // The loser reads the stories recorded since, finds the item's, and links to it.
  Result<StoryHeads> heads = b->RecentStories("darchiev", kNow - Seconds(3600), 0);
  ASSERT_TRUE(heads.ok());
  ASSERT_EQ(heads->heads.size(), 1u);
  EXPECT_EQ(heads->last_seq, 1);
  match.story_of = heads->heads[0].match_id;
  second = b->CommitPoll("ria", "u2", Ok(kNow), {Item("r1", {match})}, {{"darchiev", 1}});
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second->empty());
  EXPECT_EQ(a->DueDeliveries(kNow, 10, kForever)->size(), 1u);  // one alert for the story
  // Another story of the watch takes the next number; other watches number their own.
  MatchRecord other{"darchiev", {"desk"}};
  MatchRecord property{"property", {"desk"}};
  first = b->CommitPoll("ria", "u2", Ok(kNow), {Item("r2", {other, property})}, {{"darchiev", 1}});
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].seq, 2);
  EXPECT_EQ((*first)[1].seq, 1);
}

TEST_P(StoreTest, BytesAServerSentThatAreNotTextAreStoredAnyway) {
  // An ETag of raw bytes and a NUL, a title that is not UTF-8: SQLite keeps the bytes,
  // PostgreSQL (whose text must be valid UTF-8) keeps U+FFFD for them. Either way the poll is
  // recorded: a hostile server cannot make every write about its feed fail.
  const auto store = Open();
  PollRecord poll = Ok(kNow);
  poll.etag = std::string("\"\xff\xfe", 3) + std::string("\0x\"", 3);
  ItemRecord item = Item("k\xc0\xaf", {{"w", {"desk"}}});
  item.title = "Darchiev \xed\xa0\x80 talks";
  const Result<std::vector<StoryHead>> heads = store->CommitPoll("f", "u", poll, {item}, {});
  ASSERT_TRUE(heads.ok()) << heads.error().message;
  ASSERT_TRUE(store->RecordPoll("f", "u", poll).ok());
  const std::string etag = store->GetFeedState("f")->etag;
  EXPECT_EQ(store->KnownItems("f", {item.key})->size(), 1u);  // known by the key as given
  const std::vector<Delivery> due = *store->DueDeliveries(kNow, 10, kForever);
  ASSERT_EQ(due.size(), 1u);
  if (GetParam() == "postgresql") {
    EXPECT_EQ(etag, "\"\xEF\xBF\xBD\xEF\xBF\xBDx\"");
    EXPECT_EQ(due[0].title, "Darchiev \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD talks");
  } else {
    EXPECT_EQ(etag, poll.etag);
    EXPECT_EQ(due[0].title, item.title);
  }
}

TEST_P(StoreTest, InstancesLeaveHeartbeatsWithTheirConfiguration) {
  const auto a = Open();
  const auto b = Reopen();
  a->SetInstance("host-a:10", "cfg1", "0.1.0");
  b->SetInstance("host-b:20", "cfg2", "0.1.0");
  ASSERT_TRUE(a->Heartbeat(kNow).ok());
  ASSERT_TRUE(b->Heartbeat(kNow + Seconds(5)).ok());
  ASSERT_TRUE(a->Heartbeat(kNow + Seconds(10)).ok());
  std::vector<InstanceInfo> live = *a->coordination().Instances(kNow);
  if (GetParam() == "sqlite") {  // one instance runs on a file: there are no others to list
    EXPECT_TRUE(live.empty());
    return;
  }
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].id, "host-a:10");
  EXPECT_EQ(live[0].started_at, kNow);
  EXPECT_EQ(live[0].last_seen_at, kNow + Seconds(10));
  EXPECT_EQ(live[1].config_hash, "cfg2");
  EXPECT_EQ(a->coordination().Instances(kNow + Seconds(8))->size(), 1u);  // b's heartbeat is older
}

TEST_P(StoreTest, CopyMovesEveryItemMatchStoryAndDeliveryToTheOtherBackend) {
  const auto source = Open();
  MatchRecord match{"darchiev", {"desk", "mail"}};
  ASSERT_TRUE(
      source->CommitPoll("tass", "u1", Ok(kNow), {Item("t1", {match}), Item("t2")}, {}).ok());
  std::vector<Delivery> due = *source->DueDeliveries(kNow, 10, kForever);
  ASSERT_EQ(due.size(), 2u);
  ASSERT_TRUE(source->MarkSent({due[0].id}, kNow).ok());  // one sent, one pending
  const std::string id = *source->InstanceId();

  const std::string other =
      GetParam() == "postgresql" ? (dir_.path() / "copy.db").string() : testing::NewPgDatabase();
  auto target = Store::Connect(other, "");
  ASSERT_TRUE(target.ok()) << target.error().message;
  std::vector<TableRows> tables;
  tables.reserve(Store::kTables.size());
  for (const std::string_view table : Store::kTables) tables.push_back(*source->ReadTable(table));
  ASSERT_TRUE((*target)->WriteTables(tables).ok());

  Store& copy = **target;
  EXPECT_EQ(*copy.InstanceId(), id);  // message ids and Atom ids stay the same
  EXPECT_EQ(copy.KnownItems("tass", {"t1", "t2"})->size(), 2u);
  const std::vector<Delivery> pending = *copy.DueDeliveries(kNow, 10, kForever);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, due[1].id);
  EXPECT_EQ(pending[0].title, "title of t1");
  EXPECT_EQ(copy.SentMessagesSince("desk", kNow - Seconds(60))->count +
                copy.SentMessagesSince("mail", kNow - Seconds(60))->count,
            1);
  // The item seen before is not matched again; the story numbers go on.
  EXPECT_TRUE(
      copy.CommitPoll("tass", "u1", Ok(kNow), {Item("t1", {match})}, {{"darchiev", 1}})->empty());
  EXPECT_EQ(copy.RecentStories("darchiev", kNow - Seconds(60), 0)->last_seq, 1);
  // New rows get new ids after the copied ones.
  Result<std::vector<StoryHead>> heads =
      copy.CommitPoll("ria", "u2", Ok(kNow), {Item("r9", {{"property", {"desk"}}})}, {});
  ASSERT_TRUE(heads.ok()) << heads.error().message;
  ASSERT_EQ(heads->size(), 1u);
  EXPECT_GT((*heads)[0].match_id, pending[0].story);
  // A store that holds state already is not written over.
  const Status again = copy.WriteTables(tables);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("holds feedwatch state already"), std::string::npos);
}

TEST_P(StoreTest, CopyStopsAtASourceColumnTheTargetHasNotAndReadsItsNameAsData) {
  // The source, a SQLite file an operator altered by hand, one column's name written to break
  // out of the statement that inserts it.
  const std::filesystem::path file = dir_.path() / "altered.db";
  {
    const auto source = OpenOrDie(file);
    ASSERT_TRUE(source->CommitPoll("tass", "u1", Ok(kNow), {Item("t1")}, {}).ok());
  }
  ExecSql(file,
          "ALTER TABLE meta ADD COLUMN extra TEXT;"
          "ALTER TABLE feeds ADD COLUMN \"x\"\") VALUES (1); DROP TABLE items; --\" TEXT");
  const auto source = OpenOrDie(file);
  std::vector<TableRows> tables;
  tables.reserve(Store::kTables.size());
  for (const std::string_view table : Store::kTables) tables.push_back(*source->ReadTable(table));

  const auto target = Open();
  const Status copied = target->WriteTables(tables);
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().code, Error::Code::kInvalidInput);
  EXPECT_NE(copied.error().message.find("the source's table meta has a column \"extra\""),
            std::string::npos)
      << copied.error().message;
  // Nothing was written.
  ASSERT_TRUE(target->KnownItems("tass", {"t1"}).ok());
  EXPECT_TRUE(target->KnownItems("tass", {"t1"})->empty());

  // Without the extra column in meta, the name in feeds is refused the same way.
  tables[0].columns.pop_back();
  for (auto& row : tables[0].rows) row.pop_back();
  const Status feeds = target->WriteTables(tables);
  ASSERT_FALSE(feeds.ok());
  EXPECT_NE(feeds.error().message.find("DROP TABLE items"), std::string::npos)
      << feeds.error().message;
  // The items table the name aimed at is there, and empty.
  ASSERT_TRUE(target->KnownItems("tass", {"t1"}).ok());
  EXPECT_TRUE(target->KnownItems("tass", {"t1"})->empty());
}

TEST(SqliteStoreTest, AStatementThatCannotBePreparedIsAnErrorNotACrash) {
  // The schema changed under a running store (an operator's sqlite3 shell): the statements
  // that record matches no longer prepare.
  testing::TempDir dir;
  const std::filesystem::path file = dir.path() / "feedwatch.db";
  const auto store = OpenOrDie(file);
  ExecSql(file, "ALTER TABLE matches RENAME TO matches_old");
  const Result<std::vector<StoryHead>> heads = store->CommitPoll(
      "tass", "u1", Ok(kNow), {Item("t1", {{"darchiev", {"desk"}}}), Item("t2")}, {});
  ASSERT_FALSE(heads.ok());
  EXPECT_NE(heads.error().message.find("matches"), std::string::npos) << heads.error().message;
  // Nothing of the poll was kept: the items come again once the table is back.
  ExecSql(file, "ALTER TABLE matches_old RENAME TO matches");
  const Result<std::vector<StoryHead>> again = store->CommitPoll(
      "tass", "u1", Ok(kNow), {Item("t1", {{"darchiev", {"desk"}}}), Item("t2")}, {});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->size(), 1u);
}

TEST_P(StoreTest, DueDeliveriesTakeEveryFeedsOldestFirstAndMessagesWhole) {
  const auto store = Open();
  // A flood: 40 items of one feed, due first; then one item each of two other feeds.
  std::vector<ItemRecord> flood;
  flood.reserve(40);
  for (int i = 0; i < 40; ++i) flood.push_back(Item("f" + std::to_string(i), {{"w", {"hook"}}}));
  ASSERT_TRUE(store->CommitPoll("flood", "u0", Ok(kNow - Seconds(60)), flood, {}).ok());
  ASSERT_TRUE(
      store->CommitPoll("tass", "u1", Ok(kNow), {Item("t1", {{"w", {"hook"}}})}, {{"w", 40}}).ok());
  ASSERT_TRUE(
      store->CommitPoll("ria", "u2", Ok(kNow), {Item("r1", {{"w", {"hook"}}})}, {{"w", 41}}).ok());
  // Three of the flood's deliveries went out as one digest that failed: it is retried whole.
  std::vector<Delivery> all = *store->DueDeliveries(kNow, 1000, kForever);
  ASSERT_EQ(all.size(), 42u);
  std::vector<std::int64_t> digest;
  for (const Delivery& d : all) {
    if (d.feed == "flood" && digest.size() < 3 && d.id > all.front().id + 30)
      digest.push_back(d.id);
  }
  ASSERT_TRUE(store->AssignMessage(digest, "x-g1").ok());
  ASSERT_TRUE(store->MarkFailed(digest, kNow - Seconds(120), "timeout").ok());

  const std::vector<Delivery> due = *store->DueDeliveries(kNow, 4, kForever);
  std::vector<std::string> feeds;
  feeds.reserve(due.size());
  for (const Delivery& d : due) feeds.push_back(d.feed + (d.message_id.empty() ? "" : "*"));
  // Turn 1: the flood's oldest unit (the digest, due earliest, with its three deliveries), then
  // tass's and ria's only ones; turn 2: the flood's next.
  EXPECT_EQ(feeds, (std::vector<std::string>{"flood*", "flood*", "flood*", "tass", "ria", "flood"}))
      << ::testing::PrintToString(feeds);
}

// Several instances on one PostgreSQL database.
class PgStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Connect(const std::string& instance) {
    Result<std::unique_ptr<Store>> store = Store::Connect(url_, "");
    EXPECT_TRUE(store.ok()) << store.error().message;
    if (!store.ok()) return nullptr;
    (*store)->SetInstance(instance, "cfg", "test");
    return std::move(*store);
  }
  static std::vector<std::string> Claimed(Store& store, const std::vector<FeedRef>& feeds,
                                          TimePoint now) {
    std::vector<std::string> names;
    const Result<std::vector<FeedClaim>> claims =
        store.coordination().ClaimFeeds(feeds, now, now + Seconds(60));
    EXPECT_TRUE(claims.ok()) << claims.error().message;
    if (!claims.ok()) return names;
    for (const FeedClaim& claim : *claims) {
      if (claim.claimed) names.push_back(claim.name);
    }
    return names;
  }

  std::string url_ = testing::NewPgDatabase();
};

TEST_F(PgStoreTest, AFeedIsPolledByOneInstanceAnIntervalAndADeadOnesLeaseEnds) {
  const auto a = Connect("a:1");
  const auto b = Connect("b:2");
  const std::vector<FeedRef> feed = {{"tass", "https://tass.test/rss"}};
  EXPECT_EQ(Claimed(*a, feed, kNow), std::vector<std::string>{"tass"});
  // Held by a: b is told to ask again when the lease ends.
  std::vector<FeedClaim> claims =
      *b->coordination().ClaimFeeds(feed, kNow + Seconds(1), kNow + Seconds(61));
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_FALSE(claims[0].claimed);
  EXPECT_EQ(claims[0].retry_at, kNow + Seconds(60));
  EXPECT_EQ(b->GetFeedState("tass")->lease_owner, "a:1");
  // a records its poll: the lease ends and the feed is next due in ten minutes, for everyone.
  PollRecord poll = Ok(kNow + Seconds(2));
  poll.etag = "\"v1\"";
  ASSERT_TRUE(a->RecordPoll("tass", "https://tass.test/rss", poll).ok());
  claims = *b->coordination().ClaimFeeds(feed, kNow + Seconds(3), kNow + Seconds(63));
  EXPECT_FALSE(claims[0].claimed);
  EXPECT_EQ(claims[0].retry_at, poll.next_due);
  EXPECT_EQ(b->GetFeedState("tass")->lease_owner, "");
  // Due again: b may take it, and learns what a learnt.
  claims = *b->coordination().ClaimFeeds(feed, poll.next_due, poll.next_due + Seconds(60));
  ASSERT_TRUE(claims[0].claimed);
  ASSERT_TRUE(claims[0].state.has_value());
  EXPECT_EQ(claims[0].state->etag, "\"v1\"");
  // b dies holding it: a takes it once the lease has ended, not before.
  EXPECT_TRUE(Claimed(*a, feed, poll.next_due + Seconds(59)).empty());
  EXPECT_EQ(Claimed(*a, feed, poll.next_due + Seconds(61)), std::vector<std::string>{"tass"});
}

TEST_F(PgStoreTest, AClaimReadsNothingLearntAboutAnotherUrl) {
  const auto a = Connect("a:1");
  const auto b = Connect("b:2");
  PollRecord poll = Ok(kNow);
  poll.etag = "\"v1\"";
  ASSERT_TRUE(b->RecordPoll("tass", "https://tass.test/rss", poll).ok());
  // a runs a configuration that moved the feed: b's validators are not a's to send.
  const std::vector<FeedClaim> claims = *a->coordination().ClaimFeeds(
      {{"tass", "https://tass.test/atom"}}, poll.next_due, poll.next_due + Seconds(60));
  ASSERT_TRUE(claims[0].claimed);
  ASSERT_TRUE(claims[0].state.has_value());
  EXPECT_EQ(claims[0].state->etag, "");
  EXPECT_EQ(claims[0].state->last_status, "200");
}

TEST_F(PgStoreTest, InstancesClaimingTogetherShareTheFeedsWithoutOverlap) {
  constexpr int kInstances = 3;
  std::vector<FeedRef> feeds(300);
  for (size_t i = 0; i < feeds.size(); ++i) feeds[i] = {"feed-" + std::to_string(i), "u"};
  std::vector<std::unique_ptr<Store>> stores(kInstances);
  for (int i = 0; i < kInstances; ++i) stores[i] = Connect("i" + std::to_string(i));
  std::vector<std::vector<std::string>> won(kInstances);
  std::vector<std::thread> threads;
  threads.reserve(kInstances);
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      // Each asks for every feed, in its own order, in batches as the scheduler makes them.
      std::vector<FeedRef> order = feeds;
      std::rotate(order.begin(), order.begin() + std::ptrdiff_t{100} * i, order.end());
      for (size_t at = 0; at < order.size(); at += 30) {
        const std::vector<FeedRef> batch(order.begin() + static_cast<std::ptrdiff_t>(at),
                                         order.begin() + static_cast<std::ptrdiff_t>(at + 30));
        for (std::string& name : Claimed(*stores[i], batch, kNow)) won[i].push_back(name);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::string> all;
  size_t total = 0;
  for (const auto& names : won) {
    all.insert(names.begin(), names.end());
    total += names.size();
  }
  EXPECT_EQ(all.size(), feeds.size());  // every feed polled
  EXPECT_EQ(total, feeds.size());       // by one instance
}

TEST_F(PgStoreTest, EachHostIsPolledByOneLiveInstanceAndMovesWhenItsInstanceLeaves) {
  std::vector<std::string> hosts;
  hosts.reserve(60);
  for (int i = 0; i < 59; ++i) hosts.push_back("https://outlet" + std::to_string(i) + ".test");
  hosts.emplace_back("https://a host with spaces.test");  // a redirect can say so
  const std::set<std::string> all(hosts.begin(), hosts.end());
  const auto a = Connect("a:1");
  const auto b = Connect("b:2");
  const auto hold = [&](Store& store, TimePoint now, const std::set<std::string>& busy = {}) {
    Result<std::set<std::string>> held =
        store.coordination().HoldHosts(hosts, busy, now, Seconds(60));
    EXPECT_TRUE(held.ok()) << held.error().message;
    return held.ok() ? *held : std::set<std::string>{};
  };
  // Alone (b has left no heartbeat yet), a holds every host.
  ASSERT_TRUE(a->Heartbeat(kNow).ok());
  EXPECT_EQ(hold(*a, kNow), all);
  // b is live: half the hosts are its share, but a holds them, and keeps those it is fetching
  // from (here, all of them) until those fetches end; it answers only its share, so that no
  // new fetch starts on b's.
  ASSERT_TRUE(b->Heartbeat(kNow + Seconds(5)).ok());
  EXPECT_TRUE(hold(*b, kNow + Seconds(5)).empty());
  const std::set<std::string> a_share = hold(*a, kNow + Seconds(5), all);
  EXPECT_GE(a_share.size(), 15u);
  EXPECT_LE(a_share.size(), 45u);
  EXPECT_TRUE(hold(*b, kNow + Seconds(6)).empty());
  // a's fetches end: it gives up b's share, and b takes it. No host is held twice.
  const std::set<std::string> a_held = hold(*a, kNow + Seconds(7));
  EXPECT_EQ(a_held, a_share);
  const std::set<std::string> b_held = hold(*b, kNow + Seconds(7));
  EXPECT_GE(a_held.size(), 15u);  // 60 hosts, two instances: about half each
  EXPECT_GE(b_held.size(), 15u);
  std::set<std::string> both = a_held;
  both.insert(b_held.begin(), b_held.end());
  EXPECT_EQ(both, all);
  EXPECT_EQ(a_held.size() + b_held.size(), hosts.size());
  // `feedwatch status` says who holds what.
  const std::vector<InstanceInfo> live = *a->coordination().Instances(kNow);
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(std::set<std::string>(live[0].hosts.begin(), live[0].hosts.end()), a_held);
  EXPECT_EQ(std::set<std::string>(live[1].hosts.begin(), live[1].hosts.end()), b_held);
  // Keeping them writes nothing: the heartbeat says they are held.
  // (xmin and xmax: the transactions that wrote or locked each row.)
  const std::string rows =
      "SELECT string_agg(concat_ws(' ', host, owner, xmin, xmax), ', ' "
      "ORDER BY host) FROM host_leases";
  const std::string leases_before = testing::PgQuery(url_, rows);
  EXPECT_EQ(hold(*a, kNow + Seconds(12)), a_held);
  EXPECT_EQ(hold(*b, kNow + Seconds(12)), b_held);
  EXPECT_EQ(testing::PgQuery(url_, rows), leases_before);
  // b dies (its last heartbeat was at 5 s): a takes its hosts once b is no longer live.
  ASSERT_TRUE(a->Heartbeat(kNow + Seconds(30)).ok());
  EXPECT_EQ(hold(*a, kNow + Seconds(30)), a_held);  // b still live
  ASSERT_TRUE(a->Heartbeat(kNow + Seconds(65)).ok());
  EXPECT_EQ(hold(*a, kNow + Seconds(65)), a_held);  // b's heartbeat is 60 s old: still live
  ASSERT_TRUE(a->Heartbeat(kNow + Seconds(66)).ok());
  EXPECT_EQ(hold(*a, kNow + Seconds(66)), a_held);  // b took its hosts at 7 s: theirs till 67
  ASSERT_TRUE(a->Heartbeat(kNow + Seconds(68)).ok());
  EXPECT_EQ(hold(*a, kNow + Seconds(68)), all);
  // A clean stop gives every host up at once: the next instance needs no wait.
  ASSERT_TRUE(a->coordination().ReleaseLeases().ok());
  ASSERT_TRUE(a->Heartbeat(kNow - Seconds(600)).ok());  // and a is gone
  const auto c = Connect("c:3");
  EXPECT_EQ(hold(*c, kNow + Seconds(69)), all);
}

TEST_F(PgStoreTest, TheHeartbeatReadsBackTheInstancesAndTheHostsTheyHold) {
  // The housekeeping round asks for the live instances twice (the drift check, the hosts)
  // right after the heartbeat, which reads them in its own statement: what they get is what a
  // store that wrote no heartbeat reads.
  const std::vector<std::string> hosts = {"https://tass.test", "https://ria.test"};
  const auto a = Connect("a:1");
  const auto b = Connect("b:2");
  const auto reader = Connect("status:3");
  const auto ids_and_hosts = [](const std::vector<InstanceInfo>& instances) {
    std::vector<std::string> out;
    for (const InstanceInfo& instance : instances) {
      std::string line =
          instance.id + " " + std::to_string(instance.last_seen_at.time_since_epoch().count());
      for (const std::string& host : instance.hosts) line += " " + host;
      out.push_back(line);
    }
    return out;
  };
  ASSERT_TRUE(b->Heartbeat(kNow - Seconds(70)).ok());  // no longer live
  ASSERT_TRUE(a->Heartbeat(kNow).ok());
  ASSERT_TRUE(a->coordination().HoldHosts(hosts, {}, kNow, Seconds(15)).ok());
  ASSERT_TRUE(b->Heartbeat(kNow + Seconds(4)).ok());
  ASSERT_TRUE(a->Heartbeat(kNow + Seconds(5)).ok());
  const std::vector<InstanceInfo> seen = *a->coordination().Instances(kNow + Seconds(5 - 60));
  EXPECT_EQ(ids_and_hosts(seen),
            ids_and_hosts(*reader->coordination().Instances(kNow + Seconds(5 - 60))));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].last_seen_at, kNow + Seconds(5));  // the row just written
  EXPECT_EQ(seen[0].hosts.size(), 2u);
  // b is live: a's share is smaller, and the hosts it gives up are read again after.
  const std::set<std::string> held =
      *a->coordination().HoldHosts(hosts, {}, kNow + Seconds(5), Seconds(15));
  EXPECT_EQ(ids_and_hosts(*a->coordination().Instances(kNow + Seconds(5 - 60))),
            ids_and_hosts(*reader->coordination().Instances(kNow + Seconds(5 - 60))));
  EXPECT_EQ(a->coordination().Instances(kNow + Seconds(5 - 60))->front().hosts.size(), held.size());
}

TEST_F(PgStoreTest, TheHeartbeatWritesThePollsInItsStatementAndEndsTheirLeases) {
  const auto a = Connect("a:1");
  const auto b = Connect("b:2");
  const std::vector<FeedRef> feeds = {{"tass", "https://tass.test/rss"},
                                      {"ria", "https://ria.test/rss"}};
  ASSERT_EQ(Claimed(*a, feeds, kNow).size(), 2u);
  ASSERT_TRUE(Claimed(*b, feeds, kNow).empty()) << "a holds them";
  PollRecord tass = Ok(kNow + Seconds(1));
  tass.etag = R"(W/"a\b,{c}")";  // what an array of texts must quote
  ASSERT_TRUE(a->Heartbeat(kNow + Seconds(5),
                           {{"tass", feeds[0].url, tass},
                            {"ria", feeds[1].url, Failed(kNow + Seconds(2), "HTTP 503")}})
                  .ok());
  EXPECT_EQ(a->GetFeedState("tass", feeds[0].url)->last_success_at, kNow + Seconds(1));
  EXPECT_EQ(a->GetFeedState("tass", feeds[0].url)->etag, tass.etag);
  EXPECT_EQ(a->GetFeedState("ria", feeds[1].url)->last_error, "HTTP 503");
  const std::vector<InstanceInfo> live = *b->coordination().Instances(kNow + Seconds(5 - 60));
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].last_seen_at, kNow + Seconds(5)) << "the heartbeat is written too";
  EXPECT_EQ(Claimed(*b, feeds, kNow + Seconds(602)).size(), 2u)
      << "a's leases ended with the polls: b takes both once they are due";
}

TEST_F(PgStoreTest, TheHeartbeatCountsTheOutboxForTheHousekeepingThatFollows) {
  const auto a = Connect("a:1");
  const MatchRecord match{"darchiev", {"desk"}};
  ASSERT_TRUE(a->CommitPoll("tass", "u1", Ok(kNow), {Item("t1", {match})}, {{"darchiev", 0}}).ok());
  ASSERT_TRUE(a->Heartbeat(kNow).ok());
  ASSERT_TRUE(a->CommitPoll("ria", "u2", Ok(kNow), {Item("r1", {match})}, {{"darchiev", 1}}).ok());
  EXPECT_EQ(a->CountDeliveries()->pending, 1) << "as the heartbeat counted it";
  EXPECT_EQ(a->CountDeliveries()->pending, 2)
      << "counted again: the heartbeat's count is used once";
}

TEST_F(PgStoreTest, HostsAskedForAgainWithNothingChangedAreAnsweredWithoutAStatement) {
  const std::vector<std::string> hosts = {"https://tass.test", "https://ria.test"};
  const std::set<std::string> all(hosts.begin(), hosts.end());
  const auto a = Connect("a:1");
  const auto round = [&](int k) {  // as the daemon's housekeeping: a heartbeat, then the hosts
    const TimePoint now = kNow + Seconds(5 * k);
    EXPECT_TRUE(a->Heartbeat(now).ok());
    Result<std::set<std::string>> held = a->coordination().HoldHosts(hosts, {}, now, Seconds(15));
    EXPECT_TRUE(held.ok()) << held.error().message;
    return held.ok() ? *held : std::set<std::string>{};
  };
  EXPECT_EQ(round(0), all);
  // Something no live instance should do: one host is taken from a while it is live (another
  // instance's clock far ahead). The answers a gets from memory do not see it; every sixth
  // does, and a polls that host no more.
  testing::PgQuery(url_, "UPDATE host_leases SET owner = 'ahead:9', taken_at = " +
                             std::to_string((kNow + Seconds(60)).time_since_epoch().count()) +
                             " WHERE host = 'https://ria.test'");
  for (int k = 1; k <= 5; ++k) EXPECT_EQ(round(k), all) << k;
  EXPECT_EQ(round(6), std::set<std::string>{"https://tass.test"});
  // Without this round's heartbeat it is asked of the database every time.
  testing::PgQuery(url_, "DELETE FROM host_leases WHERE host = 'https://ria.test'");
  EXPECT_EQ(*a->coordination().HoldHosts(hosts, {}, kNow + Seconds(36), Seconds(15)), all);
}

TEST_F(PgStoreTest, AHostKeptForItsFetchesIsGivenUpOnceTheyEndWithNothingElseChanged) {
  // a holds every host; b joins while a is fetching from all of them. a answers only its
  // share, but keeps the rest in host_leases until the fetches end: the round after, with
  // the same instances and hosts, must still give them up, or b waits for them.
  std::vector<std::string> hosts;
  hosts.reserve(10);
  for (int i = 0; i < 10; ++i) hosts.push_back("https://outlet" + std::to_string(i) + ".test");
  const std::set<std::string> all(hosts.begin(), hosts.end());
  const auto a = Connect("a:1");
  const auto b = Connect("b:2");
  const auto round = [&](Store& store, int k, const std::set<std::string>& busy) {
    const TimePoint now = kNow + Seconds(5 * k);
    EXPECT_TRUE(store.Heartbeat(now).ok());
    Result<std::set<std::string>> held =
        store.coordination().HoldHosts(hosts, busy, now, Seconds(15));
    EXPECT_TRUE(held.ok()) << held.error().message;
    return held.ok() ? *held : std::set<std::string>{};
  };
  EXPECT_EQ(round(*a, 0, {}), all);
  EXPECT_TRUE(round(*b, 1, {}).empty());
  const std::set<std::string> a_share = round(*a, 1, all);
  ASSERT_LT(a_share.size(), all.size());
  EXPECT_TRUE(round(*b, 2, {}).empty()) << "a is still fetching from b's share";
  EXPECT_EQ(round(*a, 2, {}), a_share);
  EXPECT_EQ(round(*b, 3, {}).size(), all.size() - a_share.size()) << "a gave b's share up";
}

TEST_F(PgStoreTest, AHostTakenBeforeItsInstancesFirstHeartbeatIsNotTakenAgain) {
  // Three instances start at once: a takes every host before its heartbeat is written, and b,
  // seeing no other instance live, counts every host its share. b must not take them: both
  // would poll every host, with twice `per_host` at once.
  const std::vector<std::string> hosts = {"https://tass.test", "https://ria.test",
                                          "https://reuters.test"};
  const std::set<std::string> all(hosts.begin(), hosts.end());
  const auto a = Connect("a:1");
  const auto b = Connect("b:2");
  const auto hold = [&](Store& store, TimePoint now) {
    Result<std::set<std::string>> held =
        store.coordination().HoldHosts(hosts, {}, now, Seconds(15));
    EXPECT_TRUE(held.ok()) << held.error().message;
    return held.ok() ? *held : std::set<std::string>{};
  };
  EXPECT_EQ(hold(*a, kNow), all);
  ASSERT_TRUE(b->Heartbeat(kNow).ok());
  EXPECT_TRUE(hold(*b, kNow).empty());
  EXPECT_TRUE(hold(*b, kNow + Seconds(14)).empty());
  // a never wrote a heartbeat (it died at once): its hosts move once the live window passes.
  ASSERT_TRUE(b->Heartbeat(kNow + Seconds(16)).ok());
  EXPECT_EQ(hold(*b, kNow + Seconds(16)), all);
}

TEST_F(PgStoreTest, ADeliveryIsSentByOneInstanceAndADeadOnesIsSentByAnother) {
  const auto a = Connect("a:1");
  const auto b = Connect("b:2");
  ASSERT_TRUE(a->CommitPoll("tass", "u", Ok(kNow), {Item("t1", {{"darchiev", {"desk"}}})},
                            {{"darchiev", 0}})
                  .ok());
  const std::vector<Delivery> mine = *a->DueDeliveries(kNow, 10, kNow + Seconds(60));
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_TRUE(b->DueDeliveries(kNow + Seconds(1), 10, kNow + Seconds(61))->empty());
  // a dies before sending it: after its lease, b sends it.
  const std::vector<Delivery> taken =
      *b->DueDeliveries(kNow + Seconds(61), 10, kNow + Seconds(121));
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].id, mine[0].id);
  ASSERT_TRUE(b->MarkSent({taken[0].id}, kNow + Seconds(62)).ok());
  EXPECT_TRUE(a->DueDeliveries(kNow + Seconds(200), 10, kNow + Seconds(260))->empty());
}

TEST_F(PgStoreTest, InstancesClaimingTheOutboxTogetherSendEachDeliveryOnce) {
  // 20 feeds' alerts, claimed ten at a time by three instances at once, each sending what it
  // claimed before it asks again: every delivery sent, by one instance.
  constexpr int kInstances = 3;
  const auto writer = Connect("w");
  std::set<std::int64_t> all;
  for (int feed = 0; feed < 20; ++feed) {
    std::vector<ItemRecord> items;
    items.reserve(15);
    for (int i = 0; i < 15; ++i) {
      items.push_back(Item("f" + std::to_string(feed) + "-" + std::to_string(i),
                           {{"w" + std::to_string(feed * 15 + i), {"desk"}}}));
    }
    const std::string name = "feed-" + std::to_string(feed);
    ASSERT_TRUE(writer->CommitPoll(name, "u", Ok(kNow), items, {}).ok());
  }
  std::vector<std::unique_ptr<Store>> stores(kInstances);
  for (int i = 0; i < kInstances; ++i) stores[i] = Connect("i" + std::to_string(i));
  std::vector<std::vector<std::int64_t>> sent(kInstances);
  std::latch start(kInstances);
  std::vector<std::thread> threads;
  threads.reserve(kInstances);
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      for (;;) {
        const Result<std::vector<Delivery>> due =
            stores[i]->DueDeliveries(kNow, 10, kNow + Seconds(60));
        EXPECT_TRUE(due.ok()) << due.error().message;
        if (!due.ok() || due->empty()) return;
        std::vector<std::int64_t> ids;
        for (const Delivery& delivery : *due) ids.push_back(delivery.id);
        EXPECT_TRUE(stores[i]->MarkSent(ids, kNow).ok());
        sent[i].insert(sent[i].end(), ids.begin(), ids.end());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::map<std::int64_t, int> times;
  for (const auto& ids : sent) {
    for (const std::int64_t id : ids) ++times[id];
  }
  EXPECT_EQ(times.size(), 300u);  // every delivery sent
  for (const auto& [id, n] : times)
    EXPECT_EQ(n, 1) << "delivery " << id << " sent " << n << " times";
  for (const auto& ids : sent) EXPECT_FALSE(ids.empty()) << "each instance took a share";
}

TEST_F(PgStoreTest, AWriterHoldingAWatchsStoriesCommitsBeforeAnyOtherStartsOne) {
  const auto a = Connect("a:1");
  const auto b = Connect("b:2");
  // a lost a story number and holds the watch while it decides again.
  ASSERT_TRUE(a->coordination().LockStories({"darchiev", "property"}).ok());
  std::atomic<bool> done{false};
  Result<std::vector<StoryHead>> b_heads = Error::Io("not run");
  std::thread writer([&] {
    b_heads = b->CommitPoll("ria", "u2", Ok(kNow), {Item("r1", {{"darchiev", {"desk"}}})},
                            {{"darchiev", 0}});
    done = true;
  });
  // b's new story waits for a: its connection waits on a's lock (however soon or late its
  // thread got there), and has not committed.
  std::string waiting = "0";
  for (int i = 0; i < 1000 && waiting == "0"; ++i) {
    waiting =
        testing::PgQuery(url_,
                         "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                         "AND wait_event_type = 'Lock' AND wait_event = 'advisory'");
    if (waiting == "0") std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(waiting, "1") << "b never waited for a's lock on the watch's stories";
  EXPECT_FALSE(done);
  const Result<std::vector<StoryHead>> a_heads = a->CommitPoll(
      "tass", "u1", Ok(kNow), {Item("t1", {{"darchiev", {"desk"}}})}, {{"darchiev", 0}});
  ASSERT_TRUE(a_heads.ok()) << a_heads.error().message;
  ASSERT_TRUE(a->coordination().UnlockStories().ok());
  writer.join();
  // b had decided without a's story: it finds its number taken, and tries again itself.
  ASSERT_FALSE(b_heads.ok());
  EXPECT_EQ(b_heads.error().code, Error::Code::kConflict);
  // A poll that starts no story (items seen before, links) does not wait.
  ASSERT_TRUE(a->coordination().LockStories({"darchiev"}).ok());
  EXPECT_TRUE(b->RecordPoll("ria", "u2", Ok(kNow + Seconds(60))).ok());
  EXPECT_TRUE(b->CommitPoll("ria", "u2", Ok(kNow + Seconds(60)), {Item("r0")}, {}).ok());
  ASSERT_TRUE(a->coordination().UnlockStories().ok());
}

TEST_F(PgStoreTest, ThePollsInTheHeartbeatHoldWhateverTheServerSaysOfNullsInArrays) {
  // array_nulls = off would read the unquoted NULL of a poll's missing time as the text "NULL".
  testing::PgQuery(url_,
                   "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET array_nulls = off', "
                   "current_database()); END $$");
  const auto store = Connect("a:1");
  const std::string url = "https://tass.test/rss";
  ASSERT_TRUE(store->Heartbeat(kNow, {{"tass", url, Failed(kNow, "HTTP 503")}}).ok());
  const FeedState tass = *store->GetFeedState("tass", url);
  EXPECT_EQ(tass.last_error, "HTTP 503");
  EXPECT_EQ(tass.last_success_at, std::nullopt);
}

TEST_F(PgStoreTest, ALostConnectionIsOpenedAgain) {
  const auto store = Connect("a:1");
  ASSERT_TRUE(store->Heartbeat(kNow).ok());
  // The server ends every other session of the database (a restart, a failover).
  testing::PgQuery(url_,
                   "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  Status first = store->Heartbeat(kNow + Seconds(5));
  if (!first.ok()) {
    EXPECT_EQ(first.error().code, Error::Code::kIo);
  }
  EXPECT_TRUE(store->Heartbeat(kNow + Seconds(10)).ok());
  EXPECT_EQ(store->coordination().Instances(kNow)->size(), 1u);
}

TEST_F(PgStoreTest, RefusesADatabaseFromANewerVersion) {
  ASSERT_NE(Connect("a:1"), nullptr);
  testing::PgQuery(url_, "UPDATE feedwatch_schema SET version = 99");
  const Result<std::unique_ptr<Store>> store = Store::Connect(url_, "");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(
      store.error().message.find("database schema version 99 is newer than this feedwatch "
                                 "understands (" +
                                 std::to_string(Store::kSchemaVersion) + "); upgrade feedwatch"),
      std::string::npos)
      << store.error().message;
}

TEST(PgStore, SaysWhichServerItCannotReachWithoutThePassword) {
  const Result<std::unique_ptr<Store>> store =
      Store::Connect("postgresql://feedwatch:s3cret@/feedwatch?host=/nonexistent", "");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Error::Code::kIo);
  EXPECT_TRUE(store.error().message.starts_with(
      "postgresql://feedwatch@/feedwatch?host=/nonexistent: cannot connect: "))
      << store.error().message;
  EXPECT_EQ(store.error().message.find("s3cret"), std::string::npos);
}

TEST(PgStore, NoFormOfTheUrlPutsThePasswordInAnError) {
  // The secret "Xq7?Zw3" (? being '@', '%zz', '/' or ':') or a part of it, however the URL is
  // written.
  const std::vector<std::string> urls = {
      "postgresql://fw@/feedwatch?host=/nonexistent&password=Xq7@Zw3",
      "postgresql://fw:Xq7@Zw3@127.0.0.1:1/feedwatch",
      "postgresql://fw:Xq7%zzZw3@127.0.0.1:1/feedwatch",
      "postgresql://fw:Xq7/Zw3@127.0.0.1:1/feedwatch",
      "postgresql://fw:Xq7:Zw3@127.0.0.1:1/feedwatch",
  };
  for (const std::string& url : urls) {
    const Result<std::unique_ptr<Store>> store = Store::Connect(url, "");
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_EQ(store.error().message.find("Xq7"), std::string::npos)
        << url << " -> " << store.error().message;
    EXPECT_EQ(store.error().message.find("Zw3"), std::string::npos)
        << url << " -> " << store.error().message;
  }
  // What it says instead: where the database is, or how to write the URL.
  EXPECT_TRUE(Store::Connect(urls[0], "")
                  .error()
                  .message.starts_with("postgresql://fw@/feedwatch?host=/nonexistent: cannot "
                                       "connect: "));
  const Error unreadable = Store::Connect(urls[2], "").error();
  EXPECT_EQ(unreadable.code, Error::Code::kConfig);
  EXPECT_NE(unreadable.message.find("write '@' as %40"), std::string::npos) << unreadable.message;
  EXPECT_EQ(Store::Connect(urls[1], "").error().code, Error::Code::kConfig);
}

TEST(SqliteStore, CreatesTheCurrentSchemaInWalMode) {
  const testing::TempDir dir;
  const auto file = dir.path() / "feedwatch.db";
  ASSERT_NE(OpenOrDie(file), nullptr);
  EXPECT_EQ(QueryInt(file, "PRAGMA user_version"), Store::kSchemaVersion);
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_P(StoreTest, CommitPollRecordsNewItemsMatchesAndDeliveriesOnce) {
  const auto store = Open();
  const std::vector<ItemRecord> items = {
      Item("a", {{"darchiev", {"console", "desk"}}}),
      Item("b"),
  };
  Result<std::vector<StoryHead>> first =
      store->CommitPoll("tass", "https://tass.test/rss", Ok(kNow), items, {});
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].watch, "darchiev");
  EXPECT_EQ((*first)[0].matched_at, kNow);
  Result<std::vector<StoryHead>> second =
      store->CommitPoll("tass", "https://tass.test/rss", Ok(kNow), items, {});
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->empty());

  Result<std::vector<Delivery>> due = store->DueDeliveries(kNow, 10, kForever);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].notifier, "console");
  EXPECT_EQ((*due)[1].notifier, "desk");
  EXPECT_EQ((*due)[0].watch, "darchiev");
  EXPECT_EQ((*due)[0].feed, "tass");
  EXPECT_EQ((*due)[0].title, "title of a");
  EXPECT_EQ((*due)[0].link, "https://x.test/a");
  EXPECT_EQ((*due)[0].matched_at, kNow);

  const auto known = store->KnownItems("tass", {"a", "c", "b", "d"});
  ASSERT_TRUE(known.ok());
  EXPECT_EQ(known->size(), 2u);
  EXPECT_TRUE(known->contains("a") && known->contains("b"));
  EXPECT_TRUE(store->KnownItems("other-feed", {"a"})->empty());
}

TEST_P(StoreTest, AWatchMatchesAnItemOnceAndAnEditedItemMayMatchAnother) {
  const auto store = Open();
  ItemRecord item = Item("a", {{"w", {"console"}}});
  item.content_hash = "v1";
  EXPECT_EQ(store->CommitPoll("f", "u", Ok(kNow), {item}, {})->size(), 1u);
  item.content_hash = "v2";  // edited: matches w again and now w2 as well
  item.matches.push_back({"w2", {"console"}});
  EXPECT_EQ(store->CommitPoll("f", "u", Ok(kNow), {item}, {})->size(), 1u);
  EXPECT_EQ(store->DueDeliveries(kNow, 10, kForever)->size(), 2u);
  EXPECT_EQ(store->KnownItems("f", {"a"})->at("a"), "v2");
}

TEST_P(StoreTest, ForgetsItemsGoneFromTheirFeedForLong) {
  const auto store = Open();
  ASSERT_TRUE(
      store->CommitPoll("f", "u", Ok(kNow), {Item("old", {{"w", {"console"}}}), Item("kept")}, {})
          .ok());
  ASSERT_TRUE(store->CommitPoll("f", "u", Ok(kNow + Seconds(86400)), {Item("kept")}, {}).ok());
  EXPECT_EQ(*store->ForgetItemsSeenBefore(kNow + Seconds(3600)), 1);
  EXPECT_EQ(store->KnownItems("f", {"old", "kept"})->size(), 1u);
  EXPECT_TRUE(store->DueDeliveries(kNow, 10, kForever)->empty());  // its delivery went with it
}

TEST_P(StoreTest, ANotifierAnsweringAgainBringsItsRetriesForwardAndNothingElse) {
  const auto store = Open();
  MatchRecord digest{"w", {"daily"}};
  digest.due_at["daily"] = kNow + Seconds(7200);  // a digest's time
  ASSERT_TRUE(store
                  ->CommitPoll("f", "u", Ok(kNow),
                               {Item("a", {{"w", {"desk"}}}), Item("b", {{"w", {"desk"}}}),
                                Item("c", {{"w", {"other"}}}), Item("d", {digest})},
                               {})
                  .ok());
  const std::vector<Delivery> due = *store->DueDeliveries(kNow, 10, kForever);
  ASSERT_EQ(due.size(), 3u);
  // Both desk deliveries and the other notifier's failed: retries due at +5 and +10 minutes.
  ASSERT_TRUE(store->MarkFailed({due[0].id}, kNow + Seconds(600), "refused").ok());
  ASSERT_TRUE(store->MarkFailed({due[1].id}, kNow + Seconds(300), "refused").ok());
  ASSERT_TRUE(store->MarkFailed({due[2].id}, kNow + Seconds(300), "refused").ok());
  // Only those named, when named.
  EXPECT_EQ(*store->BringForward("desk", {due[1].id, due[2].id}, kNow + Seconds(60)),
            std::vector<std::int64_t>{due[1].id});
  EXPECT_EQ(*store->BringForward("desk", {}, kNow + Seconds(60)),
            std::vector<std::int64_t>{due[0].id});
  // Due now, each at the time it first fell due: the oldest goes first.
  const std::vector<Delivery> now = *store->DueDeliveries(kNow + Seconds(60), 10, kForever);
  ASSERT_EQ(now.size(), 2u);
  EXPECT_EQ(now[0].id, due[0].id);
  EXPECT_EQ(now[1].id, due[1].id);
  EXPECT_EQ(now[0].attempts, 1);
  // The other notifier's retry and the digest keep their times.
  EXPECT_TRUE(store->BringForward("desk", {}, kNow + Seconds(60))->empty());
  EXPECT_TRUE(store->BringForward("daily", {}, kNow + Seconds(60))->empty());
  EXPECT_EQ(store->DueDeliveries(kNow + Seconds(300), 10, kForever)->size(), 3u);
}

TEST_P(StoreTest, DeliveriesMoveThroughTheOutbox) {
  const auto store = Open();
  ASSERT_TRUE(store
                  ->CommitPoll("f", "u", Ok(kNow),
                               {Item("a", {{"w", {"n1"}}}), Item("b", {{"w", {"n1"}}}),
                                Item("c", {{"w", {"n1"}}})},
                               {})
                  .ok());
  std::vector<Delivery> due = *store->DueDeliveries(kNow, 10, kForever);
  ASSERT_EQ(due.size(), 3u);
  EXPECT_EQ(due[0].state, DeliveryState::kPending);
  EXPECT_EQ(due[0].first_due_at, kNow);
  EXPECT_TRUE(due[0].message_id.empty());
  ASSERT_TRUE(store->AssignMessage({due[0].id}, "inst-a1").ok());
  ASSERT_TRUE(store->MarkSent({due[0].id}, kNow).ok());
  ASSERT_TRUE(store->AssignMessage({due[1].id}, "inst-a2").ok());
  ASSERT_TRUE(store->MarkFailed({due[1].id}, kNow + Seconds(30), "connection refused").ok());
  ASSERT_TRUE(store->MarkDead({due[2].id}, "HTTP 400").ok());
  EXPECT_TRUE(store->DueDeliveries(kNow, 10, kForever)->empty());

  std::vector<Delivery> retry = *store->DueDeliveries(kNow + Seconds(30), 10, kForever);
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].attempts, 1);
  EXPECT_EQ(retry[0].message_id, "inst-a2");  // the same message on every attempt
  EXPECT_EQ(retry[0].last_error, "connection refused");
  EXPECT_EQ(store->DueDeliveries(kNow + Seconds(30), 0, kForever)->size(), 0u);

  // `feedwatch outbox` lists the unsent ones; sent ones only when asked.
  const std::vector<Delivery> listed = *store->ListDeliveries(false);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[1].state, DeliveryState::kDead);
  EXPECT_EQ(listed[1].last_error, "HTTP 400");
  EXPECT_EQ(store->ListDeliveries(true)->size(), 3u);

  // Retried dead deliveries are due now, counted afresh; a sent one cannot be retried.
  EXPECT_EQ(*store->RetryDead(kNow + Seconds(60)), 1);
  std::vector<Delivery> again = *store->DueDeliveries(kNow + Seconds(60), 10, kForever);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[1].id, due[2].id);
  EXPECT_EQ(again[1].attempts, 0);
  EXPECT_EQ(again[1].first_due_at, kNow + Seconds(60));
  EXPECT_EQ(store->Retry(due[0].id, kNow).error().code, Error::Code::kInvalidInput);
  EXPECT_EQ(store->Retry(999, kNow).error().code, Error::Code::kNotFound);

  // A deferred delivery waits without an attempt counted.
  ASSERT_TRUE(store->Defer({due[2].id}, kNow + Seconds(3600)).ok());
  EXPECT_EQ(store->DueDeliveries(kNow + Seconds(3599), 10, kForever)->size(), 1u);
}

TEST_P(StoreTest, CountsSentMessagesNotDeliveries) {
  const auto store = Open();
  ASSERT_TRUE(store
                  ->CommitPoll("f", "u", Ok(kNow),
                               {Item("a", {{"w", {"n1"}}}), Item("b", {{"w", {"n1"}}}),
                                Item("c", {{"w", {"n1"}}})},
                               {})
                  .ok());
  const std::vector<Delivery> due = *store->DueDeliveries(kNow, 10, kForever);
  ASSERT_TRUE(store->AssignMessage({due[0].id, due[1].id}, "x-g1").ok());  // a digest of two
  ASSERT_TRUE(store->MarkSent({due[0].id, due[1].id}, kNow + Seconds(10)).ok());
  ASSERT_TRUE(store->AssignMessage({due[2].id}, "x-a3").ok());
  ASSERT_TRUE(store->MarkSent({due[2].id}, kNow + Seconds(20)).ok());
  const SentMessages sent = *store->SentMessagesSince("n1", kNow);
  EXPECT_EQ(sent.count, 2);
  EXPECT_EQ(sent.oldest, kNow + Seconds(10));
  EXPECT_EQ(store->SentMessagesSince("n1", kNow + Seconds(15))->count, 1);
  EXPECT_EQ(store->SentMessagesSince("other", kNow)->count, 0);
}

TEST_P(StoreTest, DigestDeliveriesFallDueAtTheirTimeAndCarryTheirStory) {
  const auto store = Open();
  MatchRecord match{"w", {"now", "digest"}};
  match.due_at["digest"] = kNow + Seconds(3600);
  ItemRecord item = Item("a", {match});
  item.summary = "what the item says";
  ASSERT_TRUE(store->CommitPoll("tass", "u1", Ok(kNow), {item}, {}).ok());
  const std::vector<Delivery> due = *store->DueDeliveries(kNow, 10, kForever);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].notifier, "now");
  EXPECT_EQ(due[0].summary, "what the item says");

  // Another feed's item of the same story: linked, reported with the first.
  MatchRecord linked{"w", {"now", "digest"}};
  linked.story_of = due[0].story;
  ASSERT_TRUE(store->CommitPoll("ria", "u2", Ok(kNow), {Item("b", {linked})}, {}).ok());
  const std::vector<Delivery> later = *store->DueDeliveries(kNow + Seconds(3600), 10, kForever);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[1].notifier, "digest");
  EXPECT_EQ(later[1].first_due_at, kNow + Seconds(3600));
  EXPECT_EQ(later[1].also_reported_by, std::vector<std::string>{"ria"});
}

TEST_P(StoreTest, HitsAndTheOtherFeedsOfAStoryComeBackAsData) {
  const auto store = Open();
  MatchRecord match{"w", {"desk"}};
  match.hits = {{"title", "Дарчиев*", "Дарчиевым"}, {"summary", "\"quoted\"", "line\nbreak"}};
  ASSERT_TRUE(store->CommitPoll("tass", "u1", Ok(kNow), {Item("a", {match})}, {}).ok());
  const std::vector<Delivery> due = *store->DueDeliveries(kNow, 10, kForever);
  ASSERT_EQ(due.size(), 1u);
  ASSERT_EQ(due[0].hits.size(), 2u);
  EXPECT_EQ(due[0].hits[0].term, "Дарчиев*");
  EXPECT_EQ(due[0].hits[0].text, "Дарчиевым");
  EXPECT_EQ(due[0].hits[1].field, "summary");
  EXPECT_EQ(due[0].hits[1].text, "line\nbreak");
  EXPECT_EQ(due[0].state, DeliveryState::kPending);

  // Three other feeds report the story, one of them twice, and the first feed again: each
  // other feed is named once, in the order it first reported it, at its first report's time
  // (its item's date, or the poll that saw it).
  MatchRecord linked{"w", {"desk"}};
  linked.story_of = due[0].story;
  int minute = 0;
  for (const auto& [feed, key] : std::vector<std::pair<std::string, std::string>>{
           {"ria", "r1"}, {"bbc", "b1"}, {"ria", "r2"}, {"tass", "a2"}, {"afp", "f1"}}) {
    ItemRecord item = Item(key, {linked});
    if (feed == "bbc") item.published = kNow + Seconds(90);
    ASSERT_TRUE(
        store->CommitPoll(feed, "u-" + feed, Ok(kNow + Seconds(60 * ++minute)), {item}, {}).ok());
  }
  const std::vector<std::string> others = {"ria", "bbc", "afp"};
  const std::vector<StoryReport> reports = {
      {"ria", kNow + Seconds(60)}, {"bbc", kNow + Seconds(90)}, {"afp", kNow + Seconds(300)}};
  EXPECT_EQ(store->ListDeliveries(/*all=*/true)->at(0).also_reported_by, others);
  const std::vector<StoryMatch> stories = *store->StoriesSince(kNow);
  ASSERT_EQ(stories.size(), 1u);
  EXPECT_EQ(stories[0].also_reported_by, reports);
  EXPECT_EQ(store->LatestStories("w", 5)->at(0).also_reported_by, reports);
}

TEST_P(StoreTest, StoriesAreCountedPerWatchPerDay) {
  const auto store = Open();
  const TimePoint midnight = std::chrono::floor<std::chrono::days>(kNow);
  std::map<std::string, std::int64_t> last_seq;
  const auto commit = [&](const std::string& key, const std::string& watch, TimePoint at,
                          std::optional<std::int64_t> story_of = std::nullopt) {
    MatchRecord match{watch, {"desk"}};
    match.story_of = story_of;
    const auto heads = store->CommitPoll("tass", "u", Ok(at), {Item(key, {match})}, last_seq);
    ASSERT_TRUE(heads.ok()) << heads.error().message;
    for (const StoryHead& head : *heads) last_seq[head.watch] = head.seq;
  };
  commit("old", "a", midnight - std::chrono::days(3));
  commit("y1", "a", midnight - Seconds(1));
  commit("t1", "a", midnight);
  commit("t2", "a", midnight + Seconds(3600));
  commit("b1", "b", midnight + Seconds(7200));
  // A later report of a story is not a story of its own.
  const std::int64_t head = store->StoriesSince(midnight + Seconds(7200))->at(0).id;
  commit("b2", "b", midnight + Seconds(7300), head);

  const std::vector<DayCount> counts = *store->CountStoriesByDay(midnight - std::chrono::days(1));
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts[0].watch, "a");
  EXPECT_EQ(counts[0].day, midnight - std::chrono::days(1));
  EXPECT_EQ(counts[0].stories, 1);
  EXPECT_EQ(counts[1].day, midnight);
  EXPECT_EQ(counts[1].stories, 2);
  EXPECT_EQ(counts[2].watch, "b");
  EXPECT_EQ(counts[2].stories, 1);
}

TEST_P(StoreTest, EachDatabaseHasItsOwnInstanceId) {
  const std::string a = *Open()->InstanceId();
  const std::string b = *OpenAnother()->InstanceId();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, b);
  EXPECT_EQ(*Reopen()->InstanceId(), a);  // kept
}

TEST_P(StoreTest, FeedStateRecordsSuccessAndFailures) {
  const auto store = Open();
  FeedState state = *store->GetFeedState("f");
  EXPECT_EQ(state.last_success_at, std::nullopt);
  ASSERT_TRUE(store->RecordPoll("f", "u", Failed(kNow, "HTTP 500")).ok());
  ASSERT_TRUE(store->RecordPoll("f", "u", Failed(kNow + Seconds(60), "HTTP 503")).ok());
  state = *store->GetFeedState("f");
  EXPECT_EQ(state.consecutive_failures, 2);
  EXPECT_EQ(state.last_error, "HTTP 503");
  EXPECT_EQ(state.last_attempt_at, kNow + Seconds(60));
  EXPECT_EQ(state.last_success_at, std::nullopt);
  ASSERT_TRUE(store->CommitPoll("f", "u", Ok(kNow + Seconds(120)), {}, {}).ok());
  state = *store->GetFeedState("f");
  EXPECT_EQ(state.consecutive_failures, 0);
  EXPECT_EQ(state.last_error, "");
  EXPECT_EQ(state.last_success_at, kNow + Seconds(120));
}

TEST_P(StoreTest, PollsRecordedTogetherAreEachRecordedInOrder) {
  const auto store = Open();
  PollRecord first = Ok(kNow - Seconds(600));
  first.etag = "\"v1\"";
  ASSERT_TRUE(store->CommitPoll("feed-3", "https://3.test/rss", first, {}, {}).ok());
  // More feeds than one statement takes, one of them twice: its polls count in order.
  std::vector<Store::FeedPoll> polls;
  for (int i = 0; i < 120; ++i) {
    const std::string n = std::to_string(i);
    polls.push_back({"feed-" + n, "https://" + n + ".test/rss", Ok(kNow + Seconds(i))});
  }
  polls.push_back({"feed-7", "https://7.test/rss", Failed(kNow + Seconds(200), "HTTP 500")});
  polls.push_back({"feed-7", "https://7.test/rss", Failed(kNow + Seconds(260), "HTTP 503")});
  ASSERT_TRUE(store->RecordPolls(polls).ok());

  EXPECT_EQ(store->ListFeeds()->size(), 120u);
  const FeedState seven = *store->GetFeedState("feed-7", "https://7.test/rss");
  EXPECT_EQ(seven.consecutive_failures, 2);
  EXPECT_EQ(seven.last_error, "HTTP 503");
  EXPECT_EQ(seven.last_attempt_at, kNow + Seconds(260));
  EXPECT_EQ(seven.last_success_at, kNow + Seconds(7));
  const FeedState last = *store->GetFeedState("feed-119", "https://119.test/rss");
  EXPECT_EQ(last.last_success_at, kNow + Seconds(119));
  EXPECT_EQ(last.next_due_at, kNow + Seconds(119 + 600));
  EXPECT_EQ(last.url, "https://119.test/rss");
  EXPECT_EQ(store->GetFeedState("feed-3", "https://3.test/rss")->etag, "\"v1\"")
      << "a 304 keeps the validator it does not repeat";
  EXPECT_TRUE(store->RecordPolls({}).ok());
}

TEST_P(StoreTest, TheHeartbeatRecordsThePollsGivenWithIt) {
  const auto store = Open();
  store->SetInstance("a:1", "cfg", "test");  // on PostgreSQL the polls go in its statement
  const std::string url = "https://tass.test/rss";
  ASSERT_TRUE(store->Heartbeat(kNow, {{"tass", url, Failed(kNow, "HTTP 503")}}).ok());
  EXPECT_EQ(store->GetFeedState("tass", url)->last_error, "HTTP 503");
  // A feed twice: its earlier poll is written first, on its own; its polls count in order.
  ASSERT_TRUE(
      store
          ->Heartbeat(kNow + Seconds(5),
                      {{"tass", url, Failed(kNow + Seconds(1), "HTTP 500")},
                       {"ria", "https://ria.test/rss", Failed(kNow + Seconds(1), "HTTP 502")},
                       {"tass", url, Ok(kNow + Seconds(2))}})
          .ok());
  const FeedState tass = *store->GetFeedState("tass", url);
  EXPECT_EQ(tass.consecutive_failures, 0);
  EXPECT_EQ(tass.last_success_at, kNow + Seconds(2));
  EXPECT_EQ(tass.next_due_at, kNow + Seconds(602));
  EXPECT_EQ(store->GetFeedState("ria")->last_error, "HTTP 502");
}

TEST_P(StoreTest, PollStateBelongsToTheConfiguredUrl) {
  const auto store = Open();
  PollRecord poll = Ok(kNow);
  poll.etag = "\"v1\"";
  poll.last_modified = "Wed, 11 Jun 2025 06:00:00 GMT";
  poll.body_hash = "abc";
  poll.moved_to = "https://new.test/rss";
  poll.hints = ScheduleHints{.fresh_for = Seconds(900), .skip_hours = 0b111, .skip_days = 1};
  ASSERT_TRUE(store->CommitPoll("f", "https://old.test/rss", poll, {}, {}).ok());
  FeedState state = *store->GetFeedState("f");
  EXPECT_EQ(state.hints, *poll.hints) << "whichever instance polls next knows them";
  EXPECT_EQ(state.etag, "\"v1\"");
  EXPECT_EQ(state.last_modified, "Wed, 11 Jun 2025 06:00:00 GMT");
  EXPECT_EQ(state.body_hash, "abc");
  EXPECT_EQ(state.moved_to, "https://new.test/rss");
  EXPECT_EQ(state.next_due_at, kNow + Seconds(600));
  EXPECT_EQ(state.last_status, "200");

  // A 304 keeps the validators it does not repeat; 410 marks the feed gone.
  PollRecord gone = Ok(kNow + Seconds(600));
  gone.status = "410 gone";
  gone.error = "410 Gone";
  gone.gone = true;
  ASSERT_TRUE(store->RecordPoll("f", "https://old.test/rss", gone).ok());
  state = *store->GetFeedState("f");
  EXPECT_TRUE(state.gone);
  EXPECT_EQ(state.etag, "\"v1\"");
  EXPECT_EQ(state.hints, *poll.hints) << "a poll that parsed nothing keeps them";

  // Read for another configured URL before any write: what was learnt is left out.
  EXPECT_EQ(store->GetFeedState("f", "https://old.test/rss")->etag, "\"v1\"");
  state = *store->GetFeedState("f", "https://other.test/rss");
  EXPECT_EQ(state.url, "https://old.test/rss");
  EXPECT_FALSE(state.gone);
  EXPECT_EQ(state.etag, "");
  EXPECT_EQ(state.last_modified, "");
  EXPECT_EQ(state.body_hash, "");
  EXPECT_EQ(state.moved_to, "");
  EXPECT_EQ(state.hints, ScheduleHints{});
  EXPECT_EQ(state.last_status, "410 gone");  // the rest is the feed's
  // So does the read of every configured feed at the start, with a feed never polled.
  const std::vector<FeedState> states = *store->GetFeedStates({{"g", "https://g.test/rss"},
                                                               {"f", "https://other.test/rss"},
                                                               {"f", "https://old.test/rss"}});
  ASSERT_EQ(states.size(), 3u);
  EXPECT_EQ(states[0].name, "g");
  EXPECT_FALSE(states[0].last_attempt_at.has_value());
  EXPECT_EQ(states[1].etag, "");
  EXPECT_FALSE(states[1].gone);
  EXPECT_EQ(states[1].last_status, "410 gone");
  EXPECT_EQ(states[2].etag, "\"v1\"");
  EXPECT_TRUE(states[2].gone);

  // The configuration now names another URL: nothing learnt about the old one applies.
  ASSERT_TRUE(store->RecordPoll("f", "https://other.test/rss", Failed(kNow, "timeout")).ok());
  state = *store->GetFeedState("f");
  EXPECT_EQ(state.url, "https://other.test/rss");
  EXPECT_FALSE(state.gone);
  EXPECT_EQ(state.etag, "");
  EXPECT_EQ(state.body_hash, "");
  EXPECT_EQ(state.moved_to, "");
  EXPECT_EQ(store->ListFeeds()->size(), 1u);
}

TEST(SqliteStore, OneInstanceIsGrantedEveryFeedAndEveryHost) {
  const testing::TempDir dir;
  const auto store = OpenOrDie(dir.path() / "feedwatch.db");
  store->SetInstance("a:1", "cfg", "test");
  Coordination& coordination = store->coordination();
  const std::vector<FeedClaim> claims =
      *coordination.ClaimFeeds({{"tass", "u1"}, {"ria", "u2"}}, kNow, kNow + Seconds(60));
  ASSERT_EQ(claims.size(), 2u);
  EXPECT_TRUE(claims[0].claimed && claims[1].claimed);
  EXPECT_FALSE(claims[0].state.has_value());
  EXPECT_TRUE(coordination.LockStories({"w"}).ok());
  EXPECT_TRUE(coordination.UnlockStories().ok());
  EXPECT_TRUE(coordination.ReleaseLeases().ok());
  ASSERT_TRUE(store->Heartbeat(kNow).ok());
  EXPECT_TRUE(coordination.Instances(kNow - Seconds(60))->empty());
  EXPECT_EQ(
      *coordination.HoldHosts({"https://tass.test", "https://ria.test"}, {}, kNow, Seconds(15)),
      (std::set<std::string>{"https://tass.test", "https://ria.test"}));
}

TEST(SqliteStore, MigratesADatabaseFromSchemaVersion1ToTheLatest) {
  const testing::TempDir dir;
  const auto file = dir.path() / "feedwatch.db";
  ExecSql(file, testing::ReadFile(testing::DataDir() / "store" / "schema-v1.sql"));
  ASSERT_EQ(QueryInt(file, "PRAGMA user_version"), 1);

  const auto store = OpenOrDie(file);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(QueryInt(file, "PRAGMA user_version"), Store::kSchemaVersion);
  // What version 1 recorded is still there and still counts as seen.
  EXPECT_EQ(store->GetFeedState("tass-en")->last_success_at, TimePoint(Seconds(1741700000)));
  EXPECT_EQ(store->KnownItems("tass-en", {"tass-1", "tass-2"})->size(), 2u);
  // Old matches were delivered by the version that made them: nothing is re-sent.
  EXPECT_TRUE(store->DueDeliveries(kNow, 10, kForever)->empty());
  // The new outbox works on the migrated file; old stories are numbered.
  const std::int64_t last_seq = store->RecentStories("darchiev", TimePoint{}, 0)->last_seq;
  EXPECT_GT(last_seq, 0);
  EXPECT_EQ(
      store
          ->CommitPoll("tass-en", "https://tass.com/rss/v2.xml", Ok(kNow),
                       {Item("tass-3", {{"darchiev", {"console"}}})}, {{"darchiev", last_seq}})
          ->size(),
      1u);
  EXPECT_EQ(store->DueDeliveries(kNow, 10, kForever)->size(), 1u);
}

TEST(SqliteStore, RefusesADatabaseFromANewerVersion) {
  const testing::TempDir dir;
  const auto file = dir.path() / "feedwatch.db";
  ExecSql(file, "PRAGMA user_version = 99");
  const Result<std::unique_ptr<Store>> store = Store::Open(file);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().message, file.string() +
                                       ": database schema version 99 is newer than this feedwatch "
                                       "understands (" +
                                       std::to_string(Store::kSchemaVersion) +
                                       "); upgrade feedwatch");
}

TEST(SqliteStore, ReportsAFileThatIsNotADatabase) {
  const testing::TempDir dir;
  const auto file = dir.path() / "feedwatch.db";
  testing::WriteFile(file, std::string(4096, 'x'));
  const Result<std::unique_ptr<Store>> store = Store::Open(file);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Error::Code::kIo);
  EXPECT_NE(store.error().message.find("file is not a database"), std::string::npos)
      << store.error().message;
}

}  // namespace
}  // namespace feedwatch::store
