// Matching throughput: items per second through the three example watches, and through 1,000
// generated watches on the same realistic items (the watch index at work).
// Run: build/release/bench/feedwatch_bench --benchmark_filter=Match
#include <benchmark/benchmark.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "bench/feed_corpus.h"
#include "config/config.h"
#include "feeds/html_text.h"
#include "filters/watch_set.h"

namespace {

using feedwatch::filters::Document;
using feedwatch::filters::Query;
using feedwatch::filters::WatchSet;

// Watches like an operator with many subscribers writes: names, places and organisations,
// phrases, prefixes, AND/NOT combinations and proximity, mostly about things a given item is
// not about; one in ten uses the corpus's own common words.
std::vector<Query> GeneratedWatches(int count) {
  static constexpr std::array<std::string_view, 16> kSyllables{
      "kra", "vo",  "len", "mir", "tas", "gor", "bel", "sha",
      "nik", "rov", "dan", "zel", "pol", "vic", "ter", "mon"};
  static constexpr std::array<std::string_view, 12> kCommon{
      "embassy", "sanctions", "consulate",  "delegation", "Istanbul", "energy",
      "посол",   "санкции",   "переговоры", "делегация",  "Стамбуле", "рынки"};
  std::mt19937 random(42);
  const auto name = [&] {
    std::string word;
    const int syllables = 2 + static_cast<int>(random() % 2);
    for (int i = 0; i < syllables; ++i) word += kSyllables[random() % kSyllables.size()];
    word[0] = static_cast<char>(word[0] - 'a' + 'A');
    return word;
  };
  std::vector<Query> watches;
  for (int i = 0; i < count; ++i) {
    std::string text;
    const std::string a = i % 10 == 0 ? std::string(kCommon[random() % kCommon.size()]) : name();
    switch (i % 5) {
      case 0:
        text = a + " OR " + name() + "*";
        break;
      case 1:
        text = "\"" + a + " " + name() + "\" OR " + name();
        break;
      case 2:
        text = a + " AND (" + name() + " OR " + name() + ") AND NOT " + name();
        break;
      case 3:
        text = a + "* NEAR/5 " + name();
        break;
      default:
        text = "title:" + a + " OR (" + name() + " " + name() + ")";
    }
    watches.push_back(*Query::Parse(text));
  }
  return watches;
}

void RunMatch(benchmark::State& state, const std::vector<const Query*>& queries) {
  const std::vector<feedwatch::bench::GeneratedItem> items = feedwatch::bench::MakeItems(1000);
  WatchSet set;
  for (const Query* query : queries) set.Add(query);
  int64_t count = 0;
  size_t matches = 0;
  for (auto _ : state) {
    for (const auto& item : items) {
      const Document document({.title = item.title,
                               .summary = item.summary,
                               .content = item.content,
                               .author = {},
                               .category = {},
                               .feed = {},
                               .link = {},
                               .content_label = {}},
                              set.needs_accent_folding(), set.fields());
      matches += set.Match(document).size();
      ++count;
    }
  }
  state.SetItemsProcessed(count);
  state.counters["matches_per_item"] =
      static_cast<double>(matches) / static_cast<double>(std::max<int64_t>(count, 1));
}

void BM_MatchExampleWatches(benchmark::State& state) {
  const auto config =
      feedwatch::config::LoadConfigFile(FEEDWATCH_SOURCE_DIR "/config/feedwatch.example.toml");
  std::vector<const Query*> queries;
  for (const auto& watch : config->watches) queries.push_back(watch.query.get());
  RunMatch(state, queries);
}
BENCHMARK(BM_MatchExampleWatches)->Unit(benchmark::kMillisecond);

struct Article {
  std::string title, summary, content;
};

// The 400 labelled articles of tests/data/filters/talks-articles.jsonl (a headline, a lede and a
// body of 3-12 paragraphs, plain or HTML, half of them on the beat), read as a feed's would be.
const std::vector<Article>& Articles() {
  static const std::vector<Article> articles = [] {
    std::vector<Article> out;
    std::ifstream in(FEEDWATCH_SOURCE_DIR "/tests/data/filters/talks-articles.jsonl");
    const auto text = [](const std::string& body) {
      return body.find('<') != std::string::npos ? feedwatch::feeds::HtmlToParagraphs(body)
                                                 : feedwatch::feeds::TextParagraphs(body);
    };
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line.starts_with('#')) continue;
      const nlohmann::json item = nlohmann::json::parse(line);
      out.push_back({item.value("title", ""), text(item.value("summary", "")),
                     text(item.value("content", ""))});
    }
    return out;
  }();
  return articles;
}

// Whole articles through the example watches; with a range argument k, each body repeated k
// times (k x the paragraphs, the same words): the cost per byte must not grow with k.
void BM_MatchArticles(benchmark::State& state) {
  const auto config =
      feedwatch::config::LoadConfigFile(FEEDWATCH_SOURCE_DIR "/config/feedwatch.example.toml");
  WatchSet set;
  for (const auto& watch : config->watches) set.Add(watch.query.get());
  std::vector<Article> articles = Articles();
  for (Article& article : articles) {
    std::string content;
    for (int64_t k = 0; k < state.range(0); ++k) content += (k > 0 ? "\n" : "") + article.content;
    article.content = std::move(content);
  }
  int64_t count = 0;
  size_t matches = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    for (const Article& article : articles) {
      const Document document({.title = article.title,
                               .summary = article.summary,
                               .content = article.content,
                               .author = {},
                               .category = {},
                               .feed = {},
                               .link = {},
                               .content_label = {}},
                              set.needs_accent_folding(), set.fields());
      matches += set.Match(document).size();
      bytes += article.summary.size() + article.content.size();
      ++count;
    }
  }
  state.SetItemsProcessed(count);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["matches_per_item"] =
      static_cast<double>(matches) / static_cast<double>(std::max<int64_t>(count, 1));
}
BENCHMARK(BM_MatchArticles)->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond);

void BM_Match1000GeneratedWatches(benchmark::State& state) {
  const std::vector<Query> watches = GeneratedWatches(1000);
  std::vector<const Query*> queries;
  queries.reserve(watches.size());
  for (const Query& watch : watches) queries.push_back(&watch);
  RunMatch(state, queries);
}
BENCHMARK(BM_Match1000GeneratedWatches)->Unit(benchmark::kMillisecond);

}  // namespace
