// ParseFeed on any bytes: every format, encoding detection, the tag-soup recovery and
// HTML-to-text run on what the network sends. An input whose first byte is below 8 picks a
// Content-Type header with it (and that byte is not part of the document); other inputs, such
// as the seed feeds, are documents with no header. The document must also read the same through
// both XML readers (feeds/internal/xml_tree.h) whenever the fast one accepts it.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "feeds/internal/xml_tree.h"
#include "feeds/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr std::string_view kTypes[] = {
      "",
      "application/rss+xml",
      "text/xml; charset=windows-1251",
      "application/atom+xml; charset=koi8-r",
      "text/html; charset=utf-16",
      "application/feed+json",
      "text/xml; charset=nonsense",
      "application/xml; charset=iso-8859-5",
  };
  static_assert(std::size(kTypes) == 8);
  feedwatch::feeds::ParseOptions options;
  options.base_url = "https://news.test/feeds/rss";
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (size > 0 && data[0] < 8) {
    options.content_type = std::string(kTypes[data[0]]);
    bytes.remove_prefix(1);
  }
  (void)feedwatch::feeds::ParseFeed(bytes, options);
  if (!feedwatch::feeds::internal::AgreesWithPugixml(bytes)) __builtin_trap();
  return 0;
}
