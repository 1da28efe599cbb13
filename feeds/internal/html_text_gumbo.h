// Internal to feeds/: the reference HTML-to-text conversion, a full HTML5 parse with gumbo.
// HtmlToText uses it for every fragment its fast scanner declines; tests compare the two.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace feedwatch::feeds::internal {

// The text of `html` through gumbo's HTML5 parse, before whitespace is collapsed.
std::string GumboText(std::string_view html);

// The text of `html` through the single-pass scanner, whitespace collapsed as by
// CollapseWhitespace; nullopt when the fragment holds anything the scanner cannot read exactly
// as gumbo would.
std::optional<std::string> ScannerText(std::string_view html);

}  // namespace feedwatch::feeds::internal
