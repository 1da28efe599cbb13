// HtmlToText on any markup: the fast scanner and its gumbo fallback. On valid UTF-8 (what the
// parser hands it: documents are decoded and validated first) the scanner must read every
// fragment it accepts exactly as gumbo's HTML5 parse does; the fuzzer aborts where they differ.
// Controls and noncharacters are left out of that comparison: gumbo turns them into U+FFFD,
// the scanner drops controls (readers show nothing for them) and keeps noncharacters.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "feeds/encoding.h"
#include "feeds/html_text.h"
#include "feeds/internal/html_text_gumbo.h"

namespace {

// Whether valid UTF-8 `text` holds a character gumbo replaces: a C0 control other than
// whitespace, DEL, a C1 control or a noncharacter.
bool HasReplacedCharacter(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    char32_t c = length == 1 ? lead : lead & (0xFF >> (length + 1));
    for (size_t k = 1; k < length; ++k) c = (c << 6) | (text[i + k] & 0x3F);
    i += length;
    const bool whitespace = c == '\t' || c == '\n' || c == '\r' || c == '\f';
    if ((c < 0x20 && !whitespace) || (c >= 0x7F && c <= 0x9F) || (c >= 0xFDD0 && c <= 0xFDEF) ||
        (c & 0xFFFE) == 0xFFFE) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view html(reinterpret_cast<const char*>(data), size);
  (void)feedwatch::feeds::HtmlToText(html);
  (void)feedwatch::feeds::HtmlToParagraphs(html);
  if (!feedwatch::feeds::IsValidUtf8(html) || HasReplacedCharacter(html)) return 0;
  const std::optional<std::string> scanned = feedwatch::feeds::internal::ScannerText(html);
  if (!scanned) return 0;
  // Paragraphs and all: a paragraph break in one and a space in the other is a difference.
  const std::string parsed = feedwatch::feeds::internal::GumboText(html);
  if (*scanned != parsed) {
    std::fprintf(stderr, "scanner: \"%s\"\ngumbo:   \"%s\"\n", scanned->c_str(), parsed.c_str());
    std::abort();
  }
  return 0;
}
