// Parse(bytes) -> Feed: a pure function, no I/O. Fetching lives elsewhere.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "feeds/feed.h"

namespace feedwatch::feeds {

struct ParseOptions {
  // The URL the document was fetched from; relative links resolve against it.
  std::string base_url;
};

// Reads RSS 2.0 (and the 0.9x dialects it grew from) and Atom 1.0. A document that pugixml can
// only partly read still yields the items it could read, with a warning. Errors: the bytes are
// not XML, are an HTML page, or are XML of some other kind.
Result<Feed> ParseFeed(std::string_view bytes, const ParseOptions& options);

// `reference` resolved against `base` (RFC 3986 section 5.2 for the common shapes: absolute,
// scheme-relative, absolute-path and relative-path references).
std::string ResolveUrl(std::string_view base, std::string_view reference);

}  // namespace feedwatch::feeds
