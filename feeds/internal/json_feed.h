// Internal to feeds/: the JSON Feed reader.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "feeds/feed.h"

namespace feedwatch::feeds::internal {

// Reads a JSON Feed from UTF-8 `text` into `feed`; `base` is the document's URL (may be empty).
Status ReadJsonFeed(std::string_view text, const std::string& base, size_t max_items, Feed& feed);

}  // namespace feedwatch::feeds::internal
