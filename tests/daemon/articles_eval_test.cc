// fetch_articles measured end to end: the 400 labelled articles of
// tests/data/filters/talks-articles.jsonl published as a loopback news web
// (tests/data/articles/make_site.py): 47 feeds that carry only headlines and ledes, and the
// articles' pages in four shapes (JSON-LD, itemprop, <article>, no marker at all), with the
// navigation, related headlines, comments and broken JSON-LD real pages carry. The example
// watches run over it with fetch_articles on and off, the way an operator would run them.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sqlite3.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/daemon/run_daemon.h"
#include "tests/support/support.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;

struct Article {
  std::string id;
  std::string split;
  std::string evidence;  // where the key fact first stands: headline, lede, body, none
  std::set<std::string> watches;
};

struct Score {
  int true_positives = 0;
  int false_positives = 0;
  int false_negatives = 0;
  double precision() const {
    const int fired = true_positives + false_positives;
    return fired == 0 ? 1.0 : static_cast<double>(true_positives) / fired;
  }
  double recall() const {
    const int relevant = true_positives + false_negatives;
    return relevant == 0 ? 1.0 : static_cast<double>(true_positives) / relevant;
  }
};

class ArticlesEval : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Bind();
    testing::ChildProcess maker("/usr/bin/python3",
                                {(testing::DataDir() / "articles" / "make_site.py").string(),
                                 (testing::DataDir() / "filters" / "talks-articles.jsonl").string(),
                                 site_.path().string(), server_.Url("")});
    ASSERT_EQ(maker.Wait(120s), 0) << maker.err();
    const nlohmann::json manifest =
        nlohmann::json::parse(testing::ReadFile(site_.path() / "manifest.json"));
    for (const nlohmann::json& entry : manifest) {
      Article& article = articles_[entry["id"].get<std::string>()];
      article.id = entry["id"];
      article.split = entry["split"];
      article.evidence = entry["evidence"];
      for (const auto& watch : entry["watches"]) article.watches.insert(watch.get<std::string>());
      for (const auto& link : entry["links"]) by_link_[link.get<std::string>()] = article.id;
      const std::string encoding = entry["encoding"];
      files_[entry["page_path"].get<std::string>()] = {
          site_.path() / entry["file"].get<std::string>(),
          encoding == "utf-8" ? "text/html; charset=utf-8" : "text/html"};
    }
    std::ifstream list(site_.path() / "feeds.txt");
    ASSERT_TRUE(list);
    for (std::string text; std::getline(list, text);) {
      if (text.ends_with('\r')) text.pop_back();
      const size_t tab = text.find('\t');
      const std::string name = text.substr(0, tab);
      const std::string path = text.substr(tab + 1);
      feeds_[name] = path;
      const std::string type = path.ends_with(".json")   ? "application/feed+json"
                               : path.ends_with(".atom") ? "application/atom+xml"
                                                         : "application/rss+xml";
      files_[path] = {site_.path() / path.substr(1), type};
    }
    server_.server().Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
      const auto file = files_.find(req.path);
      if (file == files_.end()) {
        res.status = 404;
        return;
      }
      {
        const std::lock_guard lock(mutex_);
        ++hits_[req.path];
      }
      res.set_content(testing::ReadFile(file->second.first), file->second.second);
    });
    server_.Start();
  }

  // `feedwatch once` with the example watches over every feed of the site.
  void Once(const testing::TempDir& state, bool fetch_articles) {
    std::string text = "[http]\ntimeout = \"10s\"\n[defaults]\nfetch_articles = " +
                       std::string(fetch_articles ? "true" : "false") + "\n";
    for (const auto& [name, path] : feeds_) {
      text += "[[feed]]\nname = \"" + name + "\"\nurl = \"" + server_.Url(path) + "\"\n";
    }
    const std::string example =
        testing::ReadFile(testing::SourceDir() / "config" / "feedwatch.example.toml");
    text += example.substr(example.find("\n[terms]"));
    std::FILE* console = std::fopen("/dev/null", "w");
    RunOnce(text, {.dir = state.path(), .console = console});
    std::fclose(console);
  }

  // (article, watch) pairs matched in the store at `state`.
  std::set<std::pair<std::string, std::string>> Matched(const testing::TempDir& state) {
    std::set<std::pair<std::string, std::string>> matched;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((state.path() / "feedwatch.db").c_str(), &db, SQLITE_OPEN_READONLY,
                              nullptr),
              SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(db, "SELECT m.watch, i.link FROM matches m JOIN items i ON i.id = m.item_id",
                       -1, &statement, nullptr);
    while (sqlite3_step(statement) == SQLITE_ROW) {
      const std::string watch = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
      const std::string link = reinterpret_cast<const char*>(sqlite3_column_text(statement, 1));
      const auto article = by_link_.find(link);
      EXPECT_NE(article, by_link_.end()) << link;
      if (article != by_link_.end()) matched.insert({article->second, watch});
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return matched;
  }

  // Scores `matched` on `articles` (all, or those whose key fact stands in the body).
  Score ScoreOf(const std::set<std::pair<std::string, std::string>>& matched,
                const std::string& evidence, const std::string& split) {
    Score score;
    for (const auto& [id, article] : articles_) {
      if (!evidence.empty() && article.evidence != evidence) continue;
      if (!split.empty() && article.split != split) continue;
      for (const char* watch : {"darchiev", "moscow-round", "diplomatic-property"}) {
        const bool labelled = article.watches.contains(watch);
        const bool fired = matched.contains({id, watch});
        score.true_positives += labelled && fired ? 1 : 0;
        score.false_positives += !labelled && fired ? 1 : 0;
        score.false_negatives += labelled && !fired ? 1 : 0;
      }
    }
    return score;
  }

  int PageFetches() {
    const std::lock_guard lock(mutex_);
    int pages = 0;
    for (const auto& [path, count] : hits_) pages += path.starts_with("/feeds/") ? 0 : count;
    return pages;
  }
  int MostFetchesOfOnePage() {
    const std::lock_guard lock(mutex_);
    int most = 0;
    for (const auto& [path, count] : hits_)
      most = path.starts_with("/feeds/") ? most : std::max(most, count);
    return most;
  }

  testing::TempDir site_;
  testing::LoopbackServer server_;
  std::map<std::string, Article> articles_;
  std::map<std::string, std::string> by_link_;  // every link of an article, to its id
  std::map<std::string, std::string> feeds_;    // name, path
  std::map<std::string, std::pair<std::filesystem::path, std::string>> files_;  // path: file, type
  std::mutex mutex_;
  std::map<std::string, int> hits_;
};

