// The polling of feeds: which feed is due (Scheduler), its fetch (HttpClient) and what the
// response says (a new body, 304, a redirect, an error, 410 Gone), the feed's state and its
// next due time. A new body goes to the PollCommitter; housekeeping and sending are the
// Daemon's (docs/architecture.md walks one response through them).
//
// The Engine starts fetches; the Daemon's loop drives the HttpClient, whose callbacks bring the
// results back here. Everything runs on the loop thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "daemon/feed_health.h"
#include "daemon/fetch_result.h"
#include "daemon/housekeeping.h"
#include "daemon/leases.h"
#include "daemon/metrics.h"
#include "daemon/poll_committer.h"
#include "daemon/poll_records.h"
#include "daemon/schedule.h"
#include "daemon/scheduler.h"
#include "net/http_client.h"
#include "store/store.h"

namespace feedwatch::daemon {

class Engine {
 public:
  // How the engine runs: `feedwatch once` polls every feed one time; the daemon polls each on
  // its interval, spreading the network feeds already due at start over the first two minutes
  // (or their interval) but not at a reload; file feeds due at start are read at once.
  enum class Mode { kOnce, kStart, kReload };

  // Every argument must outlive the Engine. `scheduler` (for config.feeds) orders the fetches;
  // `committer` takes the bodies fetched; `health` hears of the writes the database refused;
  // `metrics` (may be null) is told what happens.
  Engine(const config::Config& config, store::Store& store, net::HttpClient& http,
         const Clock& clock, Scheduler& scheduler, PollCommitter& committer, DatabaseHealth& health,
         Metrics* metrics);

  // Reads each feed's state from the store: when it is due, its validators, a permanent
  // redirect, 410 Gone. Call once before starting fetches.
  Status Load(Mode mode);

  // Starts fetches of due feeds (`once`: of every feed not yet polled) within the limits; the
  // rest wait for transfers to finish. On a shared store a feed is fetched only once its lease
  // is taken; one another instance holds, or polled already, waits until it is due again.
  void StartFetches();

  bool once() const { return mode_ == Mode::kOnce; }
  // Of the enabled feeds, how many were polled since the engine started, and in how many of
  // those the last poll failed (fetch, HTTP error, not a feed, gone, not stored): `feedwatch
  // once` exits on it.
  struct Polls {
    int polled = 0;
    int failed = 0;
  };
  Polls CountPolls() const;
  // Every enabled feed has been polled since the engine started (for `feedwatch once`).
  bool polled_all() const { return unpolled_ == 0; }

  // When the next feed falls due (nullopt when none is scheduled).
  std::optional<TimePoint> NextDue() const { return scheduler_.NextDue(); }

  bool fetching() const { return scheduler_.in_flight() > 0; }
  int in_flight() const { return scheduler_.in_flight(); }
  config::Duration shutdown_deadline() const { return config_.daemon.shutdown_deadline; }
  // The feeds by health, as the Engine last saw them.
  FeedCounts Counts() const;

  // Renews the leases of the feeds being fetched and of the hosts polled here (every few
  // seconds): feeds waiting for a host this instance is given are due now.
  void RenewLeases() {
    HoldHosts();
    leases_.Renew();
  }
  // Gives the leases this instance holds to the others (a clean stop), the polls recorded.
  void ReleaseLeases() {
    records_.Write();
    leases_.Release();
  }
  // The polls that read no items, written five seconds' worth at a time.
  PollRecords& records() { return records_; }

 private:
  struct FeedRuntime {
    bool polled = false;                 // since the engine started
    bool failed = false;                 // its last poll since the engine started failed
    store::FeedState state;              // as in the store, kept in step with it
    MonoTime started;                    // the fetch in flight
    Seconds slot_wait{0};                // how long it waited past its due time to start
    bool told_unsafe_validator = false;  // logged once per run
  };

  // The configured URL, or where it moved.
  const std::string& FetchUrl(size_t feed) const {
    const std::string& moved_to = runtime_[feed].state.moved_to;
    return moved_to.empty() ? config_.feeds[feed].url : moved_to;
  }
  const std::string& HostOf(size_t feed) {  // of FetchUrl (Scheduler::HostOf)
    return hosts_.Set(feed, FetchUrl(feed), runtime_[feed].state.gone);
  }
  // Of the feeds the scheduler made ready, those whose lease this instance took; the others go
  // back to the scheduler, due when the store says.
  std::vector<size_t> Claim(std::vector<size_t> ready);
  void HoldHosts();  // asks the store which hosts are polled here (Leases::Hold)
  void Start(size_t feed);
  void OnFetched(size_t feed, Result<net::Response> response);
  // OnFetched's work: the response recorded, and the feed rescheduled.
  void Handle(size_t feed, Result<net::Response> response);
  // Parses a fetched body and has the committer match and commit it, now or once its articles
  // are read; Committed ends the poll. Links of a feed read from the internal networks, or
  // from a file (the operator's own), may lead into them.
  void Process(size_t feed, const net::Response& response, store::PollRecord poll);
  // The poll of a new body is recorded (its items too), or it failed (Io: the database refused
  // it; else unreadable).
  void Committed(size_t feed, long http_status, const store::PollRecord& poll,
                 const Status& committed);
  // A success with nothing to read: 304, or the same body as last time.
  void Unchanged(size_t feed, FetchResult result, const net::Response& response,
                 store::PollRecord& poll);
  // When a feed polled successfully now, with `history`, is due next; `hint`: FreshFor.
  TimePoint NextSuccessDue(size_t feed, std::optional<Seconds> hint,
                           const store::PublishingHistory& history) const;
  void Record(size_t feed, const store::PollRecord& poll);
  // The response's `name` validator (etag, last-modified) to send back on the next poll; ""
  // when it carries CR, LF or NUL, which would let the server write our request's headers.
  std::string Validator(size_t feed, const net::Response& response, std::string_view name);
  void Count(size_t feed, FetchResult result);
  void Fail(size_t feed, FetchResult result, long http_status, const std::string& error,
            std::optional<Seconds> retry_after, std::string moved_to = "");
  // A poll whose results the database would not take (full disk, read-only, I/O error): not the
  // feed's fault, so no backoff; the feed is fetched again after its interval (at most five
  // minutes), its validators unchanged, and its items are matched then.
  void NotStored(size_t feed, const Error& error);
  // The feed is due at `due` again (not in `once`, which polls each feed one time).
  void Reschedule(size_t feed, TimePoint due) {
    if (!once()) scheduler_.Schedule(feed, due);
  }

  const config::Config& config_;
  store::Store& store_;
  net::HttpClient& http_;
  const Clock& clock_;
  PollCommitter& committer_;
  DatabaseHealth& health_;
  Metrics* metrics_;
  Mode mode_ = Mode::kStart;
  Scheduler& scheduler_;
  std::vector<FeedRuntime> runtime_;  // parallel to config_.feeds
  size_t unpolled_ = 0;               // enabled feeds not polled since the engine started
  // config_.http.internal_networks: where a redirect from outside may not lead.
  std::shared_ptr<const net::AddressSet> internal_networks_;
  Leases leases_;
  FeedHosts hosts_;
  PollRecords records_;
};

}  // namespace feedwatch::daemon
