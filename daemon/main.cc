// feedwatch: the command line. Subcommands: run (the daemon), once (one poll of every feed),
// check-config, status, matches, parse, test-filter. Exit codes follow sysexits(3): see
// docs/operations.md.
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "config/config.h"
#include "daemon/engine.h"
#include "daemon/fetch_one.h"
#include "daemon/item_document.h"
#include "daemon/systemd.h"
#include "feeds/feed_json.h"
#include "filters/query.h"
#include "net/http_client.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace feedwatch::daemon {
namespace {

std::string UserAgent() { return std::string("feedwatch/") + FEEDWATCH_VERSION; }

// sysexits(3)
constexpr int kExitOk = 0;
constexpr int kExitUsage = 64;
constexpr int kExitDataError = 65;
constexpr int kExitNoInput = 66;
constexpr int kExitUnavailable = 69;
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
// and the level in words.
void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("feedwatch");
  const char* journal = std::getenv("JOURNAL_STREAM");
  if (journal != nullptr && *journal != '\0') {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SyslogPriority>('*').set_pattern("%*%v");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S%z %^%l%$ %v");
  }
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

std::string FormatDate(const std::optional<TimePoint>& date) {
  return date ? FormatIso8601(*date) : "-";
}

void PrintFeed(const feeds::Feed& feed) {
  std::cout << "format:   " << feed.format << " (read as " << feed.encoding << ")\n"
            << "title:    " << feed.title << "\n"
            << "link:     " << feed.link << "\n";
  if (feed.ttl) std::cout << "ttl:      " << feed.ttl->count() << " min\n";
  if (feed.update_period) std::cout << "period:   " << feed.update_period->count() << " s\n";
  for (const std::string& warning : feed.warnings) std::cout << "warning:  " << warning << "\n";
  std::cout << feed.items.size() << " items\n";
  int n = 0;
  for (const feeds::Item& item : feed.items) {
    std::cout << "\n[" << ++n << "] " << item.title << "\n"
              << "    link:      " << item.link << "\n"
              << "    id:        " << item.id << "\n"
              << "    published: " << FormatDate(item.published)
              << "   updated: " << FormatDate(item.updated) << "\n";
    if (!item.author.empty()) std::cout << "    author:    " << item.author << "\n";
    for (const std::string& category : item.categories) {
      std::cout << "    category:  " << category << "\n";
    }
    for (const feeds::Enclosure& enclosure : item.enclosures) {
      std::cout << "    enclosure: " << enclosure.url << " (" << enclosure.type << ", "
                << enclosure.length << " bytes)\n";
    }
    if (!item.summary_text.empty()) std::cout << "    summary:   " << item.summary_text << "\n";
    if (!item.content_text.empty()) std::cout << "    content:   " << item.content_text << "\n";
  }
}

// The feed at `file_or_url`, fetched and parsed; on failure the error is on standard error and
// `exit_code` says which kind it was.
std::optional<feeds::Feed> ReadFeed(const std::string& file_or_url, int& exit_code) {
  Result<Document> document = FetchOne(file_or_url, UserAgent());
  if (!document) {
    std::cerr << document.error().message << "\n";
    const Error::Code code = document.error().code;
    exit_code = code == Error::Code::kNotFound || code == Error::Code::kIo ? kExitNoInput
                                                                           : kExitUnavailable;
    return std::nullopt;
  }
  Result<feeds::Feed> feed = feeds::ParseFeed(document->bytes, document->options);
  if (!feed) {
    std::cerr << file_or_url << ": " << feed.error().message << "\n";
    exit_code = kExitDataError;
    return std::nullopt;
  }
  return std::move(*feed);
}

int Parse(const std::string& file_or_url, bool json) {
  int exit_code = kExitOk;
  const std::optional<feeds::Feed> feed = ReadFeed(file_or_url, exit_code);
  if (!feed) return exit_code;
  if (json) {
    std::cout << feeds::FeedToJson(*feed);
  } else {
    PrintFeed(*feed);
  }
  return kExitOk;
}

// Reads one feed and shows, for every item, whether the query matches and why: how an operator
// tunes a watch before deploying it.
int TestFilter(const std::string& config_path, const std::string& query_text,
               const std::string& watch_name, const std::string& file_or_url) {
  std::shared_ptr<const filters::Query> query;
  std::string source = "query";
  if (!watch_name.empty()) {
    Result<config::Config> config = config::LoadConfigFile(config_path);
    if (!config) {
      std::cerr << config.error().message << "\n";
      return kExitConfig;
    }
    const auto it =
        std::find_if(config->watches.begin(), config->watches.end(),
                     [&](const config::WatchConfig& w) { return w.name == watch_name; });
    if (it == config->watches.end()) {
      std::cerr << config_path << ": no [[watch]] named \"" << watch_name << "\"\n";
      return kExitConfig;
    }
    query = it->query;
    source = "watch \"" + watch_name + "\"";
  } else {
    Result<filters::Query> parsed = filters::Query::Parse(query_text);
    if (!parsed) {
      // "query:1:14: message", the query and a caret under the column.
      const std::string& message = parsed.error().message;
      std::cerr << "query:" << message << "\n";
      const size_t colon = message.find(':');
      const int line = std::atoi(message.c_str());
      const int column = std::atoi(message.c_str() + colon + 1);
      std::istringstream lines(query_text);
      std::string text;
      for (int i = 0; i < line && std::getline(lines, text); ++i) {
      }
      std::cerr << "  " << text << "\n  ";
      size_t characters = 0;
      for (size_t i = 0; i < text.size() && characters + 1 < static_cast<size_t>(column); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++characters;
      }
      std::cerr << std::string(characters, ' ') << "^\n";
      return kExitConfig;
    }
    query = std::make_shared<const filters::Query>(std::move(*parsed));
  }

  int exit_code = kExitOk;
  const std::optional<feeds::Feed> feed = ReadFeed(file_or_url, exit_code);
  if (!feed) return exit_code;
  int matched = 0;
  for (const feeds::Item& item : feed->items) {
    const filters::Document searchable = ItemDocument(item, feed->title, query->fold_accents());
    const std::optional<filters::Explanation> why = query->Explain(searchable);
    std::cout << (why ? "MATCH  " : "-      ") << item.title << "\n";
    if (!why) continue;
    ++matched;
    std::cout << "       hits:    " << why->Summary(searchable) << "\n"
              << "       snippet: " << why->snippet.Marked("**", "**") << "\n";
  }
  std::cout << "\n"
            << source << ": " << matched << " of " << feed->items.size() << " items match\n";
  return kExitOk;
}

std::string Ago(const std::optional<TimePoint>& when, TimePoint now) {
  if (!when) return "never";
  const int64_t seconds = (now - *when).count();
  const int64_t magnitude = seconds < 0 ? -seconds : seconds;
  std::string amount = magnitude < 120      ? std::to_string(magnitude) + "s"
                       : magnitude < 7200   ? std::to_string(magnitude / 60) + "m"
                       : magnitude < 172800 ? std::to_string(magnitude / 3600) + "h"
                                            : std::to_string(magnitude / 86400) + "d";
  return seconds < 0 ? "in " + amount : amount + " ago";
}

// The database the daemon keeps, for the commands that only read it; null, with the error on
// standard error and `exit_code` set, when there is none yet or it cannot be opened.
std::unique_ptr<store::Store> OpenExistingStore(const std::string& state_dir_flag,
                                                const config::Config& config, int& exit_code) {
  const std::filesystem::path database = StateDir(state_dir_flag, config) / "feedwatch.db";
  if (!std::filesystem::exists(database)) {
    std::cerr << database.string() << ": no database yet; feedwatch has not polled anything\n";
    exit_code = kExitNoInput;
    return nullptr;
  }
  Result<std::unique_ptr<store::Store>> store = store::Store::Open(database);
  if (!store) {
    std::cerr << store.error().message << "\n";
    exit_code = kExitIoError;
    return nullptr;
  }
  return std::move(*store);
}

// `feedwatch outbox`: deliveries not sent yet (pending, dead) with their last error; with `all`,
// sent ones as well.
int PrintOutbox(const std::string& config_path, const std::string& state_dir_flag, bool all) {
  Result<config::Config> config = config::LoadConfigFile(config_path);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitConfig;
  }
  int exit_code = kExitOk;
  const std::unique_ptr<store::Store> store = OpenExistingStore(state_dir_flag, *config, exit_code);
  if (!store) return exit_code;
  Result<std::vector<store::Delivery>> deliveries = store->ListDeliveries(all);
  if (!deliveries) {
    std::cerr << deliveries.error().message << "\n";
    return kExitIoError;
  }
  const TimePoint now = SystemClock().Now();
  std::map<std::string, int> counts;
  std::printf("%-6s %-14s %-8s %-8s %-10s %-16s %s\n", "ID", "NOTIFIER", "STATE", "ATTEMPTS",
              "NEXT", "WATCH", "TITLE");
  for (const store::Delivery& d : *deliveries) {
    ++counts[d.state];
    const std::string next = d.state == "pending" ? Ago(d.next_attempt_at, now) : "-";
    std::printf("%-6lld %-14s %-8s %-8d %-10s %-16s %s\n", static_cast<long long>(d.id),
                d.notifier.c_str(), d.state.c_str(), d.attempts, next.c_str(), d.watch.c_str(),
                d.title.c_str());
    if (!d.last_error.empty()) std::printf("       last error: %s\n", d.last_error.c_str());
  }
  std::printf("%d pending, %d dead", counts["pending"], counts["dead"]);
  if (all) std::printf(", %d sent", counts["sent"]);
  std::printf("\n");
  return kExitOk;
}

