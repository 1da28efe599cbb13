// feedwatch: the command line. Subcommands: run (the daemon), once (one poll of every feed),
// check-config, status, matches, outbox, parse, test-filter. Each returns a Status; ExitCode maps
// its error to the exit code (sysexits(3), listed in docs/operations.md) in one place.
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

#include "base/text.h"
#include "config/config.h"
#include "daemon/alert_feeds.h"
#include "daemon/daemon.h"
#include "daemon/evaluate.h"
#include "daemon/feed_health.h"
#include "daemon/feed_names.h"
#include "daemon/fetch_one.h"
#include "daemon/item_pipeline.h"
#include "daemon/systemd.h"
#include "feeds/discover.h"
#include "feeds/feed_json.h"
#include "filters/query.h"
#include "net/http_client.h"
#include "notify/notifier.h"
#include "store/store.h"

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

namespace feedwatch::daemon {
namespace {

// The exit code for a command that failed with `error`: sysexits(3).
int ExitCode(const Error& error) {
  switch (error.code) {
    case Error::Code::kUsage:
      return 64;  // EX_USAGE
    case Error::Code::kInvalidInput:
      return 65;  // EX_DATAERR: not a feed; no such delivery
    case Error::Code::kNotFound:
      return 66;  // EX_NOINPUT: no such file; no database yet
    case Error::Code::kNetwork:
    case Error::Code::kTimeout:
    case Error::Code::kTooLarge:
    case Error::Code::kHttpStatus:
    case Error::Code::kUnsupported:
      return 69;  // EX_UNAVAILABLE
    case Error::Code::kCantCreate:
      return 73;  // EX_CANTCREAT
    case Error::Code::kPartial:
      return 75;  // EX_TEMPFAIL: some feeds failed; cron and timers see it
    case Error::Code::kIo:
    case Error::Code::kConflict:
      return 74;  // EX_IOERR: the database
    case Error::Code::kConfig:
      return 78;  // EX_CONFIG
  }
  return 1;
}

// The configuration at `path`; any error in it is a configuration error (78).
Result<config::Config> LoadConfig(const std::string& path) {
  Result<config::Config> config = config::LoadConfigFile(path);
  if (!config) return Error::Config(config.error().message);
  return config;
}

std::string DefaultConfigPath() {
  if (const char* dir = std::getenv("CONFIGURATION_DIRECTORY"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/feedwatch.toml";
  }
  return "/etc/feedwatch/feedwatch.toml";
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
// On a shared store every line names the instance: "[host:pid] ".
void SetUpLogging(const std::string& level, const std::string& instance) {
  auto logger = spdlog::stderr_color_mt("feedwatch");
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

Status CheckConfig(const std::string& path) {
  Result<config::Config> config = LoadConfig(path);
  if (!config) return config.error();
  for (const std::string& warning : config->warnings) std::cerr << warning << "\n";
  const auto count = [](size_t n, std::string_view one, std::string_view many) {
    return Counted(static_cast<std::int64_t>(n), one, many);
  };
  std::cout << path << ": OK (" << count(config->feeds.size(), "feed", "feeds") << ", "
            << count(config->watches.size(), "watch", "watches") << ", "
            << count(config->notifiers.size(), "notifier", "notifiers") << ")\n";
  return Status::Ok();
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
  std::cout << Counted(static_cast<std::int64_t>(feed.items.size()), "item", "items") << "\n";
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
    // One paragraph a line, under the first.
    const auto paragraphs = [](std::string text) {
      for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 1)) {
        text.insert(at + 1, 15, ' ');
      }
      return text;
    };
    if (!item.summary_text.empty()) {
      std::cout << "    summary:   " << paragraphs(item.summary_text) << "\n";
    }
    if (!item.content_text.empty()) {
      std::cout << "    content:   " << paragraphs(item.content_text) << "\n";
    }
  }
}

// The document at `file_or_url`. A file that cannot be read is NotFound (66), whatever the
// reason; a URL's errors are as FetchOne says.
Result<Document> FetchInput(const std::string& file_or_url) {
  Result<Document> document = FetchOne(file_or_url);
  if (!document) {
    const Error::Code code = document.error().code;
    if (code == Error::Code::kNotFound || code == Error::Code::kIo) {
      return Error::NotFound(document.error().message);
    }
  }
  return document;
}

// The feed at `file_or_url`, fetched and parsed; a document that is not a feed is InvalidInput
// (65).
Result<feeds::Feed> ReadFeed(const std::string& file_or_url) {
  Result<Document> document = FetchInput(file_or_url);
  if (!document) return document.error();
  Result<feeds::Feed> feed = feeds::ParseFeed(document->bytes, document->options);
  if (!feed) return Error::InvalidInput(file_or_url + ": " + feed.error().message);
  return feed;
}

Status Parse(const std::string& file_or_url, bool json) {
  const Result<feeds::Feed> feed = ReadFeed(file_or_url);
  if (!feed) return feed.error();
  if (json) {
    std::cout << feeds::FeedToJson(*feed);
  } else {
    PrintFeed(*feed);
  }
  return Status::Ok();
}

// Reads one feed and shows, for every item, whether the query or watch matches and why: how an
// operator tunes a watch before deploying it. The items go through the daemon's ItemPipeline
// as if new, so what it shows is what the daemon would alert on.
Status TestFilter(const std::string& config_path, const std::string& query_text,
                  const std::string& watch_name, const std::string& file_or_url) {
  config::Config config;  // the one watch to try, and the feed's name if it is configured
  std::string source = "query";
  if (!watch_name.empty()) {
    Result<config::Config> loaded = LoadConfig(config_path);
    if (!loaded) return loaded.error();
    const auto it =
        std::find_if(loaded->watches.begin(), loaded->watches.end(),
                     [&](const config::WatchConfig& w) { return w.name == watch_name; });
    if (it == loaded->watches.end()) {
      return Error::Config(config_path + ": no [[watch]] named \"" + watch_name + "\"");
    }
    config.watches = {*it};
    config.feeds = loaded->feeds;
    source = "watch \"" + watch_name + "\"";
  } else {
    // A query that names term lists (@name) reads them from the configuration's [terms].
    if (query_text.find('@') != std::string::npos) {
      Result<config::Config> loaded = LoadConfig(config_path);
      if (!loaded) return loaded.error();
      config.terms = loaded->terms;
    }
    Result<filters::Query> parsed =
        filters::Query::Parse(query_text, {.lists = config.terms.get()});
    if (!parsed) {
      // "query:1:14: message", the query's line and a caret under the column.
      const Error& error = parsed.error();
      std::istringstream lines(query_text);
      std::string line;
      for (int i = 0; i < error.line && std::getline(lines, line); ++i) {
      }
      return Error::Config("query:" + error.message + "\n" +
                           Caret(line, static_cast<size_t>(error.column)));
    }
    config::WatchConfig& watch = config.watches.emplace_back();
    watch.name = "query";
    watch.query_text = query_text;
    watch.query = std::make_shared<const filters::Query>(std::move(*parsed));
  }
  for (config::WatchConfig& watch : config.watches) watch.notify.clear();

  const Result<feeds::Feed> feed = ReadFeed(file_or_url);
  if (!feed) return feed.error();
  config::FeedConfig feed_config;
  feed_config.name = file_or_url;
  feed_config.url = file_or_url;
  for (const config::FeedConfig& configured : config.feeds) {
    if (configured.url == file_or_url) feed_config = configured;
  }
  feed_config.initial_lookback.reset();
  const ItemPipeline pipeline(config);
  const std::vector<std::string> keys = ItemPipeline::Keys(*feed);
  StoryIndexes no_stories;
  const Result<PipelineResult> result = pipeline.Run({.feed_config = feed_config,
                                                      .feed = *feed,
                                                      .keys = keys,
                                                      .known = {},
                                                      .now = SystemClock().Now()},
                                                     no_stories);
  int matched = 0;
  if (!result) return result.error();  // there is no store to read: never
  for (const store::ItemRecord& item : result->records) {
    std::cout << (item.matches.empty() ? "-      " : "MATCH  ") << item.title << "\n";
    if (item.matches.empty()) continue;
    ++matched;
    std::cout << "       hits:    " << item.matches.front().terms << "\n"
              << "       snippet: " << item.matches.front().snippet << "\n";
  }
  std::cout << "\n"
            << source << ": " << matched << " of "
            << Counted(static_cast<std::int64_t>(feed->items.size()), "item", "items")
            << " match\n";
  return Status::Ok();
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

// The configuration and the database the daemon keeps, for the commands that read or mend it.
struct Existing {
  config::Config config;
  std::unique_ptr<store::Store> store;
};

// Errors: Config; NotFound when there is no database yet; Io when it cannot be opened.
Result<Existing> OpenExisting(const std::string& config_path, const std::string& state_dir_flag) {
  Result<config::Config> config = LoadConfig(config_path);
  if (!config) return config.error();
  const std::filesystem::path state_dir = StateDir(state_dir_flag, *config);
  const std::filesystem::path database = state_dir / "feedwatch.db";
  if (config->store.url.empty() && !std::filesystem::exists(database)) {
    return Error::NotFound(database.string() +
                           ": no database yet; feedwatch has not polled anything");
  }
  Result<std::unique_ptr<store::Store>> store = OpenStore(*config, state_dir);
  if (!store) return store.error();
  return Existing{std::move(*config), std::move(*store)};
}

// `feedwatch outbox`: deliveries not sent yet (pending, dead) with their last error; with `all`,
// sent ones as well.
Status PrintOutbox(const std::string& config_path, const std::string& state_dir_flag, bool all) {
  Result<Existing> existing = OpenExisting(config_path, state_dir_flag);
  if (!existing) return existing.error();
  store::Store* const store = existing->store.get();
  Result<std::vector<store::Delivery>> deliveries = store->ListDeliveries(all);
  if (!deliveries) return deliveries.error();
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
  return Status::Ok();
}

// `feedwatch outbox retry (ID | --dead)`: due again now, as if new. A running daemon sends them
// within seconds.
Status RetryOutbox(const std::string& config_path, const std::string& state_dir_flag,
                   const std::vector<std::int64_t>& ids, bool dead) {
  if (ids.empty() == !dead) return Error::Usage("outbox retry: give delivery IDs or --dead");
  Result<Existing> existing = OpenExisting(config_path, state_dir_flag);
  if (!existing) return existing.error();
  store::Store* const store = existing->store.get();
  const TimePoint now = SystemClock().Now();
  if (dead) {
    Result<int> count = store->RetryDead(now);
    if (!count) return count.error();
    std::cout << Counted(*count, "dead delivery", "dead deliveries") << " queued again\n";
    return Status::Ok();
  }
  // Every ID is tried; the last failure decides the exit code. No such delivery, or one sent
  // already, is bad data (65).
  Status result;
  for (const std::int64_t id : ids) {
    if (Status s = store->Retry(id, now); !s) {
      std::cerr << s.error().message << "\n";
      result = s.error().code == Error::Code::kIo ? s.error() : Error::InvalidInput("");
      continue;
    }
    std::cout << "delivery " << id << " queued again\n";
  }
  return result;
}

// An instance whose heartbeat (every 5 s) is under a minute old; the others stopped or died.
bool IsLive(const store::InstanceInfo& instance, TimePoint now) {
  return now - instance.last_seen_at < std::chrono::minutes(1);
}

// Each configured feed's health from the store: one line per feed, then feeds the store knows
// that the configuration no longer lists.
Status PrintStatus(const std::string& config_path, const std::string& state_dir_flag, bool json) {
  Result<Existing> existing = OpenExisting(config_path, state_dir_flag);
  if (!existing) return existing.error();
  store::Store* const store = existing->store.get();
  Result<std::vector<store::FeedState>> states = store->ListFeeds();
  if (!states) return states.error();
  std::map<std::string, store::FeedState> by_name;
  for (store::FeedState& state : *states) by_name[state.name] = std::move(state);

  struct Row {
    std::string name;
    std::string url;
    std::string health{HealthName(FeedHealth::kNew)};
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
    row.health = configured_url.empty() ? "removed" : HealthName(HealthOf(*state));
    row.detail = state->last_error;
    if (state->consecutive_failures > 1 && !row.detail.empty()) {
      row.detail += " (" + std::to_string(state->consecutive_failures) + " in a row)";
    }
    if (!state->moved_to.empty()) {
      row.detail += (row.detail.empty() ? "" : "; ") + ("moved to " + state->moved_to);
    }
  };
  std::set<std::string> configured;  // rows point into by_name: nothing is erased from it
  for (const config::FeedConfig& feed : existing->config.feeds) {
    const auto it = by_name.find(feed.name);
    add(feed.name, it == by_name.end() ? nullptr : &it->second, feed.url);
    configured.insert(feed.name);
  }
  for (const auto& [name, state] : by_name) {
    if (!configured.contains(name)) add(name, &state, "");
  }
  // On a shared store: who is polling which feed now, and the instances seen within a day.
  const TimePoint now_for_leases = SystemClock().Now();
  for (Row& row : rows) {
    const store::FeedState* state = row.state;
    if (state == nullptr || state->lease_owner.empty() || !state->lease_until ||
        *state->lease_until < now_for_leases) {
      continue;
    }
    row.detail += (row.detail.empty() ? "" : "; ") + ("polling: " + state->lease_owner);
  }
  std::vector<store::InstanceInfo> no_instances;
  Result<std::vector<store::InstanceInfo>> instances =
      store->shared() ? store->Instances(now_for_leases - std::chrono::hours(24)) : no_instances;
  if (!instances) return instances.error();
  // Every configured notifier, then any the outbox still holds deliveries for ("removed").
  Result<std::vector<store::Store::NotifierOutbox>> held = store->NotifierOutboxes();
  if (!held) return held.error();
  struct NotifierRow {
    std::string name;
    std::string type;
    store::Store::NotifierOutbox outbox;
  };
  std::vector<NotifierRow> notifiers;
  std::map<std::string, store::Store::NotifierOutbox> by_notifier;
  for (store::Store::NotifierOutbox& outbox : *held) by_notifier[outbox.notifier] = outbox;
  for (const config::NotifierConfig& notifier : existing->config.notifiers) {
    const auto it = by_notifier.find(notifier.name);
    notifiers.push_back({notifier.name, std::string(config::NotifierTypeName(notifier)),
                         it == by_notifier.end() ? store::Store::NotifierOutbox{} : it->second});
    if (it != by_notifier.end()) by_notifier.erase(it);
  }
  for (const auto& [name, outbox] : by_notifier) notifiers.push_back({name, "removed", outbox});

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
           {"moved_to", state != nullptr ? state->moved_to : ""},
           {"polled_by", state != nullptr ? state->lease_owner : ""}});
    }
    nlohmann::ordered_json notifier_list = nlohmann::ordered_json::array();
    for (const NotifierRow& row : notifiers) {
      notifier_list.push_back({{"name", row.name},
                               {"type", row.type},
                               {"pending", row.outbox.pending},
                               {"dead", row.outbox.dead},
                               {"oldest_pending", time(row.outbox.oldest_pending)},
                               {"last_sent", time(row.outbox.last_sent)}});
    }
    nlohmann::ordered_json out{
        {"store", store->backend()}, {"feeds", feeds}, {"notifiers", notifier_list}};
    if (store->shared()) {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const store::InstanceInfo& instance : *instances) {
        list.push_back({{"id", instance.id},
                        {"live", IsLive(instance, SystemClock().Now())},
                        {"started", FormatIso8601(instance.started_at)},
                        {"last_seen", FormatIso8601(instance.last_seen_at)},
                        {"config", instance.config_hash},
                        {"version", instance.version}});
      }
      out["instances"] = list;
    }
    std::cout << out.dump(2) << "\n";
    return Status::Ok();
  }
  const TimePoint now = SystemClock().Now();
  if (store->shared()) {
    std::printf("%-32s %-5s %-10s %-10s %-13s %s\n", "INSTANCE", "STATE", "STARTED", "LAST SEEN",
                "CONFIG", "VERSION");
    for (const store::InstanceInfo& instance : *instances) {
      std::printf("%-32s %-5s %-10s %-10s %-13s %s\n", instance.id.c_str(),
                  IsLive(instance, now) ? "live" : "gone", Ago(instance.started_at, now).c_str(),
                  Ago(instance.last_seen_at, now).c_str(), instance.config_hash.c_str(),
                  instance.version.c_str());
    }
    std::printf("\n");
  }
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
  std::printf("\n%-24s %-9s %7s %5s %-15s %s\n", "NOTIFIER", "TYPE", "PENDING", "DEAD",
              "OLDEST PENDING", "LAST SENT");
  int pending = 0, dead = 0;
  for (const NotifierRow& row : notifiers) {
    std::printf("%-24s %-9s %7d %5d %-15s %s\n", row.name.c_str(), row.type.c_str(),
                row.outbox.pending, row.outbox.dead,
                row.outbox.oldest_pending ? Ago(row.outbox.oldest_pending, now).c_str() : "-",
                Ago(row.outbox.last_sent, now).c_str());
    pending += row.outbox.pending;
    dead += row.outbox.dead;
  }
  std::printf("outbox: %s pending, %s dead%s\n", std::to_string(pending).c_str(),
              std::to_string(dead).c_str(),
              dead > 0 ? " (feedwatch outbox lists them; feedwatch outbox retry --dead)" : "");
  return Status::Ok();
}

