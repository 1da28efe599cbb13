#include "cli/status.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <vector>

#include "base/text.h"
#include "daemon/alert_feeds.h"
#include "daemon/feed_health.h"
#include "daemon/publishing_rate.h"

namespace feedwatch::cli {
namespace {

using daemon::FeedHealth;

// A poll that started this late past its due time for want of a transfer slot is told.
constexpr Seconds kSlotWaitTold{10};

// An instance whose heartbeat (every 5 s) is under a minute old; the others stopped or died.
bool IsLive(const store::InstanceInfo& instance, TimePoint now) {
  return now - instance.last_seen_at < std::chrono::minutes(1);
}

// The hosts an instance polls, for a table: how many, and the first few (--json has all).
std::string HostList(const std::vector<std::string>& hosts) {
  constexpr size_t kShown = 3;
  std::string list = std::to_string(hosts.size());
  for (size_t i = 0; i < hosts.size() && i < kShown; ++i) list += (i == 0 ? ": " : ", ") + hosts[i];
  if (hosts.size() > kShown) list += ", ...";
  return list;
}

// Of the alerts sent in the last day: how many, and the median and 90th percentile of their
// latency from publication.
struct Latency {
  int alerts = 0;
  Seconds median{0};
  Seconds p90{0};
};

Latency LatencyOf(std::vector<Seconds> latencies) {
  Latency latency;
  latency.alerts = static_cast<int>(latencies.size());
  if (latencies.empty()) return latency;
  std::sort(latencies.begin(), latencies.end());
  // The nearest rank.
  const auto rank = [&](double p) {
    const auto n = static_cast<double>(latencies.size());
    return latencies[static_cast<size_t>(std::max(std::ceil(p * n) - 1, 0.0))];
  };
  latency.median = rank(0.5);
  latency.p90 = rank(0.9);
  return latency;
}

// "38s/1m": median and p90; "-" when no alert went out.
std::string FormatLatency(const Latency& latency) {
  if (latency.alerts == 0) return "-";
  return Span(latency.median) + "/" + Span(latency.p90);
}

// "42/h", "3.5/h", "2/day"; "-" when the feed's history shows no rate yet.
std::string FormatRate(double items_per_hour) {
  if (items_per_hour <= 0) return "-";
  if (items_per_hour >= 10) return Printf("%.0f/h", items_per_hour);
  if (items_per_hour >= 1) return Printf("%.1f/h", items_per_hour);
  return Printf("%.1f/day", items_per_hour * 24);
}

struct FeedRow {
  std::string name;
  std::string url;
  std::string health{daemon::HealthName(FeedHealth::kNew)};
  const store::FeedState* state = nullptr;  // null: nothing known (never polled, url changed)
  std::string detail;
  double items_per_hour = 0;     // expected now, from its publishing history
  std::optional<Seconds> every;  // the delay its last success chose
  Latency latency;
};

// Each configured feed, then feeds the store knows that the configuration no longer lists
// ("removed"); who polls it now, when its lease is current. Rows point into `by_name`.
std::vector<FeedRow> FeedRows(const config::Config& config,
                              const std::map<std::string, store::FeedState>& by_name,
                              const std::map<std::string, std::vector<Seconds>>& latencies,
                              TimePoint now) {
  std::vector<FeedRow> rows;
  const auto add = [&](const std::string& name, const store::FeedState* state,
                       const std::string& configured_url) {
    FeedRow& row = rows.emplace_back();
    row.name = name;
    row.url = configured_url.empty() && state != nullptr ? state->url : configured_url;
    if (state != nullptr && state->url != configured_url && !configured_url.empty()) {
      state = nullptr;  // its URL changed: nothing known applies
    }
    row.state = state;
    if (state == nullptr) return;
    row.items_per_hour = daemon::ItemsPerHour(state->history, now);
    if (state->last_attempt_at && state->last_attempt_at == state->last_success_at &&
        state->next_due_at) {
      row.every = *state->next_due_at - *state->last_attempt_at;
    }
    if (const auto it = latencies.find(name); it != latencies.end()) {
      row.latency = LatencyOf(it->second);
    }
    row.health = configured_url.empty() ? "removed" : daemon::HealthName(daemon::HealthOf(*state));
    row.detail = state->last_error;
    if (state->consecutive_failures > 1 && !row.detail.empty()) {
      row.detail += " (" + std::to_string(state->consecutive_failures) + " in a row)";
    }
    if (!state->moved_to.empty()) {
      row.detail += (row.detail.empty() ? "" : "; ") + ("moved to " + state->moved_to);
    }
    if (!state->last_articles.empty()) {
      row.detail += (row.detail.empty() ? "" : "; ") + ("articles: " + state->last_articles);
    }
    if (state->slot_wait >= kSlotWaitTold) {
      row.detail += (row.detail.empty() ? "" : "; ") +
                    ("started " + Span(state->slot_wait) +
                     " late: its host's per_host limit (or concurrency) was taken");
    }
    if (!state->lease_owner.empty() && state->lease_until && *state->lease_until >= now) {
      row.detail += (row.detail.empty() ? "" : "; ") + ("polling: " + state->lease_owner);
    }
  };
  std::set<std::string> configured;
  for (const config::FeedConfig& feed : config.feeds) {
    const auto it = by_name.find(feed.name);
    add(feed.name, it == by_name.end() ? nullptr : &it->second, feed.url);
    configured.insert(feed.name);
  }
  for (const auto& [name, state] : by_name) {
    if (!configured.contains(name)) add(name, &state, "");
  }
  return rows;
}

struct NotifierRow {
  std::string name;
  std::string type;
  store::Store::NotifierOutbox outbox;
  Latency latency;
};

// Every configured notifier, then any the outbox still holds deliveries for ("removed").
std::vector<NotifierRow> NotifierRows(
    const config::Config& config, const std::vector<store::Store::NotifierOutbox>& held,
    const std::map<std::string, std::vector<Seconds>>& latencies) {
  std::vector<NotifierRow> notifiers;
  std::map<std::string, store::Store::NotifierOutbox> by_notifier;
  for (const store::Store::NotifierOutbox& outbox : held) by_notifier[outbox.notifier] = outbox;
  for (const config::NotifierConfig& notifier : config.notifiers) {
    const auto it = by_notifier.find(notifier.name);
    notifiers.push_back({notifier.name,
                         std::string(config::NotifierTypeName(notifier)),
                         it == by_notifier.end() ? store::Store::NotifierOutbox{} : it->second,
                         {}});
    if (it != by_notifier.end()) by_notifier.erase(it);
  }
  for (const auto& [name, outbox] : by_notifier) notifiers.push_back({name, "removed", outbox, {}});
  for (NotifierRow& row : notifiers) {
    if (const auto it = latencies.find(row.name); it != latencies.end()) {
      row.latency = LatencyOf(it->second);
    }
  }
  return notifiers;
}

// Whether the feed is polled again, so that its next due time means something.
bool Polls(const FeedRow& row) {
  return row.state != nullptr && !row.state->gone && row.health != "removed";
}

// The alerts of the last day: how many, median and p90 in seconds (null when none).
nlohmann::ordered_json LatencyJson(const Latency& latency) {
  const auto seconds = [&](Seconds s) {
    return latency.alerts > 0 ? nlohmann::ordered_json(s.count()) : nlohmann::ordered_json(nullptr);
  };
  return {{"alerts_last_day", latency.alerts},
          {"median_seconds", seconds(latency.median)},
          {"p90_seconds", seconds(latency.p90)}};
}

void PrintJson(std::string_view backend, const std::vector<FeedRow>& rows,
               const std::vector<NotifierRow>& notifiers,
               const std::vector<store::InstanceInfo>& instances, TimePoint now,
               std::ostream& out) {
  const auto time = [](const std::optional<TimePoint>& t) {
    return t ? nlohmann::ordered_json(FormatIso8601(*t)) : nlohmann::ordered_json(nullptr);
  };
  nlohmann::ordered_json feeds = nlohmann::ordered_json::array();
  for (const FeedRow& row : rows) {
    const store::FeedState* state = row.state;
    feeds.push_back(
        {{"name", row.name},
         {"url", row.url},
         {"health", row.health},
         {"last_status", state != nullptr ? state->last_status : ""},
         {"last_attempt", time(state != nullptr ? state->last_attempt_at : std::nullopt)},
         {"last_success", time(state != nullptr ? state->last_success_at : std::nullopt)},
         {"next_due", time(Polls(row) ? state->next_due_at : std::nullopt)},
         {"consecutive_failures", state != nullptr ? state->consecutive_failures : 0},
         {"last_error", state != nullptr ? state->last_error : ""},
         {"moved_to", state != nullptr ? state->moved_to : ""},
         {"last_articles", state != nullptr ? state->last_articles : ""},
         {"polled_by", state != nullptr ? state->lease_owner : ""},
         {"items_per_hour", row.items_per_hour},
         {"poll_every_seconds",
          row.every ? nlohmann::ordered_json(row.every->count()) : nlohmann::ordered_json(nullptr)},
         {"slot_wait_seconds", state != nullptr ? state->slot_wait.count() : 0},
         {"latency", LatencyJson(row.latency)}});
  }
  nlohmann::ordered_json notifier_list = nlohmann::ordered_json::array();
  for (const NotifierRow& row : notifiers) {
    notifier_list.push_back({{"name", row.name},
                             {"type", row.type},
                             {"pending", row.outbox.pending},
                             {"dead", row.outbox.dead},
                             {"oldest_pending", time(row.outbox.oldest_pending)},
                             {"last_sent", time(row.outbox.last_sent)},
                             {"latency", LatencyJson(row.latency)}});
  }
  nlohmann::ordered_json document{
      {"store", backend}, {"feeds", feeds}, {"notifiers", notifier_list}};
  // Always there, for scripts: empty where one instance runs.
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const store::InstanceInfo& instance : instances) {
    list.push_back({{"id", instance.id},
                    {"live", IsLive(instance, now)},
                    {"started", FormatIso8601(instance.started_at)},
                    {"last_seen", FormatIso8601(instance.last_seen_at)},
                    {"config", instance.config_hash},
                    {"version", instance.version},
                    {"hosts", instance.hosts}});
  }
  document["instances"] = list;
  out << document.dump(2) << "\n";
}

void PrintTables(const std::vector<FeedRow>& rows, const std::vector<NotifierRow>& notifiers,
                 const std::vector<store::InstanceInfo>& instances, TimePoint now,
                 std::ostream& out) {
  if (!instances.empty()) {
    out << Printf("%-32s %-5s %-10s %-10s %-13s %-10s %s\n", "INSTANCE", "STATE", "STARTED",
                  "LAST SEEN", "CONFIG", "VERSION", "HOSTS");
    for (const store::InstanceInfo& instance : instances) {
      out << Printf("%-32s %-5s %-10s %-10s %-13s %-10s %s\n", instance.id.c_str(),
                    IsLive(instance, now) ? "live" : "gone", Ago(instance.started_at, now).c_str(),
                    Ago(instance.last_seen_at, now).c_str(), instance.config_hash.c_str(),
                    instance.version.c_str(), HostList(instance.hosts).c_str());
    }
    out << "\n";
  }
  out << Printf("%-24s %-9s %-18s %-13s %-10s %-8s %-6s %-13s %s\n", "FEED", "HEALTH",
                "LAST STATUS", "LAST SUCCESS", "NEXT", "RATE", "EVERY", "LATENCY 50/90", "DETAIL");
  for (const FeedRow& row : rows) {
    const store::FeedState* state = row.state;
    out << Printf(
        "%-24s %-9s %-18s %-13s %-10s %-8s %-6s %-13s %s\n", row.name.c_str(), row.health.c_str(),
        state != nullptr && !state->last_status.empty() ? state->last_status.c_str() : "-",
        state != nullptr ? Ago(state->last_success_at, now).c_str() : "never",
        Polls(row) && state->next_due_at ? Ago(state->next_due_at, now).c_str() : "-",
        FormatRate(row.items_per_hour).c_str(),
        row.every && Polls(row) ? Span(*row.every).c_str() : "-",
        FormatLatency(row.latency).c_str(), row.detail.c_str());
  }
  out << Printf("\n%-24s %-9s %7s %5s %-15s %-13s %s\n", "NOTIFIER", "TYPE", "PENDING", "DEAD",
                "OLDEST PENDING", "LAST SENT", "LATENCY 50/90");
  int pending = 0;
  int dead = 0;
  for (const NotifierRow& row : notifiers) {
    out << Printf("%-24s %-9s %7d %5d %-15s %-13s %s\n", row.name.c_str(), row.type.c_str(),
                  row.outbox.pending, row.outbox.dead,
                  row.outbox.oldest_pending ? Ago(row.outbox.oldest_pending, now).c_str() : "-",
                  Ago(row.outbox.last_sent, now).c_str(), FormatLatency(row.latency).c_str());
    pending += row.outbox.pending;
    dead += row.outbox.dead;
  }
  out << "outbox: " << pending << " pending, " << dead << " dead"
      << (dead > 0 ? " (feedwatch outbox lists them; feedwatch outbox retry --dead)" : "") << "\n";
}

}  // namespace

