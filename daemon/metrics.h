// What the daemon counts, served in the Prometheus text format on /metrics, and its health on
// /healthz. The loop thread counts; the HTTP server's threads read. Every method is
// thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "daemon/fetch_result.h"
#include "net/http_listener.h"

namespace feedwatch::daemon {

// What became of the deliveries a message carried.
enum class DeliveryResult : std::uint8_t { kSent, kFailed, kDead };

class Metrics {
 public:
  // `clock` (must outlive the Metrics; read from other threads too) times the loop's turns.
  explicit Metrics(const Clock& clock) : clock_(clock), last_turn_(clock.Monotonic()) {}

  void FetchDone(FetchResult result, std::chrono::duration<double> took);
  void ItemsParsed(int count);
  void Matched(const std::string& watch);
  // Watches whose names /metrics does not show (those with a feed token): their matches are
  // counted together as watch="(private)". Replaces the previous set.
  void SetPrivateWatches(std::set<std::string> watches);
  void Delivered(const std::string& notifier, DeliveryResult result, int count);
  // Matches past a feed's max_alerts, recorded without alerts.
  void AlertsHeld(int count);
  // An alert of `feed`'s went out through `notifier`, `latency` after its item was published
  // (store::AlertOrigin).
  void AlertSent(const std::string& feed, const std::string& notifier, Seconds latency);
  // Article pages of a feed's items (fetch_articles) by result: "read", "empty" (no article
  // text on the page), "failed", "skipped" (its host backs off, or not http(s)), "late" (not
  // there when the poll's wait ended). Only feeds that fetch articles are counted, by name.
  void Articles(const std::string& feed, std::string_view result, int count);

  struct Gauges {
    int feeds = 0;
    int feeds_failing = 0;
    int outbox_pending = 0;
    int outbox_dead = 0;
    std::optional<TimePoint> last_successful_poll;
    int instances = 1;     // live on the store, this one included
    int config_drift = 0;  // of them, those running another configuration
  };
  void SetGauges(const Gauges& gauges);
  // A feed's health changed: `delta` (+1 or -1) to feeds_failing at once, not at the next
  // SetGauges.
  void FeedFailing(int delta);

  // Who this instance is (store::Store::instance) and on which store backend.
  void SetInstance(std::string id, std::string backend);

  // The loop is turning; called on every turn.
  void LoopTurned();
  // Whether the last write to the database worked, and if not why.
  void SetDatabase(const Status& writable);

  // The Prometheus text exposition format, version 0.0.4.
  std::string Render() const;
  // Healthy: the loop turned within `stall` and the database took the last write. Otherwise
  // the reason.
  Status Health(std::chrono::steady_clock::duration stall) const;

 private:
  // Observations counted in buckets of upper bounds `bounds` (a Prometheus histogram).
  template <size_t N>
  struct Histogram {
    const std::array<double, N>* bounds;
    std::array<std::uint64_t, N + 1> counts{};  // the last is +Inf
    double sum = 0;
    std::uint64_t count = 0;

    void Observe(double value);
    // The samples of `name`, each with `labels` ("" or `key="value",`) before `le`.
    void Render(std::string& out, std::string_view name, std::string_view labels) const;
  };
  static constexpr std::array<double, 9> kFetchBuckets = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  // From publication to the alert: within a minute, within a poll, within a day.
  static constexpr std::array<double, 11> kLatencyBuckets = {15,   30,   60,    120,   300,  600,
                                                             1800, 3600, 10800, 43200, 86400};
  using LatencyHistogram = Histogram<kLatencyBuckets.size()>;

  const Clock& clock_;
  mutable std::mutex mutex_;
  std::array<std::uint64_t, kFetchResults.size()> fetches_{};  // by FetchResult
  Histogram<kFetchBuckets.size()> fetch_durations_{&kFetchBuckets};
  std::map<std::string, LatencyHistogram> latency_by_feed_;
  std::map<std::string, LatencyHistogram> latency_by_notifier_;
  std::uint64_t items_parsed_ = 0;
  std::uint64_t alerts_held_ = 0;
  std::map<std::string, std::uint64_t> matches_;  // by watch
  std::set<std::string> private_watches_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> deliveries_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> articles_;  // by feed, result
  Gauges gauges_;
  std::string instance_;
  std::string backend_;
  MonoTime last_turn_;
  Status database_;
};

class AlertFeeds;
class DeskPages;

// The HTTP endpoint: GET /metrics and GET /healthz on `listen` ("127.0.0.1:9464", "[::1]:9464";
// port 0 picks a free port), and the watches' Atom feeds under /feeds/ when `feeds` is given,
// served by a net::HttpListener (its limits: net/http_listener.h) on a thread of its own until
// destroyed. `metrics` and `feeds` must outlive it.
class MetricsServer {
 public:
  static Result<std::unique_ptr<MetricsServer>> Start(const std::string& listen,
                                                      const Metrics& metrics,
                                                      const AlertFeeds* feeds = nullptr,
                                                      const DeskPages* desk = nullptr);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  // Where it listens, with the port it got: "127.0.0.1:9464".
  const std::string& address() const;

 private:
  explicit MetricsServer(std::unique_ptr<net::HttpListener> listener);
  std::unique_ptr<net::HttpListener> listener_;
};

}  // namespace feedwatch::daemon
