// The fixture corpus in tests/data/feeds/corpus: every file is parsed exactly as
// `feedwatch parse --json FILE` parses it and compared with NAME.expected.json, or, for a
// document that is not a feed, with the error message in NAME.expected-error.txt.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "feeds/feed_json.h"
#include "feeds/parser.h"
#include "tests/support/support.h"

namespace feedwatch::feeds {
namespace {

namespace fs = std::filesystem;

fs::path CorpusDir() { return testing::DataDir() / "feeds" / "corpus"; }

bool IsExpectation(const fs::path& path) {
  const std::string name = path.filename().string();
  return name.find(".expected") != std::string::npos;
}

std::vector<fs::path> CorpusFiles() {
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(CorpusDir())) {
    if (entry.is_regular_file() && !IsExpectation(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

TEST(Corpus, HasAtLeastEightyFixturesEachWithAnExpectation) {
  const std::vector<fs::path> files = CorpusFiles();
  EXPECT_GE(files.size(), 80u);
  for (const fs::path& file : files) {
    const fs::path stem = file.parent_path() / file.stem();
    EXPECT_TRUE(fs::exists(stem.string() + ".expected.json") ||
                fs::exists(stem.string() + ".expected-error.txt"))
        << file << " has no expectation";
  }
}

TEST(Corpus, EveryFixtureParsesToItsExpectedJson) {
  for (const fs::path& file : CorpusFiles()) {
    SCOPED_TRACE(file.filename().string());
    const std::string stem = (file.parent_path() / file.stem()).string();
    const Result<Feed> feed = ParseFeed(testing::ReadFile(file), {});
    if (fs::exists(stem + ".expected-error.txt")) {
      ASSERT_FALSE(feed.ok());
      EXPECT_EQ(feed.error().message, Trimmed(testing::ReadFile(stem + ".expected-error.txt")));
      continue;
    }
    ASSERT_TRUE(feed.ok()) << feed.error().message;
    EXPECT_EQ(FeedToJson(*feed), testing::ReadFile(stem + ".expected.json"));
  }
}

// No input crashes or hangs the parser: each fixture cut at many offsets, and with bytes
// overwritten at random. The sanitizer build runs this too, so any out-of-bounds read, leak or
// undefined behaviour on the way fails it; a hang runs into ctest's timeout.
TEST(Corpus, TruncatedAndCorruptedFixturesNeverCrashOrHang) {
  std::mt19937 random(20251125);  // fixed: a failure reproduces
  size_t parses = 0;
  for (const fs::path& file : CorpusFiles()) {
    SCOPED_TRACE(file.filename().string());
    const std::string bytes = testing::ReadFile(file);
    const size_t step = std::max<size_t>(1, bytes.size() / 40);
    for (size_t cut = 0; cut < bytes.size(); cut += step) {
      const Result<Feed> feed = ParseFeed(std::string_view(bytes).substr(0, cut), {});
      if (!feed.ok()) {
        EXPECT_TRUE(feed.error().message.starts_with("not a feed: "));
      }
      ++parses;
    }
    for (int round = 0; round < 40; ++round) {
      std::string corrupted = bytes;
      const int flips = 1 + static_cast<int>(random() % 8);
      for (int i = 0; i < flips && !corrupted.empty(); ++i) {
        corrupted[random() % corrupted.size()] = static_cast<char>(random() % 256);
      }
      const Result<Feed> feed = ParseFeed(corrupted, {});
      if (!feed.ok()) {
        EXPECT_TRUE(feed.error().message.starts_with("not a feed: "));
      }
      ++parses;
    }
  }
  EXPECT_GT(parses, 5000u);
}

// A real feed with an invalid UTF-8 byte, then with a stray '<', at every position: never a
// crash; invalid bytes are replaced and flagged, never fatal; a stray '<' is read leniently or
// refused with a reason.
TEST(Corpus, AFaultAtEveryPositionOfARealFeedIsReadOrRefusedClearly) {
  const std::string feed = testing::ReadFile(testing::DataDir() / "feeds" / "talks-en.rss");
  for (size_t at = 0; at <= feed.size(); ++at) {
    std::string bad_utf8 = feed;
    bad_utf8.insert(at, "\xFF");
    const Result<Feed> utf8 = ParseFeed(bad_utf8, {});
    if (utf8.ok()) {
      EXPECT_FALSE(utf8->warnings.empty()) << "an invalid byte at " << at << " went unflagged";
    } else {
      // Only where the byte breaks the XML declaration or the root element's name.
      EXPECT_FALSE(utf8.error().message.empty());
      EXPECT_LT(at, 60u) << utf8.error().message;
    }
    std::string bad_xml = feed;
    bad_xml.insert(at, "<");
    const Result<Feed> xml = ParseFeed(bad_xml, {});
    // pugixml takes a '<' in a processing instruction, an attribute or CDATA; elsewhere the
    // document is recovered (and flagged) or refused with what it was taken for.
    if (!xml.ok()) {
      EXPECT_TRUE(xml.error().message.starts_with("not a feed: ")) << xml.error().message;
      EXPECT_LT(at, 60u) << xml.error().message;
    }
  }
}

}  // namespace
}  // namespace feedwatch::feeds
