#include "filters/headline.h"

#include <gtest/gtest.h>

namespace feedwatch::filters {
namespace {

double Similarity(std::string_view a, std::string_view b) {
  return HeadlineSimilarity(HeadlineWords(a), HeadlineWords(b));
}

TEST(Headline, StripsOutletSuffixesAndTags) {
  using Words = std::vector<std::string>;
  EXPECT_EQ(HeadlineWords("Moscow round postponed - Reuters"),
            (Words{"moscow", "round", "postponed"}));
  EXPECT_EQ(HeadlineWords("Moscow round postponed | The Moscow Times"),
            (Words{"moscow", "round", "postponed"}));
  EXPECT_EQ(HeadlineWords("Московский раунд отложен — РИА Новости"),
            HeadlineWords("Московский раунд отложен"));
  EXPECT_EQ(HeadlineWords("Moscow round postponed (UPDATED)"),
            (Words{"moscow", "round", "postponed"}));
  // A dash inside a headline is not a suffix when what follows is long.
  EXPECT_EQ(HeadlineWords("Lavrov - we will insist on the return of all six properties").size(),
            11u);
}

// The pairs kSameStory is chosen on.
TEST(Headline, SameStoryAboveTheThresholdDifferentStoriesBelow) {
  const std::string story = "Russia and US to hold third round of talks in Moscow";
  for (const char* same : {
           "Russia and US to hold third round of talks in Moscow - Reuters",
           "Russia and US to hold third round of talks in Moscow | Yahoo News",
           "Russia and US to hold \u201cthird round\u201d of talks in Moscow",
           "Russia and US to hold 'third round' of talks in Moscow (UPDATED)",
           "Russia, US to hold third round of talks in Moscow soon",  // edited
       }) {
    EXPECT_GE(Similarity(story, same), kSameStory) << same;
  }
  for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{
           {"Third round of Russia-US talks in Moscow soon",
            "Second round of Russia-US talks held in Istanbul"},
           {"Russia and US to hold third round of talks in Moscow",
            "Russia and Iran to hold new round of talks in Moscow on nuclear deal"},
           {"Darchiev presents credentials at the White House",
            "Darchiev meets State Department officials"},
           {"Московский раунд консультаций России и США отложен",
            "Стамбульский раунд консультаций России и США завершён"},
       }) {
    EXPECT_LT(Similarity(a, b), kSameStory) << a << " | " << b;
  }
}

}  // namespace
TEST(HeadlineWords, AreTheFirstFortyEightOfAnOverlongTitle) {
  std::string title;
  for (int i = 0; i < 5000; ++i) title += "w" + std::to_string(i) + " ";
  const std::vector<std::string> words = HeadlineWords(title);
  ASSERT_EQ(words.size(), kHeadlineWords);
  EXPECT_EQ(words.front(), "w0");
  EXPECT_EQ(words.back(), "w47");
}

}  // namespace feedwatch::filters
