// The pipeline from feed to alert, and each feed's schedule:
//   due feed -> fetch (HttpClient) -> parse -> match new items -> Store::CommitPoll -> deliver
//
// The Engine starts fetches; the caller's loop drives the HttpClient, whose callbacks bring the
// results back here. Everything runs on the loop thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "daemon/dispatch.h"
#include "daemon/metrics.h"
#include "daemon/story_index.h"
#include "filters/watch_set.h"
#include "net/http_client.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace feedwatch::daemon {

class Engine {
 public:
  // Every argument must outlive the Engine. `notifiers` maps each configured notifier name to
  // its implementation. `metrics` (may be null) is told what happens.
  Engine(const config::Config& config, store::Store& store, net::HttpClient& http,
         const Clock& clock, std::map<std::string, notify::Notifier*> notifiers,
         Metrics* metrics = nullptr);

  // Reads each feed's state from the store: when it is due, its validators, a permanent
  // redirect, 410 Gone. With `spread_start`, feeds already due are spread over the first two
  // minutes rather than fetched at once. Call once before starting fetches.
  Status LoadSchedule(bool spread_start);

  // Starts fetches of due feeds (with `once`: of every feed not yet polled in this run), within
  // the global and per-host limits; the rest wait for transfers to finish.
  void StartFetches(bool once);

  // Every enabled feed has been polled since the engine started (for `feedwatch once`).
  bool polled_all() const {
    return std::all_of(runtime_.begin(), runtime_.end(),
                       [](const FeedRuntime& r) { return r.polled || r.state.gone; });
  }

  // Sends the deliveries that are due (through the Dispatcher).
  void DeliverDue() { dispatcher_.DeliverDue(); }

  // Forgets items gone from their feeds for longer than `forget_after` (at start, then daily).
  void ForgetOldItems();
  TimePoint last_forget() const { return last_forget_; }

  // When the next feed falls due (nullopt when every feed is being fetched or there are none).
  std::optional<TimePoint> NextDue() const;

  bool fetching() const { return in_flight_ > 0; }
  // Fetching feeds or sending messages.
  bool busy() const { return fetching() || dispatcher_.sending() > 0; }

  config::Duration shutdown_deadline() const { return config_.daemon.shutdown_deadline; }
  // Transfers in flight: fetches and messages.
  int in_flight() const { return in_flight_ + dispatcher_.sending(); }

  // "16 feeds: 14 ok, 1 failing, 1 disabled; 3 matches today; outbox 0" for STATUS= and logs.
  std::string Summary() const;

  // Every few seconds: checks that the database takes writes and updates the gauges of the
  // metrics.
  void Housekeeping();
  // The loop turned (for /healthz).
  void LoopTurned() {
    if (metrics_ != nullptr) metrics_->LoopTurned();
  }

 private:
  struct FeedRuntime {
    TimePoint next_due;
    bool in_flight = false;
    bool polled = false;                            // since the engine started
    store::FeedState state;                         // as in the store, kept in step with it
    std::optional<std::chrono::minutes> ttl;        // the feed's <ttl>, from its last parse
    std::chrono::steady_clock::time_point started;  // the fetch in flight
    bool told_unsafe_validator = false;             // logged once per run
  };

  std::string FetchUrl(size_t feed) const;  // the configured URL, or where it moved
  void Start(size_t feed, const std::string& url);
  void OnFetched(size_t feed, Result<net::Response> response);
  // Parses, matches and commits a fetched body; an Error means the poll failed.
  Status Process(size_t feed, const net::Response& response, store::PollRecord& poll);
  // A success with nothing to read: 304, or the same body as last time.
  void Unchanged(size_t feed, std::string status, const net::Response& response,
                 store::PollRecord& poll);
  Seconds NextSuccessDelay(size_t feed, const net::Response& response) const;
  void Record(size_t feed, const store::PollRecord& poll);
  // The response's `name` validator (etag, last-modified) to send back on the next poll; ""
  // when it carries CR, LF or NUL, which would let the server write our request's headers.
  std::string Validator(size_t feed, const net::Response& response, std::string_view name);
  // The first match of `watch` on the story `item` tells, if there was one in the story window:
  // the same canonical URL, or a headline at least filters::kSameStory alike.
  Result<std::optional<std::int64_t>> SameStory(const std::string& watch,
                                                const store::ItemRecord& item, TimePoint now);
  // Counts a finished fetch in the metrics.
  void Count(size_t feed, std::string_view result);
  void Fail(size_t feed, std::string status, const std::string& error,
            std::optional<Seconds> retry_after, std::string moved_to = "");
  // A poll whose results the database would not take (full disk, read-only, I/O error): not the
  // feed's fault, so no backoff; the feed is fetched again after its interval, its validators
  // unchanged, and its items are matched then.
  void NotStored(size_t feed, const Error& error);
  // A write the database refused: /healthz reports it until a Housekeeping finds it writable
  // again with no write failing in between.
  void WriteFailed(const Error& error);

  const config::Config& config_;
  store::Store& store_;
  net::HttpClient& http_;
  const Clock& clock_;
  Metrics* metrics_;
  bool database_writable_ = true;       // as of the last Housekeeping
  std::optional<Error> write_failure_;  // since the last Housekeeping
  Dispatcher dispatcher_;
  filters::WatchSet watches_;         // config_.watches, indexed
  std::vector<FeedRuntime> runtime_;  // parallel to config_.feeds
  // config_.http.internal_networks: where a redirect from outside may not lead.
  std::shared_ptr<const net::AddressSet> internal_networks_;
  int in_flight_ = 0;
  // By watch, read from the store at a watch's first match, then kept up to date by commits.
  std::unordered_map<std::string, StoryIndex> stories_;
  TimePoint last_forget_;
  std::map<std::string, int> host_in_flight_;
};

// Drives `engine` and `http` until done: with `forever`, polls each feed on its interval until a
// stop signal; otherwise polls every feed once, delivers, and returns. `signal_fd` (or -1) is a
// signalfd for SIGINT, SIGTERM and SIGHUP; SIGINT and SIGTERM stop the loop at once, abandoning
// transfers in flight (their feeds are polled again on the next start).
// Why RunLoop returned: `once` finished, a stop signal, or (with `forever`) SIGHUP asking for
// the configuration to be loaded again. After kReload transfers are still in flight; the caller
// cancels them if it replaces the engine.
enum class LoopExit { kDone, kStopped, kReload };

// `systemd` (may be null): READY=1 is the caller's to send; RunLoop keeps STATUS= and the
// watchdog current and says STOPPING=1.
class Systemd;
LoopExit RunLoop(Engine& engine, net::HttpClient& http, const Clock& clock, int signal_fd,
                 bool forever, Systemd* systemd = nullptr);

}  // namespace feedwatch::daemon
