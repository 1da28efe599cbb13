// `feedwatch once` in process: cli::Poll with the console notifier writing to a file. The
// process around it (signals, journald's format, exit codes) is main_test's.
#include "cli/run.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "tests/cli/local_config.h"
#include "tests/support/support.h"

namespace feedwatch::cli {
namespace {

TEST(Once, AlertsThenRemembers) {
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  const OnceResult first = RunOnce(config);
  EXPECT_TRUE(first.status.ok()) << first.status.error().message;
  EXPECT_NE(first.console.find("\tdarchiev\twire\tDarchiev presents credentials at the White "
                               "House\thttp://wire.test/world/darchiev-credentials\t"
                               "**Darchiev** presents credentials at the White House\n"),
            std::string::npos)
      << first.console;
  EXPECT_EQ(std::count(first.console.begin(), first.console.end(), '\n'), 1) << first.console;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "state" / "feedwatch.db"));

  const OnceResult second = RunOnce(config);
  EXPECT_TRUE(second.status.ok()) << second.status.error().message;
  EXPECT_EQ(second.console, "");
}

TEST(Once, TheStateIsTheOwnersAloneWhateverTheUmask) {
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  const mode_t previous = umask(022);
  const OnceResult result = RunOnce(config);
  umask(previous);
  ASSERT_TRUE(result.status.ok()) << result.status.error().message;
  const auto mode = [](const std::filesystem::path& path) {
    struct stat info {};
    EXPECT_EQ(stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 0777;
  };
  EXPECT_EQ(mode(dir.path() / "state"), 0700u);
  for (const char* name : {"feedwatch.db", "feedwatch.db-wal", "feedwatch.db-shm"}) {
    const std::filesystem::path file = dir.path() / "state" / name;
    if (name == std::string_view("feedwatch.db") || std::filesystem::exists(file)) {
      EXPECT_EQ(mode(file), 0600u) << name;
    }
  }
}

TEST(Once, AnUnwritableStateDirectoryIsOneClearError) {
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  testing::WriteFile(dir.path() / "blocker", "");
  const std::string state_dir = (dir.path() / "blocker" / "x").string();
  const OnceResult result = RunOnce(config, state_dir);
  ASSERT_FALSE(result.status.ok());
  EXPECT_EQ(result.status.error().code, Error::Code::kCantCreate);  // 73
  EXPECT_TRUE(result.status.error().message.starts_with("state directory " + state_dir + ": "))
      << result.status.error().message;
  EXPECT_EQ(result.console, "");
}

TEST(Once, FailsWithTheFeedsThatFailed) {
  const testing::TempDir dir;
  const auto config = WriteLocalConfig(dir.path());
  testing::WriteFile(config, testing::ReadFile(config) +
                                 "[[feed]]\nname = \"missing\"\nurl = \"file:missing.rss\"\n");
  const OnceResult some = RunOnce(config);
  ASSERT_FALSE(some.status.ok());
  EXPECT_EQ(some.status.error().code, Error::Code::kPartial);  // 75
  EXPECT_EQ(some.status.error().message, "1 of 2 feeds failed; the log says why");
  EXPECT_NE(some.console.find("\tdarchiev\twire\t"), std::string::npos) << some.console;

  std::filesystem::remove(dir.path() / "wire.rss");
  const OnceResult all = RunOnce(config);
  ASSERT_FALSE(all.status.ok());
  EXPECT_EQ(all.status.error().code, Error::Code::kNetwork);  // 69
  EXPECT_EQ(all.status.error().message, "2 of 2 feeds failed; the log says why");
}

TEST(Once, ABadConfigurationIsAConfigurationError) {
  const testing::TempDir dir;
  testing::WriteFile(dir.path() / "feedwatch.toml", "[[feed]]\nname = \"wire\"\n");
  const OnceResult result = RunOnce(dir.path() / "feedwatch.toml");
  ASSERT_FALSE(result.status.ok());
  EXPECT_EQ(result.status.error().code, Error::Code::kConfig);  // 78
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "state"));
}

}  // namespace
}  // namespace feedwatch::cli
