// Names for the [[feed]] tables `feedwatch discover` prints: short, ASCII, the words of the
// feed's title, so that a configuration reads "novosti-politika", not "127-0-0-1-8081-2".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "feeds/discover.h"

namespace feedwatch::daemon {

// Lower-case ASCII letters and digits, words joined by '-', at most 40 bytes; "" when `text`
// has no letter or digit that can be written so. Latin letters lose their accents ("À la une"
// -> "a-la-une"); Cyrillic is transliterated as ICAO Doc 9303 (passports) writes it: Russian
// ("Известия" -> "izvestiia") and Ukrainian letters, with И as "y" in a text that has a letter
// only Ukrainian uses (і, ї, є, ґ). Other scripts are left out.
std::string Slug(std::string_view text);

// A name for each of `feeds`, in order, all different: the title's slug; when that is empty,
// the last meaningful segment of the feed's path ("/rss/politics.xml" -> "politics"; words
// such as "rss", "feed" or "index" and a format's extension say nothing); then the host of
// `page_url`; then "feed". A name taken already gets "-2", "-3", ...
std::vector<std::string> FeedNames(const std::vector<feeds::AdvertisedFeed>& feeds,
                                   std::string_view page_url);

}  // namespace feedwatch::daemon
