// Which feeds to fetch, and when: feeds ordered by due time, and a queue per host for the due
// feeds that wait for a transfer slot under the global limit (`concurrency`) or their host's
// (`per_host`). Starting, finishing and rescheduling a fetch each cost O(log n) in the number of
// feeds; a host's name is interned once, when a feed's URL is set.
//
// Due feeds start in order of due time, the longest overdue first, except that a feed whose
// host is at its limit waits without holding back feeds of other hosts. file:// URLs have no
// host limit.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/clock.h"

namespace feedwatch::daemon {

class Scheduler {
 public:
  using Feed = size_t;  // an index into the configuration's feeds

  Scheduler(size_t feeds, int concurrency, int per_host);

  // The URL `feed` is fetched from; its host decides which limit applies. Set it before the
  // feed is first scheduled and again when it moves (not while it is in flight).
  void SetUrl(Feed feed, std::string_view url);

  // `feed` falls due at `due`, replacing any earlier time. Not while it is in flight. A feed
  // taken and finished is not fetched again until it is scheduled again.
  void Schedule(Feed feed, TimePoint due);

  // The feeds to fetch now: those due at or before `due_by`, in due order, as far as the limits
  // allow. Each is in flight until Finished. `now` (default `due_by`) is the clock's time: a
  // due feed that finds no free slot waits from then (Waited).
  std::vector<Feed> Take(TimePoint due_by, std::optional<TimePoint> now = std::nullopt);
  // The fetch of `feed` ended; its slot is free. Schedule it again to fetch it again.
  void Finished(Feed feed);

  // A transfer that is not a feed's (an article page) takes a slot of the global limit and of
  // its host's, shared with the feeds there; false when none is free. ReturnSlot gives it back.
  bool TakeSlot(std::string_view url);
  void ReturnSlot(std::string_view url);

  // How long `feed`, taken at `now`, waited for a slot since it fell due (0 when one was free).
  Seconds Waited(Feed feed, TimePoint now) const {
    const FeedSlot& slot = feeds_[feed];
    return slot.queued ? std::max(Seconds(0), now - *slot.queued) : Seconds(0);
  }

  // When the earliest feed not yet taken falls due; nullopt when there is none. Due feeds that
  // wait for a slot are not counted: they start when a fetch finishes.
  std::optional<TimePoint> NextDue() const;
  int in_flight() const { return in_flight_; }
  // Due feeds waiting for a slot.
  size_t waiting() const { return waiting_; }

  // "https://host:port" in lower case, or "file": what the per-host limit counts by.
  static std::string HostOf(std::string_view url);

 private:
  using Entry = std::pair<TimePoint, Feed>;  // ordered by time, then configuration order
  enum class Where : std::uint8_t { kNowhere, kTimeline, kWaiting, kInFlight };

  struct FeedSlot {
    TimePoint due;
    std::uint32_t host = 0;
    Where where = Where::kNowhere;
    std::optional<TimePoint> queued;  // when it joined its host's waiting set, if it waited
  };
  struct Host {
    int in_flight = 0;
    bool unlimited = false;
    std::set<Entry> waiting;           // due, waiting for a slot
    std::optional<Entry> ready_entry;  // its key in ready_, when it is there
  };

  // Puts `host` in ready_ when it has a feed waiting and a free slot; else takes it out.
  void UpdateReady(std::uint32_t host);
  void Remove(Feed feed);  // from the timeline or its host's waiting set

  int concurrency_;
  int per_host_;
  std::vector<FeedSlot> feeds_;
  std::vector<Host> hosts_;
  std::unordered_map<std::string, std::uint32_t> host_ids_;
  // Transfers in flight to hosts no feed is fetched from, by host; a host leaves at 0, so that
  // links to ever new hosts cost nothing once fetched.
  std::unordered_map<std::string, int> other_hosts_;
  std::set<Entry> timeline_;  // scheduled, not yet due when last taken
  // Hosts that can start a fetch, by the due time of the first feed waiting on each.
  std::set<std::pair<Entry, std::uint32_t>> ready_;
  int in_flight_ = 0;
  size_t waiting_ = 0;
};

}  // namespace feedwatch::daemon
