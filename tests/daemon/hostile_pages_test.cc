// Article pages written by an attacker (tests/data/hostile/make_hostile_pages.py), as
// fetch_articles would fetch them behind a feed's items: depth, width, repetition, broken bytes
// and charsets, and JSON-LD aimed at ExtractArticle. Each page is read by `feedwatch parse
// --article` in a child process, so that a crash, a runaway allocation or a hang is seen as
// such; and where a page keeps its article apart from the attack, the article must still be
// found.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/support.h"

namespace feedwatch {
namespace {

using namespace std::chrono_literals;

// Limits for the AddressSanitizer build the tests run in, which costs about 5x the release
// build's time and 3x its memory (release figures: docs/reliability.md).
constexpr auto kReadTimeLimit = 20s;
constexpr long kReadMemoryLimitKib = 1024L * 1024;
// `parse --article`'s exit code for a page without article text (feedwatch.1, EXIT STATUS).
constexpr int kNoArticleText = 65;
// In each page's good article (make_hostile_pages.py, MARK).
constexpr std::string_view kArticleMark = "held in Moscow";

struct Page {
  std::string_view name;
  std::string_view why;
};

// Pages that give no article, and why.
constexpr std::array<Page, 8> kNoArticleExpected = {{
    {"nest-200k-divs-around-article.html", "nested past the 256 levels the parse reads"},
    {"nest-100k-article-elements.html", "nested past the 256 levels the parse reads"},
    {"nest-50k-itemprop-articlebody.html", "nested past the 256 levels the parse reads"},
    {"wide-9mib-list-of-links.html", "links only"},
    {"bytes-9mib-random.html", "random bytes"},
    {"attributes-200k-on-one-element.html",
     "the parse stops at a tag with more than 256 attributes, which hold the article"},
    {"text-9mib-single-node-no-tags.html",
     "one paragraph of 2 MiB, past kArticleMaxBytes, is dropped whole"},
    {"formatting-250-reopened-in-20k-divs.html",
     "the parser's memory cap stops the parse, and the page is refused"},
}};

const Page* Find(std::span<const Page> pages, std::string_view name) {
  const auto it =
      std::find_if(pages.begin(), pages.end(), [&](const Page& page) { return page.name == name; });
  return it == pages.end() ? nullptr : &*it;
}

class HostilePages : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    corpus = new testing::GeneratedFiles(testing::DataDir() / "hostile" / "make_hostile_pages.py");
    ASSERT_EQ(corpus->error(), "");
  }
  static void TearDownTestSuite() {
    delete corpus;
    corpus = nullptr;
  }
  static std::vector<std::filesystem::path> Files() { return corpus->Files(); }

  // Reads `file` with `parse --article` under the limits: exit 0 or "no article text", never a
  // signal; with the article when the page is not in kNoArticleExpected.
  static void ExpectReadOrRefusedWithinLimits(const std::filesystem::path& file) {
    const std::string name = file.filename().string();
    const auto start = std::chrono::steady_clock::now();
    testing::FeedwatchProcess parse({"parse", "--article", file.string()});
    const std::optional<int> exit_code = parse.Wait(kReadTimeLimit);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(exit_code.has_value()) << name << " still being read after 20 s";
    EXPECT_TRUE(*exit_code == 0 || *exit_code == kNoArticleText)
        << name << " exit " << *exit_code << "\n"
        << parse.err().substr(0, 2000);
    EXPECT_LT(parse.peak_rss_kib(), kReadMemoryLimitKib) << name;
    const Page* no_article = Find(kNoArticleExpected, name);
    if (no_article == nullptr) {
      EXPECT_EQ(*exit_code, 0) << name << ": " << parse.err().substr(0, 2000);
      EXPECT_NE(parse.out().find(kArticleMark), std::string::npos)
          << name << ": the article is not in\n"
          << parse.out().substr(0, 2000);
    }
    std::cerr << name << ": exit " << *exit_code << ", "
              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms, "
              << parse.peak_rss_kib() / 1024 << " MiB"
              << (no_article != nullptr
                      ? " (article not expected: " + std::string(no_article->why) + ")"
                      : std::string())
              << "\n";
  }

  static testing::GeneratedFiles* corpus;
};

testing::GeneratedFiles* HostilePages::corpus = nullptr;

TEST_F(HostilePages, EachIsReadOrRefusedWithinTimeAndMemoryAndKeepsItsArticle) {
  const std::vector<std::filesystem::path> files = Files();
  ASSERT_GE(files.size(), 40u);
  for (const Page& page : kNoArticleExpected) {
    EXPECT_TRUE(std::filesystem::exists(corpus->path() / page.name)) << page.name;
  }
  for (const std::filesystem::path& file : files) ExpectReadOrRefusedWithinLimits(file);
}

TEST_F(HostilePages, ServedBehindAFeedsItemsTheyLeaveTheDaemonAndTheGoodArticleStanding) {
  // One agency feed whose items link to every hostile page, and last to a good one.
  testing::LoopbackServer server;
  server.Bind();
  std::string rss = R"(<?xml version="1.0"?><rss version="2.0"><channel><title>Agency</title>)";
  for (const std::filesystem::path& file : Files()) {
    const std::string path = "/news/" + file.filename().string();
    rss += "<item><title>" + file.filename().string() + "</title><link>" + server.Url(path) +
           "</link><description>A lede.</description></item>";
    server.server().Get(path, [file](const httplib::Request&, httplib::Response& res) {
      res.set_content(testing::ReadFile(file), "text/html");
    });
  }
  rss += "<item><title>Embassy talks end</title><link>" + server.Url("/news/good") +
         "</link><description>A lede.</description></item></channel></rss>";
  server.server().Get("/news/good", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        "<html><body><nav><a href=/>Home</a></nav><article><p>The delegations met for five "
        "hours on Friday behind closed doors, officials on both sides said.</p><p>Russian "
        "Ambassador Alexander Darchiev said the sides would meet again in Moscow.</p>"
        "</article></body></html>",
        "text/html");
  });
  server.server().Get("/feed.xml", [&rss](const httplib::Request&, httplib::Response& res) {
    res.set_content(rss, "application/rss+xml");
  });
  server.Start();
  const testing::TempDir dir;
  testing::WriteFile(dir.path() / "feedwatch.toml", R"([http]
timeout = "30s"
[[watch]]
name = "darchiev"
query = "Darchiev"
[[notify]]
name = "console"
type = "console"
[[feed]]
name = "agency"
fetch_articles = true
article_wait = "60s"
url = ")" + server.Url("/feed.xml") + "\"\n");
  testing::FeedwatchProcess once({"once", "--config", (dir.path() / "feedwatch.toml").string(),
                                  "--state-dir", (dir.path() / "state").string()});
  const std::optional<int> exit_code = once.Wait(240s);
  ASSERT_TRUE(exit_code.has_value()) << "feedwatch once still running after 240 s";
  EXPECT_EQ(*exit_code, 0) << once.err().substr(0, 4000);
  EXPECT_LT(once.peak_rss_kib(), kReadMemoryLimitKib);
  EXPECT_NE(once.out().find("Embassy talks end"), std::string::npos) << once.out().substr(0, 4000);
  EXPECT_NE(once.out().find("from the article: "), std::string::npos);
}

}  // namespace
}  // namespace feedwatch
