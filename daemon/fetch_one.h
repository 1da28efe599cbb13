// One document, from a file or a URL, for the commands that inspect a feed by hand
// (`feedwatch parse`, `feedwatch test-filter`).
#pragma once

#include <string>

#include "base/result.h"
#include "feeds/parser.h"

namespace feedwatch::daemon {

struct Document {
  std::string bytes;
  // Base URL and Content-Type when fetched; the daemon's default limits (max_items, the
  // parse budget), so that what a command shows is what a poll would read.
  feeds::ParseOptions options;
};

// An http(s):// argument is fetched (redirects followed, 30 s timeout, 10 MiB limit) and must
// answer 2xx; anything else is a path to read. Errors: NotFound / Io for files, Network,
// Timeout, TooLarge or HttpStatus for URLs.
Result<Document> FetchOne(const std::string& file_or_url, const std::string& user_agent);

}  // namespace feedwatch::daemon
