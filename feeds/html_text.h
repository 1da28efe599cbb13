// Plain text out of HTML, as a reader sees it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace feedwatch::feeds {

// The limits on a fragment that takes the full HTML5 parse (one the scanner declines). A feed
// chooses the depth and size of its HTML, and the parse costs more than linear time and memory
// in both, so the parse stops at the first tag past a limit and the rest of the fragment is
// read as plain text: tags dropped, comments, scripts and styles skipped, numeric and common
// named references decoded. Far above what any outlet writes (docs/reliability.md).
inline constexpr size_t kHtmlMaxDepth = 256;        // elements open at once
inline constexpr size_t kHtmlMaxElements = 20'000;  // start tags
// Attributes in one start tag: the parser compares each with those before it.
inline constexpr size_t kHtmlMaxAttributes = 256;
inline constexpr size_t kHtmlMaxBytes = 2u << 20;  // 2 MiB
// The parser's memory for a fragment of n bytes is at most kHtmlMemoryPerByte * n +
// kHtmlMemoryBase; past it (HTML5's reopening of formatting elements can cost the square of
// the input) the whole fragment is read as plain text.
inline constexpr size_t kHtmlMemoryPerByte = 64;
inline constexpr size_t kHtmlMemoryBase = 4u << 20;  // 4 MiB

enum class HtmlLimit : uint8_t {
  kNone,
  kDepth,
  kElements,
  kAttributes,
  kSize,
  kMemory,
  kTime,  // the ParseFeed call's CPU budget ran out during the parse
};

// What the limit means, for a warning: "nested deeper than 256 elements".
std::string DescribeHtmlLimit(HtmlLimit limit);

struct HtmlText {
  std::string text;                    // as HtmlToText or HtmlToParagraphs
  HtmlLimit limit = HtmlLimit::kNone;  // the first limit the fragment passed
};

// HtmlToText and HtmlToParagraphs, saying whether a limit cut the full parse short.
HtmlText ReadHtml(std::string_view html);
HtmlText ReadHtmlParagraphs(std::string_view html);

// The text a reader sees in an HTML fragment, on one line: every HTML5 named and numeric
// character reference decoded, scripts, styles and other non-rendered elements dropped, block
// elements and <br> separating words, whitespace collapsed to single spaces and trimmed. Any
// byte string is accepted. The HTML5 parse is gumbo's; plain fragments (no tables, scripts or
// rare references) take a single-pass scanner that tests/feeds/html_text_test.cc proves gives
// the same text, because gumbo costs about 20x the rest of a feed parse. Time and memory are
// linear in the fragment's size, and nothing recurses on its depth: see the limits above.
// Within a ParseFeed call, a fragment that passed a limit is counted for the call's warnings.
std::string HtmlToText(std::string_view html);

// The same text with its paragraphs kept: one '\n' between paragraphs. A block element (p, li,
// div, blockquote, a table row, ...) is a paragraph of its own, except that a heading joins the
// paragraph after it; <br> ends a paragraph after the end of a sentence or when doubled, and is
// a space otherwise. A fragment without a single tag is read as plain text (TextParagraphs), as
// feeds put plain text where HTML may go. HtmlToText is this text with each '\n' a space.
std::string HtmlToParagraphs(std::string_view html);

// Whitespace (ASCII and Unicode spaces, no-break space included, and control characters)
// collapsed to one space, leading and trailing whitespace removed; soft hyphens and stray byte
// order marks dropped, so "Dar&shy;chiev" reads as one word.
std::string CollapseWhitespace(std::string_view text);

// Plain text collapsed the same way, its paragraphs kept: a blank line, U+2029, or a line break
// after the end of a sentence separates paragraphs (one '\n' between them); any other line
// break is a space, as in text wrapped at a fixed width.
std::string TextParagraphs(std::string_view text);

// Text with paragraphs (as TextParagraphs makes it) as HTML: each paragraph escaped and in a
// <p> element of its own.
std::string ParagraphsHtml(std::string_view paragraphs);

// Appends the characters of the HTML5 named character reference `name` (without '&' and ';',
// e.g. "nbsp") to `out`. False, leaving `out` alone, when HTML5 has no such reference.
bool DecodeNamedReference(std::string_view name, std::string& out);

}  // namespace feedwatch::feeds
