#include "feeds/html_text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>
#include <string_view>

#include "base/text.h"
#include "feeds/internal/html_reference_names.h"
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
      R"(<div class="lead"><img src="x.jpg" alt="photo">Embassy&mdash;staff</div>)",
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
    EXPECT_EQ(*scanned, internal::GumboText(html)) << html;
  }
}

// Random well-formed news HTML: nested blocks and inline markup around words in both scripts,
// references, typographic characters and every kind of whitespace the scanner treats specially.
class NewsHtml {
 public:
  explicit NewsHtml(uint32_t seed) : random_(seed) {}

  std::string Blocks(int depth) {
    std::string html;
    for (uint32_t n = 1 + Next(3); n > 0; --n) {
      switch (Next(depth > 0 ? 6 : 3)) {
        case 0:
          html += "<p>" + Inline(2) + "</p>";
          break;
        case 1:
          html += "<h2>" + Inline(1) + "</h2>\n";
          break;
        case 2:
          html += "<ul><li>" + Inline(1) + "</li><li>" + Inline(1) + "</li></ul>";
          break;
        case 3:
          html += "<div class=\"x\">" + Blocks(depth - 1) + "</div>";
          break;
        case 4:
          html += "<blockquote>" + Blocks(depth - 1) + "</blockquote>";
          break;
        default:
          html += Inline(2);
      }
    }
    return html;
  }

  std::string Inline(int depth) {
    // Words in both scripts, references, typographic and invisible characters, bare '<' and '&'.
    static constexpr std::array<std::string_view, 33> kPieces = {
        "Darchiev",     "said.",   "\u00BB.",    "soon?\u201D",
        "talks",        "Дарчиев", "переговоры", "&nbsp;",
        "&laquo;",      "&raquo;", "&mdash;",    "&hellip;",
        "&amp;",        "&#8470;", "&#x41;",     "&shy;",
        "&thinsp;",     "&zwnj;",  "\u201C",     "\u2019",
        "\u00AB",       "\u2014",  "\u00A0",     "\u2009",
        "\u3000",       "\uFEFF",  "\u00AD",     "\u00E9t\u00E9",
        "1 < 2",        "a & b",   "<br>",       R"(<img src="i.jpg" alt="a">)",
        "<!-- note -->"};
    static constexpr std::array<std::string_view, 5> kSpaces{" ", "\n", "  ", "\t", " \r\n "};
    static constexpr std::array<std::string_view, 6> kInline{"b", "i", "em", "strong", "span", "a"};
    std::string html;
    for (uint32_t n = 1 + Next(8); n > 0; --n) {
      const uint32_t pick = Next(10);
      if (pick < 6) {
        html += kPieces[Next(kPieces.size())];
      } else if (pick < 9) {
        html += kSpaces[Next(kSpaces.size())];
      } else if (depth > 0) {
        const std::string_view tag = kInline[Next(depth > 1 ? kInline.size() : 5)];
        html += "<" + std::string(tag) + (tag == "a" ? " href=\"/x?a=1&amp;b=2\">" : ">") +
                Inline(tag == "a" ? 0 : depth - 1) + "</" + std::string(tag) + ">";
      }
    }
    return html;
  }

 private:
  uint32_t Next(size_t bound) { return static_cast<uint32_t>(random_() % bound); }

  std::mt19937 random_;
};

TEST(HtmlToText, ScannerAgreesWithGumboOnGeneratedNewsHtml) {
  NewsHtml generator(20261126);
  for (int i = 0; i < 3000; ++i) {
    const std::string html = generator.Blocks(2);
    const std::optional<std::string> scanned = internal::ScannerText(html);
    ASSERT_TRUE(scanned.has_value()) << "the scanner should accept: " << html;
    ASSERT_EQ(*scanned, internal::GumboText(html)) << html;
  }
}

