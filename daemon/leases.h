// What this instance holds where instances share a store (store::Coordination): the leases of
// the feeds it is fetching, and the hosts it polls. A host is polled by one instance at a time
// (HoldHosts), so that `per_host` holds for all of them: a feed whose host another instance
// holds waits here, outside the schedule, until this instance is given its host. A feed is
// claimed (its lease taken, its state read back: another instance may have polled it) the
// first time it falls due after its host was taken here; while the host stays held, no other
// instance polls it, and its polls need no claim. On a store only one instance runs on, every
// lease is granted and every host held.
//
// Threading: the Engine's thread.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "store/coordination.h"

namespace feedwatch::daemon {

// Hosts held are trusted for this long after the store last said so: the others take them only
// once this instance's heartbeat (written just before) is 15 s old.
inline constexpr Seconds kHeldTrusted{10};

// The host each feed is polled at (Scheduler::HostOf its URL), and the feeds by host: what
// Leases::Hold asks the store about each round. A feed's host is worked out again only when
// its URL changed (a permanent redirect, a state another instance recorded), and the grouping
// only when a host or a feed's gone-ness did: a round costs a comparison a feed, not a URL
// parsed and a map built.
class FeedHosts {
 public:
  explicit FeedHosts(size_t feeds) : feeds_(feeds) {}

  // Feed `feed` is fetched from `url`, or not at all when `gone`; returns its host.
  const std::string& Set(size_t feed, const std::string& url, bool gone = false);
  // The feeds not gone, by host, as last Set.
  const std::map<std::string, std::vector<size_t>>& ByHost();

 private:
  struct Feed {
    std::string url;  // whose host `host` is; empty before the first Set
    std::string host;
    bool gone = false;
  };
  std::vector<Feed> feeds_;
  std::map<std::string, std::vector<size_t>> by_host_;
  bool stale_ = true;  // by_host_ is not what feeds_ say
};

class Leases {
 public:
  Leases(store::Coordination& coordination, const Clock& clock, Seconds lease)
      : coordination_(coordination), clock_(clock), lease_(lease) {}

  // Whether `feed` on `host` may be polled here; if not, it waits for Hold to give its host.
  bool Admit(size_t feed, const std::string& host);
  // Whether `feed` may be polled without a claim: it was claimed since its host was taken
  // here, and the hosts were held within the last kHeldTrusted (an instance that could not
  // ask for them, or stalled, may have lost them without knowing).
  bool Owns(size_t feed) const;
  // `feed` (`name`, on `host`) is being fetched, claimed or owned; or its fetch ended (the
  // poll was recorded, or will not be).
  void Took(size_t feed, std::string name, std::string host);
  void Ended(size_t feed) { fetching_.erase(feed); }

  // Asks the store which of the hosts of `feeds` (this instance's feeds, by host) are this
  // instance's, keeping those it is fetching from. Returns the feeds to ask for now, in
  // order: those that waited for a host it was given, and every feed of a host another
  // instance held when it last asked (one that stopped or left it: the store says which are
  // due, this instance's schedule does not know). When the store cannot be asked, the hosts
  // held stay as they were.
  std::vector<size_t> Hold(const std::map<std::string, std::vector<size_t>>& feeds);
  bool asked() const { return asked_; }
  // Extends the leases of the feeds being fetched for longer than half the lease.
  void Renew();
  // Gives every lease this instance holds to the others (a clean stop).
  void Release();

 private:
  struct Fetching {
    std::string name;
    std::string host;
    TimePoint renewed_at;  // when its lease was taken or last renewed
  };
  store::Coordination& coordination_;
  const Clock& clock_;
  Seconds lease_;
  std::map<size_t, Fetching> fetching_;  // by feed
  bool asked_ = false;
  std::set<std::string> asked_about_;  // the hosts of the last answer
  std::set<std::string> held_;
  TimePoint held_at_;                                   // of the last answer
  std::set<size_t> owned_;                              // feeds claimed since their host was taken
  std::map<std::string, std::vector<size_t>> waiting_;  // by host
};

}  // namespace feedwatch::daemon