// The stories matched in the last `since`, newest first, with the feeds that also reported each.
Status PrintMatches(const std::string& config_path, const std::string& state_dir_flag,
                    const std::string& since_text) {
  const Result<config::Duration> since = config::ParseDuration(since_text);
  if (!since) return Error::Usage("--since: " + since.error().message);
  Result<Existing> existing = OpenExisting(config_path, state_dir_flag);
  if (!existing) return existing.error();
  const TimePoint now = SystemClock().Now();
  Result<std::vector<store::StoryMatch>> stories =
      existing->store->StoriesSince(now - std::chrono::duration_cast<Seconds>(*since));
  if (!stories) return stories.error();
  for (const store::StoryMatch& story : *stories) {
    std::cout << FormatIso8601(story.matched_at) << "  " << story.watch << "  " << story.feed
              << "\n  " << story.title << "\n  " << story.link << "\n";
    if (!story.also_reported_by.empty()) {
      std::cout << "  also reported by:";
      for (const std::string& feed : story.also_reported_by) std::cout << " " << feed;
      std::cout << "\n";
    }
  }
  std::cout << Counted(static_cast<std::int64_t>(stories->size()), "story", "stories")
            << " in the last " << since_text << "\n";
  return Status::Ok();
}

// `feedwatch run` (`forever`) and `feedwatch once`: the Daemon, built from the configuration.
// `once` fails when feeds did: Partial (75) when some did, Network (69) when every one did.
Status Poll(const std::string& config_path, const std::string& state_dir_flag,
            const std::string& log_level, bool forever, bool dry_run) {
  const int signal_fd = OpenSignalFd();
  Result<config::Config> config = LoadConfig(config_path);
  SetUpLogging(log_level.empty() && config ? config->daemon.log_level
                                           : (log_level.empty() ? "info" : log_level),
               config && !config->store.url.empty() ? InstanceName(*config) : "");
  if (!config) return config.error();
  Result<std::unique_ptr<Daemon>> daemon =
      Daemon::Create(std::move(*config), {.config_path = config_path,
                                          .state_dir_flag = state_dir_flag,
                                          .forever = forever,
                                          .dry_run = dry_run});
  if (!daemon) return daemon.error();
  Systemd systemd;
  if ((*daemon)->Run(signal_fd, &systemd) == Daemon::Exit::kStopped || forever) {
    return Status::Ok();
  }
  const Engine::Polls polls = (*daemon)->engine().CountPolls();
  if (polls.failed == 0) return Status::Ok();
  const std::string text = std::to_string(polls.failed) + " of " +
                           Counted(polls.polled, "feed", "feeds") + " failed; the log says why";
  return polls.failed == polls.polled ? Error::Network(text) : Error::Partial(text);
}

