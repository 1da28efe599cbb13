// HtmlToText on any markup: the fast scanner and its gumbo fallback.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "feeds/html_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)feedwatch::feeds::HtmlToText(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
