// Unicode-aware tokenising shared by queries and documents, so both sides fold the same way.
//
// A token is a maximal run of letters, marks and digits. Everything else separates tokens:
// "Russia-US" is two tokens and "Moscow's" is "moscow" + "s". Each token is NFKC case-folded
// (utf8proc) with ё folded to е, so "ДАРЧИЕВ", "Дарчиев" and "дарчиёв" compare equal. Invalid
// UTF-8 bytes separate tokens and are otherwise ignored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace feedwatch::filters {

std::vector<std::string> Tokenize(std::string_view utf8);

// Appends the tokens of `utf8` to `out`.
void AppendTokens(std::string_view utf8, std::vector<std::string>& out);

}  // namespace feedwatch::filters
