// The canonical form of an article URL, so that the same story reached through tracking links,
// AMP pages or a stray trailing slash has one identity (docs/stories.md).
#pragma once

#include <string>
#include <string_view>

namespace feedwatch::feeds {

// `url` (absolute http or https) with: scheme and host lower-cased; the default port dropped;
// the fragment dropped; tracking parameters removed (utm_*, fbclid, gclid, yclid, mc_cid, ...);
// AMP variants mapped to the article (an "amp." host, a trailing "/amp" segment, "amp=1",
// "outputType=amp"); a trailing slash removed from a non-root path. Other URLs come back as
// they are.
std::string CanonicalUrl(std::string_view url);

}  // namespace feedwatch::feeds
