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
