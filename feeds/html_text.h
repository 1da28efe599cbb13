// Plain text out of HTML, as a reader sees it.
#pragma once

#include <string>
#include <string_view>

namespace feedwatch::feeds {

// The text a reader sees in an HTML fragment: every HTML5 named and numeric character reference
// decoded, scripts, styles and other non-rendered elements dropped, block elements and <br>
// separating words, whitespace collapsed to single spaces and trimmed. Any byte string is
// accepted. The HTML5 parse is gumbo's; plain fragments (no tables, scripts or rare
// references) take a single-pass scanner that tests/feeds/html_text_test.cc proves gives the
// same text, because gumbo costs about 20x the rest of a feed parse.
std::string HtmlToText(std::string_view html);

// Whitespace (ASCII and Unicode spaces, no-break space included, and control characters)
// collapsed to one space,
// leading and trailing whitespace removed; soft hyphens and stray byte order marks dropped, so
// "Dar&shy;chiev" reads as one word.
std::string CollapseWhitespace(std::string_view text);

// `text` with &, <, > and " escaped, for putting plain text into HTML.
std::string EscapeHtml(std::string_view text);

// Appends the characters of the HTML5 named character reference `name` (without '&' and ';',
// e.g. "nbsp") to `out`. False, leaving `out` alone, when HTML5 has no such reference.
bool DecodeNamedReference(std::string_view name, std::string& out);

}  // namespace feedwatch::feeds
