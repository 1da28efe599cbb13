// What the daemon does beside polling, every few seconds and daily: the instance's heartbeat
// (which is also the check that the database takes writes), the configuration drift between
// instances, the metrics' gauges, the watches' Atom feeds, and forgetting old items.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
#include "daemon/alert_feeds.h"
#include "daemon/desk.h"
#include "daemon/feed_health.h"
#include "daemon/metrics.h"
#include "store/store.h"

namespace feedwatch::daemon {

// Whether the database takes writes: a write it refused is reported (/healthz, the log) until
// a heartbeat finds it writable again with no write failing in between. It outlives reloads.
class DatabaseHealth {
 public:
  explicit DatabaseHealth(Metrics* metrics) : metrics_(metrics) {}

  // A write the database refused (a poll's commit, a claim).
  void WriteFailed(const Error& error);
  // The heartbeat's result, and the writes refused since the last check: logs a change, and
  // tells the metrics.
  void Checked(Status heartbeat);

 private:
  Metrics* metrics_;
  bool writable_ = true;                // as of the last check
  std::optional<Error> write_failure_;  // since the last check
};

// The desk pages are rendered again this often even without new stories (the feeds' health
// and the days' counts change with time), and at most this often with them (a busy instance
// records stories at every turn; its desk costs about 9 us a feed: docs/performance.md).
inline constexpr Seconds kDeskEvery{60};
inline constexpr Seconds kDeskStoriesEvery{15};

class Housekeeping {
 public:
  // Every argument must outlive the Housekeeping. `metrics` may be null; `feeds` (may be null:
  // nothing serves them) is given each watch's Atom feed at Start and, as its stories change,
  // at the next Run. `desk` (may be null) is given the desk pages at Start, and at a Run when
  // stories were recorded or kDeskEvery has passed (the feeds' health changes too).
  Housekeeping(const config::Config& config, store::Store& store, const Clock& clock,
               DatabaseHealth& health, Metrics* metrics, AlertFeeds* feeds,
               DeskPages* desk = nullptr);

  // Forgets old items and renders every watch's Atom feed (at start and after a reload).
  void Start();
  // Stories were recorded: their watches' Atom feeds are rendered at the next Run (a cold cycle
  // of thousands of polls renders each watch's feed once every few seconds, not once per poll).
  void StoriesRecorded(const std::vector<store::StoryHead>& heads);
  // Every few seconds, after the heartbeat (written with the polls held,
  // PollRecords::WriteWithHeartbeat) returned `heartbeat`: the database's health, the drift and
  // the gauges, then the stale Atom feeds and the desk.
  void Run(const FeedCounts& feeds, Status heartbeat);
  // Forgets items gone from their feeds for longer than `forget_after`, when a day has passed
  // since it last did.
  void ForgetIfDue();

  // "16 feeds: 14 ok, 1 failing, 1 disabled; 3 matches today; outbox 0" for STATUS= and logs,
  // every few seconds: the outbox as the last Run counted it, the day's matches counted again
  // after this instance recorded stories, else once every kDeskEvery.
  std::string Summary(const FeedCounts& feeds);
  // The outbox as the last Run counted it; nullopt when it could not.
  const std::optional<store::Store::OutboxCounts>& outbox() const { return outbox_; }

 private:
  void ForgetOldItems();
  // Renders `watch`'s Atom feed from the store into feeds_ (when there is one).
  void PublishFeed(const std::string& watch);
  // Renders the desk pages from the store into desk_ (when there is one).
  void PublishDesk();
  // Another live instance runs a different configuration: logged once per instance and hash.
  void CheckDrift(Metrics::Gauges& gauges);

  const config::Config& config_;
  store::Store& store_;
  const Clock& clock_;
  DatabaseHealth& health_;
  Metrics* metrics_;
  AlertFeeds* feeds_;
  DeskPages* desk_;
  std::set<std::string> stale_feeds_;  // watches with stories their published feed lacks
  bool stale_desk_ = false;            // stories the published desk lacks
  TimePoint desk_rendered_;
  std::optional<store::Store::OutboxCounts> outbox_;  // as of the last Run
  std::optional<int> matches_today_;                  // for Summary
  TimePoint matches_counted_;
  bool stale_matches_ = false;  // stories recorded since matches_today_ was counted
  std::set<std::pair<std::string, std::string>> told_drift_;  // (instance, config hash)
  TimePoint last_forget_;
};

}  // namespace feedwatch::daemon
