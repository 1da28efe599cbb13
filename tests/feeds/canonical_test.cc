#include "feeds/canonical.h"

#include <gtest/gtest.h>

namespace feedwatch::feeds {
namespace {

TEST(CanonicalUrl, NormalisesTheShapesOneArticleTakes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      // scheme and host case, default ports, fragments
      {"HTTPS://Tass.COM/politics/123", "https://tass.com/politics/123"},
      {"https://tass.com:443/politics/123", "https://tass.com/politics/123"},
      {"http://tass.com:80/politics/123", "http://tass.com/politics/123"},
      {"https://tass.com:8443/politics/123", "https://tass.com:8443/politics/123"},
      {"https://tass.com/politics/123#comments", "https://tass.com/politics/123"},
      // tracking parameters
      {"https://ria.ru/a.html?utm_source=rss&utm_medium=feed", "https://ria.ru/a.html"},
      {"https://ria.ru/a.html?id=7&utm_campaign=x&fbclid=abc", "https://ria.ru/a.html?id=7"},
      {"https://ria.ru/a.html?GCLID=1&yclid=2&mc_cid=3&mc_eid=4", "https://ria.ru/a.html"},
      {"https://ria.ru/a.html?page=2", "https://ria.ru/a.html?page=2"},
      // where a feed's link came from, only when it says so
      {"https://ria.ru/a.html?from=rss", "https://ria.ru/a.html"},
      {"https://news.test/a?ref=feed&id=3&source=YRSS", "https://news.test/a?id=3"},
      {"https://news.test/search?from=2026-12-01", "https://news.test/search?from=2026-12-01"},
      {"https://news.test/a?source=reuters", "https://news.test/a?source=reuters"},
      // AMP variants
      {"https://amp.theguardian.com/world/2025/mar/11/story",
       "https://theguardian.com/world/2025/mar/11/story"},
      {"https://www.reuters.com/world/story/amp/", "https://www.reuters.com/world/story"},
      {"https://www.reuters.com/world/story/amp", "https://www.reuters.com/world/story"},
      {"https://news.test/amp/world/story", "https://news.test/world/story"},
      {"https://news.test/world/story?amp=1", "https://news.test/world/story"},
      {"https://news.test/world/story?outputType=amp", "https://news.test/world/story"},
      // trailing slashes
      {"https://news.test/world/story/", "https://news.test/world/story"},
      {"https://news.test/", "https://news.test/"},
      {"https://news.test", "https://news.test/"},
      // not http: as it is
      {"urn:uuid:1234", "urn:uuid:1234"},
      {"file:///tmp/feed.xml", "file:///tmp/feed.xml"},
  };
  for (const auto& [url, expected] : cases) EXPECT_EQ(CanonicalUrl(url), expected) << url;
}

}  // namespace
}  // namespace feedwatch::feeds