// `feedwatch outbox retry (ID | --dead)`: due again now, as if new. A running daemon sends them
// within seconds.
int RetryOutbox(const std::string& config_path, const std::string& state_dir_flag,
                const std::vector<std::int64_t>& ids, bool dead) {
  Result<config::Config> config = config::LoadConfigFile(config_path);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitConfig;
  }
  if (ids.empty() == !dead) {
    std::cerr << "outbox retry: give delivery IDs or --dead\n";
    return kExitUsage;
  }
  int exit_code = kExitOk;
  const std::unique_ptr<store::Store> store = OpenExistingStore(state_dir_flag, *config, exit_code);
  if (!store) return exit_code;
  const TimePoint now = SystemClock().Now();
  if (dead) {
    Result<int> count = store->RetryDead(now);
    if (!count) {
      std::cerr << count.error().message << "\n";
      return kExitIoError;
    }
    std::cout << *count << " dead deliveries queued again\n";
    return kExitOk;
  }
  for (const std::int64_t id : ids) {
    if (Status s = store->Retry(id, now); !s) {
      std::cerr << s.error().message << "\n";
      exit_code = s.error().code == Error::Code::kIo ? kExitIoError : kExitDataError;
      continue;
    }
    std::cout << "delivery " << id << " queued again\n";
  }
  return exit_code;
}

