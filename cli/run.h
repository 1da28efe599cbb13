// `feedwatch run` and `feedwatch once`: the Daemon, built from the configuration, and the
// process around it: the log's format and the signals the loop reads.
#pragma once

#include <cstdio>
#include <string>

#include "base/result.h"

namespace feedwatch::cli {

// A signalfd for SIGINT, SIGTERM and SIGHUP, which are blocked so that only the fd sees them.
// Call it before any thread starts, so that curl's resolver threads inherit the mask.
int OpenSignalFd();

struct PollOptions {
  std::string config_path;
  std::string state_dir;        // --state-dir; empty: the configuration's
  std::string log_level;        // --log-level; empty: the configuration's
  bool forever = false;         // `run`; otherwise `once`
  bool dry_run = false;         // --dry-run (daemon::Daemon::Options)
  int signal_fd = -1;           // OpenSignalFd's; -1: no signal stops the loop
  std::FILE* console = stdout;  // where console notifiers write
};

// Sets up the log (spdlog's default logger, on standard error: under journald each line is
// "<N>message", N its syslog priority; elsewhere a timestamp and the level in words; on a shared
// store every line names the instance), then runs the Daemon until `once` has polled every feed
// or `run` is stopped. Errors: Config; Daemon::Create's (Network, CantCreate, Io); for `once`,
// Partial (75) when some feeds failed and Network (69) when every one did.
Status Poll(const PollOptions& options);

}  // namespace feedwatch::cli
