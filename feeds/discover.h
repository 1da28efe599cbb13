// Feed discovery: the feeds a web page advertises with <link rel="alternate" type="..."
// href="..."> (RSS, Atom, JSON Feed), for `feedwatch discover`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace feedwatch::feeds {

struct AdvertisedFeed {
  std::string url;    // absolute, resolved against the page's address
  std::string title;  // the link's title attribute, as text; may be empty
  std::string type;   // "rss", "atom" or "json"
};

// The feeds `html` advertises, in page order, each URL once. Comments, scripts and styles are
// skipped. Linear in the page's size; at most the first 4 MiB and 200 links are read.
std::vector<AdvertisedFeed> FindFeedLinks(std::string_view html, std::string_view page_url);

}  // namespace feedwatch::feeds
