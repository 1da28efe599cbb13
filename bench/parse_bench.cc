// Parse throughput on a corpus of realistic feeds (bench/feed_corpus.h), next to a bare pugixml
// load of the same bytes: the floor any XML feed parser stands on. Bytes/s and items/s.
// Run: build/release/bench/feedwatch_bench --benchmark_filter=Parse
#include <benchmark/benchmark.h>

#include <pugixml.hpp>

#include "bench/feed_corpus.h"
#include "feeds/parser.h"

namespace {

using feedwatch::bench::GeneratedFeed;

const std::vector<GeneratedFeed>& Corpus() {
  static const std::vector<GeneratedFeed> corpus = feedwatch::bench::MakeCorpus(20);
  return corpus;
}

int64_t CorpusBytes() {
  int64_t bytes = 0;
  for (const GeneratedFeed& feed : Corpus()) bytes += static_cast<int64_t>(feed.body.size());
  return bytes;
}

void BM_ParsePugixmlLoadOnly(benchmark::State& state) {
  for (auto _ : state) {
    for (const GeneratedFeed& feed : Corpus()) {
      pugi::xml_document document;
      benchmark::DoNotOptimize(document.load_buffer(feed.body.data(), feed.body.size()));
    }
  }
  state.SetBytesProcessed(state.iterations() * CorpusBytes());
}
BENCHMARK(BM_ParsePugixmlLoadOnly)->Unit(benchmark::kMillisecond);

void BM_ParseFeedFull(benchmark::State& state) {
  int64_t items = 0;
  for (auto _ : state) {
    for (const GeneratedFeed& feed : Corpus()) {
      auto parsed = feedwatch::feeds::ParseFeed(
          feed.body, {.base_url = "https://outlet.example/rss", .content_type = feed.content_type});
      items += static_cast<int64_t>(parsed->items.size());
      benchmark::DoNotOptimize(parsed);
    }
  }
  state.SetBytesProcessed(state.iterations() * CorpusBytes());
  state.SetItemsProcessed(items);
}
BENCHMARK(BM_ParseFeedFull)->Unit(benchmark::kMillisecond);

// The same corpus with a processing instruction inside each feed's root element, which the fast
// XML reader leaves to pugixml: the cost of the path every document it declines takes
// (feeds/internal/xml_tree.h).
void BM_ParseFeedThroughPugixml(benchmark::State& state) {
  static const std::vector<std::string> bodies = [] {
    std::vector<std::string> out;
    for (const GeneratedFeed& feed : Corpus()) {
      std::string body = feed.body;
      body.insert(body.rfind("</"), "<?generator x?>");
      out.push_back(std::move(body));
    }
    return out;
  }();
  int64_t items = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < bodies.size(); ++i) {
      auto parsed = feedwatch::feeds::ParseFeed(
          bodies[i],
          {.base_url = "https://outlet.example/rss", .content_type = Corpus()[i].content_type});
      items += static_cast<int64_t>(parsed->items.size());
      benchmark::DoNotOptimize(parsed);
    }
  }
  state.SetBytesProcessed(state.iterations() * CorpusBytes());
  state.SetItemsProcessed(items);
}
BENCHMARK(BM_ParseFeedThroughPugixml)->Unit(benchmark::kMillisecond);

}  // namespace
