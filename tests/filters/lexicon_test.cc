#include "filters/lexicon.h"

#include <gtest/gtest.h>

#include <random>

namespace feedwatch::filters {
namespace {

TEST(Lexicon, GivesEachWordOneIndexWhateverItsKind) {
  Lexicon lexicon;
  EXPECT_EQ(lexicon.Add({"moscow", false}), 0u);
  EXPECT_EQ(lexicon.Add({"moscow", true}), 1u);  // a prefix is another word
  EXPECT_EQ(lexicon.Add({"moscow", false}), 0u);
  EXPECT_EQ(lexicon.Add({"moscow", true}), 1u);
  EXPECT_EQ(lexicon.Add({"round", false}), 2u);
  ASSERT_EQ(lexicon.size(), 3u);
  EXPECT_EQ(lexicon[1].text, "moscow");
  EXPECT_TRUE(lexicon[1].prefix);
  // Thousands of words: the table of exact words grows many times, and every word keeps its
  // index.
  for (int i = 0; i < 5000; ++i) {
    EXPECT_EQ(lexicon.Add({"w" + std::to_string(i), i % 3 == 0}), 3u + i);
  }
  for (int i = 0; i < 5000; ++i) {
    EXPECT_EQ(lexicon.Add({"w" + std::to_string(i), i % 3 == 0}), 3u + i);
  }
  EXPECT_EQ(lexicon.size(), 5003u);
}

TEST(Resolution, AllAtOnceFindsWhatOneByOneFinds) {
  // Words, prefixes of them and words the documents do not have, against documents of
  // inflected words in both scripts.
  const std::vector<std::string> stems = {"moscow", "round",   "дарчиев", "посол", "us",
                                          "embass", "спартак", "prop",    "a"};
  Lexicon lexicon;
  for (const std::string& stem : stems) {
    lexicon.Add({stem, false});
    lexicon.Add({stem, true});
    lexicon.Add({stem.substr(0, 2), true});
    lexicon.Add({stem + "x", false});
  }
  std::mt19937 random(5);
  for (int d = 0; d < 200; ++d) {
    std::string text;
    for (int i = 0; i < 30; ++i) {
      text += stems[random() % stems.size()];
      if (random() % 3 == 0) text += random() % 2 == 0 ? "s" : "ом";
      text += ' ';
    }
    for (const bool accents : {false, true}) {
      const Document document({.title = text.substr(0, 40), .summary = text}, accents);
      const Resolution all(lexicon, document, accents, /*all_at_once=*/true);
      const Resolution each(lexicon, document, accents, /*all_at_once=*/false);
      size_t found = 0;
      for (uint32_t w = 0; w < lexicon.size(); ++w) {
        const auto a = all.Postings(w);
        const auto b = each.Postings(w);
        ASSERT_EQ(a.size(), b.size()) << lexicon[w].text << (lexicon[w].prefix ? "*" : "");
        for (size_t p = 0; p < a.size(); ++p) {
          EXPECT_EQ(a[p].field, b[p].field);
          EXPECT_EQ(a[p].position, b[p].position);
        }
        found += a.size();
      }
      EXPECT_GT(found, 30u);
    }
  }
}

}  // namespace
}  // namespace feedwatch::filters
