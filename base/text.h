// Small UTF-8 text helpers shared by modules that render text for people.
#pragma once

#include <string>
#include <string_view>

namespace feedwatch {

// At most `max_bytes` of `text`, cut at a character boundary and ended with "…" when cut.
inline std::string ShortenUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "…";
}

}  // namespace feedwatch