void Print(const char* what, const Score& score) {
  std::printf("%-40s precision %.3f recall %.3f (TP %d, FP %d, FN %d)\n", what, score.precision(),
              score.recall(), score.true_positives, score.false_positives, score.false_negatives);
}

TEST_F(ArticlesEval, TheArticlesFindWhatTheLedesMissAndEachPageIsFetchedOnce) {
  // Without the option: what the feeds carry, and not one page.
  const testing::TempDir off;
  Once(off, false);
  EXPECT_EQ(PageFetches(), 0);
  const auto feeds_only = Matched(off);
  Print("feeds only, body-only items", ScoreOf(feeds_only, "body", ""));
  Print("feeds only, all", ScoreOf(feeds_only, "", ""));

  const testing::TempDir on;
  Once(on, true);
  const auto with_articles = Matched(on);
  const Score body = ScoreOf(with_articles, "body", "");
  const Score all = ScoreOf(with_articles, "", "");
  Print("fetch_articles, body-only items", body);
  Print("fetch_articles, all", all);
  for (const char* split : {"tune", "held-out"}) {
    Print((std::string("fetch_articles, body-only, ") + split).c_str(),
          ScoreOf(with_articles, "body", split));
    Print((std::string("fetch_articles, all, ") + split).c_str(),
          ScoreOf(with_articles, "", split));
  }
  for (const auto& [id, article] : articles_) {
    for (const char* watch : {"darchiev", "moscow-round", "diplomatic-property"}) {
      const bool labelled = article.watches.contains(watch);
      if (labelled == with_articles.contains({id, watch})) continue;
      std::printf("  %s %s %s (key fact in the %s)\n", labelled ? "miss       " : "false alarm",
                  id.c_str(), watch, article.evidence.c_str());
    }
  }
  EXPECT_GE(body.recall(), 0.85);
  EXPECT_GE(all.precision(), 0.9);
  // 400 articles, 10 of them in two feeds: one fetch each.
  EXPECT_EQ(MostFetchesOfOnePage(), 1);
  EXPECT_LE(PageFetches(), 400);
  const int fetched = PageFetches();

  // A second run reads the same feeds: no item is new, no page is fetched.
  Once(on, true);
  EXPECT_EQ(PageFetches(), fetched);
}

}  // namespace
}  // namespace feedwatch::daemon
