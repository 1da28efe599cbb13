#include "feeds/html_text.h"

#include <gtest/gtest.h>

namespace feedwatch::feeds {
namespace {

TEST(HtmlToText, BlocksSeparateWordsAndInlineDoesNot) {
  EXPECT_EQ(HtmlToText("<p>Moscow</p><p>round</p>"), "Moscow round");
  EXPECT_EQ(HtmlToText("Mos<b>cow</b> round<br>two"), "Moscow round two");
}

TEST(HtmlToText, DecodesEntitiesAndDropsScripts) {
  EXPECT_EQ(HtmlToText("AT&amp;T &laquo;talks&raquo;&nbsp;&#8212; &#x41;"), "AT&T «talks» — A");
  EXPECT_EQ(HtmlToText("<script>var x = 1;</script><style>p{}</style>text"), "text");
}

TEST(HtmlToText, CollapsesWhitespace) {
  EXPECT_EQ(HtmlToText("  a \n\t b  "), "a b");
  EXPECT_EQ(HtmlToText(""), "");
}

TEST(HtmlToText, AcceptsBrokenMarkup) {
  EXPECT_EQ(HtmlToText("<p>unclosed <b>bold"), "unclosed bold");
  EXPECT_EQ(HtmlToText("1 < 2 & 3 > 2"), "1 < 2 & 3 > 2");
}

}  // namespace
}  // namespace feedwatch::feeds
