// The one model every feed format is read into.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"

namespace feedwatch::feeds {

struct Enclosure {
  std::string url;  // absolute
  std::string type;
  int64_t length = 0;  // bytes; 0 when unknown
};

// Text fields are empty when the document has none. Each `*_text` is what a reader sees (HTML
// parsed, entities decoded, whitespace collapsed); each `*_html` keeps the markup for rendering
// alerts (plain-text sources escaped), so it is never shown unsanitised.
struct Item {
  std::string id;     // guid, atom:id, rdf:about or JSON Feed id, as written
  std::string title;  // plain text
  std::string link;   // the alternate link, absolute where a base is known
  std::string summary_text;
  std::string summary_html;
  std::string content_text;
  std::string content_html;
  std::string author;
  std::vector<std::string> categories;
  std::vector<Enclosure> enclosures;
  std::optional<TimePoint> published;  // unparseable or absent: nullopt, never "now"
  std::optional<TimePoint> updated;
};

struct Feed {
  // "rss2.0", "rss1.0", "rss0.9x", "atom1.0", "atom0.3" or "json1.x".
  std::string format;
  std::string title;
  std::string link;
  std::string encoding;  // what the bytes were decoded from, e.g. "windows-1251"
  // Hints for the scheduler: RSS <ttl>, <skipHours>, <skipDays> and sy:updatePeriod.
  std::optional<std::chrono::minutes> ttl;
  uint32_t skip_hours = 0;  // bit h set: do not poll during hour h (0-23, UTC)
  uint8_t skip_days = 0;    // bit d set: do not poll on day d (0 = Sunday)
  std::optional<std::chrono::seconds> update_period;
  std::vector<Item> items;  // document order
  // What was wrong with the document and how it was read anyway: malformed XML recovered,
  // invalid bytes replaced, a truncated last item dropped, an encoding overridden.
  std::vector<std::string> warnings;
};

// The item's identity within its feed: the guid or atom:id when present, else the link, else a
// hash of title, published time and text. Stable across polls of the same item.
std::string ItemKey(const Item& item);

}  // namespace feedwatch::feeds
