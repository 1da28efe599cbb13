// Internal to feeds/: reading XML that is not quite XML, the way feed readers do.
#pragma once

#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <unordered_set>

namespace feedwatch::feeds::internal {

// The code point the digits of a numeric reference name ("x2014" or "X2014", "8212"), at most
// 0x110000 for any past U+10FFFF; nullopt when there are none or one is not of the base.
std::optional<char32_t> NumericReferenceValue(std::string_view digits);

// What a numeric reference to `value` means in a feed: HTML5's reading, which maps 128-159 (C1
// controls no one means) to the windows-1252 characters writers do mean (&#128; is €, &#146;
// is ’). Every other value is itself. Feeds write references in titles as in HTML; XML's own
// reading would give invisible control characters.
constexpr char32_t ReferencedCharacter(char32_t value) {
  constexpr char32_t kC1[32] = {0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
                                0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};
  return value >= 0x80 && value <= 0x9F ? kC1[value - 0x80] : value;
}

// `xml` with every named character reference XML does not define (HTML's &nbsp;, &mdash;, ...)
// replaced by the characters HTML5 gives it, as numeric references, outside CDATA sections and
// comments, and numeric references to no Unicode character (surrogates, past U+10FFFF) replaced
// by U+FFFD. nullopt when there is nothing to replace. References HTML5 does not know either stay
// as they are and come out as literal text; nothing declared in a DOCTYPE is ever expanded, so a
// billion-laughs document costs nothing.
std::optional<std::string> ReplaceHtmlReferences(std::string_view xml);

// pugixml's strict reading of `xml` after ReplaceHtmlReferences, into `document`.
struct StrictParse {
  pugi::xml_parse_result result;
  std::string input;  // what pugixml read, for placing its error
};
StrictParse ParseStrictly(std::string_view xml, pugi::xml_document& document);

// Elements still open when the input ended: a truncated document's last item.
using OpenElements = std::unordered_set<const void*>;  // pugi::xml_node::internal_object()

// Builds `document` from `xml` (UTF-8) as a tag-soup reader would: an end tag closes the nearest
// open element of that name and everything opened inside it, an end tag with no open element is
// ignored, a '<' or '&' that starts no markup is text, and the input may end anywhere. Never
// fails; returns the elements the end of input left open.
OpenElements ParseLeniently(std::string_view xml, pugi::xml_document& document);

}  // namespace feedwatch::feeds::internal
