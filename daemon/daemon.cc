#include "daemon/daemon.h"

#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdlib>
#include <set>

#include "base/hash.h"
#include "base/text.h"
#include "daemon/dispatch.h"
#include "daemon/fetch_one.h"
#include "daemon/systemd.h"

namespace feedwatch::daemon {
namespace {

// The longest the loop sleeps, so that due deliveries (retries, digests) go out without a
// timer of their own.
constexpr std::chrono::milliseconds kMaxSleep{10'000};
// How often the status line, the gauges and the database check are refreshed.
constexpr std::chrono::seconds kStatusEvery{5};

std::map<std::string, notify::Notifier*> Pointers(
    const std::map<std::string, std::unique_ptr<notify::Notifier>>& notifiers) {
  std::map<std::string, notify::Notifier*> out;
  for (const auto& [name, notifier] : notifiers) out[name] = notifier.get();
  return out;
}

// What the signals read from `signal_fd` ask for: a stop (SIGINT, SIGTERM) wins over a reload
// (SIGHUP); nullopt when there were none.
enum class Signal { kNone, kReload, kStop };
Signal ReadSignals(int signal_fd) {
  Signal signal = Signal::kNone;
  signalfd_siginfo info{};
  while (read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo == SIGHUP) {
      if (signal == Signal::kNone) signal = Signal::kReload;
    } else {
      spdlog::info("{}: stopping", info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
      signal = Signal::kStop;
    }
  }
  return signal;
}

}  // namespace

std::string InstanceName(const config::Config& config) {
  if (!config.store.instance.empty()) return config.store.instance;
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return std::string(host.data()) + ":" + std::to_string(getpid());
}

std::string ConfigHash(const config::Config& config) {
  std::string text;
  const auto add = [&text](std::string_view field) {
    text += std::to_string(field.size()) + ":";
    text += field;
  };
  for (const config::WatchConfig& watch : config.watches) {
    add(watch.name);
    add(watch.query_text);
    add(watch.accent_folding ? "folded" : "exact");
    add(filters::ScopeName(watch.scope));
    for (const std::string& notifier : watch.notify) add(notifier);
  }
  for (const std::string& list : config.terms->Names()) {
    add(list);
    for (const std::string& entry : *config.terms->Find(list)) add(entry);
  }
  for (const config::NotifierConfig& notifier : config.notifiers) {
    add(notifier.name);
    add(notify::TypeOf(notifier.settings));
    add(std::to_string(notifier.max_per_hour));
    for (const std::string& field : notify::DestinationOf(notifier.settings)) add(field);
  }
  return Sha256Hex(text).substr(0, 12);
}

namespace {

// " +added -removed ~changed" of two lists of named things; "" when they are the same.
template <typename T, typename Same>
std::string NamedChanges(const std::vector<T>& before, const std::vector<T>& after, Same same) {
  std::map<std::string_view, const T*> old;
  for (const T& thing : before) old[thing.name] = &thing;
  std::string added, changed;
  for (const T& thing : after) {
    const auto it = old.find(thing.name);
    if (it == old.end()) {
      added += " +" + thing.name;
    } else {
      if (!same(*it->second, thing)) changed += " ~" + thing.name;
      old.erase(it);
    }
  }
  std::string removed;
  for (const auto& [name, thing] : old) removed += " -" + std::string(name);
  return added + removed + changed;
}

}  // namespace

std::string ConfigChanges(const config::Config& before, const config::Config& after) {
  const auto terms = [](const config::Config& config) {
    std::map<std::string, std::vector<std::string>> lists;
    for (const std::string& name : config.terms->Names()) lists[name] = *config.terms->Find(name);
    return lists;
  };
  // The lists whose entries changed: the watches that use one changed with it.
  const auto lists_before = terms(before);
  const auto lists_after = terms(after);
  std::set<std::string> changed_lists;
  for (const auto& [name, entries] : lists_after) {
    const auto it = lists_before.find(name);
    if (it == lists_before.end() || it->second != entries) changed_lists.insert(name);
  }
  for (const auto& [name, entries] : lists_before) {
    if (!lists_after.contains(name)) changed_lists.insert(name);
  }
  const auto uses_changed_list = [&](const config::WatchConfig& watch) {
    return std::any_of(changed_lists.begin(), changed_lists.end(), [&](const std::string& list) {
      return watch.query_text.find("@" + list) != std::string::npos;
    });
  };
  std::string out;
  const auto part = [&out](std::string_view what, const std::string& changes) {
    if (changes.empty()) return;
    out += (out.empty() ? "" : "; ") + std::string(what) + changes;
  };
  part("feeds", NamedChanges(before.feeds, after.feeds, std::equal_to<>()));
  part("watches", NamedChanges(before.watches, after.watches,
                               [&](const config::WatchConfig& a, const config::WatchConfig& b) {
                                 return !uses_changed_list(b) && a.query_text == b.query_text &&
                                        a.accent_folding == b.accent_folding &&
                                        a.scope == b.scope && a.notify == b.notify &&
                                        a.feed_token == b.feed_token;
                               }));
  part("notifiers", NamedChanges(before.notifiers, after.notifiers, std::equal_to<>()));
  std::string lists;
  for (const std::string& list : changed_lists) lists += " ~" + list;
  part("[terms]", lists);
  std::string sections;
  if (before.daemon != after.daemon) sections += " [daemon]";
  if (before.http != after.http) sections += " [http]";
  if (before.schedule != after.schedule) sections += " [defaults]";
  if (before.smtp != after.smtp) sections += " [smtp]";
  part("changed", sections);
  return out.empty() ? "nothing changed" : out;
}

Result<std::unique_ptr<store::Store>> OpenStore(const config::Config& config,
                                                const std::filesystem::path& state_dir) {
  if (!config.store.url.empty())
    return store::Store::Connect(config.store.url, config.store.password);
  return store::Store::Open(state_dir / "feedwatch.db");
}

std::filesystem::path StateDir(const std::string& flag, const config::Config& config) {
  if (!flag.empty()) return flag;
  if (!config.daemon.state_dir.empty()) return config.daemon.state_dir;
  if (const char* dir = std::getenv("STATE_DIRECTORY"); dir != nullptr && *dir != '\0') return dir;
  return "/var/lib/feedwatch";
}

// The database holds what every watch matched and the outbox's messages: a state directory
// that other users can write to (made by hand 0777) lets them replace or remove it, which is
// worth a word. Its files are 0600, so a folder others may only read (0755) is not.
// feedwatch does not change the modes of a folder it did not create.
void WarnIfOthersReach(const std::filesystem::path& state_dir) {
  std::error_code ec;
  using std::filesystem::perms;
  const perms mode = std::filesystem::status(state_dir, ec).permissions();
  if (ec || (mode & perms::others_write) == perms::none) return;
  spdlog::warn(
      "state directory {} is writable by every user (mode {:04o}): they can replace or remove "
      "the database; chmod o= it",
      state_dir.string(), static_cast<unsigned>(mode & perms::mask));
}

// The state directory (created 0700 when missing) and the store the configuration names.
Result<std::unique_ptr<store::Store>> OpenState(const config::Config& config,
                                                const std::filesystem::path& state_dir) {
  std::error_code ec;
  // Readable by feedwatch alone, whatever the umask (under systemd, StateDirectory= is 0700).
  if (std::filesystem::create_directories(state_dir, ec)) {
    std::filesystem::permissions(state_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec) return Error::CantCreate("state directory " + state_dir.string() + ": " + ec.message());
  WarnIfOthersReach(state_dir);
  return OpenStore(config, state_dir);
}

// For --dry-run: the store the configuration names, copied into memory (empty when it does not
// exist yet), so that a dry run decides what is new as the real run would and writes nothing.
Result<std::unique_ptr<store::Store>> CopyInMemory(const config::Config& config,
                                                   const std::filesystem::path& state_dir) {
  Result<std::unique_ptr<store::Store>> copy = store::Store::OpenInMemory();
  if (!copy) return copy;
  std::error_code ec;
  if (config.store.url.empty() && !std::filesystem::exists(state_dir / "feedwatch.db", ec)) {
    return copy;
  }
  Result<std::unique_ptr<store::Store>> real =
      config.store.url.empty()
          ? store::Store::OpenReadOnly(state_dir / "feedwatch.db")
          : store::Store::ConnectReadOnly(config.store.url, config.store.password);
  if (!real && real.error().code == Error::Code::kNotFound) return copy;  // nothing there yet
  if (!real) return real.error();
  if (Result<std::vector<store::TableRows>> copied = store::Store::Copy(**real, **copy); !copied) {
    return copied.error();
  }
  return copy;
}

Daemon::~Daemon() = default;

Result<std::unique_ptr<Daemon>> Daemon::Create(config::Config config, Options options) {
  std::unique_ptr<Daemon> daemon(new Daemon());
  Daemon& d = *daemon;
  d.options_ = std::move(options);
  if (d.options_.clock == nullptr) d.system_clock_ = std::make_unique<SystemClock>();
  d.clock_ = d.options_.clock != nullptr ? d.options_.clock : d.system_clock_.get();
  if (d.options_.random == nullptr) d.system_random_ = std::make_unique<SystemRandom>();
  d.random_ = d.options_.random != nullptr ? d.options_.random : d.system_random_.get();

  d.metrics_ = std::make_unique<Metrics>(*d.clock_);
  d.health_ = std::make_unique<DatabaseHealth>(d.metrics_.get());
  // Listening first: a port taken by another process fails the start before the state
  // directory and the database are created.
  if (d.options_.forever && !config.daemon.metrics_listen.empty() && !d.options_.dry_run) {
    Result<std::unique_ptr<MetricsServer>> started =
        MetricsServer::Start(config.daemon.metrics_listen, *d.metrics_, &d.feeds_, &d.desk_);
    if (!started) return Error::Network(started.error().message);
    d.metrics_server_ = std::move(*started);
  }
  d.state_dir_ = StateDir(d.options_.state_dir_flag, config);
  for (const std::string& warning : config.warnings) spdlog::warn("{}", warning);
  Result<std::unique_ptr<store::Store>> store =
      d.options_.dry_run ? CopyInMemory(config, d.state_dir_) : OpenState(config, d.state_dir_);
  if (!store) return store.error();
  d.store_ = std::move(*store);
  d.store_->SetInstance(InstanceName(config), ConfigHash(config), FEEDWATCH_VERSION);

  d.http_ = d.options_.http;
  if (d.http_ == nullptr) {
    d.curl_ = net::HttpClient::Create(
        {.max_transfers = config.http.concurrency, .user_agent = UserAgent()});
    d.http_ = d.curl_.get();
  }
  d.metrics_->SetInstance(d.store_->instance(), std::string(d.store_->backend()));
  if (d.metrics_server_ != nullptr) {
    spdlog::info("listening on http://{}/: the desk page, /metrics, /healthz and /feeds/",
                 d.metrics_server_->address());
  }
  if (d.options_.dry_run) {
    const std::filesystem::path file = d.state_dir_ / "feedwatch.db";
    std::error_code ec;
    spdlog::info(
        "dry run: {}; nothing is written to it; every alert is printed with the "
        "notifier it would go to, and none is sent",
        !config.store.url.empty() ? "the state is read from [store] url"
        : std::filesystem::exists(file, ec)
            ? "the state is read from " + file.string()
            : "no state at " + file.string() + " yet: starting from none");
  }
  const Engine::Mode mode = d.options_.forever ? Engine::Mode::kStart : Engine::Mode::kOnce;
  if (Status s = d.Build(std::make_unique<config::Config>(std::move(config)), mode); !s) {
    return s.error();
  }
  spdlog::info("feedwatch {}: {}, {}, state in {}; instance {}", FEEDWATCH_VERSION,
               Counted(static_cast<std::int64_t>(d.config().feeds.size()), "feed", "feeds"),
               Counted(static_cast<std::int64_t>(d.config().watches.size()), "watch", "watches"),
               d.store_->location(), d.store_->instance());
  return daemon;
}

std::string Daemon::metrics_address() const {
  return metrics_server_ != nullptr ? metrics_server_->address() : "";
}

Status Daemon::Build(std::unique_ptr<config::Config> config, Engine::Mode mode) {
  auto next = std::make_unique<Parts>();
  const config::Config& c = *config;
  next->config = std::move(config);
  next->notifiers = MakeNotifiers(c, *http_, *clock_, options_.console, options_.dry_run);
  next->dispatcher = std::make_unique<Dispatcher>(c, *store_, *clock_, *random_,
                                                  Pointers(next->notifiers), metrics_.get());
  next->housekeeping = std::make_unique<Housekeeping>(
      c, *store_, *clock_, *health_, metrics_.get(), metrics_server_ != nullptr ? &feeds_ : nullptr,
      metrics_server_ != nullptr ? &desk_ : nullptr);
  next->scheduler =
      std::make_unique<Scheduler>(c.feeds.size(), c.http.concurrency, c.http.per_host);
  next->articles =
      std::make_unique<ArticleFetcher>(c, *http_, *next->scheduler, *clock_, metrics_.get());
  next->committer = std::make_unique<PollCommitter>(
      c, *store_, next->articles.get(), *clock_, metrics_.get(),
      [&dispatcher = *next->dispatcher,
       &housekeeping = *next->housekeeping](const std::vector<store::StoryHead>& heads) {
        dispatcher.Wake();
        housekeeping.StoriesRecorded(heads);
      });
  next->engine = std::make_unique<Engine>(c, *store_, *http_, *clock_, *next->scheduler,
                                          *next->committer, *health_, metrics_.get());
  std::map<std::string, std::string> tokens;
  std::set<std::string> private_watches;
  for (const config::WatchConfig& watch : c.watches) {
    tokens[watch.name] = watch.feed_token;
    if (!watch.feed_token.empty()) private_watches.insert(watch.name);
  }
  desk_.Configure(tokens);
  feeds_.Configure(std::move(tokens), AlertFeedBaseUrl(c.daemon.public_url, metrics_address()));
  metrics_->SetPrivateWatches(std::move(private_watches));
  if (mode != Engine::Mode::kOnce) next->dispatcher->ForgotRetries();
  next->housekeeping->Start();
  if (Status s = next->engine->Load(mode); !s) return s;
  parts_.reset();      // before what it points into
  http_->CancelAll();  // their callbacks belong to the parts being replaced
  parts_ = std::move(next);
  return Status::Ok();
}

bool Daemon::Busy() const {
  return parts_->engine->fetching() || parts_->articles->pending() > 0 ||
         parts_->dispatcher->sending() > 0;
}

int Daemon::InFlight() const { return parts_->engine->in_flight() + parts_->dispatcher->sending(); }

void Daemon::Housekeep() {
  // The heartbeat first: the other instances share the hosts out among those they see live.
  Engine& engine = *parts_->engine;
  parts_->housekeeping->Run(engine.Counts(), engine.records().WriteWithHeartbeat(clock_->Now()));
  engine.RenewLeases();
  if (const auto& outbox = parts_->housekeeping->outbox()) {
    parts_->dispatcher->OutboxCounted(outbox->pending);
  }
}

std::string Daemon::Summary() { return parts_->housekeeping->Summary(parts_->engine->Counts()); }

Status Daemon::Reload() {
  // Feed, watch and outbox state live in the database under their names, so what did not
  // change carries on.
  Result<config::Config> next = config::LoadConfigFile(options_.config_path);
  if (!next) {
    return Error::Config(options_.config_path.string() +
                         " is not valid; keeping the running configuration:\n" +
                         next.error().message);
  }
  for (const std::string& warning : next->warnings) spdlog::warn("SIGHUP: {}", warning);
  if (StateDir(options_.state_dir_flag, *next) != state_dir_) {
    spdlog::warn("SIGHUP: state_dir changed; it applies after a restart");
  }
  if (next->store.url != config().store.url || next->store.instance != config().store.instance) {
    spdlog::warn("SIGHUP: [store] url or instance changed; it applies after a restart");
  }
  if (next->daemon.metrics_listen != config().daemon.metrics_listen) {
    spdlog::warn("SIGHUP: metrics_listen changed; it applies after a restart");
  }
  const std::string changes = ConfigChanges(config(), *next);
  if (Status s = Build(std::make_unique<config::Config>(std::move(*next)), Engine::Mode::kReload);
      !s) {
    return Error::Io(s.error().message + "; keeping the running configuration");
  }
  store_->SetInstance(store_->instance(), ConfigHash(config()), FEEDWATCH_VERSION);
  spdlog::info(
      "SIGHUP: reloaded {} ({}, {}, {}): {}", options_.config_path.string(),
      Counted(static_cast<std::int64_t>(config().feeds.size()), "feed", "feeds"),
      Counted(static_cast<std::int64_t>(config().watches.size()), "watch", "watches"),
      Counted(static_cast<std::int64_t>(config().notifiers.size()), "notifier", "notifiers"),
      changes);
  return Status::Ok();
}

Daemon::Exit Daemon::Run(int signal_fd, Systemd* systemd, std::optional<MonoTime> until) {
  if (!options_.forever) systemd = nullptr;
  if (systemd != nullptr) systemd->Ready(Summary());
  while (true) {
    const LoopExit exit = Loop(signal_fd, systemd, until);
    parts_->engine->records().Write();  // before a reload reads the feeds' state again
    switch (exit) {
      case LoopExit::kDone:
        return Exit::kDone;
      case LoopExit::kStopped:
        parts_->engine->ReleaseLeases();
        return Exit::kStopped;
      case LoopExit::kReload:
        if (systemd != nullptr) systemd->Reloading();
        if (Status s = Reload(); !s) spdlog::error("SIGHUP: {}", s.error().message);
        if (systemd != nullptr) systemd->Ready(Summary());
        break;
    }
  }
}

void Daemon::Flush() {
  parts_->dispatcher->DeliverDue();
  while (Busy()) {
    http_->Poll(kMaxSleep);
    parts_->articles->Pump();
  }
  parts_->engine->records().Write();
}

void Daemon::FinishInFlight(int signal_fd) {
  // (`once` is stopped at once: it is run by hand.)
  if (!options_.forever || !Busy()) return;
  const MonoTime deadline = clock_->Monotonic() + parts_->engine->shutdown_deadline();
  spdlog::info(
      "waiting up to {} s for {} in flight",
      std::chrono::duration_cast<std::chrono::seconds>(parts_->engine->shutdown_deadline()).count(),
      Counted(static_cast<std::int64_t>(InFlight()), "transfer", "transfers"));
  while (Busy()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_->Monotonic());
    if (left.count() <= 0) {
      spdlog::warn("shutdown deadline passed; abandoning {}",
                   Counted(static_cast<std::int64_t>(InFlight()), "transfer", "transfers"));
      return;
    }
    const auto wait = parts_->articles->NextDeadline();
    const auto sleep =
        wait ? std::clamp(std::chrono::ceil<std::chrono::milliseconds>(*wait - clock_->Monotonic()),
                          std::chrono::milliseconds(0), left)
             : left;
    if (http_->Poll(sleep, signal_fd) && ReadSignals(signal_fd) == Signal::kStop) {
      spdlog::info("second stop signal: abandoning {}",
                   Counted(static_cast<std::int64_t>(InFlight()), "transfer", "transfers"));
      return;
    }
    // Polls waiting for their articles commit at their deadline, or as their pages come.
    parts_->articles->Pump();
  }
}

Daemon::LoopExit Daemon::Loop(int signal_fd, Systemd* systemd, std::optional<MonoTime> until) {
  Engine& engine = *parts_->engine;
  Dispatcher& dispatcher = *parts_->dispatcher;
  const bool forever = options_.forever;
  MonoTime last_status = clock_->Monotonic();
  dispatcher.DeliverDue();  // whatever a previous run left in the outbox
  if (forever) Housekeep();
  engine.StartFetches();
  while (forever || Busy() || !engine.polled_all() || dispatcher.woken()) {
    if (until && clock_->Monotonic() >= *until) return LoopExit::kDone;
    std::chrono::milliseconds sleep = kMaxSleep;
    if (const std::optional<TimePoint> next = engine.NextDue(); forever && next) {
      sleep =
          std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(*next - clock_->Now()),
                     std::chrono::milliseconds(0), kMaxSleep);
    }
    // Running, the polls held are written with the heartbeat, every kStatusEvery.
    const std::optional<MonoTime> round =
        forever ? std::optional(last_status + kStatusEvery) : engine.records().Deadline();
    for (const std::optional<MonoTime> wait : {parts_->articles->NextDeadline(), round}) {
      if (!wait) continue;
      sleep = std::min(
          sleep,
          std::clamp(std::chrono::ceil<std::chrono::milliseconds>(*wait - clock_->Monotonic()),
                     std::chrono::milliseconds(0), kMaxSleep));
    }
    if (systemd != nullptr) sleep = std::min(sleep, systemd->KeepAlive());
    if (until) {
      sleep = std::min(sleep,
                       std::chrono::ceil<std::chrono::milliseconds>(*until - clock_->Monotonic()));
    }
    if (http_->Poll(sleep, signal_fd)) {
      const Signal signal = ReadSignals(signal_fd);
      if (signal == Signal::kStop) {
        if (systemd != nullptr) systemd->Stopping();
        FinishInFlight(signal_fd);
        http_->CancelAll();
        return LoopExit::kStopped;
      }
      if (signal == Signal::kReload) {
        if (forever) return LoopExit::kReload;
        spdlog::info("SIGHUP: feedwatch once does not reload");
      }
    }
    parts_->articles->Pump();  // before the feeds: a poll waits on its pages
    engine.StartFetches();
    if (!forever) engine.records().WriteIfDue();
    // The one place sending starts: after every turn, with whatever the polls just committed.
    dispatcher.DeliverDue();
    if (forever) {
      metrics_->LoopTurned();
      if (clock_->Monotonic() - last_status >= kStatusEvery) {
        Housekeep();
        if (systemd != nullptr && systemd->listening()) systemd->Status(Summary());
        last_status = clock_->Monotonic();
      }
      parts_->housekeeping->ForgetIfDue();
    }
  }
  return LoopExit::kDone;
}

}  // namespace feedwatch::daemon
