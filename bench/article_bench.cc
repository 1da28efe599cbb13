// Main-text extraction (feeds::ExtractArticle) on the article pages of tests/data/articles/dev:
// what each page fetched for fetch_articles costs the loop thread. And how the cost grows with
// the page: one of them with its body repeated 1x to 16x (a long read, a live blog).
// Run: build/release/bench/feedwatch_bench --benchmark_filter=Extract
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "feeds/article.h"

namespace {

const std::vector<std::string>& Pages() {
  static const std::vector<std::string> pages = [] {
    std::vector<std::filesystem::path> files;
    for (const auto& entry :
         std::filesystem::directory_iterator(FEEDWATCH_SOURCE_DIR "/tests/data/articles/dev")) {
      if (entry.path().extension() == ".html") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> out;
    for (const std::filesystem::path& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      out.push_back(bytes.str());
    }
    return out;
  }();
  return pages;
}

void BM_ExtractArticleDevPages(benchmark::State& state) {
  int64_t bytes = 0;
  for (auto _ : state) {
    for (const std::string& page : Pages()) {
      benchmark::DoNotOptimize(feedwatch::feeds::ExtractArticle(page, "text/html"));
      bytes += static_cast<int64_t>(page.size());
    }
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(Pages().size()));
}
BENCHMARK(BM_ExtractArticleDevPages)->Unit(benchmark::kMillisecond);

// A page whose article body is `times` copies of the AP-like page's paragraphs.
void BM_ExtractArticleGrowing(benchmark::State& state) {
  std::string paragraphs;
  for (int i = 0; i < state.range(0); ++i) {
    paragraphs +=
        "<p>Russian Ambassador Alexander Darchiev met State Department officials on Friday to "
        "discuss the work of the embassies, the return of diplomatic property and visas, the "
        "embassy said in a statement published after the meeting ended.</p>\n"
        "<p>The talks, the third round this year, lasted five hours. Neither side announced a "
        "date for the next meeting, which is expected to take place in Moscow.</p>\n";
  }
  const std::string page =
      "<html><head><title>t</title></head><body><nav><a href=/>Home</a><a href=/w>World</a>"
      "</nav><div class=\"story\">" +
      paragraphs + "</div><footer>(c) 2026</footer></body></html>";
  for (auto _ : state) {
    benchmark::DoNotOptimize(feedwatch::feeds::ExtractArticle(page, "text/html"));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(page.size()));
}
BENCHMARK(BM_ExtractArticleGrowing)->Arg(10)->Arg(40)->Arg(160)->Unit(benchmark::kMicrosecond);

}  // namespace
