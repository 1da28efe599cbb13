#include "daemon/leases.h"

#include <gtest/gtest.h>

#include <memory>

#include "store/store.h"
#include "tests/support/pg.h"
#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;

// Two instances on one PostgreSQL database, each with its Leases, on a clock they share.
class LeasesTest : public ::testing::Test {
 protected:
  std::unique_ptr<store::Store> Connect(const std::string& instance) {
    Result<std::unique_ptr<store::Store>> store = store::Store::Connect(url_, "");
    EXPECT_TRUE(store.ok()) << store.error().message;
    if (!store.ok()) return nullptr;
    (*store)->SetInstance(instance, "cfg", "test");
    EXPECT_TRUE((*store)->Heartbeat(clock_.Now()).ok());
    return std::move(*store);
  }

  // Feeds 0-9 on ten hosts, one each; `moved` adds feed 10 on a host of its own.
  static std::map<std::string, std::vector<size_t>> Feeds(bool moved = false) {
    std::map<std::string, std::vector<size_t>> feeds;
    for (size_t i = 0; i < 10; ++i) feeds["https://outlet" + std::to_string(i) + ".test"] = {i};
    if (moved) feeds["https://moved.test"] = {10};
    return feeds;
  }

  std::string url_ = testing::NewPgDatabase();
  testing::FakeClock clock_{TimePoint(Seconds(1'750'000'000))};
};

TEST_F(LeasesTest, AFeedWaitsForItsHostAndIsDueWhenItsInstanceStops) {
  const auto store_a = Connect("a:1");
  const auto store_b = Connect("b:2");
  Leases a(store_a->coordination(), clock_, 30s);
  Leases b(store_b->coordination(), clock_, 30s);
  // Both live: each holds its share, about half the hosts, and nothing is due at once. (The
  // hosts are shared out among the instances a's last heartbeat read: as in the daemon, a
  // heartbeat comes first.)
  ASSERT_TRUE(store_a->Heartbeat(clock_.Now()).ok());
  EXPECT_TRUE(a.Hold(Feeds()).empty());
  EXPECT_TRUE(b.Hold(Feeds()).empty());
  std::vector<size_t> at_a, at_b;
  for (size_t feed = 0; feed < 10; ++feed) {
    const std::string host = "https://outlet" + std::to_string(feed) + ".test";
    if (a.Admit(feed, host)) at_a.push_back(feed);
    if (b.Admit(feed, host)) at_b.push_back(feed);
  }
  ASSERT_FALSE(at_a.empty());
  ASSERT_FALSE(at_b.empty());
  EXPECT_EQ(at_a.size() + at_b.size(), 10u) << "each host held by one instance";
  // A feed that moved to a host new to b is not due at once: no other instance held it.
  const auto gained = [](Leases& leases, const std::map<std::string, std::vector<size_t>>& feeds) {
    std::vector<size_t> due = leases.Hold(feeds);
    std::sort(due.begin(), due.end());
    return due;
  };
  clock_.Advance(5s);
  ASSERT_TRUE(store_a->Heartbeat(clock_.Now()).ok());
  ASSERT_TRUE(store_b->Heartbeat(clock_.Now()).ok());
  EXPECT_TRUE(gained(b, Feeds(/*moved=*/true)).empty())
      << "a host new to b (b's share or a's) has nothing due at once";
  // a stops cleanly: b is given a's hosts at once, and every feed on them is due, those that
  // waited and those b's schedule holds for later alike.
  a.Release();
  ASSERT_TRUE(store_a->Heartbeat(clock_.Now() - 600s).ok());  // and leaves no heartbeat
  clock_.Advance(5s);
  ASSERT_TRUE(store_b->Heartbeat(clock_.Now()).ok());
  std::vector<size_t> due = gained(b, Feeds(/*moved=*/true));
  due.erase(std::remove(due.begin(), due.end(), size_t{10}), due.end());
  EXPECT_EQ(due, at_a) << "a's feeds are due at b";
  for (size_t feed = 0; feed < 10; ++feed) {
    EXPECT_TRUE(b.Admit(feed, "https://outlet" + std::to_string(feed) + ".test")) << feed;
  }
}

TEST_F(LeasesTest, AHostBeingFetchedFromIsKeptUntilItsFetchesEnd) {
  const auto store_a = Connect("a:1");
  Leases a(store_a->coordination(), clock_, 30s);
  EXPECT_TRUE(a.Hold(Feeds()).empty());  // alone: every host
  for (size_t feed = 0; feed < 10; ++feed) {
    const std::string host = "https://outlet" + std::to_string(feed) + ".test";
    ASSERT_TRUE(a.Admit(feed, host));
    a.Took(feed, "feed-" + std::to_string(feed), host);  // a is fetching every feed
  }
  // b joins: its share is not given up while a fetches from it, but a starts no new fetch
  // there, so that its fetches end (a host busy all the time would never change hands).
  const auto store_b = Connect("b:2");
  Leases b(store_b->coordination(), clock_, 30s);
  clock_.Advance(5s);
  ASSERT_TRUE(store_a->Heartbeat(clock_.Now()).ok());
  EXPECT_TRUE(a.Hold(Feeds()).empty());
  EXPECT_TRUE(b.Hold(Feeds()).empty());
  size_t at_a = 0;
  size_t at_b = 0;
  for (size_t feed = 0; feed < 10; ++feed) {
    at_a += a.Admit(feed, "https://outlet" + std::to_string(feed) + ".test") ? 1 : 0;
    at_b += b.Admit(feed, "https://outlet" + std::to_string(feed) + ".test") ? 1 : 0;
  }
  EXPECT_EQ(at_b, 0u);
  EXPECT_GE(at_a, 1u) << "a's share: about half of the ten hosts";
  EXPECT_LE(at_a, 9u);
  // The fetches end: a gives b's share up, and b is given the feeds that waited for it.
  for (size_t feed = 0; feed < 10; ++feed) a.Ended(feed);
  clock_.Advance(5s);
  EXPECT_TRUE(a.Hold(Feeds()).empty());
  const std::vector<size_t> due = b.Hold(Feeds());
  EXPECT_GE(due.size(), 1u) << "b's share: about half of the ten hosts";
  EXPECT_LE(due.size(), 9u);
  for (const size_t feed : due) {
    EXPECT_TRUE(b.Admit(feed, "https://outlet" + std::to_string(feed) + ".test")) << feed;
  }
}

TEST_F(LeasesTest, AFeedIsClaimedOnceAfterItsHostIsTakenAndNotWhileTheHostStaysHeld) {
  const auto store_a = Connect("a:1");
  Leases a(store_a->coordination(), clock_, 30s);
  EXPECT_TRUE(a.Hold(Feeds()).empty());  // alone: every host
  const auto poll = [&](size_t feed) {   // as the Engine does, after a claim or without one
    a.Took(feed, "feed-" + std::to_string(feed), "https://outlet" + std::to_string(feed) + ".test");
    a.Ended(feed);
  };
  EXPECT_FALSE(a.Owns(0)) << "never claimed here: another instance may have polled it";
  poll(0);
  poll(1);
  EXPECT_TRUE(a.Owns(0));
  // Held all along: polled as is, round after round.
  for (int round = 0; round < 3; ++round) {
    clock_.Advance(5s);
    ASSERT_TRUE(store_a->Heartbeat(clock_.Now()).ok());
    EXPECT_TRUE(a.Hold(Feeds()).empty());
    EXPECT_TRUE(a.Owns(0) && a.Owns(1));
  }
  // The store cannot be asked (or the instance stalled): the hosts may have moved to another
  // instance meanwhile, and a feed is claimed again.
  clock_.Advance(kHeldTrusted + 1s);
  EXPECT_FALSE(a.Owns(0));
  // b joins, and a gives b's share up: those feeds are claimed again once their host comes
  // back; the feeds of the hosts a kept stay its own.
  ASSERT_TRUE(store_a->Heartbeat(clock_.Now()).ok());
  EXPECT_TRUE(a.Hold(Feeds()).empty());
  EXPECT_TRUE(a.Owns(0) && a.Owns(1));
  const auto store_b = Connect("b:2");
  clock_.Advance(5s);
  ASSERT_TRUE(store_a->Heartbeat(clock_.Now()).ok());
  EXPECT_TRUE(a.Hold(Feeds()).empty());
  size_t kept = 0;
  for (size_t feed = 0; feed < 2; ++feed) {
    const bool held = a.Admit(feed, "https://outlet" + std::to_string(feed) + ".test");
    EXPECT_EQ(a.Owns(feed), held) << feed;
    kept += held ? 1 : 0;
  }
  EXPECT_LT(kept, 2u) << "(the share of ten hosts that hash to a: about half; "
                         "with b's ids fixed, outlet0 or outlet1 goes to b)";
}

TEST_F(LeasesTest, AFetchsLeaseIsRenewedOnlyOnceHalfOfItHasPassed) {
  const auto store = Connect("a:1");
  Leases a(store->coordination(), clock_, 30s);
  const auto lease_until = [&] {
    return testing::PgQuery(url_, "SELECT lease_until FROM feeds WHERE name = 'feed-0'");
  };
  ASSERT_TRUE(
      store->coordination()
          .ClaimFeeds({{"feed-0", "https://outlet0.test/rss"}}, clock_.Now(), clock_.Now() + 30s)
          .ok());
  a.Took(0, "feed-0", "https://outlet0.test");
  const std::string taken = lease_until();
  ASSERT_FALSE(taken.empty());
  a.Renew();  // a fetch that just started: its lease has 30 s to run, nothing is written
  clock_.Advance(10s);
  a.Renew();
  EXPECT_EQ(lease_until(), taken);
  clock_.Advance(5s);
  a.Renew();  // half the lease has passed: renewed for another 30 s from now
  EXPECT_EQ(lease_until(), std::to_string(std::stoll(taken) + 15));
}

TEST(FeedHosts, GroupsFeedsByHostAndRegroupsAMovedOrGoneFeed) {
  FeedHosts hosts(4);
  EXPECT_EQ(hosts.Set(0, "https://Outlet.test/rss"), "https://outlet.test");
  hosts.Set(1, "https://outlet.test/world?format=atom");
  hosts.Set(2, "https://other.test:8443/feed");
  hosts.Set(3, "file:///srv/feeds/local.xml");
  using ByHost = std::map<std::string, std::vector<size_t>>;
  EXPECT_EQ(
      hosts.ByHost(),
      (ByHost{{"file", {3}}, {"https://other.test:8443", {2}}, {"https://outlet.test", {0, 1}}}));
  // The same URLs again: the same grouping.
  hosts.Set(0, "https://Outlet.test/rss");
  EXPECT_EQ(hosts.ByHost().at("https://outlet.test"), (std::vector<size_t>{0, 1}));
  // A permanent redirect moves feed 1; feed 3 answered 410 Gone.
  EXPECT_EQ(hosts.Set(1, "https://cdn.outlet.test/world.xml"), "https://cdn.outlet.test");
  hosts.Set(3, "file:///srv/feeds/local.xml", /*gone=*/true);
  EXPECT_EQ(hosts.ByHost(), (ByHost{{"https://cdn.outlet.test", {1}},
                                    {"https://other.test:8443", {2}},
                                    {"https://outlet.test", {0}}}));
  // Its URL changed in the configuration: polled again.
  hosts.Set(3, "https://outlet.test/local.xml");
  EXPECT_EQ(hosts.ByHost().at("https://outlet.test"), (std::vector<size_t>{0, 3}));
}

}  // namespace
}  // namespace feedwatch::daemon
