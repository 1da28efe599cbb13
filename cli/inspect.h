// The commands that read one document given by hand, a file or an http(s):// URL fetched as a
// poll would fetch it (daemon::FetchOne): `parse` (what feedwatch sees in a feed or, with
// --article, in a news page) and
// `discover` (the feeds a page advertises). Each writes to `out`; a failure is the returned
// Error: NotFound for a file that cannot be read, InvalidInput for a document that is not what
// the command needs, and FetchOne's errors for a URL.
#pragma once

#include <ostream>
#include <string>

#include "base/result.h"

namespace feedwatch::cli {

// The feed's fields and items, for people; with `json`, the document docs/parsing.md describes.
Status Parse(const std::string& file_or_url, bool json, std::ostream& out);

// The article text of a news page, as feedwatch extracts it (feeds::ExtractArticle): where it
// came from, then each paragraph. InvalidInput when the page holds none.
Status ParseArticle(const std::string& file_or_url, std::ostream& out);

// The feeds a page advertises as [[feed]] tables to paste into the configuration (a feed's own
// URL is given as one). InvalidInput when there is none.
Status Discover(const std::string& file_or_url, std::ostream& out);

}  // namespace feedwatch::cli
