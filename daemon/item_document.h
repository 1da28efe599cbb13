// A feed item as the filters search it: the one place that decides which item text goes into
// which query field.
#pragma once

#include <string_view>

#include "feeds/feed.h"
#include "filters/document.h"

namespace feedwatch::daemon {

// `feed_names`: what `feed:` searches, e.g. the configured name and the feed's title.
filters::Document ItemDocument(const feeds::Item& item, std::string_view feed_names,
                               bool fold_accents);

}  // namespace feedwatch::daemon
