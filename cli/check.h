// The commands that try the configuration before it runs: `check-config` (does it load),
// `test-filter` (what a query or watch matches in one feed, and why) and `eval` (how the
// watches score against labelled items). Each writes its report to `out`; a failure is the
// returned Error, which the caller prints and maps to an exit code.
#pragma once

#include <ostream>
#include <string>

#include "base/result.h"
#include "daemon/evaluate.h"

namespace feedwatch::cli {

// "PATH: OK (3 feeds, 2 watches, 1 notifier)" on `out`, the configuration's warnings on `err`.
// Errors: Config, every error of the file in one message.
Status CheckConfig(const std::string& config_path, std::ostream& out, std::ostream& err);

struct TestFilterOptions {
  std::string config_path;
  // -c was given: without it, a --watch is looked up in config/feedwatch.example.toml when the
  // default configuration does not exist (tuning a watch in a source checkout); `err` says so.
  bool config_given = false;
  std::string query;  // the query to try, or empty with `watch`
  std::string watch;  // a [[watch]] of the configuration
  std::string feed;   // a feed file or an http(s):// URL
};

// Every item of the feed, "MATCH" with its hits and snippet or "-", as the daemon's
// ItemPipeline decides for new items; then how many matched. Errors: Config (the file, no such
// watch, a bad query as "query:LINE:COL: message" with the line and a caret), and ReadFeed's.
Status TestFilter(const TestFilterOptions& options, std::ostream& out, std::ostream& err);

// Precision, recall and F1 per watch, per split and overall, then every mistake (and with
// `perturb`, what unrelated text changes). Errors: Config; Usage for a --watch the configuration
// does not have; NotFound for a labels file that cannot be read; InvalidInput "FILE:LINE: ..."
// for a bad line of it.
Status Eval(const std::string& config_path, const std::string& labels_path,
            const daemon::EvalOptions& options, std::ostream& out);

}  // namespace feedwatch::cli
