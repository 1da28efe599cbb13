#include "feeds/html_text.h"

#include <gtest/gtest.h>

#include "feeds/internal/html_text_gumbo.h"

namespace feedwatch::feeds {
namespace {

TEST(HtmlToText, BlocksSeparateWordsAndInlineDoesNot) {
  EXPECT_EQ(HtmlToText("<p>Moscow</p><p>round</p>"), "Moscow round");
  EXPECT_EQ(HtmlToText("Mos<b>cow</b> round<br>two"), "Moscow round two");
  EXPECT_EQ(HtmlToText("<ul><li>one</li><li>two</li></ul><img src=x>three"), "one two three");
}

TEST(HtmlToText, DecodesEveryHtml5Reference) {
  EXPECT_EQ(HtmlToText("AT&amp;T &laquo;talks&raquo;&nbsp;&#8212; &#x41;"), "AT&T «talks» — A");
  EXPECT_EQ(HtmlToText("&ShortRightArrow; &frac12; &Zcaron; &#x1F600;"), "→ ½ Ž 😀");
  EXPECT_EQ(HtmlToText("&#150; &#0; &copy2025"), "– \uFFFD ©2025");  // as browsers read them
}

TEST(HtmlToText, DropsWhatReadersDoNotSee) {
  EXPECT_EQ(HtmlToText("<script>var x = 1;</script><style>p{}</style>text"), "text");
  EXPECT_EQ(HtmlToText("a<!-- comment -->b<noscript>no</noscript>"), "ab");
  EXPECT_EQ(HtmlToText("Dar&shy;chiev\u00ADs"), "Darchievs");
}

TEST(HtmlToText, CollapsesWhitespaceAndControls) {
  EXPECT_EQ(HtmlToText("  a \n\t b  "), "a b");
  EXPECT_EQ(HtmlToText("a\u2009b\u00A0c\u3000d\x1b"
                       "e"),
            "a b c d e");
  EXPECT_EQ(HtmlToText(""), "");
}

TEST(HtmlToText, AcceptsBrokenMarkup) {
  EXPECT_EQ(HtmlToText("<p>unclosed <b>bold"), "unclosed bold");
  EXPECT_EQ(HtmlToText("1 < 2 & 3 > 2"), "1 < 2 & 3 > 2");
  EXPECT_EQ(HtmlToText("<table><tr><td>a</td><td>b</td></tr></table>c"), "a b c");
  EXPECT_EQ(HtmlToText("<a href=\"x>y\">link</a"), "link");
}

// The fast scanner must read every fragment it accepts exactly as gumbo's HTML5 parse does.
TEST(HtmlToText, ScannerAgreesWithGumboOnWhatItAccepts) {
  const std::vector<std::string> fragments = {
      "plain text",
      "<p>Para one.</p><p>Para&nbsp;two&hellip;</p>",
      "<div class=\"lead\"><img src=\"x.jpg\" alt=\"photo\">Embassy&mdash;staff</div>",
      "Word<b>Joined</b> <i>inline</i> <a href='/x?a=1&amp;b=2'>link</a>",
      "<P>Upper</P><BR>case<Br/>tags",
      "1 < 2 and 3 > 2, a & b, &#8470; 5",
      "<p>unclosed <b>bold <i>italic",
      "</p>stray end tag<p>",
      "</br>end br",
      "<b>a<p>b</b>c</p>",
      "<h2>Heading</h2>text<hr>more<blockquote>quote</blockquote>",
      "<o:p>office</o:p><span style=\"x\">span</span>",
      "<!-- comment -->after<!---->empty",
      "attr with > inside: <a title=\"a > b\">t</a>",
      "&laquo;Цитата&raquo; &numero;5 &euro;10",
      "<pre>  pre\n  text </pre><li>item",
      "&#x41;&#66;&#x1F600;",
      "line\r\nbreaks\rand\ttabs",
  };
  for (const std::string& html : fragments) {
    const std::optional<std::string> scanned = internal::ScannerText(html);
    ASSERT_TRUE(scanned.has_value()) << "the scanner should accept: " << html;
    EXPECT_EQ(*scanned, CollapseWhitespace(internal::GumboText(html))) << html;
  }
}

TEST(HtmlToText, ScannerDeclinesWhatOnlyAFullParseReadsRight) {
  for (const char* html :
       {"<table><tr><td>a</td></tr></table>", "<script>x</script>", "&copy2025", "&notin;", "&#0;",
        "&#150;", "<!DOCTYPE html>", "<?php ?>", "<textarea>a</textarea>",
        "<svg><text>t</text></svg>", "<select><option>o</option></select>", "<title>t</title>",
        "<a href=\"unterminated", "<!-- unterminated"}) {
    EXPECT_EQ(internal::ScannerText(html), std::nullopt) << html;
    EXPECT_EQ(HtmlToText(html), CollapseWhitespace(internal::GumboText(html))) << html;
  }
}

TEST(DecodeNamedReference, KnowsHtml5AndNothingElse) {
  std::string out;
  EXPECT_TRUE(DecodeNamedReference("nbsp", out));
  EXPECT_TRUE(DecodeNamedReference("ShortRightArrow", out));
  EXPECT_TRUE(DecodeNamedReference("semi", out));
  EXPECT_EQ(out, "\u00A0→;");
  EXPECT_FALSE(DecodeNamedReference("notanentity", out));  // not "¬anentity"
  EXPECT_FALSE(DecodeNamedReference("lol9", out));
  EXPECT_FALSE(DecodeNamedReference("", out));
  EXPECT_EQ(out, "\u00A0→;");
}

TEST(EscapeHtml, EscapesMarkupCharacters) {
  EXPECT_EQ(EscapeHtml("a < b & \"c\" > d"), "a &lt; b &amp; &quot;c&quot; &gt; d");
}

}  // namespace
}  // namespace feedwatch::feeds
