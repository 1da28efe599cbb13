// The poll of each feed, from fetch to commit:
//   Scheduler (which feed is due) -> fetch (HttpClient) -> classify the response -> parse ->
//   ItemPipeline (keys, new or edited, matches, stories) -> Store::CommitPoll -> Dispatcher.
//
// The Engine starts fetches; the Daemon's loop drives the HttpClient, whose callbacks bring the
// results back here. Everything runs on the loop thread.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "daemon/alert_feeds.h"
#include "daemon/dispatch.h"
#include "daemon/fetch_result.h"
#include "daemon/item_pipeline.h"
#include "daemon/metrics.h"
#include "daemon/scheduler.h"
#include "net/http_client.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace feedwatch::daemon {

class Engine {
 public:
  // How the engine runs: `feedwatch once` polls every feed one time; the daemon polls each on
  // its interval, spreading the network feeds already due at start over the first two minutes
  // (or their interval) but not at a reload; file feeds due at start are read at once.
  enum class Mode { kOnce, kStart, kReload };

  // Every argument must outlive the Engine. `notifiers` maps each configured notifier name to
  // its implementation. `metrics` (may be null) is told what happens.
  // `feeds` (may be null: nothing serves them) is given each watch's Atom feed at Load and, as
  // its stories change, at the next Housekeeping.
  Engine(const config::Config& config, store::Store& store, net::HttpClient& http,
         const Clock& clock, Random& random, std::map<std::string, notify::Notifier*> notifiers,
         Metrics* metrics = nullptr, AlertFeeds* feeds = nullptr);

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

  // Sends the deliveries that are due.
  void DeliverDue() { dispatcher_.DeliverDue(); }

  // Forgets items gone from their feeds for longer than `forget_after` (at start, then daily).
  void ForgetOldItems();
  TimePoint last_forget() const { return last_forget_; }

  // When the next feed falls due (nullopt when none is scheduled).
  std::optional<TimePoint> NextDue() const { return scheduler_.NextDue(); }

  bool fetching() const { return scheduler_.in_flight() > 0; }
  // Fetching feeds or sending messages.
  bool busy() const { return fetching() || dispatcher_.sending() > 0; }
  // Deliveries may be due now (a send brought others waiting on a retry forward): `once` does
  // not stop before it has looked.
  bool delivery_due() const { return dispatcher_.woken(); }
  // Transfers in flight: fetches and messages.
  int in_flight() const { return scheduler_.in_flight() + dispatcher_.sending(); }
  config::Duration shutdown_deadline() const { return config_.daemon.shutdown_deadline; }

  // "16 feeds: 14 ok, 1 failing, 1 disabled; 3 matches today; outbox 0" for STATUS= and logs.
  std::string Summary() const;

  // Every few seconds: checks that the database takes writes (the instance's heartbeat),
  // renews the leases of feeds being fetched, compares the configuration with the other live
  // instances', and updates the metrics' gauges.
  void Housekeeping();
  // Gives the leases this instance holds to the others (a clean stop).
  void ReleaseLeases();
  // The loop turned (for /healthz).
  void LoopTurned() {
    if (metrics_ != nullptr) metrics_->LoopTurned();
  }

 private:
  struct FeedRuntime {
    bool polled = false;     // since the engine started
    bool failed = false;     // its last poll since the engine started failed
    store::FeedState state;  // as in the store, kept in step with it
    // What the feed's last parse said about its schedule.
    std::optional<Seconds> hint;  // the longer of <ttl> and sy:updatePeriod
    std::uint32_t skip_hours = 0;
    std::uint8_t skip_days = 0;
    MonoTime started;                    // the fetch in flight
    bool told_unsafe_validator = false;  // logged once per run
  };

  std::string FetchUrl(size_t feed) const;  // the configured URL, or where it moved
  // Of the feeds the scheduler made ready, those whose lease this instance took; the others go
  // back to the scheduler, due when the store says.
  std::vector<size_t> Claim(std::vector<size_t> ready);
  // Takes what the store knows of a feed (another instance may have polled it since).
  void Adopt(size_t feed, store::FeedState state);
  // Another live instance runs a different configuration: logged once per instance and hash.
  void CheckDrift(Metrics::Gauges& gauges);
  void Start(size_t feed);
  void OnFetched(size_t feed, Result<net::Response> response);
  // OnFetched's work: the response recorded, and the feed rescheduled.
  void Handle(size_t feed, Result<net::Response> response);
  // Parses, runs the pipeline and commits a fetched body; an Error means the poll failed (Io:
  // the database refused it).
  Status Process(size_t feed, const net::Response& response, store::PollRecord& poll);
  // A success with nothing to read: 304, or the same body as last time.
  void Unchanged(size_t feed, FetchResult result, const net::Response& response,
                 store::PollRecord& poll);
  TimePoint NextSuccessDue(size_t feed, const net::Response& response) const;
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
  // A write the database refused: /healthz reports it until a Housekeeping finds it writable
  // again with no write failing in between.
  void WriteFailed(const Error& error);
  // The feed is due at `due` again (not in `once`, which polls each feed one time). On a
  // shared store, a few seconds later at random: every instance schedules every feed, and
  // whichever asks first polls it; the spread makes that any of them, not the fastest always.
  void Reschedule(size_t feed, TimePoint due);
  // Renders `watch`'s Atom feed from the store into feeds_ (when there is one).
  void PublishFeed(const std::string& watch);

  const config::Config& config_;
  store::Store& store_;
  net::HttpClient& http_;
  const Clock& clock_;
  Random& random_;
  Metrics* metrics_;
  AlertFeeds* feeds_;
  Mode mode_ = Mode::kStart;
  bool database_writable_ = true;       // as of the last Housekeeping
  std::optional<Error> write_failure_;  // since the last Housekeeping
  Dispatcher dispatcher_;
  ItemPipeline pipeline_;
  Scheduler scheduler_;
  std::vector<FeedRuntime> runtime_;  // parallel to config_.feeds
  size_t unpolled_ = 0;               // enabled feeds not polled since the engine started
  // config_.http.internal_networks: where a redirect from outside may not lead.
  std::shared_ptr<const net::AddressSet> internal_networks_;
  StoryIndexes stories_;
  std::set<std::string> stale_feeds_;  // watches with stories their published feed lacks
  std::set<size_t> leased_;            // feeds being fetched under this instance's lease
  std::set<std::pair<std::string, std::string>> told_drift_;  // (instance, config hash)
  TimePoint last_forget_;
};

}  // namespace feedwatch::daemon
