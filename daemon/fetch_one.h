// How feedwatch asks for a feed, for the daemon's polls and the commands alike: the User-Agent,
// the request, and one document from a file or a URL for the commands that inspect a feed by
// hand (`feedwatch parse`, `test-filter`, `discover`).
#pragma once

#include <string>

#include "base/result.h"
#include "config/config.h"
#include "feeds/parser.h"
#include "net/http_client.h"

namespace feedwatch::daemon {

struct Document {
  std::string bytes;
  // Base URL and Content-Type when fetched; the daemon's default limits (max_items, the
  // parse budget), so that what a command shows is what a poll would read.
  feeds::ParseOptions options;
};

// "feedwatch/VERSION": what the daemon's HTTP client and FetchOne's say they are.
std::string UserAgent();

// The request for one poll of the feed at `url` as the daemon sends it, and as the commands
// that fetch one feed by hand do: `http`'s timeouts, size limit, CA file and proxy; redirects
// followed but never from an outside address into `internal` ([http] internal_networks); the
// Accept header; and the validators, when there are any, for a conditional GET.
net::Request FeedRequest(const config::HttpSettings& http,
                         std::shared_ptr<const net::AddressSet> internal, const std::string& url,
                         std::string_view etag = "", std::string_view last_modified = "");

// An http(s):// argument is fetched with FeedRequest under `http` (the defaults, or the
// configuration's), as UserAgent(), and must answer 2xx; anything else is a path to read.
// Errors: NotFound / Io for files, Network, Timeout, TooLarge or HttpStatus for URLs.
Result<Document> FetchOne(const std::string& file_or_url, const config::HttpSettings& http = {});

}  // namespace feedwatch::daemon