Status PrintStatus(const Paths& paths, bool json, std::ostream& out) {
  Result<Existing> existing = OpenExisting(paths);
  if (!existing) return existing.error();
  store::Store& store = *existing->store;
  Result<std::vector<store::FeedState>> states = store.ListFeeds();
  if (!states) return states.error();
  std::map<std::string, store::FeedState> by_name;
  for (store::FeedState& state : *states) by_name[state.name] = std::move(state);
  const TimePoint now = SystemClock().Now();
  // The latency of the alerts of the last day, by feed and by notifier.
  Result<std::vector<store::Store::AlertLatency>> sent =
      store.AlertLatencies(now - std::chrono::hours(24));
  if (!sent) return sent.error();
  std::map<std::string, std::vector<Seconds>> by_feed;
  std::map<std::string, std::vector<Seconds>> by_notifier;
  for (const store::Store::AlertLatency& alert : *sent) {
    by_feed[alert.feed].push_back(alert.latency);
    by_notifier[alert.notifier].push_back(alert.latency);
  }
  const std::vector<FeedRow> rows = FeedRows(existing->config, by_name, by_feed, now);
  // The instances seen within a day: none where one instance runs (SQLite).
  Result<std::vector<store::InstanceInfo>> instances =
      store.coordination().Instances(now - std::chrono::hours(24));
  if (!instances) return instances.error();
  Result<std::vector<store::Store::NotifierOutbox>> held = store.NotifierOutboxes();
  if (!held) return held.error();
  const std::vector<NotifierRow> notifiers = NotifierRows(existing->config, *held, by_notifier);
  if (json) {
    PrintJson(store.backend(), rows, notifiers, *instances, now, out);
  } else {
    PrintTables(rows, notifiers, *instances, now, out);
  }
  return Status::Ok();
}