// Each configured feed's health from the store: one line per feed, then feeds the store knows
// that the configuration no longer lists.
int PrintStatus(const std::string& config_path, const std::string& state_dir_flag, bool json) {
  Result<config::Config> config = config::LoadConfigFile(config_path);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitConfig;
  }
  int exit_code = kExitOk;
  const std::unique_ptr<store::Store> store = OpenExistingStore(state_dir_flag, *config, exit_code);
  if (!store) return exit_code;
  Result<std::vector<store::FeedState>> states = store->ListFeeds();
  if (!states) {
    std::cerr << states.error().message << "\n";
    return kExitIoError;
  }
  std::map<std::string, store::FeedState> by_name;
  for (store::FeedState& state : *states) by_name[state.name] = std::move(state);

  struct Row {
    std::string name;
    std::string url;
    std::string health = "new";
    const store::FeedState* state = nullptr;  // null: nothing known (never polled, url changed)
    std::string detail;
  };
  std::vector<Row> rows;
  const auto add = [&](const std::string& name, const store::FeedState* state,
                       const std::string& configured_url) {
    Row& row = rows.emplace_back();
    row.name = name;
    row.url = configured_url.empty() && state != nullptr ? state->url : configured_url;
    if (state != nullptr && state->url != configured_url && !configured_url.empty()) {
      state = nullptr;  // its URL changed: nothing known applies
    }
    row.state = state;
    if (state == nullptr) return;
    if (configured_url.empty()) {
      row.health = "removed";
    } else if (state->gone) {
      row.health = "disabled";
    } else if (state->consecutive_failures > 0) {
      row.health = "failing";
    } else if (state->last_success_at) {
      row.health = "ok";
    }
    row.detail = state->last_error;
    if (state->consecutive_failures > 1 && !row.detail.empty()) {
      row.detail += " (" + std::to_string(state->consecutive_failures) + " in a row)";
    }
    if (!state->moved_to.empty()) {
      row.detail += (row.detail.empty() ? "" : "; ") + ("moved to " + state->moved_to);
    }
  };
  std::set<std::string> configured;  // rows point into by_name: nothing is erased from it
  for (const config::FeedConfig& feed : config->feeds) {
    const auto it = by_name.find(feed.name);
    add(feed.name, it == by_name.end() ? nullptr : &it->second, feed.url);
    configured.insert(feed.name);
  }
  for (const auto& [name, state] : by_name) {
    if (!configured.contains(name)) add(name, &state, "");
  }

  if (json) {
    const auto time = [](const std::optional<TimePoint>& t) {
      return t ? nlohmann::ordered_json(FormatIso8601(*t)) : nlohmann::ordered_json(nullptr);
    };
    nlohmann::ordered_json feeds = nlohmann::ordered_json::array();
    for (const Row& row : rows) {
      const store::FeedState* state = row.state;
      const bool polls = state != nullptr && !state->gone && row.health != "removed";
      feeds.push_back(
          {{"name", row.name},
           {"url", row.url},
           {"health", row.health},
           {"last_status", state != nullptr ? state->last_status : ""},
           {"last_attempt", time(state != nullptr ? state->last_attempt_at : std::nullopt)},
           {"last_success", time(state != nullptr ? state->last_success_at : std::nullopt)},
           {"next_due", time(polls ? state->next_due_at : std::nullopt)},
           {"consecutive_failures", state != nullptr ? state->consecutive_failures : 0},
           {"last_error", state != nullptr ? state->last_error : ""},
           {"moved_to", state != nullptr ? state->moved_to : ""}});
    }
    std::cout << nlohmann::ordered_json{{"feeds", feeds}}.dump(2) << "\n";
    return kExitOk;
  }
  const TimePoint now = SystemClock().Now();
  std::printf("%-24s %-9s %-18s %-13s %-10s %s\n", "FEED", "HEALTH", "LAST STATUS", "LAST SUCCESS",
              "NEXT", "DETAIL");
  for (const Row& row : rows) {
    const store::FeedState* state = row.state;
    std::printf("%-24s %-9s %-18s %-13s %-10s %s\n", row.name.c_str(), row.health.c_str(),
                state != nullptr && !state->last_status.empty() ? state->last_status.c_str() : "-",
                state != nullptr ? Ago(state->last_success_at, now).c_str() : "never",
                state != nullptr && state->next_due_at && !state->gone && row.health != "removed"
                    ? Ago(state->next_due_at, now).c_str()
                    : "-",
                row.detail.c_str());
  }
  return kExitOk;
}