// The scanner reads sixteen or thirty-two bytes at a time: every stop, at every offset within a
// block and across the boundary between two, must be seen.
TEST(HtmlToText, ScannerAgreesWithGumboAtEveryOffsetOfABlock) {
  for (const std::string_view stop : {" ", "  ", "\n", " \n ", "<b>", "<p>", "&amp;", "&nbsp;",
                                      "\u00A0", "\u00AB", "\u2009", "\u00AD", "a b", " a "}) {
    for (size_t before = 0; before < 70; ++before) {
      for (const size_t after : {0, 1, 2, 31, 32, 33, 40}) {
        const std::string html =
            std::string(before, 'x') + std::string(stop) + std::string(after, 'y');
        const std::optional<std::string> scanned = internal::ScannerText(html);
        ASSERT_TRUE(scanned.has_value()) << html;
        ASSERT_EQ(*scanned, internal::GumboText(html))
            << before << " bytes, then \"" << stop << "\"";
      }
    }
  }
}

// Broken markup as HTML5's tree construction reads it: end tags that close nothing are ignored
// (no word break), list items and headings close the open one, and a tag ends where the
// tokenizer says, quotes or not.
TEST(HtmlToText, ScannerReadsBrokenMarkupAsHtml5Does) {
  EXPECT_EQ(internal::ScannerText("<h0>404 Not Found</h1>here"), "404 Not Foundhere");
  EXPECT_EQ(internal::ScannerText("a</div>b</img>c</hr>d"), "abcd");
  EXPECT_EQ(internal::ScannerText("<div>a</div>b</p>c</br>d"), "a\nb\nc d");
  EXPECT_EQ(
      internal::ScannerText("<div>a</div>b</p>c</br>d", internal::TextBuilder::Mode::kOneLine),
      "a b c d");
  EXPECT_EQ(internal::ScannerText("<a\n=\t'b>c"), "c");  // '=' starts a name: the tag ends at '>'
  for (const char* html : {
           "<li>a<li>b</li></li>c",
           "<ul><li>a<ul><li>b</ul>c</li></ul>d",
           "<ol><li>a</ol>b</li>c",
           "<dl><dt>a<dd>b<dt>c</dd>d</dl>e</dt>f",
           "<p>a<hr>b</p>c",
           "<div><p>a<div>b</p>c</div>d</div>e",
           "<li>a<div>b<li>c</div>d",
           "<blockquote>a<h3>b</blockquote>c</h3>d",
           "<a b='1'c>d",
           "<a b=x'y>z'>w",
           "<a/='x>y'>z",
           "<a b / = 'x>y'>z",
           "<a b=\"x\"/c='>'>d",
           "<p\tclass=lead>a</p >b",
       }) {
    const std::optional<std::string> scanned = internal::ScannerText(html);
    ASSERT_TRUE(scanned.has_value()) << html;
    EXPECT_EQ(*scanned, internal::GumboText(html)) << html;
  }
}

// Passages start where a reader sees a new paragraph: the shapes outlets give their items.
TEST(HtmlToParagraphs, KeepsTheParagraphsOfNewsHtml) {
  // Paragraphs, a list and a quote.
  EXPECT_EQ(HtmlToParagraphs("<p>MOSCOW, March 3. /TASS/. The talks ended.</p>\n<p>The next "
                             "round is due in spring.</p><ul><li>visas</li><li>property</li></ul>"
                             "<blockquote>We are ready.</blockquote>"),
            "MOSCOW, March 3. /TASS/. The talks ended.\nThe next round is due in spring.\nvisas\n"
            "property\nWe are ready.");
  // A subhead reads with the paragraph it introduces; a live blog's entry is its time and text.
  EXPECT_EQ(HtmlToParagraphs("<h3>Property</h3><p>Moscow wants it back.</p><p>Next.</p>"),
            "Property Moscow wants it back.\nNext.");
  EXPECT_EQ(HtmlToParagraphs("<div class=\"entry\"><time>14:05</time><p>Lavrov spoke.</p></div>"
                             "<div class=\"entry\"><time>14:20</time><p>Darchiev spoke.</p></div>"),
            "14:05\nLavrov spoke.\n14:20\nDarchiev spoke.");
  // <br>: a paragraph after a sentence or when doubled; inside a sentence, a space.
  EXPECT_EQ(HtmlToParagraphs("First sentence.<br>Second one<br>wraps here<br><br>Third"),
            "First sentence.\nSecond one wraps here\nThird");
  EXPECT_EQ(HtmlToParagraphs("«Quote.»<br/>Next"), "«Quote.»\nNext");
  // One line for titles, the same words.
  EXPECT_EQ(HtmlToText("<p>One.</p><p>Two.</p>"), "One. Two.");
  // Without a single tag, a description is plain text: its blank lines are paragraphs.
  EXPECT_EQ(HtmlToParagraphs("First paragraph,\nwrapped.\n\nSecond &amp; last."),
            "First paragraph, wrapped.\nSecond & last.");
  EXPECT_EQ(HtmlToParagraphs("<b>First</b>\n\nSecond"), "First Second");
  // Markup the scanner leaves to gumbo keeps its paragraphs too.
  EXPECT_EQ(HtmlToParagraphs("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"
                             "<p>after</p><script>x</script>"),
            "a b\nc\nafter");
}

