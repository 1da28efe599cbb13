// The main text of a news article's web page, for the items whose feed carries only a headline
// and a lede: the ambassador's name or the venue of the next round is often in the third
// paragraph, which only the page has.
//
// In order of trust, each checked against the page:
//   1. schema.org JSON-LD `articleBody` (a NewsArticle, Article, BlogPosting... object, also
//      inside `@graph`): used when the page shows its words and it is not much shorter than
//      what the page's markup gives (templates put the lede there, or another article's text);
//   2. the element with itemprop="articleBody";
//   3. an <article> element (the one holding most text: pages carry teasers in <article>s too);
//   4. otherwise the densest block of paragraphs: text length against link density, as
//      Readability does, after dropping navigation, "read also" lists, comments, captions,
//      share bars and cookie banners.
// The page is decoded as feeds are (Content-Type charset, byte order mark), with HTML's
// <meta charset> in between, then detection (windows-1251 pages are common). The parse is
// gumbo's under the limits of html_text.h; the walk keeps a stack of its own, and the result is
// bounded (kArticleMaxBytes, kArticleMaxParagraphs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace feedwatch::feeds {

inline constexpr size_t kArticleMaxBytes = 256 * 1024;
inline constexpr size_t kArticleMaxParagraphs = 400;

struct Article {
  enum class Source : uint8_t { kJsonLd, kItemprop, kArticleElement, kDensestBlock };
  std::string text;  // paragraphs, one '\n' between
  Source source = Source::kDensestBlock;
  std::string encoding;  // what the bytes were read as
};

// "json-ld", "itemprop", "article element", "densest block".
std::string_view ArticleSourceName(Article::Source source);

// The charset an HTML page declares in its first 1,024 bytes (<meta charset>, or <meta
// http-equiv="Content-Type" content="...; charset=...">), lower case; empty when none.
std::string HtmlMetaCharset(std::string_view bytes);

// The article text of `page` (bytes as served; `content_type` the response's header, may be
// empty). Errors: InvalidInput when the page holds no article text.
Result<Article> ExtractArticle(std::string_view page, std::string_view content_type);

}  // namespace feedwatch::feeds
