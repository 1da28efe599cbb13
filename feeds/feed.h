// The one model every feed format is read into.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"

namespace feedwatch::feeds {

struct Item {
  std::string id;            // guid / atom:id as written; empty when absent
  std::string title;         // plain text
  std::string link;          // absolute URL; empty when absent
  std::string summary_text;  // plain text of description / summary
  std::string content_text;  // plain text of content:encoded / content
  std::string author;
  std::optional<TimePoint> published;
  std::optional<TimePoint> updated;
};

struct Feed {
  std::string format;  // "rss2.0", "atom1.0"
  std::string title;
  std::string link;
  std::vector<Item> items;  // document order
  std::vector<std::string> warnings;
};

// The item's identity within its feed: the guid or atom:id when present, else the link, else a
// hash of title, published time and text. Stable across polls of the same item.
std::string ItemKey(const Item& item);

}  // namespace feedwatch::feeds
