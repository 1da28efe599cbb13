// The feed parser on documents built for depth, width and repetition, the shapes byte-level
// mutation rarely reaches: the input is a short program that picks a container (HTML in an RSS
// description, Atom XHTML content, JSON Feed content_html, bare XML elements, JSON values) and
// then pieces of markup, each repeated up to 65,535 times, into a document of up to 4 MiB. A
// crash, a stack overflow, a parse past libFuzzer's -timeout or past -rss_limit_mb is a finding:
// every cost must stay linear in the document and nothing may recurse on its depth.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "feeds/parser.h"

namespace {

constexpr size_t kMaxDocument = 4u << 20;

constexpr std::array<std::string_view, 32> kPieces = {
    "<div>",         "</div>",     "<span>",   "</span>",     "<b class=c1>", "<b class=c2>",
    "</b>",          "<p>x",       "<table>",  "<tr><td>",    "<svg><g>",     "<math>",
    "<form>",        "<select>",   "<li>",     "<!--",        "-->",          "&amp;",
    "&NotNestedGreaterGreater;",   "&#x1F600;", "<a href=\"", "\">",          "<x>",
    "</x>",          "<e xmlns:p=\"urn:x\">", "</e>", "[",       "]",            "{\"a\":",
    "}",             "Darchiev ",  "<![CDATA[",
};

struct Container {
  std::string_view head;
  std::string_view tail;
};

constexpr std::array<Container, 5> kContainers = {{
    {"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><title>i"
     "</title><description><![CDATA[",
     "]]></description></item></channel></rss>"},
    {"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><id>1</id><content "
     "type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">",
     "</div></content></entry></feed>"},
    {"{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"t\",\"items\":[{\"id\":\"1\","
     "\"content_html\":\"",
     "\"}]}"},
    {"<rss version=\"2.0\"><channel><item><title>i</title>", "</item></channel></rss>"},
    {"{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{\"id\":\"1\",\"x\":", "}]}"},
}};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Container& container = kContainers[data[0] % kContainers.size()];
  std::string document(container.head);
  const bool in_json_string = data[0] % kContainers.size() == 2;
  // Three bytes a step: a piece and how often to repeat it.
  for (size_t i = 1; i + 2 < size && document.size() < kMaxDocument; i += 3) {
    std::string_view piece = kPieces[data[i] % kPieces.size()];
    const size_t repeat = (size_t{data[i + 1]} << 8 | data[i + 2]) + 1;
    for (size_t k = 0; k < repeat && document.size() + piece.size() <= kMaxDocument; ++k) {
      if (in_json_string && piece.find('"') != std::string_view::npos) {
        for (const char c : piece) {
          if (c == '"') document += '\\';
          document += c;
        }
      } else {
        document += piece;
      }
    }
  }
  document += container.tail;
  feedwatch::feeds::ParseOptions options;
  options.max_parse_time = std::chrono::seconds(5);
  (void)feedwatch::feeds::ParseFeed(document, options);
  return 0;
}
