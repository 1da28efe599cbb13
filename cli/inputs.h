// What the commands read: the configuration, the state the daemon keeps, one document given by
// hand; and the small formatting they share. Every error here is already the one the command
// line reports, so a command returns it as it is.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
#include "daemon/fetch_one.h"
#include "feeds/parser.h"
#include "store/store.h"

namespace feedwatch::cli {

// Where a command finds the configuration and the state: -c and --state-dir (empty: the
// configuration's state_dir and the others daemon::StateDir reads).
struct Paths {
  std::string config;
  std::string state_dir;
};

// The configuration at `path`; any error in it is a configuration error (78).
Result<config::Config> LoadConfig(const std::string& path);

// The configuration and the database the daemon keeps, for the commands that read or mend it.
struct Existing {
  config::Config config;
  std::unique_ptr<store::Store> store;
};

// Errors: Config; NotFound when there is no database yet; Io when it cannot be opened.
Result<Existing> OpenExisting(const Paths& paths);

// The document at `file_or_url` (daemon::FetchOne). A file that cannot be read is NotFound (66),
// whatever the reason; a URL's errors are as FetchOne says.
Result<daemon::Document> FetchInput(const std::string& file_or_url);

// The feed at `file_or_url`, fetched and parsed; a document that is not a feed is InvalidInput
// (65).
Result<feeds::Feed> ReadFeed(const std::string& file_or_url);

// "42s", "3m", "5h", "2d": a span's magnitude, rounded down.
std::string Span(Seconds span);
// "42s ago", "3m ago", "5h ago", "2d ago", "in 10s"; "never" without a time.
std::string Ago(const std::optional<TimePoint>& when, TimePoint now);

// printf's formatting into a string: the tables' widths count bytes, as they always have.
std::string Printf(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace feedwatch::cli
