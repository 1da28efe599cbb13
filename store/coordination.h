// How the instances running on one store share its work: who polls a host and a feed (leases),
// who starts a watch's next story (story locks) and who is running (heartbeats). Callers do
// the same whatever the store: on a store only one instance runs on (SQLite) every lease is
// granted at once, every host is held and no instance is listed.
//
// Threading: the thread that uses the Store. Errors are Error::Io with the database's message.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace feedwatch::store {

// Defined in store/store.h, which declares the Store that hands out its Coordination.
struct FeedRef;
struct FeedClaim;
struct InstanceInfo;

// An instance is live while its heartbeat (Store::Heartbeat) is at most this old.
inline constexpr Seconds kInstanceLive{60};

class Coordination {
 public:
  virtual ~Coordination() = default;

  // Of `feeds`, takes the lease of those due at `now` (never polled, or next due by then) that
  // no other instance holds a live lease on, until `until`; one answer per feed, in order.
  // Feeds new to the store are recorded. A lease ends when the poll is recorded (CommitPoll,
  // RecordPoll), at ReleaseLeases, or at its time.
  virtual Result<std::vector<FeedClaim>> ClaimFeeds(const std::vector<FeedRef>& feeds,
                                                    TimePoint now, TimePoint until) = 0;
  // Extends this instance's leases on `feeds` to `until` (a fetch that takes long).
  virtual Status RenewLeases(const std::vector<std::string>& feeds, TimePoint until) = 0;
  // Gives up every lease this instance holds, feeds', hosts' and deliveries' (a clean stop).
  virtual Status ReleaseLeases() = 0;

  // Of `hosts` (those this instance has feeds on), the ones it polls: a host is polled by one
  // instance at a time, so that `per_host` holds for all of them. The hosts are shared out
  // among the live instances, those whose heartbeat is no older than `lease` (15 s at least)
  // (rendezvous hashing on their ids: a host moves only when the instance it hashes to joins
  // or leaves); one held by another instance is taken only when that instance is no longer
  // live or has given it up. A host is held for as long as its instance is live, so keeping
  // one writes nothing. This instance keeps those of `busy` (fetches in flight) whatever the
  // share says until they end, but does not count them as held (no new fetch starts there),
  // and gives up the others outside its share.
  virtual Result<std::set<std::string>> HoldHosts(const std::vector<std::string>& hosts,
                                                  const std::set<std::string>& busy, TimePoint now,
                                                  Seconds lease) = 0;

  // Holds every other writer's new stories of `watches` back until UnlockStories: after a
  // Conflict, the caller reads the new stories, decides again and commits under it, so that the
  // second try cannot lose again however busy the watches are. Locks are taken in name order;
  // CommitPoll takes the same ones, for its own transaction, before it records new stories.
  virtual Status LockStories(const std::set<std::string>& watches) = 0;
  virtual Status UnlockStories() = 0;

  // The instances whose heartbeat (Store::Heartbeat) is at or after `since`, by id.
  virtual Result<std::vector<InstanceInfo>> Instances(TimePoint since) = 0;
};

}  // namespace feedwatch::store