// `feedwatch store copy --from URL --to URL`: every feed's state, seen item, match, story and
// delivery (sent, pending, dead) from one store into an empty one, in one transaction; the
// database id goes along, so message ids and Atom ids stay the same. Stop every instance
// first: what they record during the copy is not copied.
Status CopyStore(const std::string& from, const std::string& to) {
  if (from == to) return Error::Usage("store copy: --from and --to are the same store");
  Result<std::unique_ptr<store::Store>> source = store::Store::Connect(from, "");
  if (!source) return source.error();
  Result<std::unique_ptr<store::Store>> target = store::Store::Connect(to, "");
  if (!target) return target.error();
  Result<std::vector<store::TableRows>> tables = store::Store::Copy(**source, **target);
  if (!tables) return tables.error();
  std::cout << "copied " << (*source)->location() << " to " << (*target)->location() << ":";
  for (const store::TableRows& table : *tables) {
    if (table.table != "meta") std::cout << " " << table.rows.size() << " " << table.table;
  }
  std::cout << "\n";
  return Status::Ok();
}

// `feedwatch discover URL`: the feeds a page advertises, as [[feed]] tables to paste into the
// configuration. A URL that is a feed itself is given as one.
Status Discover(const std::string& file_or_url) {
  Result<Document> document = FetchInput(file_or_url);
  if (!document) return document.error();
  std::vector<feeds::AdvertisedFeed> found;
  const std::string base =
      document->options.base_url.empty() ? file_or_url : document->options.base_url;
  if (Result<feeds::Feed> feed = feeds::ParseFeed(document->bytes, document->options)) {
    found.push_back({base, feed->title, feed->format});
  } else {
    found = feeds::FindFeedLinks(document->bytes, base);
  }
  if (found.empty()) {
    return Error::InvalidInput(file_or_url +
                               ": advertises no feed (no <link rel=\"alternate\"> of an RSS, "
                               "Atom or JSON Feed type) and is not a feed itself");
  }
  const std::vector<std::string> names = FeedNames(found, base);
  std::cout << "# " << found.size() << (found.size() == 1 ? " feed" : " feeds") << " advertised by "
            << file_or_url << "\n";
  for (size_t i = 0; i < found.size(); ++i) {
    const feeds::AdvertisedFeed& feed = found[i];
    const std::string& name = names[i];
    // The page's words go in a comment, on one line; the table is written by toml++, which
    // quotes and escapes the URL as TOML wants (a '"' or '#' in an href stays the URL's).
    std::cout << "\n# " << PeerText(feed.title.empty() ? "(no title)" : feed.title, {}, 200) << " ("
              << PeerText(feed.type, {}, 100) << ")\n";
    toml::table entry{{"name", name}, {"url", feed.url}};
    toml::table table{{"feed", toml::array{std::move(entry)}}};
    constexpr toml::format_flags kDoubleQuoted =
        toml::toml_formatter::default_flags & ~toml::format_flags::allow_literal_strings;
    std::cout << toml::toml_formatter(table, kDoubleQuoted) << "\n";
  }
  return Status::Ok();
}

