// Internal to feeds/: the reference HTML-to-text conversion, a full HTML5 parse with gumbo.
// HtmlToText uses it for every fragment its fast scanner declines; tests compare the two.
#pragma once

#include <gumbo.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "feeds/html_text.h"
#include "feeds/internal/text_builder.h"

namespace feedwatch::feeds::internal {

// The text of `html` through gumbo's HTML5 parse, appended to `out`. The parse's memory is
// capped (kHtmlMemoryPerByte) and it stops when the current ParseBudget runs out; then the text
// is StrippedText's and `limit` (when given) says which.
void GumboText(std::string_view html, TextBuilder& out, HtmlLimit* limit = nullptr);
// The same into a TextBuilder of its own, in `mode`.
std::string GumboText(std::string_view html,
                      TextBuilder::Mode mode = TextBuilder::Mode::kParagraphs,
                      HtmlLimit* limit = nullptr);

// gumbo's tree of a whole page, parsed under the same limits as GumboText (the arena and the
// current ParseBudget) and owned by this object, for walks of their own (article.cc). Walk it
// with a stack, never by recursion.
class GumboDocument {
 public:
  explicit GumboDocument(std::string_view html);
  ~GumboDocument();
  GumboDocument(const GumboDocument&) = delete;
  GumboDocument& operator=(const GumboDocument&) = delete;

  // The document node; null when the parse was cut short (limit() says why).
  const GumboNode* root() const;
  HtmlLimit limit() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Where the full parse of `html` stops: the offset of the first tag past kHtmlMaxDepth or
// kHtmlMaxElements (as far as a linear scan can tell gumbo's nesting), or the last tag before
// kHtmlMaxBytes; html.size() and kNone within every limit.
struct HtmlCut {
  size_t offset;
  HtmlLimit limit;
};
HtmlCut FindHtmlCut(std::string_view html);

// `html` read as plain text, appended to `out`: every tag, comment, script and style dropped (a
// block's tags separating words or paragraphs as in a parse), numeric and common named
// references decoded. Linear.
void StrippedText(std::string_view html, TextBuilder& out);
std::string StrippedText(std::string_view html,
                         TextBuilder::Mode mode = TextBuilder::Mode::kParagraphs);

// Appends the text of one of the common named references (without '&' and ';') to `out`;
// false for any other name.
bool DecodeCommonReference(std::string_view name, std::string& out);

// The text of `html` through the single-pass scanner, as a TextBuilder in `mode` builds it;
// nullopt when the fragment holds anything the scanner cannot read exactly as gumbo would.
std::optional<std::string> ScannerText(std::string_view html,
                                       TextBuilder::Mode mode = TextBuilder::Mode::kParagraphs);

}  // namespace feedwatch::feeds::internal
