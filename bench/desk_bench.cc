// The desk page's cost at the size the issue names: a real SQLite file holding 10,000 feeds
// (each with two weeks of publishing history) and 50,000 stories over the last 14 days on five
// watches, a third of them carried by more outlets. Housekeeping reads the desk (ReadDesk) and
// renders it (RenderDesk) when stories arrive, at most once a housekeeping turn, and once a
// minute otherwise; the listener then serves copies. Args: feeds, stories (the 1x and 10x
// shapes, to see how the cost grows).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "daemon/desk.h"
#include "store/store.h"

namespace feedwatch::daemon {
namespace {

constexpr int kWatches = 5;
constexpr int kItemsPerCommit = 50;

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<store::Store> store;
  config::Config config;
  TimePoint now;

  ~Fixture() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

// Built once per shape: writing 50,000 stories takes a while.
Fixture& Build(int feeds, int stories) {
  static std::map<std::pair<int, int>, Fixture> built;
  const auto key = std::make_pair(feeds, stories);
  if (const auto it = built.find(key); it != built.end()) return it->second;
  Fixture& f = built[key];
  f.dir = std::filesystem::temp_directory_path() /
          ("feedwatch-desk-bench-" + std::to_string(getpid()) + "-" + std::to_string(feeds) + "-" +
           std::to_string(stories));
  std::filesystem::create_directories(f.dir);
  f.store = std::move(*store::Store::Open(f.dir / "feedwatch.db"));
  f.now = std::chrono::floor<Seconds>(std::chrono::system_clock::now());
  for (int w = 0; w < kWatches; ++w) {
    config::WatchConfig watch;
    watch.name = "watch-" + std::to_string(w);
    f.config.watches.push_back(std::move(watch));
  }
  store::PublishingHistory history;
  history.since = f.now - std::chrono::hours(14 * 24);
  for (int h = 0; h < 14 * 24; h += 2) {
    history.hours.push_back(
        {static_cast<std::int32_t>((*history.since).time_since_epoch() / std::chrono::hours(1)) + h,
         1});
  }
  for (int i = 0; i < feeds; ++i) {
    config::FeedConfig feed;
    feed.name = "outlet-" + std::to_string(i);
    feed.url = "https://outlet-" + std::to_string(i) + ".example/rss";
    f.config.feeds.push_back(feed);
    store::PollRecord poll;
    poll.at = f.now - Seconds(60);
    poll.next_due = f.now + Seconds(600);
    poll.status = "200";
    poll.history = history;
    (void)f.store->RecordPoll(feed.name, feed.url, poll);
  }
  // Stories spread evenly over 14 days; every third carried by two more outlets.
  const auto span = std::chrono::hours(14 * 24);
  std::map<std::string, std::int64_t> last_seq;  // each watch's story numbers go on
  for (int s = 0; s < stories; s += kItemsPerCommit) {
    const int feed = (s / kItemsPerCommit) % feeds;
    store::PollRecord poll;
    poll.at = f.now - span + span * s / stories;
    poll.next_due = poll.at + Seconds(600);
    poll.status = "200";
    std::vector<store::ItemRecord> items;
    for (int k = s; k < s + kItemsPerCommit && k < stories; ++k) {
      store::ItemRecord item;
      item.key = "item-" + std::to_string(k);
      item.title =
          "Darchiev says the Moscow round on irritants will resume, story " + std::to_string(k);
      item.link = "https://outlet.example/news/" + std::to_string(k);
      item.published = poll.at;
      store::MatchRecord match;
      match.watch = "watch-" + std::to_string(k % kWatches);
      match.snippet = "Ambassador **Darchiev** said the **Moscow round** would resume soon, " +
                      std::string(300, 'x');
      item.matches.push_back(std::move(match));
      items.push_back(std::move(item));
    }
    const config::FeedConfig& outlet = f.config.feeds[static_cast<size_t>(feed)];
    const auto heads = f.store->CommitPoll(outlet.name, outlet.url, poll, items, last_seq);
    for (const store::StoryHead& head : *heads) last_seq[head.watch] = head.seq;
  }
  // Two more outlets for every third of the latest stories of each watch (what the pages show).
  for (int w = 0; w < kWatches; ++w) {
    const auto latest = f.store->LatestStories("watch-" + std::to_string(w), kDeskWatchStories);
    for (size_t s = 0; s < latest->size(); s += 3) {
      for (int other = 1; other <= 2; ++other) {
        const config::FeedConfig& outlet =
            f.config.feeds[static_cast<size_t>((w * 7 + other + static_cast<int>(s)) % feeds)];
        store::PollRecord poll;
        poll.at = (*latest)[s].matched_at + Seconds(60 * other);
        poll.next_due = poll.at + Seconds(600);
        poll.status = "200";
        store::ItemRecord item;
        item.key =
            "also-" + std::to_string(w) + "-" + std::to_string(s) + "-" + std::to_string(other);
        item.title = (*latest)[s].title;
        store::MatchRecord match;
        match.watch = "watch-" + std::to_string(w);
        match.story_of = (*latest)[s].id;
        item.matches.push_back(std::move(match));
        (void)f.store->CommitPoll(outlet.name, outlet.url, poll, {item}, {});
      }
    }
  }
  return f;
}

void BM_ReadAndRenderTheDesk(benchmark::State& state) {
  Fixture& f = Build(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  size_t bytes = 0;
  for (auto _ : state) {
    const Result<Desk> desk = ReadDesk(*f.store, f.config, f.now);
    const DeskPagesText pages = RenderDesk(*desk);
    bytes = pages.front.size();
    benchmark::DoNotOptimize(pages);
  }
  state.counters["front_page_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ReadAndRenderTheDesk)
    ->Args({10'000, 50'000})
    ->Args({100'000, 500'000})
    ->Unit(benchmark::kMillisecond);

void BM_RenderTheDesk(benchmark::State& state) {
  Fixture& f = Build(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const Result<Desk> desk = ReadDesk(*f.store, f.config, f.now);
  for (auto _ : state) benchmark::DoNotOptimize(RenderDesk(*desk));
}
BENCHMARK(BM_RenderTheDesk)->Args({10'000, 50'000})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace feedwatch::daemon
