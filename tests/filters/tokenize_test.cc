#include "filters/tokenize.h"

#include <gtest/gtest.h>

#include <string>

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

TEST(Tokenize, ARunOfCombiningMarksIsFoldedAPieceAtATime) {
  // A page writes 100,000 alternating marks after one letter: utf8proc would order the run by
  // swapping neighbours, quadratic (minutes, with the loop stopped). Folded 256 bytes at a
  // time, the word is still one token, lower-cased, its marks in order within each piece.
  std::string word = "\u00C9";
  for (int i = 0; i < 50'000; ++i) word += "\u0301\u0327";
  const Tokens tokens = Tokenize("Посол " + word + " Darchiev", /*fold_accents=*/false);
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[0], "посол");
  EXPECT_FALSE(tokens[1].starts_with("\u00C9")) << "folded";
  EXPECT_GT(tokens[1].size(), 199'000u) << "every mark kept";
  EXPECT_EQ(tokens[2], "darchiev");
  EXPECT_EQ(Tokenize(word, /*fold_accents=*/true), Tokens{"e"});
  // A long word is cut before a letter, not between a letter and its mark: one whose mark
  // falls on the 256th byte still composes.
  const std::string long_word = std::string(254, 'a') + "e\u0301" + std::string(100, 'b');
  EXPECT_EQ(Tokenize(long_word), Tokens{std::string(254, 'a') + "\u00E9" + std::string(100, 'b')});
}

TEST(Tokenize, InvalidUtf8SeparatesTokens) {
  EXPECT_EQ(Tokenize("abc\xff\xfe"
                     "def"),
            (Tokens{"abc", "def"}));
  EXPECT_EQ(Tokenize("\xd0"), Tokens{});
}

TEST(Tokenize, FoldsShortIOnlyWithAccents) {
  // й keeps its breve (it is another letter) unless accents fold; ё is е either way.
  EXPECT_EQ(Tokenize("Ёлкий ЙОД"), (Tokens{"елкий", "йод"}));
  EXPECT_EQ(Tokenize("Ёлкий ЙОД", /*fold_accents=*/true), (Tokens{"елкии", "иод"}));
}

TEST(Tokenize, WordsThatFoldLongerThanWrittenAreKeptWhole) {
  // U+0149 (2 bytes) folds to U+02BC U+006E (3 bytes): the folded texts outgrow the room the
  // text's length promised (12 bytes for 9 written), and those past it go elsewhere without
  // moving the others.
  std::string text;
  for (int i = 0; i < 3000; ++i) text += i % 7 == 0 ? "Word " : "\u0149\u0149\u0149\u0149 ";
  const Tokens tokens = Tokenize(text);
  ASSERT_EQ(tokens.size(), 3000u);
  for (size_t i = 0; i < tokens.size(); ++i) {
    ASSERT_EQ(tokens[i], i % 7 == 0 ? "word" : "\u02BCn\u02BCn\u02BCn\u02BCn") << "token " << i;
  }
}

TEST(Tokenize, DigitsAreWordCharacters) {
  EXPECT_EQ(Tokenize("G20 summit 2025"), (Tokens{"g20", "summit", "2025"}));
}

}  // namespace
}  // namespace feedwatch::filters
