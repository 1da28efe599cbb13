// `cmake --install` into a staging folder, and the systemd unit as systemd-analyze sees it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <regex>

#include "tests/support/support.h"

namespace feedwatch {
namespace {

using namespace std::chrono_literals;

struct Output {
  int exit_code = -1;
  std::string text;  // standard output and error
};

Output Shell(const std::string& command) {
  testing::ChildProcess shell("/bin/sh", {"-c", command + " 2>&1"});
  const std::optional<int> code = shell.Wait(120s);
  return {code.value_or(-1), shell.out()};
}

// DESTDIR=`stage` cmake --install BUILD --prefix /usr.
Output InstallInto(const std::filesystem::path& stage) {
  return Shell("DESTDIR='" + stage.string() +
               "' cmake --install '" FEEDWATCH_BUILD_DIR "' --prefix /usr");
}

TEST(Install, StagedInstallHasEveryFileWithPathsThatAgree) {
  const testing::TempDir dir;
  const std::filesystem::path stage = dir.path() / "stage";
  const Output installed = InstallInto(stage);
  ASSERT_EQ(installed.exit_code, 0) << installed.text;

  const std::filesystem::path binary = stage / "usr" / "bin" / "feedwatch";
  ASSERT_TRUE(std::filesystem::exists(binary));
  EXPECT_NE(std::filesystem::status(binary).permissions() & std::filesystem::perms::owner_exec,
            std::filesystem::perms::none);
  const std::string unit =
      testing::ReadFile(stage / "usr" / "lib" / "systemd" / "system" / "feedwatch.service");
  EXPECT_NE(unit.find("\nExecStart=/usr/bin/feedwatch run\n"), std::string::npos) << unit;
  EXPECT_NE(unit.find("\nDocumentation=file:///usr/share/doc/feedwatch/operations.md\n"),
            std::string::npos);
  EXPECT_TRUE(
      std::filesystem::exists(stage / "usr" / "share" / "doc" / "feedwatch" / "operations.md"));
  EXPECT_TRUE(std::filesystem::exists(stage / "usr" / "share" / "man" / "man1" / "feedwatch.1.gz"));
  EXPECT_NE(unit.find("\nLoadCredential=feedwatch:/etc/feedwatch/credentials\n"),
            std::string::npos);
  struct stat credentials {};
  ASSERT_EQ(stat((stage / "etc" / "feedwatch" / "credentials").c_str(), &credentials), 0);
  EXPECT_TRUE(S_ISDIR(credentials.st_mode));
  EXPECT_EQ(credentials.st_mode & 0777, 0700u);

  // The installed configuration is valid and keeps its state where systemd puts it.
  const std::filesystem::path config = stage / "etc" / "feedwatch" / "feedwatch.toml";
  const testing::CommandResult check = testing::RunFeedwatch({"check-config", "-c", config});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_NE(testing::ReadFile(config).find("\n# state_dir = \"/var/lib/feedwatch\""),
            std::string::npos);

  // An operator's configuration survives the next install.
  testing::WriteFile(config, testing::ReadFile(config) + "\n# edited by the operator\n");
  ASSERT_EQ(InstallInto(stage).exit_code, 0);
  EXPECT_NE(testing::ReadFile(config).find("# edited by the operator"), std::string::npos);
}

TEST(Install, TheUnitVerifiesAndIsHardened) {
  const testing::TempDir dir;
  ASSERT_EQ(InstallInto(dir.path() / "stage").exit_code, 0);
  // The installed unit, with ExecStart pointing at the binary under test: systemd-analyze checks
  // that the command exists.
  std::string unit = testing::ReadFile(dir.path() / "stage" / "usr" / "lib" / "systemd" / "system" /
                                       "feedwatch.service");
  unit = std::regex_replace(unit, std::regex("ExecStart=/usr/bin/feedwatch"),
                            "ExecStart=" FEEDWATCH_BIN);
  const std::filesystem::path copy = dir.path() / "feedwatch.service";
  testing::WriteFile(copy, unit);

  const Output verify = Shell("systemd-analyze verify '" + copy.string() + "'");
  EXPECT_EQ(verify.exit_code, 0) << verify.text;
  EXPECT_EQ(verify.text, "");

  const Output security =
      Shell("systemd-analyze security --offline=yes --no-pager '" + copy.string() + "'");
  EXPECT_EQ(security.exit_code, 0) << security.text;
  std::smatch level;
  ASSERT_TRUE(std::regex_search(security.text, level,
                                std::regex(R"(Overall exposure level for feedwatch\.service: )"
                                           R"(([0-9.]+))")))
      << security.text;
  EXPECT_LE(std::stod(level[1]), 2.0) << security.text;
}

}  // namespace
}  // namespace feedwatch
