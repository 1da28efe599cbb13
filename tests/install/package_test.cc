// The Debian package: built with cpack from this build, checked by lintian, and unpacked into a
// fresh dpkg root, where its files, its conffiles and its unit must be where Debian expects.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "tests/support/support.h"

namespace feedwatch {
namespace {

using namespace std::chrono_literals;

struct Output {
  int exit_code;
  std::string text;
};

Output Shell(const std::string& command) {
  testing::ChildProcess shell("/bin/sh", {"-c", command + " 2>&1"});
  const std::optional<int> code = shell.Wait(300s);
  return {code.value_or(-1), shell.out()};
}

TEST(Package, BuildsPassesLintianAndInstallsIntoAFreshRoot) {
  const testing::TempDir dir;
  const Output built =
      Shell("cd '" FEEDWATCH_BUILD_DIR "' && cpack -G DEB -B '" + dir.path().string() + "'");
  ASSERT_EQ(built.exit_code, 0) << built.text;
  std::filesystem::path deb;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() == ".deb") deb = entry.path();
  }
  ASSERT_FALSE(deb.empty()) << built.text;
  EXPECT_TRUE(deb.filename().string().starts_with("feedwatch_")) << deb;
  EXPECT_TRUE(deb.filename().string().ends_with("_amd64.deb") ||
              deb.filename().string().ends_with("_arm64.deb"))
      << deb;

  // Dependencies computed from the binary's shared libraries, and the helpers the maintainer
  // scripts call.
  const Output control = Shell("dpkg-deb -f '" + deb.string() + "' Depends");
  EXPECT_NE(control.text.find("libcurl4"), std::string::npos) << control.text;
  EXPECT_NE(control.text.find("libsqlite3-0"), std::string::npos) << control.text;
  EXPECT_NE(control.text.find("init-system-helpers"), std::string::npos) << control.text;

  const Output lintian = Shell("lintian --fail-on error '" + deb.string() + "'");
  EXPECT_EQ(lintian.exit_code, 0) << lintian.text;
  EXPECT_EQ(lintian.text.find("\nE: "), std::string::npos) << lintian.text;

  // A fresh dpkg database in a folder of its own; the dependencies are not there, so only the
  // unpacking is checked (configuring would run the maintainer scripts against this system).
  const std::filesystem::path root = dir.path() / "root";
  std::filesystem::create_directories(root / "var" / "lib" / "dpkg" / "info");
  std::filesystem::create_directories(root / "var" / "lib" / "dpkg" / "updates");
  testing::WriteFile(root / "var" / "lib" / "dpkg" / "status", "");
  const Output unpacked =
      Shell("dpkg --root='" + root.string() + "' --force-depends --unpack '" + deb.string() + "'");
  ASSERT_EQ(unpacked.exit_code, 0) << unpacked.text;
  for (const char* file :
       {"usr/bin/feedwatch", "usr/lib/systemd/system/feedwatch.service",
        "usr/share/man/man1/feedwatch.1.gz", "usr/share/doc/feedwatch/copyright",
        "usr/share/doc/feedwatch/changelog.Debian.gz", "usr/share/doc/feedwatch/operations.md"}) {
    EXPECT_TRUE(std::filesystem::exists(root / file)) << file;
  }
  // Conffiles wait as .dpkg-new until the package is configured, which puts them in place
  // unless the operator changed the one there.
  for (const char* conffile :
       {"etc/feedwatch/feedwatch.toml", "etc/feedwatch/samples/talks-sample.xml"}) {
    EXPECT_TRUE(std::filesystem::exists(root / (std::string(conffile) + ".dpkg-new"))) << conffile;
  }
  const std::string unit = testing::ReadFile(root / "usr/lib/systemd/system/feedwatch.service");
  EXPECT_NE(unit.find("\nExecStart=/usr/bin/feedwatch run\n"), std::string::npos) << unit;
  // The example configuration is a conffile: an operator's edits survive upgrades.
  const Output conffiles = Shell("dpkg-query --admindir='" + (root / "var/lib/dpkg").string() +
                                 "' -W -f='${Conffiles}' feedwatch");
  EXPECT_NE(conffiles.text.find(" /etc/feedwatch/feedwatch.toml "), std::string::npos)
      << conffiles.text;
  // The maintainer scripts are in place, executable, and valid shell.
  for (const char* script : {"postinst", "prerm", "postrm"}) {
    const std::filesystem::path path =
        root / "var/lib/dpkg/info" / (std::string("feedwatch.") + script);
    ASSERT_TRUE(std::filesystem::exists(path)) << script;
    EXPECT_NE(std::filesystem::status(path).permissions() & std::filesystem::perms::owner_exec,
              std::filesystem::perms::none);
    EXPECT_EQ(Shell("sh -n '" + path.string() + "'").exit_code, 0) << script;
  }
  const std::string postinst = testing::ReadFile(root / "var/lib/dpkg/info/feedwatch.postinst");
  EXPECT_NE(postinst.find("deb-systemd-helper enable"), std::string::npos);
  EXPECT_NE(postinst.find("deb-systemd-invoke restart"), std::string::npos);
  const std::string postrm = testing::ReadFile(root / "var/lib/dpkg/info/feedwatch.postrm");
  EXPECT_NE(postrm.find("\"$1\" = \"purge\""), std::string::npos);
  EXPECT_LT(postrm.find("\"$1\" = \"purge\""), postrm.find("rm -rf /var/lib/feedwatch"));
}

}  // namespace
}  // namespace feedwatch
