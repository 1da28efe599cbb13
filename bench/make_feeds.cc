// feedwatch_make_feeds DIR N [PARAGRAPHS]: writes N realistic feeds (bench/feed_corpus.h: 50
// items, about 50 KB each) as DIR/feed-00000.xml ... for the whole-daemon benchmark
// (bench/poll-bench.sh). With PARAGRAPHS, each item carries a body of that many paragraphs, as
// full-text feeds do.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bench/feed_corpus.h"

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: %s DIR N [PARAGRAPHS]\n", argv[0]);
    return 64;
  }
  const std::filesystem::path dir = argv[1];
  const long count = std::strtol(argv[2], nullptr, 10);
  const int paragraphs = argc == 4 ? static_cast<int>(std::strtol(argv[3], nullptr, 10)) : 0;
  std::filesystem::create_directories(dir);
  uint64_t bytes = 0;
  for (long i = 0; i < count; ++i) {
    const feedwatch::bench::GeneratedFeed feed =
        feedwatch::bench::MakeFeed(static_cast<uint32_t>(i), 50, paragraphs);
    std::ofstream out(dir / (feed.name + ".xml"), std::ios::binary);
    out << feed.body;
    bytes += feed.body.size();
  }
  std::printf("%ld feeds, %.1f KB on average\n", count,
              count > 0 ? static_cast<double>(bytes) / static_cast<double>(count) / 1024 : 0.0);
  return 0;
}
