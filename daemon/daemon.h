// The service as one object: built from a Config, it owns what `feedwatch run` and
// `feedwatch once` need (the store in the state directory, the HTTP client, the metrics and
// their listener; for the running configuration, the notifiers, the Dispatcher, Housekeeping,
// the PollCommitter and the Engine) and runs the loop that drives them: it is where sending
// starts. On SIGHUP it reads the configuration file again and swaps in new parts; a bad file is
// reported and the running configuration kept.
//
// Tests build it with a fake clock, a seeded random source and, where real HTTP is not the
// point, a scripted HttpClient.
#pragma once

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
#include "daemon/alert_feeds.h"
#include "daemon/desk.h"
#include "daemon/dispatch.h"
#include "daemon/engine.h"
#include "daemon/housekeeping.h"
#include "daemon/metrics.h"
#include "daemon/poll_committer.h"
#include "net/http_client.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace feedwatch::daemon {

class Systemd;

// Where the database lives: --state-dir, else the configuration's state_dir, else
// $STATE_DIRECTORY (systemd's StateDirectory=), else /var/lib/feedwatch.
std::filesystem::path StateDir(const std::string& flag, const config::Config& config);

// The store the configuration names: [store] url (PostgreSQL), else feedwatch.db in
// `state_dir`.
Result<std::unique_ptr<store::Store>> OpenStore(const config::Config& config,
                                                const std::filesystem::path& state_dir);

// This instance's id: [store] instance, else "HOST:PID".
std::string InstanceName(const config::Config& config);

// A short hash of what decides which alerts go out (the watches and the notifiers): instances
// sharing a store compare theirs.
std::string ConfigHash(const config::Config& config);

// What a reload changes, for the log: "feeds +lenta -wire ~tass; watches ~darchiev; notifiers
// +hook; [terms] ~us; changed [http] [smtp]", each list by name (~: the same name, other
// settings); "nothing changed" when nothing did. A watch changes with its query, options,
// notifiers, token or a [terms] list it names.
std::string ConfigChanges(const config::Config& before, const config::Config& after);

class Daemon {
 public:
  struct Options {
    std::filesystem::path config_path;  // read again on SIGHUP
    std::string state_dir_flag;         // --state-dir; empty: StateDir's other sources
    bool forever = false;               // `run`; otherwise `once`
    // --dry-run: the store is copied into memory (the real one is only read), nothing listens,
    // and every notifier prints what it would send on `console` instead of sending it.
    bool dry_run = false;
    std::FILE* console = stdout;  // where console notifiers write
    // Injected by tests (they must outlive the Daemon); null: the system's clock, a random
    // source seeded from the system, and curl.
    const Clock* clock = nullptr;
    Random* random = nullptr;
    net::HttpClient* http = nullptr;
  };

  // Errors: Network (metrics_listen, checked before anything is created), CantCreate (the state
  // directory), Io (the database).
  static Result<std::unique_ptr<Daemon>> Create(config::Config config, Options options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Why Run returned.
  enum class Exit { kDone, kStopped };

  // `once`: polls every feed one time, delivers what it can, and returns. `run`: polls each
  // feed on its interval until SIGINT or SIGTERM on `signal_fd` (a signalfd, or -1), reloading
  // on SIGHUP, or until the clock's monotonic time reaches `until` (tests run the daemon for a
  // while in fake time). `systemd` (may be null) hears READY=1, STATUS=, the watchdog and
  // STOPPING=1.
  Exit Run(int signal_fd, Systemd* systemd = nullptr, std::optional<MonoTime> until = {});

  // Sends the deliveries that are due and waits for them, polling no feed.
  void Flush();

  // Reads the configuration file again and, if it is valid and its schedule loads, replaces the
  // running one; transfers in flight are dropped and their feeds polled again.
  Status Reload();

  const config::Config& config() const { return *parts_->config; }
  const Engine& engine() const { return *parts_->engine; }
  const Metrics& metrics() const { return *metrics_; }
  const AlertFeeds& alert_feeds() const { return feeds_; }
  // Where /metrics is served ("127.0.0.1:9464"), or "" when it is not.
  std::string metrics_address() const;

 private:
  enum class LoopExit { kDone, kStopped, kReload };

  // What runs one configuration, replaced whole at a reload. Destroyed in reverse: each part
  // before what it points into.
  struct Parts {
    std::unique_ptr<config::Config> config;
    std::map<std::string, std::unique_ptr<notify::Notifier>> notifiers;
    std::unique_ptr<Dispatcher> dispatcher;
    std::unique_ptr<Housekeeping> housekeeping;
    std::unique_ptr<Scheduler> scheduler;  // feeds' fetches and articles' share its slots
    std::unique_ptr<ArticleFetcher> articles;
    std::unique_ptr<PollCommitter> committer;
    std::unique_ptr<Engine> engine;
  };

  Daemon() = default;
  // New parts for `config`, the Engine's schedule loaded.
  Status Build(std::unique_ptr<config::Config> config, Engine::Mode mode);
  // Fetching feeds or their articles, or sending messages.
  bool Busy() const;
  // Transfers in flight: fetches and messages.
  int InFlight() const;
  // The leases renewed, the heartbeat, the drift and the gauges (every few seconds).
  void Housekeep();
  // "16 feeds: 14 ok, 1 failing, 1 disabled; 3 matches today; outbox 0" for STATUS= and logs.
  std::string Summary();
  LoopExit Loop(int signal_fd, Systemd* systemd, std::optional<MonoTime> until);
  // Shutting down: transfers in flight may finish until the deadline (`run` only).
  void FinishInFlight(int signal_fd);

  Options options_;
  std::filesystem::path state_dir_;
  std::unique_ptr<SystemClock> system_clock_;
  std::unique_ptr<SystemRandom> system_random_;
  const Clock* clock_ = nullptr;
  Random* random_ = nullptr;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<net::HttpClient> curl_;
  net::HttpClient* http_ = nullptr;  // options_.http or curl_
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<DatabaseHealth> health_;
  AlertFeeds feeds_;  // before the listener that serves them
  DeskPages desk_;    // likewise
  std::unique_ptr<MetricsServer> metrics_server_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace feedwatch::daemon
