// Parse and match throughput on the fixture feeds, next to a bare pugixml load of the same
// bytes (the floor any XML feed parser stands on). Run: build/release/bench/feedwatch_bench
#include <benchmark/benchmark.h>

#include <fstream>
#include <pugixml.hpp>
#include <sstream>

#include "feeds/parser.h"
#include "filters/query.h"

namespace {

std::string Fixture(const char* name) {
  std::ifstream in(std::string(FEEDWATCH_TEST_DATA) + "/feeds/" + name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void BM_PugixmlLoad(benchmark::State& state, const char* name) {
  const std::string bytes = Fixture(name);
  for (auto _ : state) {
    pugi::xml_document document;
    benchmark::DoNotOptimize(document.load_buffer(bytes.data(), bytes.size()));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}

void BM_ParseFeed(benchmark::State& state, const char* name) {
  const std::string bytes = Fixture(name);
  size_t items = 0;
  for (auto _ : state) {
    auto feed = feedwatch::feeds::ParseFeed(
        bytes, {.base_url = "http://wire.test/rss", .content_type = ""});
    items += feed->items.size();
    benchmark::DoNotOptimize(feed);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(static_cast<int64_t>(items));
}

// Tokenising an item and evaluating the three example watches on it.
void BM_MatchExampleWatches(benchmark::State& state) {
  const auto feed = feedwatch::feeds::ParseFeed(Fixture("talks-en.rss"), {});
  std::vector<feedwatch::filters::Query> watches;
  for (const char* q :
       {"Darchiev OR Darchiyev OR Дарчиев*",
        "\"Moscow round\" OR \"round of consultations\" OR \"московск* раунд*\"",
        "\"diplomatic propert*\" OR \"diplomatic compound*\" OR дипсобственност*"}) {
    watches.push_back(*feedwatch::filters::Query::Parse(q));
  }
  size_t items = 0;
  for (auto _ : state) {
    for (const auto& item : feed->items) {
      const auto document = feedwatch::filters::Document::FromFields(
          {item.title, item.summary_text, item.content_text});
      for (const auto& watch : watches) benchmark::DoNotOptimize(watch.Matches(document));
      ++items;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(items));
}

BENCHMARK_CAPTURE(BM_PugixmlLoad, rss, "talks-en.rss");
BENCHMARK_CAPTURE(BM_ParseFeed, rss, "talks-en.rss");
BENCHMARK_CAPTURE(BM_PugixmlLoad, atom, "talks-ru.atom");
BENCHMARK_CAPTURE(BM_ParseFeed, atom, "talks-ru.atom");
BENCHMARK(BM_MatchExampleWatches);

}  // namespace

BENCHMARK_MAIN();
