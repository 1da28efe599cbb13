// Internal to feeds/: the text a reader sees, built as it is read. The scanner and the gumbo
// walk behind HtmlToText both write into one, so the two give the same text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace feedwatch::feeds::internal {

// Whitespace runs become one space; leading and trailing whitespace disappear; soft hyphens and
// stray byte order marks vanish. What separates paragraphs becomes one '\n' (kParagraphs,
// kPlainParagraphs) or a space (kOneLine):
// - Paragraph(): a block element's start or end, U+2029;
// - Line(): <br>, U+2028, and in plain text a line break: a paragraph when it follows the end of
//   a sentence (. ! ? : ; … or a closing quote or bracket) or another line break with nothing
//   but spaces between, else a space;
// - Join(): a heading's end: the next paragraph break before any text is a space, so that a
//   heading reads with the paragraph it introduces.
class TextBuilder {
 public:
  enum class Mode : uint8_t {
    kOneLine,          // titles, names: no paragraphs
    kParagraphs,       // HTML: a line break in the source is a space
    kPlainParagraphs,  // plain text: a line break in the source is Line()
  };
  TextBuilder(size_t capacity, Mode mode);

  // Any text.
  void Append(std::string_view text);
  // Text known to hold no byte that may start whitespace (see html_text.cc, kWhitespaceLead).
  void Plain(std::string_view run);
  // Reads the character at text[i], whose first byte may start whitespace; returns its length.
  size_t Special(std::string_view text, size_t i);

  void Space();
  void Line();
  void Paragraph();
  void Join();

  std::string Take() { return std::move(out_); }

 private:
  enum class Pending : uint8_t { kNone, kSpace, kLine, kParagraph };
  bool EndsSentence() const;

  std::string out_;
  Mode mode_;
  Pending pending_ = Pending::kNone;
  bool joined_ = false;
};

}  // namespace feedwatch::feeds::internal
