// The validated configuration: one TOML file read into typed values with defaults.
//
// A Config that LoadConfigFile returns is complete and consistent: every feed has an absolute
// URL and an interval, every watch's query compiled, every notifier a watch names exists, and
// secrets (*_file) have been read: from $CREDENTIALS_DIRECTORY when a relative name is found
// there (systemd's LoadCredential=, also with the unit's "feedwatch_" prefix), else relative to
// the config file.
// Reload is load-then-swap: a bad file leaves the caller's current Config untouched.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/units.h"
#include "filters/query.h"
#include "net/address.h"
#include "notify/email.h"
#include "notify/notifier_settings.h"
#include "notify/policy.h"

namespace feedwatch::config {

using namespace std::chrono_literals;

struct DaemonSettings {
  // Where feedwatch.db lives. Empty: the daemon uses $STATE_DIRECTORY (set by systemd's
  // StateDirectory=) and then /var/lib/feedwatch.
  std::string state_dir;
  std::string log_level = "info";  // trace, debug, info, warn, error, critical, off
  // Items gone from their feed for this long are forgotten (pruned from the database). An item
  // that comes back within it is still known and never alerts again.
  Duration forget_after = std::chrono::hours(90 * 24);
  // On SIGTERM, transfers in flight may finish (and be recorded) for this long.
  Duration shutdown_deadline = std::chrono::seconds(10);
  // "HOST:PORT" where /metrics and /healthz are served; empty: not served.
  std::string metrics_listen;
  // The listener as readers reach it ("https://desk.example.org/feedwatch", no trailing '/'):
  // the base of the links in /feeds/WATCH.atom. Empty: "http://" + the listen address.
  std::string public_url;

  bool operator==(const DaemonSettings&) const = default;
};

struct HttpSettings {
  Duration timeout = 30s;                // a whole transfer
  Duration connect_timeout = 10s;        // DNS + TCP + TLS
  Duration low_speed_time = 30s;         // a transfer that receives nothing for this long is cut
  std::uint64_t max_body = 10ULL << 20;  // decoded bytes
  Duration max_parse_time = 5s;          // CPU time to parse one response; past it the poll fails
  int concurrency = 32;                  // transfers at once
  int per_host = 2;                      // transfers at once to one host
  std::string ca_file;                   // empty: the system's CA store
  std::string proxy;                     // empty: the usual environment variables
  // Where a feed on the internet may not redirect feedwatch (CIDR networks; see
  // net::AddressSet::InternalDefaults and docs/reliability.md).
  std::vector<std::string> internal_networks = net::AddressSet::InternalDefaults();

  bool operator==(const HttpSettings&) const = default;
};

// [store]: where the state lives. Without a url, SQLite in state_dir (one instance).
struct StoreSettings {
  // A libpq connection URI ("postgresql://user@host/db"); empty: SQLite in state_dir.
  std::string url;
  std::string password;  // read from password_file; empty: the URI's or libpq's own sources
  // This instance's name in leases, logs, `feedwatch status` and metrics; empty: "HOST:PID".
  std::string instance;
  // How long a feed or delivery claimed by an instance stays its own without being renewed:
  // an instance that dies leaves its work to the others after this long.
  Duration lease = std::chrono::seconds(60);
};

struct ScheduleSettings {
  // The longest a failing feed waits between attempts (the backoff doubles up to it).
  Duration max_backoff = 6h;

  bool operator==(const ScheduleSettings&) const = default;
};

struct FeedConfig {
  std::string name;
  // Absolute http(s) URL, or a file:// URL; a relative "file:path" in the file is resolved
  // against the config file's folder.
  std::string url;
  // The longest time between two polls after a success, and the shortest (at most `interval`):
  // between them, the feed's publishing rate decides (docs/configuration.md, "How often a feed
  // is polled"). min_interval = interval polls every `interval`.
  Duration interval{};
  Duration min_interval = std::chrono::minutes(1);
  // Only items published within this long before the feed's first poll may alert; nullopt
  // means every item of the first poll may ("all"). Undated items always may.
  std::optional<Duration> initial_lookback;
  // One poll reads at most this many items: past it the first and the last half in document
  // order, so the newest are read whichever end the feed lists them at (docs/reliability.md).
  int max_items = 2'000;
  // One poll sends at most this many alerts; past it each watch's remaining new stories are
  // recorded (feedwatch matches lists them) and told in one summary alert per watch.
  int max_alerts = 100;
  // Each new item's link is fetched and its article's main text matched too (docs/
  // configuration.md, "Reading the article"): at most `max_articles` pages a poll, and the
  // poll's alerts wait at most `article_wait` for them (for each turn of the host's per_host
  // slots that its pages need).
  bool fetch_articles = false;
  int max_articles = 50;
  Duration article_wait = std::chrono::seconds(5);

  bool operator==(const FeedConfig&) const = default;
};

struct WatchConfig {
  std::string name;
  std::string query_text;
  bool accent_folding = false;  // match "Lávrov" as "Lavrov"
  // Where the query's evidence must stand: one passage with the title (the default), or
  // anywhere in the item (docs/queries.md).
  filters::Scope scope = filters::Scope::kPassage;
  std::shared_ptr<const filters::Query> query;  // compiled; never null in a loaded config
  std::vector<std::string> notify;              // notifier names, never empty
  // What /feeds/NAME.atom asks for in ?token= (from feed_token_file); empty: nothing.
  std::string feed_token;
};

// A [[notify]] table: the keys every notifier has, and the settings its type read from the rest.
struct NotifierConfig {
  std::string name;
  notify::DigestSchedule digest;  // off: each alert goes out on its own
  // Messages an hour, at most; the alerts over it go out together as one digest when the hour
  // allows. 0: no limit.
  int max_per_hour = 0;
  // A delivery still failing this long after it fell due is given up (dead).
  Duration max_age = 24h;
  // By type (notify/notifier_settings.h); an email notifier sends through Config::smtp.
  notify::NotifierSettings settings;

  bool operator==(const NotifierConfig&) const = default;
};

// "console", "email", or a webhook's format ("webhook" for the standard one, "slack", "telegram",
// ...): what `feedwatch status` shows.
std::string_view NotifierTypeName(const NotifierConfig& notifier);

struct Config {
  std::filesystem::path path;
  DaemonSettings daemon;
  HttpSettings http;
  ScheduleSettings schedule;
  StoreSettings store;
  std::vector<FeedConfig> feeds;
  // [terms]: the named term lists the watches' queries use as @name.
  std::shared_ptr<const filters::TermLists> terms = std::make_shared<filters::TermLists>();
  std::vector<WatchConfig> watches;
  std::vector<NotifierConfig> notifiers;
  // [smtp]; required by email notifiers. The password has been read from its file.
  std::optional<notify::SmtpSettings> smtp;
  // What is valid but probably not meant, each "PATH:LINE:COLUMN: warning: what": a secret file
  // others can read, a listener other hosts reach serving watches without a token.
  // check-config prints them; the daemon logs them when it loads the file.
  std::vector<std::string> warnings;
};

// Reads and validates the file at `path`. On failure the error's message lists every problem
// found, in file order, each as
//   PATH:LINE:COLUMN: what is wrong
//     the source line
//     ^ (under the spot)
Result<Config> LoadConfigFile(const std::filesystem::path& path);

// The same for text already in memory; `path` names it in messages and anchors relative
// file: URLs.
Result<Config> LoadConfigText(std::string_view text, const std::filesystem::path& path);

}  // namespace feedwatch::config