// The stories matched in the last `since`, newest first, with the feeds that also reported each.
int PrintMatches(const std::string& config_path, const std::string& state_dir_flag,
                 const std::string& since_text) {
  Result<config::Config> config = config::LoadConfigFile(config_path);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitConfig;
  }
  const Result<config::Duration> since = config::ParseDuration(since_text);
  if (!since) {
    std::cerr << "--since: " << since.error().message << "\n";
    return kExitUsage;
  }
  int exit_code = kExitOk;
  const std::unique_ptr<store::Store> store = OpenExistingStore(state_dir_flag, *config, exit_code);
  if (!store) return exit_code;
  const TimePoint now = SystemClock().Now();
  Result<std::vector<store::StoryMatch>> stories =
      store->StoriesSince(now - std::chrono::duration_cast<Seconds>(*since));
  if (!stories) {
    std::cerr << stories.error().message << "\n";
    return kExitIoError;
  }
  for (const store::StoryMatch& story : *stories) {
    std::cout << FormatIso8601(story.matched_at) << "  " << story.watch << "  " << story.feed
              << "\n  " << story.title << "\n  " << story.link << "\n";
    if (!story.also_reported_by.empty()) {
      std::cout << "  also reported by:";
      for (const std::string& feed : story.also_reported_by) std::cout << " " << feed;
      std::cout << "\n";
    }
  }
  std::cout << stories->size() << " stories in the last " << since_text << "\n";
  return kExitOk;
}

