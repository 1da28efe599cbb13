// ExtractArticle on any bytes: a page as a server sends it, read as UTF-8 or as the charset its
// header declares. Nothing may crash, leak or take more than linear work (the -timeout).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "feeds/article.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view page(reinterpret_cast<const char*>(data), size);
  (void)feedwatch::feeds::ExtractArticle(page, "");
  (void)feedwatch::feeds::ExtractArticle(page, "text/html; charset=windows-1251");
  return 0;
}