TEST(TextParagraphs, ABlankLineOrAFinishedSentenceEndsAParagraph) {
  EXPECT_EQ(TextParagraphs("First paragraph,\nwrapped at a width.\n\n  Second paragraph.\n"),
            "First paragraph, wrapped at a width.\nSecond paragraph.");
  EXPECT_EQ(TextParagraphs("One sentence.\nAnother.\r\nA third"),
            "One sentence.\nAnother.\nA third");
  EXPECT_EQ(TextParagraphs("Para\u2029Graph"), "Para\nGraph");
  EXPECT_EQ(CollapseWhitespace("Title\n\nwith\u2029breaks"), "Title with breaks");
  EXPECT_EQ(ParagraphsHtml("a < b\nc"), "<p>a &lt; b</p><p>c</p>");
}

TEST(HtmlToText, ScannerDeclinesWhatOnlyAFullParseReadsRight) {
  for (const char* html : {"<table><tr><td>a</td></tr></table>",
                           "<script>x</script>",
                           "&copy2025",
                           "&notin;",
                           "&#0;",
                           "&#150;",
                           "<!DOCTYPE html>",
                           "<?php ?>",
                           "<textarea>a</textarea>",
                           "<svg><text>t</text></svg>",
                           "<select><option>o</option></select>",
                           "<title>t</title>",
                           "<a href=\"unterminated",
                           "<!-- unterminated",
                           "<nav>n</nav>",
                           "<form>f</form>",
                           "<button>b</button>",
                           "<object>o</object>",
                           "<h2><y><h2></h1>o</h2>0",
                           "<h1>a<h2>b</h1>c</h2>d"}) {
    EXPECT_EQ(internal::ScannerText(html), std::nullopt) << html;
    EXPECT_EQ(HtmlToText(html), internal::GumboText(html, internal::TextBuilder::Mode::kOneLine))
        << html;
    EXPECT_EQ(HtmlToParagraphs(html), internal::GumboText(html)) << html;
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
  // Every name of the list decodes, the longest and those of two code points too.
  for (const std::string_view name : internal::kHtmlReferenceNames) {
    std::string text;
    EXPECT_TRUE(DecodeNamedReference(name, text)) << name;
  }
  out.clear();
  EXPECT_TRUE(DecodeNamedReference("CounterClockwiseContourIntegral", out));
  EXPECT_TRUE(DecodeNamedReference("NotEqualTilde", out));
  EXPECT_EQ(out, "\u2233\u2242\u0338");
  EXPECT_FALSE(DecodeNamedReference("Nbsp", out)) << "names are case-sensitive";
}

std::string Repeat(std::string_view piece, size_t times) {
  std::string out;
  out.reserve(piece.size() * times);
  for (size_t i = 0; i < times; ++i) out += piece;
  return out;
}

TEST(ReadHtml, StopsTheFullParseAtTheNestingLimitAndReadsTheRestAsPlainText) {
  // <form> sends the fragment to gumbo; past 256 open elements the rest is plain text.
  const std::string html = "<form>Darchiev" + Repeat("<x>", 150'000) + "Moscow <b>round</b>";
  const HtmlText text = ReadHtml(html);
  EXPECT_EQ(text.limit, HtmlLimit::kDepth);
  EXPECT_EQ(text.text, "Darchiev Moscow round");
  // Closed nesting: the same, and the words inside stay apart from their neighbours.
  const HtmlText closed =
      ReadHtml(Repeat("<div>", 100'000) + "deep" + Repeat("</div>", 100'000) + "after");
  EXPECT_EQ(closed.limit, HtmlLimit::kDepth);
  EXPECT_EQ(closed.text, "deep after");
}

TEST(ReadHtml, CountsOnlyWhatStaysOpen) {
  // Unclosed paragraphs and list items close their like: 1,000 of them nest nothing.
  const HtmlText paragraphs = ReadHtml("<table></table>" + Repeat("<p>x", 1000));
  EXPECT_EQ(paragraphs.limit, HtmlLimit::kNone);
  const HtmlText items = ReadHtml("<form><ul>" + Repeat("<li>x<br><img src=y>", 1000));
  EXPECT_EQ(items.limit, HtmlLimit::kNone);
  EXPECT_EQ(ReadHtml("<form>" + Repeat("<i>a</i>", 5000)).limit, HtmlLimit::kNone);
}

TEST(ReadHtml, StopsAtTheElementAndSizeLimits) {
  const HtmlText many = ReadHtml("<form>" + Repeat("<i>a</i>", kHtmlMaxElements + 10));
  EXPECT_EQ(many.limit, HtmlLimit::kElements);
  EXPECT_EQ(std::count(many.text.begin(), many.text.end(), 'a'), kHtmlMaxElements + 10);
  const HtmlText large = ReadHtml("<form>" + Repeat("<i>word</i>, ", kHtmlMaxBytes / 400) +
                                  Repeat("word ", kHtmlMaxBytes / 5));
  EXPECT_EQ(large.limit, HtmlLimit::kSize);
  EXPECT_TRUE(large.text.starts_with("word, word,")) << large.text.substr(0, 100);
  EXPECT_TRUE(large.text.ends_with("word word")) << large.text.substr(large.text.size() - 100);
}

TEST(GumboText, FormattingElementsReopenedPastTheMemoryCapAreReadAsPlainText) {
  // HTML5 reopens every open formatting element (distinct attributes defeat its limit of three)
  // after each block that closed them: gumbo took 1.4 GB and 4.7 s for 43 KB of this. The
  // nesting limit stops it first in HtmlToText; the memory cap is what holds if it did not.
  std::string html = Repeat("<div>", 2000);
  for (int i = 0; i < 2000; ++i) html += "<b class=c" + std::to_string(i) + ">";
  html += Repeat("</div>x", 2000);
  HtmlLimit limit = HtmlLimit::kNone;
  const std::string text =
      internal::GumboText(html, internal::TextBuilder::Mode::kParagraphs, &limit);
  EXPECT_EQ(limit, HtmlLimit::kMemory);
  EXPECT_EQ(CollapseWhitespace(text), CollapseWhitespace(Repeat("x ", 2000)));
  EXPECT_EQ(ReadHtml(html).limit, HtmlLimit::kDepth);
}

TEST(StrippedText, DropsTagsCommentsAndScriptsAndDecodesReferences) {
  EXPECT_EQ(
      CollapseWhitespace(internal::StrippedText(
          "<p>a&amp;b</p><script>x<y</script><!-- c --><a href=\"<\">&#1044;</a>&zzz; 1 < 2")),
      "a&b Д&zzz; 1 < 2");
  // Inline elements do not split words; blocks do.
  EXPECT_EQ(CollapseWhitespace(internal::StrippedText("Dar<b>chiev</b><p>said</p><br>it")),
            "Darchiev said it");
  EXPECT_EQ(CollapseWhitespace(internal::StrippedText("tail<style>never closed")), "tail");
}

TEST(HtmlEscape, EscapesMarkupCharacters) {
  EXPECT_EQ(HtmlEscape("a < b & \"c\" > d's"), "a &lt; b &amp; &quot;c&quot; &gt; d&#39;s");
}

}  // namespace
}  // namespace feedwatch::feeds