std::map<std::string, notify::Notifier*> Pointers(
    const std::map<std::string, std::unique_ptr<notify::Notifier>>& notifiers) {
  std::map<std::string, notify::Notifier*> out;
  for (const auto& [name, notifier] : notifiers) out[name] = notifier.get();
  return out;
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
  // Readable by feedwatch alone, whatever the umask (under systemd, StateDirectory= is 0700).
  if (std::filesystem::create_directories(state_dir, ec)) {
    std::filesystem::permissions(state_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec) {
    spdlog::critical("state directory {}: {}", state_dir.string(), ec.message());
    return kExitCantCreate;
  }
  Result<std::unique_ptr<store::Store>> store = store::Store::Open(state_dir / "feedwatch.db");
  if (!store) {
    spdlog::critical("{}", store.error().message);
    return kExitIoError;
  }

  net::HttpClient::Options http_options;
  http_options.max_transfers = config->http.concurrency;
  http_options.user_agent = UserAgent();
  const std::unique_ptr<net::HttpClient> http = net::HttpClient::Create(http_options);
  const SystemClock clock;
  auto running = std::make_unique<config::Config>(std::move(*config));
  Metrics metrics;
  std::unique_ptr<MetricsServer> metrics_server;
  if (forever && !running->daemon.metrics_listen.empty()) {
    Result<std::unique_ptr<MetricsServer>> started =
        MetricsServer::Start(running->daemon.metrics_listen, metrics);
    if (!started) {
      spdlog::critical("{}", started.error().message);
      return kExitUnavailable;
    }
    metrics_server = std::move(*started);
    spdlog::info("metrics: http://{}/metrics and /healthz", metrics_server->address());
  }
  auto notifiers = MakeNotifiers(*running, *http, clock, stdout);
  auto engine =
      std::make_unique<Engine>(*running, **store, *http, clock, Pointers(notifiers), &metrics);
  if (Status s = engine->LoadSchedule(/*spread_start=*/forever); !s) {
    spdlog::critical("{}", s.error().message);
    return kExitIoError;
  }

  spdlog::info("feedwatch {}: {} feeds, {} watches, state in {}", FEEDWATCH_VERSION,
               running->feeds.size(), running->watches.size(), state_dir.string());
  Systemd systemd;
  if (forever) systemd.Ready(engine->Summary());
  while (RunLoop(*engine, *http, clock, signal_fd, forever, forever ? &systemd : nullptr) ==
         LoopExit::kReload) {
    // SIGHUP: a bad configuration is reported in full and the running one kept; a good one
    // replaces it. Feed, watch and outbox state live in the database under their names, so what
    // did not change carries on; transfers in flight are dropped and their feeds polled again.
    Result<config::Config> next = config::LoadConfigFile(config_path);
    if (!next) {
      spdlog::error("SIGHUP: {} is not valid; keeping the running configuration:\n{}", config_path,
                    next.error().message);
      continue;
    }
    if (StateDir(state_dir_flag, *next) != state_dir) {
      spdlog::warn("SIGHUP: state_dir changed; it applies after a restart");
    }
    if (next->daemon.metrics_listen != running->daemon.metrics_listen) {
      spdlog::warn("SIGHUP: metrics_listen changed; it applies after a restart");
    }
    auto reloaded = std::make_unique<config::Config>(std::move(*next));
    auto next_notifiers = MakeNotifiers(*reloaded, *http, clock, stdout);
    auto replacement = std::make_unique<Engine>(*reloaded, **store, *http, clock,
                                                Pointers(next_notifiers), &metrics);
    if (Status s = replacement->LoadSchedule(/*spread_start=*/false); !s) {
      spdlog::error("SIGHUP: {}; keeping the running configuration", s.error().message);
      continue;
    }
    systemd.Reloading();
    http->CancelAll();  // their callbacks belong to the engine being replaced
    engine = std::move(replacement);
    notifiers = std::move(next_notifiers);
    running = std::move(reloaded);
    spdlog::info("SIGHUP: reloaded {}: {} feeds, {} watches", config_path, running->feeds.size(),
                 running->watches.size());
    systemd.Ready(engine->Summary());
  }
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app{"feedwatch: watches news feeds and alerts when a story matches a watch"};
  app.fallthrough();  // global options may follow the subcommand: feedwatch once --config X
  app.set_version_flag("--version", std::string("feedwatch ") + FEEDWATCH_VERSION);
  std::string config_path = DefaultConfigPath();
  std::string log_level;
  std::string state_dir;
  CLI::Option* config_option =
      app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  CLI::App* run = app.add_subcommand("run", "run the daemon in the foreground until SIGTERM");
  CLI::App* once = app.add_subcommand("once", "poll every feed once, deliver, and exit");
  app.add_subcommand("check-config", "validate the configuration and exit (78 if it is bad)");
  CLI::App* status =
      app.add_subcommand("status", "each feed's health: last poll, errors, next poll");
  status->add_option("--state-dir", state_dir, "where feedwatch.db lives (overrides the config)");
  bool status_json = false;
  status->add_flag("--json", status_json, "one JSON document, for monitoring");
  CLI::App* matches =
      app.add_subcommand("matches", "the stories matched recently, and who else reported them");
  std::string matches_since = "24h";
  matches->add_option("--since", matches_since, "how far back, e.g. 24h or 7d")
      ->capture_default_str();
  matches->add_option("--state-dir", state_dir, "where feedwatch.db lives (overrides the config)");
  CLI::App* outbox = app.add_subcommand("outbox", "deliveries not sent yet, and why");
  bool outbox_all = false;
  outbox->add_flag("--all", outbox_all, "sent deliveries as well");
  outbox->add_option("--state-dir", state_dir, "where feedwatch.db lives (overrides the config)");
  CLI::App* outbox_retry =
      outbox->add_subcommand("retry", "queue deliveries again: by ID, or every dead one");
  std::vector<std::int64_t> retry_ids;
  bool retry_dead = false;
  outbox_retry->add_option("id", retry_ids, "delivery IDs, as `feedwatch outbox` lists them");
  outbox_retry->add_flag("--dead", retry_dead, "every dead delivery");
  CLI::App* parse = app.add_subcommand("parse", "read one feed and print what feedwatch sees");
  std::string parse_source;
  bool parse_json = false;
  parse->add_option("source", parse_source, "a feed file, or an http(s):// URL to fetch")
      ->required();
  parse->add_flag("--json", parse_json, "print the JSON document described in docs/parsing.md");
  CLI::App* test_filter = app.add_subcommand(
      "test-filter", "show which items of a feed a query or watch matches, and why");
  std::string filter_query;
  std::string filter_watch;
  std::string filter_source;
  std::vector<std::string> filter_args;
  test_filter->add_option("--watch", filter_watch, "a [[watch]] of the configuration");
  test_filter->add_option("args", filter_args, "QUERY FILE|URL, or FILE|URL with --watch")
      ->required()
      ->expected(1, 2);
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
  if (*parse) return Parse(parse_source, parse_json);
  if (*status) return PrintStatus(config_path, state_dir, status_json);
  if (*matches) return PrintMatches(config_path, state_dir, matches_since);
  if (*outbox_retry) return RetryOutbox(config_path, state_dir, retry_ids, retry_dead);
  if (*outbox) return PrintOutbox(config_path, state_dir, outbox_all);
  if (*test_filter) {
    const size_t wanted = filter_watch.empty() ? 2 : 1;
    if (filter_args.size() != wanted) {
      std::cerr << "test-filter: expected " << (wanted == 2 ? "QUERY FILE|URL" : "FILE|URL")
                << (filter_watch.empty() ? "" : " after --watch NAME") << "\n";
      return kExitUsage;
    }
    // Tuning a watch in a source checkout, before anything is installed: with no -c and no
    // installed configuration, the bundled example's watches are the ones to try.
    if (!filter_watch.empty() && config_option->count() == 0 &&
        !std::filesystem::exists(config_path) &&
        std::filesystem::exists("config/feedwatch.example.toml")) {
      std::cerr << "(no " << config_path << "; using config/feedwatch.example.toml)\n";
      config_path = "config/feedwatch.example.toml";
    }
    return TestFilter(config_path, wanted == 2 ? filter_args[0] : "", filter_watch,
                      filter_args.back());
  }
  return CheckConfig(config_path);
}

}  // namespace
}  // namespace feedwatch::daemon

int main(int argc, char** argv) { return feedwatch::daemon::Main(argc, argv); }
