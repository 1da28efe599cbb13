// feedwatch: the command line. It parses the arguments, runs one command of cli/ and maps the
// command's error to the exit code (sysexits(3), listed in docs/operations.md) in one place.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "base/result.h"
#include "cli/check.h"
#include "cli/inspect.h"
#include "cli/outbox.h"
#include "cli/run.h"
#include "cli/status.h"
#include "cli/store.h"
#include "daemon/evaluate.h"

namespace feedwatch {
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

std::string DefaultConfigPath() {
  if (const char* dir = std::getenv("CONFIGURATION_DIRECTORY"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/feedwatch.toml";
  }
  return "/etc/feedwatch/feedwatch.toml";
}

int Main(int argc, char** argv) {
  CLI::App app{"feedwatch: watches news feeds and alerts when a story matches a watch"};
  app.fallthrough();  // global options may follow the subcommand: feedwatch once --config X
  app.set_version_flag("--version", std::string("feedwatch ") + FEEDWATCH_VERSION);
  cli::Paths paths{.config = DefaultConfigPath(), .state_dir = ""};
  cli::PollOptions poll;
  CLI::Option* config_option =
      app.add_option("-c,--config", paths.config, "configuration file")->capture_default_str();
  // Before or after the command, as git's and systemctl's global options.
  app.add_option("--state-dir", paths.state_dir,
                 "where feedwatch.db lives (overrides the config): run, once, status, matches, "
                 "outbox, feed");
  app.add_option("--log-level", poll.log_level, "trace, debug, info, warn, error, critical or off")
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
  bool parse_article = false;
  parse->add_option("source", parse_source, "a feed file, or an http(s):// URL to fetch")
      ->required();
  parse->add_flag("--json", parse_json, "print the JSON document described in docs/parsing.md");
  parse->add_flag("--article", parse_article, "read a news page: print its article text")
      ->excludes("--json");
  CLI::App* test_filter = app.add_subcommand(
      "test-filter", "show which items of a feed a query or watch matches, and why");
  cli::TestFilterOptions filter;
  std::vector<std::string> filter_args;
  test_filter->add_option("--watch", filter.watch, "a [[watch]] of the configuration");
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
  daemon::EvalOptions eval_options;
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
  for (CLI::App* sub : {run, once}) {
    sub->add_flag("--dry-run", poll.dry_run,
                  "read the state, fetch and match, and print what would be sent: nothing is "
                  "sent and nothing written");
  }
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : ExitCode(Error::Usage(""));
  }
  // `test-filter QUERY FILE|URL` or `test-filter --watch NAME FILE|URL`.
  const auto run_test_filter = [&]() -> Status {
    const size_t wanted = filter.watch.empty() ? 2 : 1;
    if (filter_args.size() != wanted) {
      return Error::Usage(std::string("test-filter: expected ") +
                          (wanted == 2 ? "QUERY FILE|URL" : "FILE|URL") +
                          (filter.watch.empty() ? "" : " after --watch NAME"));
    }
    filter.config_path = paths.config;
    filter.config_given = config_option->count() > 0;
    filter.query = wanted == 2 ? filter_args[0] : "";
    filter.feed = filter_args.back();
    return cli::TestFilter(filter, std::cout, std::cerr);
  };
  const Status status_of_command = [&]() -> Status {
    if (*run || *once) {
      poll.signal_fd = cli::OpenSignalFd();
      poll.config_path = paths.config;
      poll.state_dir = paths.state_dir;
      poll.forever = run->parsed();
      return cli::Poll(poll);
    }
    if (*parse && parse_article) return cli::ParseArticle(parse_source, std::cout);
    if (*parse) return cli::Parse(parse_source, parse_json, std::cout);
    if (*status) return cli::PrintStatus(paths, status_json, std::cout);
    if (*matches) return cli::PrintMatches(paths, matches_since, std::cout);
    if (*outbox_retry) return cli::RetryOutbox(paths, retry_ids, retry_dead, std::cout, std::cerr);
    if (*outbox) return cli::PrintOutbox(paths, outbox_all, std::cout);
    if (*eval) return cli::Eval(paths.config, eval_labels, eval_options, std::cout);
    if (*discover) return cli::Discover(discover_source, std::cout);
    if (*store_copy) return cli::CopyStore(copy_from, copy_to, std::cout);
    if (*feed_command) return cli::PrintAlertFeed(paths, feed_watch, std::cout);
    if (*test_filter) return run_test_filter();
    return cli::CheckConfig(paths.config, std::cout, std::cerr);
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
}  // namespace feedwatch

int main(int argc, char** argv) { return feedwatch::Main(argc, argv); }
