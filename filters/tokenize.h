// Unicode-aware tokenising shared by queries and documents, so both sides fold the same way.
//
// A token is a maximal run of letters, marks and digits. Everything else separates tokens:
// "Russia-US" is two tokens and "Moscow's" is "moscow" + "s". Each token is NFKC case-folded
// (utf8proc) with ё folded to е, so "ДАРЧИЕВ", "Дарчиев" and "дарчиёв" compare equal. With
// accent folding, combining marks are removed as well ("Lavrov", "Lávrov"; note that this also
// folds й to и). Invalid UTF-8 bytes separate tokens and are otherwise ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace feedwatch::filters {

// Where the folded texts of tokens are kept: appended to and never moved, so tokens point into
// it, and a document's words cost one allocation instead of one each (a Russian word of eight
// letters is longer than a std::string holds inline).
class TokenTexts {
 public:
  // `expected` bytes fit in the first block: the length of the text to be tokenised, which
  // folding seldom makes longer.
  explicit TokenTexts(size_t expected = 0) : first_block_(expected) {}
  TokenTexts(TokenTexts&& other) noexcept;
  TokenTexts& operator=(TokenTexts&& other) noexcept;
  TokenTexts(const TokenTexts&) = delete;
  TokenTexts& operator=(const TokenTexts&) = delete;
  ~TokenTexts() = default;

  // A copy of `text`, valid as long as this is.
  std::string_view Add(std::string_view text);
  // Room for `size` bytes after those kept, to be written and then kept by Keep(size) (or left
  // for the next Reserve or Add).
  char* Reserve(size_t size);
  std::string_view Keep(size_t size);

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t first_block_;
  char* next_ = nullptr;  // the free bytes of the last block
  size_t left_ = 0;
};

struct Token {
  std::string_view text;  // folded, kept by the TokenTexts the token was made with
  uint32_t begin = 0;     // byte offsets of the token in the original text
  uint32_t end = 0;
};

// Appends the tokens of `utf8` to `out`, their folded texts to `texts`.
void AppendTokens(std::string_view utf8, bool fold_accents, TokenTexts& texts,
                  std::vector<Token>& out);

// The folded tokens of `utf8`.
std::vector<std::string> Tokenize(std::string_view utf8, bool fold_accents = false);

}  // namespace feedwatch::filters
