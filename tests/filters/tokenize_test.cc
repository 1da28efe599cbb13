#include "filters/tokenize.h"

#include <gtest/gtest.h>

namespace feedwatch::filters {
namespace {

using Tokens = std::vector<std::string>;

TEST(Tokenize, SplitsOnPunctuationAndFoldsCase) {
  EXPECT_EQ(Tokenize("Russia-US talks: Moscow's round"),
            (Tokens{"russia", "us", "talks", "moscow", "s", "round"}));
}

TEST(Tokenize, FoldsCyrillicCaseAndYo) {
  EXPECT_EQ(Tokenize("ДАРЧИЕВ Дарчиёв «раздражители»"),
            (Tokens{"дарчиев", "дарчиев", "раздражители"}));
}

TEST(Tokenize, AppliesCompatibilityNormalisation) {
  // U+FB01 LATIN SMALL LIGATURE FI and full-width letters fold to plain letters.
  EXPECT_EQ(Tokenize("ﬁnal ＵＳ"), (Tokens{"final", "us"}));
  // Decomposed é (e + U+0301) composes to the same token as precomposed é.
  EXPECT_EQ(Tokenize("Caf\u0065\u0301"), Tokenize("Caf\u00e9"));
}

TEST(Tokenize, InvalidUtf8SeparatesTokens) {
  EXPECT_EQ(Tokenize("abc\xff\xfe"
                     "def"),
            (Tokens{"abc", "def"}));
  EXPECT_EQ(Tokenize("\xd0"), Tokens{});
}

TEST(Tokenize, DigitsAreWordCharacters) {
  EXPECT_EQ(Tokenize("G20 summit 2025"), (Tokens{"g20", "summit", "2025"}));
}

}  // namespace
}  // namespace feedwatch::filters
