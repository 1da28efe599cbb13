// Telling systemd how the daemon is doing (sd_notify): READY=1 once the configuration is loaded
// and the database open, STATUS= a one-line summary, WATCHDOG=1 when WatchdogSec= is set,
// STOPPING=1 on shutdown. Does nothing when systemd did not start the process (no
// NOTIFY_SOCKET).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace feedwatch::daemon {

class Systemd {
 public:
  Systemd();  // reads WatchdogSec= (WATCHDOG_USEC)

  // Whether systemd hears these (NOTIFY_SOCKET is set): a status nobody reads is not made.
  bool listening() const { return listening_; }
  void Ready(const std::string& status);
  void Status(const std::string& status);
  void Stopping();
  // RELOADING=1 with MONOTONIC_USEC, before a new configuration is applied; Ready() follows.
  void Reloading();

  // Pings the watchdog when half its interval has passed; returns how long the loop may sleep
  // before the next ping is due (a long time when there is no watchdog).
  std::chrono::milliseconds KeepAlive();

 private:
  bool listening_;
  std::optional<std::chrono::microseconds> watchdog_;
  std::chrono::steady_clock::time_point last_ping_;
};

}  // namespace feedwatch::daemon
