// A feed item as the filters search it: the one place that decides which item text goes into
// which query field.
#pragma once

#include <string_view>

#include "feeds/feed.h"
#include "filters/document.h"

namespace feedwatch::daemon {

// `feed_names`: what `feed:` searches, e.g. the configured name and the feed's title.
// `article`: the main text of the item's web page (fetch_articles), or "". When it says more
// than the feed's content, it is searched as the content instead, cut into passages the same
// way, and its hits are told as "article". Only the fields in `searched` are tokenised.
filters::Document ItemDocument(const feeds::Item& item, std::string_view feed_names,
                               bool fold_accents, std::string_view article = {},
                               filters::FieldMask searched = filters::kAllFields);

}  // namespace feedwatch::daemon
