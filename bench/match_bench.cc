// Matching throughput: items per second through the example watches.
// Run: build/release/bench/feedwatch_bench --benchmark_filter=Match
#include <benchmark/benchmark.h>

#include "bench/feed_corpus.h"
#include "filters/query.h"

namespace {

void BM_MatchExampleWatches(benchmark::State& state) {
  const std::vector<feedwatch::bench::GeneratedItem> items = feedwatch::bench::MakeItems(1000);
  std::vector<feedwatch::filters::Query> watches;
  for (const char* q :
       {"Darchiev OR Darchiyev OR Дарчиев*",
        "\"Moscow round\" OR \"round of consultations\" OR \"московск* раунд*\"",
        "\"diplomatic propert*\" OR \"diplomatic compound*\" OR дипсобственност*"}) {
    watches.push_back(*feedwatch::filters::Query::Parse(q));
  }
  int64_t count = 0;
  for (auto _ : state) {
    for (const auto& item : items) {
      const auto document =
          feedwatch::filters::Document::FromFields({item.title, item.summary, item.content});
      for (const auto& watch : watches) benchmark::DoNotOptimize(watch.Matches(document));
      ++count;
    }
  }
  state.SetItemsProcessed(count);
}
BENCHMARK(BM_MatchExampleWatches)->Unit(benchmark::kMillisecond);

}  // namespace
