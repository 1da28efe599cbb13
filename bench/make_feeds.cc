// feedwatch_make_feeds DIR N [PARAGRAPHS [ITEMS [TTL]]]: writes N realistic feeds
// (bench/feed_corpus.h: 50 items, about 50 KB each) as DIR/feed-00000.xml ... for the
// whole-daemon benchmark (bench/poll-bench.sh). With PARAGRAPHS, each item carries a body of that
// many paragraphs, as full-text feeds do; with ITEMS, each feed has that many items; with TTL,
// the RSS feeds say `<ttl>` that many minutes (15 by default, none when 0).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bench/feed_corpus.h"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 6) {
    std::fprintf(stderr, "usage: %s DIR N [PARAGRAPHS [ITEMS [TTL]]]\n", argv[0]);
    return 64;
  }
  const std::filesystem::path dir = argv[1];
  const long count = std::strtol(argv[2], nullptr, 10);
  const int paragraphs = argc >= 4 ? static_cast<int>(std::strtol(argv[3], nullptr, 10)) : 0;
  const int items = argc >= 5 ? static_cast<int>(std::strtol(argv[4], nullptr, 10)) : 50;
  const int ttl = argc == 6 ? static_cast<int>(std::strtol(argv[5], nullptr, 10)) : 15;
  std::filesystem::create_directories(dir);
  uint64_t bytes = 0;
  for (long i = 0; i < count; ++i) {
    const feedwatch::bench::GeneratedFeed feed =
        feedwatch::bench::MakeFeed(static_cast<uint32_t>(i), items, paragraphs, ttl);
    std::ofstream out(dir / (feed.name + ".xml"), std::ios::binary);
    out << feed.body;
    bytes += feed.body.size();
  }
  std::printf("%ld feeds, %.1f KB on average\n", count,
              count > 0 ? static_cast<double>(bytes) / static_cast<double>(count) / 1024 : 0.0);
  return 0;
}
