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
#include "daemon/dispatch.h"
#include "daemon/systemd.h"

namespace feedwatch::daemon {
namespace {

// The longest the loop sleeps, so that due deliveries (retries, digests) go out without a
// timer of their own.
constexpr std::chrono::milliseconds kMaxSleep{10'000};
// How often the status line, the gauges and the database check are refreshed.
constexpr std::chrono::seconds kStatusEvery{5};

std::string UserAgent() { return std::string("feedwatch/") + FEEDWATCH_VERSION; }

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
    add(std::to_string(static_cast<int>(notifier.type)));
    add(std::to_string(notifier.max_per_hour));
    add(notifier.webhook.url);
    add(notifier.webhook.chat);
    for (const std::string& to : notifier.email.to) add(to);
  }
  return Sha256Hex(text).substr(0, 12);
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

Daemon::~Daemon() = default;

Result<std::unique_ptr<Daemon>> Daemon::Create(config::Config config, Options options) {
  std::unique_ptr<Daemon> daemon(new Daemon());
  Daemon& d = *daemon;
  d.options_ = std::move(options);
  if (d.options_.clock == nullptr) d.system_clock_ = std::make_unique<SystemClock>();
  d.clock_ = d.options_.clock != nullptr ? d.options_.clock : d.system_clock_.get();
  if (d.options_.random == nullptr) d.system_random_ = std::make_unique<SystemRandom>();
  d.random_ = d.options_.random != nullptr ? d.options_.random : d.system_random_.get();

  d.state_dir_ = StateDir(d.options_.state_dir_flag, config);
  std::error_code ec;
  // Readable by feedwatch alone, whatever the umask (under systemd, StateDirectory= is 0700).
  if (std::filesystem::create_directories(d.state_dir_, ec)) {
    std::filesystem::permissions(d.state_dir_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec)
    return Error::CantCreate("state directory " + d.state_dir_.string() + ": " + ec.message());
  for (const std::string& warning : config.warnings) spdlog::warn("{}", warning);
  WarnIfOthersReach(d.state_dir_);
  Result<std::unique_ptr<store::Store>> store = OpenStore(config, d.state_dir_);
  if (!store) return store.error();
  d.store_ = std::move(*store);
  d.store_->SetInstance(InstanceName(config), ConfigHash(config), FEEDWATCH_VERSION);

  d.http_ = d.options_.http;
  if (d.http_ == nullptr) {
    d.curl_ = net::HttpClient::Create(
        {.max_transfers = config.http.concurrency, .user_agent = UserAgent()});
    d.http_ = d.curl_.get();
  }
  d.metrics_ = std::make_unique<Metrics>(*d.clock_);
  d.metrics_->SetInstance(d.store_->instance(), std::string(d.store_->backend()));
  if (d.options_.forever && !config.daemon.metrics_listen.empty()) {
    Result<std::unique_ptr<MetricsServer>> started =
        MetricsServer::Start(config.daemon.metrics_listen, *d.metrics_, &d.feeds_);
    if (!started) return Error::Network(started.error().message);
    d.metrics_server_ = std::move(*started);
    spdlog::info("metrics: http://{}/metrics and /healthz", d.metrics_server_->address());
  }
  const Engine::Mode mode = d.options_.forever ? Engine::Mode::kStart : Engine::Mode::kOnce;
  if (Status s = d.Build(std::make_unique<config::Config>(std::move(config)), mode); !s) {
    return s.error();
  }
  spdlog::info("feedwatch {}: {} feeds, {} watches, state in {}; instance {}", FEEDWATCH_VERSION,
               d.config_->feeds.size(), d.config_->watches.size(), d.store_->location(),
               d.store_->instance());
  return daemon;
}

std::string Daemon::metrics_address() const {
  return metrics_server_ != nullptr ? metrics_server_->address() : "";
}

Status Daemon::Build(std::unique_ptr<config::Config> config, Engine::Mode mode) {
  auto notifiers = MakeNotifiers(*config, *http_, *clock_, options_.console);
  auto engine =
      std::make_unique<Engine>(*config, *store_, *http_, *clock_, *random_, Pointers(notifiers),
                               metrics_.get(), metrics_server_ != nullptr ? &feeds_ : nullptr);
  std::map<std::string, std::string> tokens;
  std::set<std::string> private_watches;
  for (const config::WatchConfig& watch : config->watches) {
    tokens[watch.name] = watch.feed_token;
    if (!watch.feed_token.empty()) private_watches.insert(watch.name);
  }
  feeds_.Configure(std::move(tokens));
  metrics_->SetPrivateWatches(std::move(private_watches));
  if (Status s = engine->Load(mode); !s) return s;
  engine_.reset();     // before what it points into
  http_->CancelAll();  // their callbacks belong to the engine being replaced
  config_ = std::move(config);
  notifiers_ = std::move(notifiers);
  engine_ = std::move(engine);
  return Status::Ok();
}

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
  if (next->store.url != config_->store.url || next->store.instance != config_->store.instance) {
    spdlog::warn("SIGHUP: [store] url or instance changed; it applies after a restart");
  }
  if (next->daemon.metrics_listen != config_->daemon.metrics_listen) {
    spdlog::warn("SIGHUP: metrics_listen changed; it applies after a restart");
  }
  if (Status s = Build(std::make_unique<config::Config>(std::move(*next)), Engine::Mode::kReload);
      !s) {
    return Error::Io(s.error().message + "; keeping the running configuration");
  }
  store_->SetInstance(store_->instance(), ConfigHash(*config_), FEEDWATCH_VERSION);
  spdlog::info("SIGHUP: reloaded {}: {} feeds, {} watches", options_.config_path.string(),
               config_->feeds.size(), config_->watches.size());
  return Status::Ok();
}

Daemon::Exit Daemon::Run(int signal_fd, Systemd* systemd, std::optional<MonoTime> until) {
  if (!options_.forever) systemd = nullptr;
  if (systemd != nullptr) systemd->Ready(engine_->Summary());
  while (true) {
    switch (Loop(signal_fd, systemd, until)) {
      case LoopExit::kDone:
        return Exit::kDone;
      case LoopExit::kStopped:
        engine_->ReleaseLeases();
        return Exit::kStopped;
      case LoopExit::kReload:
        if (systemd != nullptr) systemd->Reloading();
        if (Status s = Reload(); !s) spdlog::error("SIGHUP: {}", s.error().message);
        if (systemd != nullptr) systemd->Ready(engine_->Summary());
        break;
    }
  }
}

void Daemon::Flush() {
  engine_->DeliverDue();
  while (engine_->busy()) http_->Poll(kMaxSleep);
}

void Daemon::FinishInFlight(int signal_fd) {
  // (`once` is stopped at once: it is run by hand.)
  if (!options_.forever || !engine_->busy()) return;
  const MonoTime deadline = clock_->Monotonic() + engine_->shutdown_deadline();
  spdlog::info(
      "waiting up to {} s for {} transfers in flight",
      std::chrono::duration_cast<std::chrono::seconds>(engine_->shutdown_deadline()).count(),
      engine_->in_flight());
  while (engine_->busy()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_->Monotonic());
    if (left.count() <= 0) {
      spdlog::warn("shutdown deadline passed; abandoning {} transfers", engine_->in_flight());
      return;
    }
    if (http_->Poll(left, signal_fd) && ReadSignals(signal_fd) == Signal::kStop) {
      spdlog::info("second stop signal: abandoning {} transfers", engine_->in_flight());
      return;
    }
  }
}

Daemon::LoopExit Daemon::Loop(int signal_fd, Systemd* systemd, std::optional<MonoTime> until) {
  Engine& engine = *engine_;
  const bool forever = options_.forever;
  MonoTime last_status = clock_->Monotonic();
  engine.DeliverDue();  // whatever a previous run left in the outbox
  if (forever) engine.Housekeeping();
  engine.StartFetches();
  while (forever || engine.busy() || !engine.polled_all()) {
    if (until && clock_->Monotonic() >= *until) return LoopExit::kDone;
    std::chrono::milliseconds sleep = kMaxSleep;
    if (const std::optional<TimePoint> next = engine.NextDue(); forever && next) {
      sleep =
          std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(*next - clock_->Now()),
                     std::chrono::milliseconds(0), kMaxSleep);
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
    engine.StartFetches();
    engine.DeliverDue();
    if (forever) {
      engine.LoopTurned();
      if (clock_->Monotonic() - last_status >= kStatusEvery) {
        engine.Housekeeping();
        if (systemd != nullptr) systemd->Status(engine.Summary());
        last_status = clock_->Monotonic();
      }
      if (clock_->Now() - engine.last_forget() >= std::chrono::hours(24)) engine.ForgetOldItems();
    }
  }
  return LoopExit::kDone;
}

}  // namespace feedwatch::daemon
