// feedwatch: the command line. Subcommands: run (the daemon), once (one poll of every feed),
// check-config. Exit codes follow sysexits(3): see docs/operations.md.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "config/config.h"
#include "daemon/engine.h"
#include "net/http_client.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace feedwatch::daemon {
namespace {

// sysexits(3)
constexpr int kExitOk = 0;
constexpr int kExitUsage = 64;
constexpr int kExitCantCreate = 73;
constexpr int kExitIoError = 74;
constexpr int kExitConfig = 78;

std::string DefaultConfigPath() {
  if (const char* dir = std::getenv("CONFIGURATION_DIRECTORY"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/feedwatch.toml";
  }
  return "/etc/feedwatch/feedwatch.toml";
}

std::filesystem::path StateDir(const std::string& flag, const config::Config& config) {
  if (!flag.empty()) return flag;
  if (!config.daemon.state_dir.empty()) return config.daemon.state_dir;
  if (const char* dir = std::getenv("STATE_DIRECTORY"); dir != nullptr && *dir != '\0') return dir;
  return "/var/lib/feedwatch";
}

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("feedwatch");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S%z %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

// A signalfd for the signals the loop handles; they are blocked so that only the fd sees them.
// Blocked before any thread starts, so curl's resolver threads inherit the mask.
int OpenSignalFd() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  return signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
}

int CheckConfig(const std::string& path) {
  Result<config::Config> config = config::LoadConfigFile(path);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitConfig;
  }
  std::cout << path << ": OK (" << config->feeds.size() << " feeds, " << config->watches.size()
            << " watches, " << config->notifiers.size() << " notifiers)\n";
  return kExitOk;
}

int Poll(const std::string& config_path, const std::string& state_dir_flag,
         const std::string& log_level, bool forever) {
  const int signal_fd = OpenSignalFd();
  Result<config::Config> config = config::LoadConfigFile(config_path);
  SetUpLogging(log_level.empty() && config ? config->daemon.log_level
                                           : (log_level.empty() ? "info" : log_level));
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitConfig;
  }

  const std::filesystem::path state_dir = StateDir(state_dir_flag, *config);
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    spdlog::critical("state directory {}: {}", state_dir.string(), ec.message());
    return kExitCantCreate;
  }
  Result<std::unique_ptr<store::Store>> store = store::Store::Open(state_dir / "feedwatch.db");
  if (!store) {
    spdlog::critical("{}", store.error().message);
    return kExitIoError;
  }

  notify::ConsoleNotifier console(stdout);
  std::map<std::string, notify::Notifier*> notifiers;
  for (const config::NotifierConfig& notifier : config->notifiers) {
    notifiers[notifier.name] = &console;  // console is the only type so far
  }

  net::HttpClient::Options http_options;
  http_options.max_transfers = config->http.concurrency;
  http_options.user_agent = std::string("feedwatch/") + FEEDWATCH_VERSION;
  const std::unique_ptr<net::HttpClient> http = net::HttpClient::Create(http_options);
  const SystemClock clock;
  Engine engine(*config, **store, *http, clock, std::move(notifiers));
  if (Status s = engine.LoadSchedule(); !s) {
    spdlog::critical("{}", s.error().message);
    return kExitIoError;
  }

  spdlog::info("feedwatch {}: {} feeds, {} watches, state in {}", FEEDWATCH_VERSION,
               config->feeds.size(), config->watches.size(), state_dir.string());
  RunLoop(engine, *http, clock, signal_fd, forever);
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app{"feedwatch: watches news feeds and alerts when a story matches a watch"};
  app.fallthrough();  // global options may follow the subcommand: feedwatch once --config X
  app.set_version_flag("--version", std::string("feedwatch ") + FEEDWATCH_VERSION);
  std::string config_path = DefaultConfigPath();
  std::string log_level;
  std::string state_dir;
  app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  CLI::App* run = app.add_subcommand("run", "run the daemon in the foreground until SIGTERM");
  CLI::App* once = app.add_subcommand("once", "poll every feed once, deliver, and exit");
  app.add_subcommand("check-config", "validate the configuration and exit (78 if it is bad)");
  for (CLI::App* sub : {run, once}) {
    sub->add_option("--state-dir", state_dir, "where feedwatch.db lives (overrides the config)");
  }
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  if (*run) return Poll(config_path, state_dir, log_level, /*forever=*/true);
  if (*once) return Poll(config_path, state_dir, log_level, /*forever=*/false);
  return CheckConfig(config_path);
}

}  // namespace
}  // namespace feedwatch::daemon

int main(int argc, char** argv) { return feedwatch::daemon::Main(argc, argv); }
