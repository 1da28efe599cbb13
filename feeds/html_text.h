#pragma once

#include <string>
#include <string_view>

namespace feedwatch::feeds {

// The text a reader sees in an HTML fragment: entities decoded, scripts and styles dropped,
// block elements and <br> separating words, whitespace collapsed to single spaces and trimmed.
// Parsed with gumbo, so any byte string is accepted.
std::string HtmlToText(std::string_view html);

// Whitespace runs collapsed to one space, leading and trailing whitespace removed.
std::string CollapseWhitespace(std::string_view text);

}  // namespace feedwatch::feeds
