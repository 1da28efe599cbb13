// The daemon as main.cc builds it, for tests: a Daemon on a configuration text, with the state
// in a test's folder and the test's clock, HTTP client and console.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "config/config.h"
#include "daemon/daemon.h"
#include "tests/support/support.h"

namespace feedwatch::daemon {

struct DaemonSetup {
  std::filesystem::path dir;        // the state, and where the configuration is said to be
  const Clock* clock = nullptr;     // null: the system's
  net::HttpClient* http = nullptr;  // null: curl
  std::FILE* console = stdout;
  bool forever = false;
};

// A Daemon on `config_text`; fails the test when the text or the state is bad.
inline std::unique_ptr<Daemon> MakeDaemon(const std::string& config_text,
                                          const DaemonSetup& setup) {
  static SystemRandom random(1);  // reproducible retry jitter
  Result<config::Config> config = config::LoadConfigText(config_text, setup.dir / "feedwatch.toml");
  EXPECT_TRUE(config.ok()) << config.error().message;
  if (!config) return nullptr;
  Result<std::unique_ptr<Daemon>> daemon =
      Daemon::Create(std::move(*config), {.config_path = setup.dir / "feedwatch.toml",
                                          .state_dir_flag = setup.dir.string(),
                                          .forever = setup.forever,
                                          .console = setup.console,
                                          .clock = setup.clock,
                                          .random = &random,
                                          .http = setup.http});
  EXPECT_TRUE(daemon.ok()) << daemon.error().message;
  return daemon ? std::move(*daemon) : nullptr;
}

// One `feedwatch once` on `config_text`.
inline void RunOnce(const std::string& config_text, const DaemonSetup& setup) {
  if (const std::unique_ptr<Daemon> daemon = MakeDaemon(config_text, setup)) daemon->Run(-1);
}

}  // namespace feedwatch::daemon
