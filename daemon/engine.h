// The pipeline from feed to alert, and each feed's schedule:
//   due feed -> fetch (HttpClient) -> parse -> match new items -> Store::CommitPoll -> deliver
//
// The Engine starts fetches; the caller's loop drives the HttpClient, whose callbacks bring the
// results back here. Everything runs on the loop thread.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "filters/watch_set.h"
#include "net/http_client.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace feedwatch::daemon {

class Engine {
 public:
  // Every argument must outlive the Engine. `notifiers` maps each configured notifier name to
  // its implementation.
  Engine(const config::Config& config, store::Store& store, net::HttpClient& http,
         const Clock& clock, std::map<std::string, notify::Notifier*> notifiers);

  // Reads each feed's last poll from the store to schedule its next one: a feed polled less
  // than an interval ago waits for the rest of it. Call once before starting fetches.
  Status LoadSchedule();

  // Starts a fetch of every feed that is due and not already being fetched; every feed when
  // `all` is true.
  void StartFetches(bool all);

  // Sends every pending delivery that is due.
  void DeliverDue();

  // When the next feed falls due (nullopt when every feed is being fetched or there are none).
  std::optional<TimePoint> NextDue() const;

  bool fetching() const { return in_flight_ > 0; }

 private:
  struct FeedRuntime {
    TimePoint next_due;
    bool in_flight = false;
  };

  void OnFetched(size_t feed, Result<net::Response> response);
  // Parses, matches and commits a fetched body; an Error means the poll failed.
  Status Process(const config::FeedConfig& feed, const net::Response& response);
  void Fail(const config::FeedConfig& feed, const Error& error);

  const config::Config& config_;
  store::Store& store_;
  net::HttpClient& http_;
  const Clock& clock_;
  std::map<std::string, notify::Notifier*> notifiers_;
  filters::WatchSet watches_;         // config_.watches, indexed
  std::vector<FeedRuntime> runtime_;  // parallel to config_.feeds
  int in_flight_ = 0;
};

// Drives `engine` and `http` until done: with `forever`, polls each feed on its interval until a
// stop signal; otherwise polls every feed once, delivers, and returns. `signal_fd` (or -1) is a
// signalfd for SIGINT, SIGTERM and SIGHUP; SIGINT and SIGTERM stop the loop at once, abandoning
// transfers in flight (their feeds are polled again on the next start).
void RunLoop(Engine& engine, net::HttpClient& http, const Clock& clock, int signal_fd,
             bool forever);

}  // namespace feedwatch::daemon