// `feedwatch feed --watch NAME`: the watch's recent stories as the Atom feed the daemon serves
// at /feeds/NAME.atom.
Status PrintAlertFeed(const std::string& config_path, const std::string& state_dir_flag,
                      const std::string& watch) {
  Result<Existing> existing = OpenExisting(config_path, state_dir_flag);
  if (!existing) return existing.error();
  const auto& watches = existing->config.watches;
  if (std::none_of(watches.begin(), watches.end(),
                   [&](const config::WatchConfig& w) { return w.name == watch; })) {
    return Error::Config(config_path + ": no [[watch]] named \"" + watch + "\"");
  }
  Result<std::string> instance = existing->store->InstanceId();
  if (!instance) return instance.error();
  Result<std::vector<store::StoryMatch>> stories =
      existing->store->LatestStories(watch, kAlertFeedEntries);
  if (!stories) return stories.error();
  const config::DaemonSettings& daemon = existing->config.daemon;
  std::cout << RenderAlertFeed(watch, *stories, *instance, SystemClock().Now(),
                               AlertFeedBaseUrl(daemon.public_url, daemon.metrics_listen));
  return Status::Ok();
}

// `feedwatch eval`: the configured watches against a labelled file (daemon/evaluate.h):
// precision, recall and F1 per watch, per split and overall, then every mistake.
Status Eval(const std::string& config_path, const std::string& labels_path,
            const EvalOptions& options) {
  Result<config::Config> config = LoadConfig(config_path);
  if (!config) return config.error();
  if (!options.only_watch.empty()) {  // the command line's mistake first, before the file's
    Result<EvalReport> none = Evaluate(*config, {}, options);
    if (!none) return Error::Usage("eval: --watch: " + none.error().message);
  }
  Result<std::vector<LabelledItem>> items = ReadLabels(labels_path);
  if (!items && items.error().code == Error::Code::kIo) {
    return Error::NotFound(items.error().message);  // an unreadable input file, like parse's
  }
  if (!items) return items.error();
  Result<EvalReport> report = Evaluate(*config, *items, options);
  if (!report) {
    // file:line: like every other error of the labels file (ReadLabels).
    return Error::InvalidInput(labels_path + ":" + std::to_string(report.error().line) + ": " +
                               report.error().message);
  }
  const auto row = [](const std::string& name, const Score& score) {
    std::printf("%-24s %9.3f %7.3f %6.3f %5d %5d %5d\n", name.c_str(), score.precision(),
                score.recall(), score.f1(), score.true_positives, score.false_positives,
                score.false_negatives);
  };
  std::printf("%zu labelled items\n%-24s %9s %7s %6s %5s %5s %5s\n", items->size(), "WATCH",
              "PRECISION", "RECALL", "F1", "TP", "FP", "FN");
  for (const auto& [watch, score] : report->per_watch) row(watch, score);
  row("all", report->overall);
  if (report->per_split.size() > 1) {
    std::printf("\n%-24s\n", "BY SPLIT");
    for (const auto& [split, score] : report->per_split) {
      row(split.empty() ? "(no split)" : split, score);
    }
  }
  if (!report->robustness.empty()) {
    std::printf("\nWITH UNRELATED TEXT ADDED (each item with each passage of its language)\n");
    row("as labelled", report->overall);
    for (const Robustness& robustness : report->robustness) {
      row(std::string("+ ") + std::string(InsertionName(robustness.insertion)), robustness.all);
      std::printf("  the worst for precision (%.3f lower): %s\n", robustness.worst_precision_drop,
                  ShortenUtf8(robustness.worst_precision_text, 90).c_str());
      std::printf("  the worst for recall (%.3f lower):    %s\n", robustness.worst_recall_drop,
                  ShortenUtf8(robustness.worst_recall_text, 90).c_str());
    }
    std::printf("%zu decisions changed\n", report->flips.size());
  }
  for (const Mistake& mistake : report->mistakes) {
    const LabelledItem& item = *mistake.item;
    std::printf("\n%s %s, line %d%s%s: %s\n", mistake.fired ? "FALSE ALARM" : "MISS",
                mistake.watch.c_str(), item.line, item.id.empty() ? "" : " ", item.id.c_str(),
                item.title.c_str());
    if (mistake.fired) {
      std::printf("  hits:    %s\n  snippet: %s\n", mistake.hits.c_str(), mistake.snippet.c_str());
    } else if (!item.summary.empty()) {
      std::printf("  summary: %s\n", ShortenUtf8(item.summary, 300).c_str());
    }
  }
  for (const Flip& flip : report->flips) {
    const LabelledItem& item = *flip.item;
    std::printf("\n%s %s with %s, line %d%s%s: %s\n  added: %s\n",
                flip.fired ? "FIRES" : "FALLS SILENT", flip.watch.c_str(),
                std::string(InsertionName(flip.insertion)).c_str(), item.line,
                item.id.empty() ? "" : " ", item.id.c_str(), item.title.c_str(),
                ShortenUtf8(flip.text, 200).c_str());
  }
  return Status::Ok();
}

