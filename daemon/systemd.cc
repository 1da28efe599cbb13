#include "daemon/systemd.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <ctime>
#include <string>

namespace feedwatch::daemon {

Systemd::Systemd()
    : listening_(std::getenv("NOTIFY_SOCKET") != nullptr),
      last_ping_(std::chrono::steady_clock::now()) {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(/*unset_environment=*/0, &usec) > 0 && usec > 0) {
    watchdog_ = std::chrono::microseconds(usec);
  }
}

void Systemd::Ready(const std::string& status) {
  sd_notify(0, ("READY=1\nSTATUS=" + status).c_str());
}

void Systemd::Status(const std::string& status) { sd_notify(0, ("STATUS=" + status).c_str()); }

void Systemd::Stopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }

void Systemd::Reloading() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t usec =
      static_cast<uint64_t>(now.tv_sec) * 1'000'000 + static_cast<uint64_t>(now.tv_nsec) / 1000;
  sd_notify(0, ("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) +
                "\nSTATUS=reloading the configuration")
                   .c_str());
}

std::chrono::milliseconds Systemd::KeepAlive() {
  if (!watchdog_) return std::chrono::hours(1);
  const auto half = std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_ / 2);
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ping_ >= half) {
    sd_notify(0, "WATCHDOG=1");
    last_ping_ = now;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(last_ping_ + half - now);
}

}  // namespace feedwatch::daemon
