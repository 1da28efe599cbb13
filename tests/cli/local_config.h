// A configuration of one local feed for the command tests, and `feedwatch once` run on it in
// process.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include "base/result.h"
#include "cli/run.h"
#include "tests/support/support.h"

namespace feedwatch::cli {

// A config in `dir` with one file: feed, polled every `interval` (dir/wire.rss: a copy of the
// English fixture, in which one item matches the watch "darchiev") and a console notifier;
// the state in dir/state.
inline std::filesystem::path WriteLocalConfig(const std::filesystem::path& dir,
                                              const std::string& interval = "1s") {
  std::filesystem::copy_file(testing::DataDir() / "feeds" / "talks-en.rss", dir / "wire.rss");
  std::filesystem::path config = dir / "feedwatch.toml";
  testing::WriteFile(config, R"([daemon]
state_dir = "state"
[defaults]
initial_lookback = "all"
[[feed]]
name = "wire"
url = "file:wire.rss"
interval = ")" + interval + R"("
[[watch]]
name = "darchiev"
query = "Darchiev"
[[notify]]
name = "console"
type = "console"
)");
  return config;
}

struct OnceResult {
  Status status;
  std::string console;  // what the console notifiers printed
};

// `feedwatch once -c CONFIG [--state-dir STATE_DIR]`.
inline OnceResult RunOnce(const std::filesystem::path& config, const std::string& state_dir = "") {
  std::FILE* console = std::tmpfile();
  OnceResult result{.status = Poll({.config_path = config.string(),
                                    .state_dir = state_dir,
                                    .forever = false,
                                    .console = console})};
  std::fflush(console);
  std::rewind(console);
  for (int c; (c = std::fgetc(console)) != EOF;) result.console += static_cast<char>(c);
  std::fclose(console);
  return result;
}

}  // namespace feedwatch::cli
