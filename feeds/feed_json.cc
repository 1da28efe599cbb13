#include "feeds/feed_json.h"

#include <nlohmann/json.hpp>

namespace feedwatch::feeds {
namespace {

using nlohmann::ordered_json;

ordered_json TextOrNull(const std::string& text) {
  return text.empty() ? ordered_json(nullptr) : ordered_json(text);
}

ordered_json DateOrNull(const std::optional<TimePoint>& date) {
  return date ? ordered_json(FormatIso8601(*date)) : ordered_json(nullptr);
}

}  // namespace

std::string FeedToJson(const Feed& feed) {
  ordered_json document;
  document["feed"] = {
      {"title", TextOrNull(feed.title)}, {"link", TextOrNull(feed.link)}, {"format", feed.format}};
  ordered_json items = ordered_json::array();
  for (const Item& item : feed.items) {
    items.push_back({{"title", TextOrNull(item.title)},
                     {"link", TextOrNull(item.link)},
                     {"id", TextOrNull(item.id)},
                     {"published", DateOrNull(item.published)},
                     {"updated", DateOrNull(item.updated)},
                     {"summary_text", TextOrNull(item.summary_text)},
                     {"content_text", TextOrNull(item.content_text)},
                     {"author", TextOrNull(item.author)}});
  }
  document["items"] = std::move(items);
  document["warnings"] = feed.warnings;
  // Replacement characters rather than an exception, should any text be invalid UTF-8.
  return document.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace feedwatch::feeds
