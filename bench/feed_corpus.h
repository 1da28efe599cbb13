// Realistic news feeds for benchmarks: generated, deterministic, shaped like what outlets
// serve (about 50 items; escaped-HTML descriptions, CDATA content:encoded, entities, tracking
// parameters, categories, enclosures; English and Russian; RSS 2.0 and Atom 1.0).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace feedwatch::bench {

struct GeneratedFeed {
  std::string name;  // "feed-00042"
  std::string body;
  std::string content_type;
};

// Feed number `index` of a corpus; the same index always gives the same bytes. `items` per feed,
// each with a body of `paragraphs` paragraphs (3: about 2.7 KB an item; 0: one short
// paragraph and a one-sentence description, about 1 KB). RSS feeds say `<ttl>` minutes (none
// when 0).
GeneratedFeed MakeFeed(uint32_t index, int items = 50, int paragraphs = 3, int ttl = 15);

// `count` feeds, indexes 0..count-1.
std::vector<GeneratedFeed> MakeCorpus(uint32_t count, int items = 50);

// Headlines with ledes as the parser would hand them to the filters: (title, summary, content).
struct GeneratedItem {
  std::string title;
  std::string summary;
  std::string content;
};
std::vector<GeneratedItem> MakeItems(uint32_t count);

}  // namespace feedwatch::bench
