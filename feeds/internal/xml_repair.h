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
