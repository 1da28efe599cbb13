// The polls that read no items (not modified, the same body, a failure, 410 Gone), written to
// the store five seconds' worth at a time: a warm instance polls a dozen feeds a second, and on
// PostgreSQL a statement for each cost the server more than the poll itself, and a statement
// a second for each instance was most of what a second instance cost (docs/scaling.md).
// Running, they go with the instance's heartbeat every five seconds, in its statement on
// PostgreSQL (an instance's round is one round trip); `feedwatch once` writes them when the
// oldest has waited five seconds. Nothing is read back from the store behind them: the Engine
// keeps each feed's state, and writes what is held before the store tells it a feed's state
// again (a claim, a commit of that feed), before it gives up a host (the instance taking it
// reads its feeds' state), and when the daemon stops or reloads. What a crash loses is at most five seconds of polls that
// found nothing: those feeds are polled again, early, by the instance that polls them next.
//
// Threading: the Engine's thread.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "daemon/housekeeping.h"
#include "store/store.h"

namespace feedwatch::daemon {

// How long a poll's record waits to be written with others.
inline constexpr Seconds kPollRecordsEvery{5};

class PollRecords {
 public:
  // Every argument must outlive the PollRecords; `health` hears of the writes refused.
  PollRecords(store::Store& store, const Clock& clock, DatabaseHealth& health)
      : store_(store), clock_(clock), health_(health) {}

  void Add(std::string feed, std::string url, store::PollRecord poll);
  // Writes every poll held.
  void Write();
  // Writes every poll held with this instance's heartbeat (Store::Heartbeat: one round trip on
  // PostgreSQL), and returns the heartbeat's result; when that is an error, the polls are
  // written again on their own.
  Status WriteWithHeartbeat(TimePoint now);
  // Writes every poll held when the oldest has waited kPollRecordsEvery.
  void WriteIfDue();
  // Writes every poll held when one is of `feeds` (about to be read from the store).
  void WriteBefore(const std::vector<store::FeedRef>& feeds);
  // When WriteIfDue writes next; nullopt when nothing is held.
  std::optional<MonoTime> Deadline() const;

 private:
  // Logs the held polls as not recorded, and tells `health_`.
  void Lost(const Error& error);
  void Clear();

  store::Store& store_;
  const Clock& clock_;
  DatabaseHealth& health_;
  std::vector<store::Store::FeedPoll> held_;
  std::set<std::string, std::less<>> feeds_;  // of held_
  MonoTime oldest_;                           // when the first of held_ was added
};

}  // namespace feedwatch::daemon
