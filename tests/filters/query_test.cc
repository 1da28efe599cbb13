#include "filters/query.h"

#include <gtest/gtest.h>

#include <random>

namespace feedwatch::filters {
namespace {

bool Matches(std::string_view query, std::string_view title, std::string_view summary = "") {
  const Result<Query> q = Query::Parse(query);
  EXPECT_TRUE(q.ok()) << q.error().message;
  return q.ok() && q->Matches(Document::FromFields({title, summary}));
}

std::string ErrorOf(std::string_view query) {
  const Result<Query> q = Query::Parse(query);
  EXPECT_FALSE(q.ok());
  return q.ok() ? "" : q.error().message;
}

TEST(Query, WordsMatchWholeTokensCaseInsensitively) {
  EXPECT_TRUE(Matches("Darchiev", "Ambassador DARCHIEV arrives"));
  EXPECT_TRUE(Matches("Moscow", "Moscow's position"));
  EXPECT_FALSE(Matches("Darchiev", "Darchievsky"));
  EXPECT_FALSE(Matches("round", "around the world"));
}

TEST(Query, PrefixMatchesInflections) {
  EXPECT_TRUE(Matches("Дарчиев*", "Встреча с Дарчиевым"));
  EXPECT_TRUE(Matches("Дарчиев*", "Дарчиев"));
  EXPECT_TRUE(Matches("Darchiev*", "Darchievsky"));
  EXPECT_FALSE(Matches("Дарчиев*", "Дарчи"));
}

TEST(Query, PhrasesNeedAdjacentTokensInOneField) {
  EXPECT_TRUE(Matches("\"Moscow round\"", "the Moscow round of talks"));
  EXPECT_TRUE(Matches("\"Moscow round\"", "a Moscow-round meeting"));
  EXPECT_FALSE(Matches("\"Moscow round\"", "Spartak Moscow advance to next round"));
  EXPECT_FALSE(Matches("\"Moscow round\"", "talks in Moscow", "round two"));
  EXPECT_TRUE(Matches("\"дипломатическ* собственност*\"", "о дипломатической собственности"));
}

TEST(Query, OrAlternatives) {
  const char* query = "Darchiev OR Darchiyev OR \"Moscow round\"";
  EXPECT_TRUE(Matches(query, "Darchiyev says"));
  EXPECT_TRUE(Matches(query, "no title", "The Moscow round is set"));
  EXPECT_FALSE(Matches(query, "Lavrov says"));
}

TEST(Query, ErrorsCarryTheirColumn) {
  EXPECT_EQ(ErrorOf(""), "1:1: empty query");
  EXPECT_EQ(ErrorOf("a OR"), "1:5: expected a word or phrase after OR");
  EXPECT_EQ(ErrorOf("OR a"), "1:1: expected a word or phrase before OR");
  EXPECT_EQ(ErrorOf("a b"), "1:3: expected OR between alternatives");
  EXPECT_EQ(ErrorOf("a OR \"b c"), "1:6: unclosed '\"': expected a closing quote");
  EXPECT_EQ(ErrorOf("Дарч*ев"), "1:1: '*' may only end a word");
  EXPECT_EQ(ErrorOf("a OR (b)"),
            "1:6: only words, \"phrases\" and prefix* joined by OR are supported here");
  EXPECT_EQ(ErrorOf("a OR ---"), "1:6: expected a word with at least one letter or digit");
  EXPECT_EQ(ErrorOf("a OR \"\""), "1:6: empty phrase");
}

TEST(Query, RandomBytesNeverCrashTheParser) {
  std::mt19937 random(20261125);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 40);
  const Document document = Document::FromFields({"some title", "some text"});
  for (int i = 0; i < 20000; ++i) {
    std::string text(static_cast<size_t>(length(random)), '\0');
    for (char& c : text) c = static_cast<char>(byte(random));
    const Result<Query> q = Query::Parse(text);
    if (q.ok()) (void)q->Matches(document);
  }
}

}  // namespace
}  // namespace feedwatch::filters
