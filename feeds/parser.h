// ParseFeed(bytes, hints) -> Feed: a pure function, no I/O. Fetching lives elsewhere.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/result.h"
#include "feeds/feed.h"

namespace feedwatch::feeds {

struct ParseOptions {
  // The URL the document was fetched from; relative links resolve against it (after any
  // xml:base). Empty or file: for a local file, where the feed's own link stands in.
  std::string base_url;
  // The HTTP Content-Type header, for its charset; empty when unknown. The format is always
  // detected from the content, never from this.
  std::string content_type;
  // The thread CPU time the parse may use; zero for no limit. Past it, ParseFeed fails with
  // "parse budget exceeded: ..." (code TooLarge).
  std::chrono::nanoseconds max_parse_time{0};
  // The items read at most (0: all); past it, the first and the last half in document order,
  // with a warning ([[feed]] max_items).
  size_t max_items = 0;
};

// Reads RSS 0.90, 0.91, 0.92, 1.0 (RDF, with the dc:, dcterms:, content: and sy: modules) and
// 2.0; Atom 0.3 and 1.0; JSON Feed 1.0 and 1.1. Bytes are decoded per DecodeToUtf8. Malformed
// XML is read as a tag-soup reader would, with a warning saying what was wrong; an item cut off
// by the end of a truncated document is dropped with a warning. Errors (code InvalidInput) say
// "not a feed: ..." and why: empty, not XML or JSON, an HTML page (naming the feed it
// advertises, if any), or XML/JSON of another kind. Time and memory are linear in the size of
// `bytes` and nothing recurses on the document's depth (docs/reliability.md lists the limits).
Result<Feed> ParseFeed(std::string_view bytes, const ParseOptions& options);

// `reference` resolved against the absolute URL `base` per RFC 3986 section 5.2, dot segments
// removed. A reference with a scheme is returned as it is (moved, not copied: most links in
// feeds are absolute); with no usable base, so is any reference.
std::string ResolveUrl(std::string_view base, std::string reference);

}  // namespace feedwatch::feeds