// `test-filter QUERY FILE|URL` or `test-filter --watch NAME FILE|URL`.
Status RunTestFilter(std::string config_path, bool config_given, const std::string& filter_watch,
                     const std::vector<std::string>& filter_args) {
  const size_t wanted = filter_watch.empty() ? 2 : 1;
  if (filter_args.size() != wanted) {
    return Error::Usage(std::string("test-filter: expected ") +
                        (wanted == 2 ? "QUERY FILE|URL" : "FILE|URL") +
                        (filter_watch.empty() ? "" : " after --watch NAME"));
  }
  // Tuning a watch in a source checkout, before anything is installed: with no -c and no
  // installed configuration, the bundled example's watches are the ones to try.
  if (!filter_watch.empty() && !config_given && !std::filesystem::exists(config_path) &&
      std::filesystem::exists("config/feedwatch.example.toml")) {
    std::cerr << "(no " << config_path << "; using config/feedwatch.example.toml)\n";
    config_path = "config/feedwatch.example.toml";
  }
  return TestFilter(config_path, wanted == 2 ? filter_args[0] : "", filter_watch,
                    filter_args.back());
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
  // Before or after the command, as git's and systemctl's global options.
  app.add_option("--state-dir", state_dir,
                 "where feedwatch.db lives (overrides the config): run, once, status, matches, "
                 "outbox, feed");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  CLI::App* run = app.add_subcommand("run", "run the daemon in the foreground until SIGTERM");
  CLI::App* once = app.add_subcommand("once", "poll every feed once, deliver, and exit");
  app.add_subcommand("check-config", "validate the configuration and exit (78 if it is bad)");
  CLI::App* status =
      app.add_subcommand("status", "each feed's health: last poll, errors, next poll");
  bool status_json = false;
  status->add_flag("--json", status_json, "one JSON document, for monitoring");
  CLI::App* matches =
      app.add_subcommand("matches", "the stories matched recently, and who else reported them");
  std::string matches_since = "24h";
  matches->add_option("--since", matches_since, "how far back, e.g. 24h or 7d")
      ->capture_default_str();
  CLI::App* outbox = app.add_subcommand("outbox", "deliveries not sent yet, and why");
  bool outbox_all = false;
  outbox->add_flag("--all", outbox_all, "sent deliveries as well");
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
  CLI::App* feed_command = app.add_subcommand(
      "feed", "a watch's recent stories as the Atom feed /feeds/WATCH.atom serves");
  std::string feed_watch;
  feed_command->add_option("--watch", feed_watch, "the [[watch]]")->required();
  CLI::App* discover =
      app.add_subcommand("discover", "list the feeds a web page advertises, ready for the config");
  std::string discover_source;
  discover->add_option("url", discover_source, "a page's http(s):// URL, or a saved HTML file")
      ->required();
  CLI::App* eval = app.add_subcommand(
      "eval", "score the watches against labelled items: precision, recall, every mistake");
  std::string eval_labels;
  EvalOptions eval_options;
  eval->add_option("--labels", eval_labels, "a JSON Lines file of labelled items")->required();
  eval->add_option("--watch", eval_options.only_watch, "score only this [[watch]]");
  eval->add_flag("--perturb", eval_options.perturb,
                 "score again with unrelated text added to every item (robustness)");
  CLI::App* store_command = app.add_subcommand("store", "move the state between stores");
  CLI::App* store_copy = store_command->add_subcommand(
      "copy", "copy the state into an empty store: SQLite to PostgreSQL or back");
  std::string copy_from;
  std::string copy_to;
  store_copy->add_option("--from", copy_from, "a postgresql:// URI, or a SQLite file")->required();
  store_copy->add_option("--to", copy_to, "a postgresql:// URI, or a SQLite file")->required();
  store_command->require_subcommand(1);
  bool dry_run = false;
  for (CLI::App* sub : {run, once}) {
    sub->add_flag("--dry-run", dry_run,
                  "read the state, fetch and match, and print what would be sent: nothing is "
                  "sent and nothing written");
  }
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : ExitCode(Error::Usage(""));
  }
  const Status status_of_command = [&]() -> Status {
    if (*run) return Poll(config_path, state_dir, log_level, /*forever=*/true, dry_run);
    if (*once) return Poll(config_path, state_dir, log_level, /*forever=*/false, dry_run);
    if (*parse) return Parse(parse_source, parse_json);
    if (*status) return PrintStatus(config_path, state_dir, status_json);
    if (*matches) return PrintMatches(config_path, state_dir, matches_since);
    if (*outbox_retry) return RetryOutbox(config_path, state_dir, retry_ids, retry_dead);
    if (*outbox) return PrintOutbox(config_path, state_dir, outbox_all);
    if (*eval) return Eval(config_path, eval_labels, eval_options);
    if (*discover) return Discover(discover_source);
    if (*store_copy) return CopyStore(copy_from, copy_to);
    if (*feed_command) return PrintAlertFeed(config_path, state_dir, feed_watch);
    if (*test_filter)
      return RunTestFilter(config_path, config_option->count() > 0, filter_watch, filter_args);
    return CheckConfig(config_path);
  }();
  if (status_of_command) return 0;
  const Error& error = status_of_command.error();
  // run and once log through spdlog once it is set up (under journald, with a priority);
  // a configuration error is printed as it is, caret lines and all.
  if (!error.message.empty()) {
    if ((*run || *once) && error.code == Error::Code::kPartial) {
      spdlog::error("{}", error.message);
    } else if ((*run || *once) && error.code != Error::Code::kConfig) {
      spdlog::critical("{}", error.message);
    } else {
      std::cerr << error.message << "\n";
    }
  }
  return ExitCode(error);
}

}  // namespace
}  // namespace feedwatch::daemon

int main(int argc, char** argv) { return feedwatch::daemon::Main(argc, argv); }
