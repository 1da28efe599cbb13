// Feeds written by an attacker (tests/data/hostile/make_hostile.py): depth, width and
// repetition aimed at every reader of the parse. Each is parsed by the binary in a child
// process, so that a crash, a runaway allocation or a hang is seen as such; then all of them are
// polled beside a good feed, whose alerts must still go out.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/support.h"

namespace feedwatch {
namespace {

using namespace std::chrono_literals;

// Limits for the AddressSanitizer build the tests run in, which costs about 5x the release
// build's time and 3x its memory (release figures: docs/reliability.md), and far more on
// JSON: unoptimised nlohmann reads json-3m-empty-items.json in 15 s there, 0.6 s in release.
// A parse that grew faster than its input would take minutes.
constexpr auto kParseTimeLimit = 30s;
constexpr long kParseMemoryLimitKib = 1024 * 1024;

class HostileFeeds : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    corpus_ = new testing::GeneratedFiles(testing::DataDir() / "hostile" / "make_hostile.py");
    ASSERT_EQ(corpus_->error(), "");
  }
  static void TearDownTestSuite() {
    delete corpus_;
    corpus_ = nullptr;
  }
  static std::vector<std::filesystem::path> Files() { return corpus_->Files(); }

  static testing::GeneratedFiles* corpus_;
};

testing::GeneratedFiles* HostileFeeds::corpus_ = nullptr;

TEST_F(HostileFeeds, EachIsReadOrRefusedWithinTimeAndMemory) {
  const std::vector<std::filesystem::path> files = Files();
  ASSERT_GE(files.size(), 25u);
  for (const std::filesystem::path& file : files) {
    const auto start = std::chrono::steady_clock::now();
    testing::FeedwatchProcess parse({"parse", file.string()});
    const std::optional<int> exit_code = parse.Wait(kParseTimeLimit);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(exit_code.has_value())
        << file.filename() << " still parsing after " << kParseTimeLimit.count() << " s";
    // 0: read; 65: refused as not a feed, with the reason. Never a signal.
    EXPECT_TRUE(*exit_code == 0 || *exit_code == 65)
        << file.filename() << " exit " << *exit_code << "\n"
        << parse.err().substr(0, 2000);
    EXPECT_LT(parse.peak_rss_kib(), kParseMemoryLimitKib) << file.filename();
    std::cerr << file.filename().string() << ": exit " << *exit_code << ", "
              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms, "
              << parse.peak_rss_kib() / 1024 << " MiB\n";
  }
}

TEST_F(HostileFeeds, HtmlPastALimitIsReadAsPlainTextWithAWarning) {
  for (const char* name : {"html-form-then-150k-nested.xml", "html-formatting-reopened.xml",
                           "html-200k-nested-divs-closed.xml", "atom-xhtml-200k-nested.xml",
                           "json-content-html-nested.json", "html-svg-deep.xml"}) {
    const testing::CommandResult result =
        testing::RunFeedwatch({"parse", "--json", (corpus_->path() / name).string()});
    ASSERT_EQ(result.exit_code, 0) << name << result.err;
    EXPECT_NE(result.out.find("HTML past a limit (docs/reliability.md) read as plain text"),
              std::string::npos)
        << name;
  }
  // The text past the limit is still there for watches to match.
  const testing::CommandResult deep = testing::RunFeedwatch(
      {"parse", "--json", (corpus_->path() / "html-200k-nested-divs-closed.xml").string()});
  EXPECT_NE(deep.out.find("\"summary_text\": \"deep\""), std::string::npos)
      << deep.out.substr(0, 2000);
}

TEST_F(HostileFeeds, OnceOverAllOfThemBesideAGoodFeedDeliversTheGoodFeedsAlerts) {
  const testing::TempDir dir;
  std::filesystem::copy_file(testing::DataDir() / "feeds" / "talks-en.rss",
                             dir.path() / "good.rss");
  std::string config = R"([daemon]
state_dir = "state"
[defaults]
initial_lookback = "all"
[[watch]]
name = "darchiev"
query = "Darchiev"
[[notify]]
name = "console"
type = "console"
[[feed]]
name = "good"
url = "file:good.rss"
)";
  int n = 0;
  for (const std::filesystem::path& file : Files()) {
    config += "[[feed]]\nname = \"hostile-" + std::to_string(++n) +
              "\"\nurl = \"file:" + file.string() + "\"\n";
  }
  testing::WriteFile(dir.path() / "feedwatch.toml", config);
  testing::FeedwatchProcess once({"once", "--config", (dir.path() / "feedwatch.toml").string(),
                                  "--state-dir", (dir.path() / "state").string()});
  const std::optional<int> exit_code = once.Wait(240s);
  ASSERT_TRUE(exit_code.has_value()) << "feedwatch once still running after 240 s";
  EXPECT_EQ(*exit_code, 75) << once.err().substr(0, 4000);  // the good feed read, others failed
  EXPECT_NE(once.out().find("Darchiev presents credentials at the White House"), std::string::npos)
      << once.out().substr(0, 4000);
  // The flood of 50,000 matching items: 2,000 read (max_items), 100 alerted (max_alerts) and
  // one summary for the rest.
  const std::string out = once.out();
  size_t flood = 0;
  for (size_t at = out.find("http://127.0.0.1/flood/"); at != std::string::npos;
       at = out.find("http://127.0.0.1/flood/", at + 1)) {
    ++flood;
  }
  EXPECT_EQ(flood, 100u);
  EXPECT_NE(out.find(": 1900 more new items matched darchiev in one poll"), std::string::npos)
      << out.substr(0, 4000);
  EXPECT_NE(once.err().find("the feed lists 50000 items, more than max_items (2000)"),
            std::string::npos);
}

}  // namespace
}  // namespace feedwatch
