#include "cli/run.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>

#include <csignal>
#include <cstdlib>
#include <memory>

#include "base/text.h"
#include "cli/inputs.h"
#include "daemon/daemon.h"
#include "daemon/systemd.h"

namespace feedwatch::cli {
namespace {

// "<N>", the syslog priority of the message's level, which journald reads off the start of each
// line of a service's standard error (sd-daemon.h: SD_ERR and friends).
class SyslogPriority final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& out) override {
    int priority = 6;  // info
    switch (message.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        priority = 7;
        break;
      case spdlog::level::warn:
        priority = 4;
        break;
      case spdlog::level::err:
        priority = 3;
        break;
      case spdlog::level::critical:
        priority = 2;
        break;
      default:
        break;
    }
    const std::string text = "<" + std::to_string(priority) + ">";
    out.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriority>();
  }
};

// Under journald (systemd sets JOURNAL_STREAM for a service whose output goes to the journal)
// a line is "<N>message": the journal adds the time and keeps the level. Elsewhere, a timestamp
// and the level in words. On a shared store every line names the instance: "[host:pid] ".
// The logger replaces the default one, so a process may set it up more than once.
void SetUpLogging(const std::string& level, const std::string& instance) {
  auto logger = std::make_shared<spdlog::logger>(
      "feedwatch", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  const char* journal = std::getenv("JOURNAL_STREAM");
  // The instance is the logger's text, not a pattern: '%' in it stays as it is.
  std::string prefix;
  for (const char c : instance.empty() ? "" : "[" + instance + "] ") {
    prefix += c;
    if (c == '%') prefix += '%';
  }
  if (journal != nullptr && *journal != '\0') {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SyslogPriority>('*').set_pattern("%*" + prefix + "%v");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S%z %^%l%$ " + prefix + "%v");
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace

int OpenSignalFd() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  return signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
}

Status Poll(const PollOptions& options) {
  Result<config::Config> config = LoadConfig(options.config_path);
  const std::string& log_level = options.log_level;
  SetUpLogging(log_level.empty() && config ? config->daemon.log_level
                                           : (log_level.empty() ? "info" : log_level),
               config && !config->store.url.empty() ? daemon::InstanceName(*config) : "");
  if (!config) return config.error();
  Result<std::unique_ptr<daemon::Daemon>> daemon =
      daemon::Daemon::Create(std::move(*config), {.config_path = options.config_path,
                                                  .state_dir_flag = options.state_dir,
                                                  .forever = options.forever,
                                                  .dry_run = options.dry_run,
                                                  .console = options.console});
  if (!daemon) return daemon.error();
  daemon::Systemd systemd;
  if ((*daemon)->Run(options.signal_fd, &systemd) == daemon::Daemon::Exit::kStopped ||
      options.forever) {
    return Status::Ok();
  }
  const daemon::Engine::Polls polls = (*daemon)->engine().CountPolls();
  if (polls.failed == 0) return Status::Ok();
  const std::string text = std::to_string(polls.failed) + " of " +
                           Counted(polls.polled, "feed", "feeds") + " failed; the log says why";
  return polls.failed == polls.polled ? Error::Network(text) : Error::Partial(text);
}

}  // namespace feedwatch::cli