Status PrintMatches(const Paths& paths, const std::string& since, std::ostream& out) {
  const Result<config::Duration> duration = config::ParseDuration(since);
  if (!duration) return Error::Usage("--since: " + duration.error().message);
  Result<Existing> existing = OpenExisting(paths);
  if (!existing) return existing.error();
  const TimePoint now = SystemClock().Now();
  Result<std::vector<store::StoryMatch>> stories =
      existing->store->StoriesSince(now - std::chrono::duration_cast<Seconds>(*duration));
  if (!stories) return stories.error();
  for (const store::StoryMatch& story : *stories) {
    out << FormatIso8601(story.matched_at) << "  " << story.watch << "  " << story.feed << "\n  "
        << story.title << "\n  " << story.link << "\n";
    if (!story.also_reported_by.empty()) {
      out << "  also reported by:";
      for (const store::StoryReport& report : story.also_reported_by) out << " " << report.feed;
      out << "\n";
    }
  }
  out << Counted(static_cast<std::int64_t>(stories->size()), "story", "stories") << " in the last "
      << since << "\n";
  return Status::Ok();
}

Status PrintAlertFeed(const Paths& paths, const std::string& watch, std::ostream& out) {
  Result<Existing> existing = OpenExisting(paths);
  if (!existing) return existing.error();
  const auto& watches = existing->config.watches;
  if (std::none_of(watches.begin(), watches.end(),
                   [&](const config::WatchConfig& w) { return w.name == watch; })) {
    return Error::Config(paths.config + ": no [[watch]] named \"" + watch + "\"");
  }
  Result<std::string> instance = existing->store->InstanceId();
  if (!instance) return instance.error();
  Result<std::vector<store::StoryMatch>> stories =
      existing->store->LatestStories(watch, daemon::kAlertFeedEntries);
  if (!stories) return stories.error();
  const config::DaemonSettings& settings = existing->config.daemon;
  out << daemon::RenderAlertFeed(
      watch, *stories, *instance, SystemClock().Now(),
      daemon::AlertFeedBaseUrl(settings.public_url, settings.metrics_listen));
  return Status::Ok();
}

}  // namespace feedwatch::cli
