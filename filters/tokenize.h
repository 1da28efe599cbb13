// Unicode-aware tokenising shared by queries and documents, so both sides fold the same way.
//
// A token is a maximal run of letters, marks and digits. Everything else separates tokens:
// "Russia-US" is two tokens and "Moscow's" is "moscow" + "s". Each token is NFKC case-folded
// (utf8proc) with ё folded to е, so "ДАРЧИЕВ", "Дарчиев" and "дарчиёв" compare equal. With
// accent folding, combining marks are removed as well ("Lavrov", "Lávrov"; note that this also
// folds й to и). Invalid UTF-8 bytes separate tokens and are otherwise ignored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace feedwatch::filters {

struct Token {
  std::string text;    // folded
  uint32_t begin = 0;  // byte offsets of the token in the original text
  uint32_t end = 0;
};

// Appends the tokens of `utf8` to `out`.
void AppendTokens(std::string_view utf8, bool fold_accents, std::vector<Token>& out);

// The folded tokens of `utf8`.
std::vector<std::string> Tokenize(std::string_view utf8, bool fold_accents = false);

// `word` folded as a token is (it is not split).
std::string Fold(std::string_view word, bool fold_accents);

}  // namespace feedwatch::filters
