// StoryIndex: the story a new item belongs to, found through word-pair postings; checked
// against the scan of every story that it replaces.
#include "daemon/story_index.h"

#include <gtest/gtest.h>

#include <random>

#include "filters/headline.h"

namespace feedwatch::daemon {
namespace {

using namespace std::chrono_literals;

constexpr TimePoint kStart{Seconds(1'750'000'000)};
constexpr Seconds kWindow{72 * 3600};

store::StoryHead Head(std::int64_t id, std::string title, std::string url = "",
                      TimePoint at = kStart) {
  return {id, id, "w", std::move(title), std::move(url), at};
}

std::optional<std::int64_t> Find(StoryIndex& index, const std::string& title,
                                 const std::string& url = "", TimePoint now = kStart) {
  return index.Find(url, filters::HeadlineWords(title), now);
}

TEST(StoryIndex, FindsTheSameUrlOrAnAlikeHeadline) {
  StoryIndex index(kWindow);
  index.Add(Head(1, "Darchiev presents credentials at the White House", "wire.test/a"));
  index.Add(Head(2, "Moscow round of consultations on embassy property ends in Istanbul"));
  EXPECT_EQ(Find(index, "Something else entirely", "wire.test/a"), 1);
  EXPECT_EQ(
      Find(index, "Moscow round of consultations on embassy property ends in Istanbul - Wire"), 2);
  // One word of ten changed: 7 of 11 word pairs shared.
  EXPECT_EQ(Find(index, "Moscow round of consultations on embassy property closes in Istanbul"), 2);
  EXPECT_EQ(Find(index, "Istanbul consultations: the Moscow round ends"), std::nullopt);
  EXPECT_EQ(Find(index, "Darchiev"), std::nullopt);
}

TEST(StoryIndex, TheLatestStoryWinsAndOldOnesFallOutOfTheWindow) {
  StoryIndex index(kWindow);
  index.Add(Head(1, "Embassy property returned to Russia", "", kStart));
  index.Add(Head(2, "Embassy property returned to Russia", "", kStart + 1h));
  EXPECT_EQ(Find(index, "Embassy property returned to Russia", "", kStart + 2h), 2);
  EXPECT_EQ(Find(index, "Embassy property returned to Russia", "", kStart + 1h + kWindow), 2);
  EXPECT_EQ(Find(index, "Embassy property returned to Russia", "", kStart + 2h + kWindow),
            std::nullopt);
}

TEST(StoryIndex, OneWordHeadlinesAreComparedOnWords) {
  StoryIndex index(kWindow);
  index.Add(Head(1, "Дарчиев"));
  EXPECT_EQ(Find(index, "ДАРЧИЕВ"), 1);
  EXPECT_EQ(Find(index, "Дарчиев Лавров"), std::nullopt);  // 1 of 2 words: 0.5
}

// Random headlines over a small vocabulary, so that many share pairs: the index finds exactly
// what comparing with every story in the window finds.
TEST(StoryIndex, FindsWhatAScanOfEveryStoryFinds) {
  const std::vector<std::string> vocabulary = {
      "Darchiev", "Moscow", "round",     "talks", "embassy",   "property", "Istanbul",
      "US",       "Russia", "irritants", "visas", "diplomats", "return",   "ends"};
  std::mt19937 random(7);
  const auto headline = [&] {
    std::string title;
    const int words = 1 + static_cast<int>(random() % 7);
    for (int i = 0; i < words; ++i) title += vocabulary[random() % vocabulary.size()] + " ";
    return title;
  };
  StoryIndex index(kWindow);
  std::vector<store::StoryHead> heads;
  std::vector<std::vector<std::string>> head_words;
  int found = 0;
  for (int i = 1; i <= 1500; ++i) {
    const TimePoint now = kStart + Seconds(i * 240);  // 72 h is 1,080 of these
    const std::string title = headline();
    const std::string url = random() % 10 == 0 ? "u" + std::to_string(random() % 50) : "";
    // The scan: the latest head in the window with the URL or an alike headline.
    std::optional<std::int64_t> expected;
    const std::vector<std::string> words = filters::HeadlineWords(title);
    for (size_t h = 0; h < heads.size(); ++h) {
      if (heads[h].matched_at < now - kWindow) continue;
      if ((!url.empty() && heads[h].canonical_url == url) ||
          filters::HeadlineSimilarity(words, head_words[h]) >= filters::kSameStory) {
        expected = heads[h].match_id;  // heads are in time order: the last one wins
      }
    }
    ASSERT_EQ(index.Find(url, words, now), expected) << i << ": " << title;
    if (expected) {
      ++found;
    } else {
      heads.push_back(Head(i, title, url, now));
      head_words.push_back(words);
      index.Add(heads.back());
    }
  }
  EXPECT_GT(found, 300);  // the vocabulary is small enough for stories to repeat
  EXPECT_GT(heads.size(), 300u);
}

}  // namespace
}  // namespace feedwatch::daemon
