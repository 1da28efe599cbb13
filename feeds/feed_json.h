// The JSON document `feedwatch parse --json` prints, specified in docs/parsing.md.
#pragma once

#include <string>

#include "feeds/feed.h"

namespace feedwatch::feeds {

// {"feed": {"title", "link", "format"}, "items": [{"title", "link", "id", "published",
// "updated", "summary_text", "content_text", "author"}], "warnings": [...]}: dates as
// "YYYY-MM-DDTHH:MM:SSZ", empty strings and absent dates as null. Indented by two spaces.
std::string FeedToJson(const Feed& feed);

}  // namespace feedwatch::feeds
