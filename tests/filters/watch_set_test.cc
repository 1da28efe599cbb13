#include "filters/watch_set.h"

#include <gtest/gtest.h>

#include <random>

namespace feedwatch::filters {
namespace {

TEST(WatchSet, IndexedMatchingEqualsAskingEveryQuery) {
  // Random queries over a small vocabulary, so that triggers, prefixes, NOT and NEAR all meet.
  const std::vector<std::string> words = {"moscow", "round",   "talks",   "Дарчиев", "посол",
                                          "us",     "embassy", "спартак", "property"};
  std::mt19937 random(11);
  const auto word = [&] {
    std::string w = words[random() % words.size()];
    if (random() % 4 == 0) w = w.substr(0, 3) + "*";
    return w;
  };
  std::vector<Query> queries;
  for (int i = 0; i < 400; ++i) {
    std::string text;
    switch (i % 6) {
      case 0:
        text = word();
        break;
      case 1:
        text = word() + " OR " + word();
        break;
      case 2:
        text = word() + " " + word() + " -" + word();
        break;
      case 3:
        text = word() + " NEAR/2 (" + word() + " OR " + word() + ")";
        break;
      case 4:
        text = "\"" + word() + " " + word() + "\" OR NOT " + word() + " OR " + word();
        break;
      default:
        text = "title:" + word() + " OR summary:(" + word() + " " + word() + ")";
    }
    Result<Query> query = Query::Parse(text, {.fold_accents = i % 7 == 0});
    ASSERT_TRUE(query.ok()) << text << ": " << query.error().message;
    queries.push_back(std::move(*query));
  }
  WatchSet set;
  for (const Query& query : queries) set.Add(&query);
  ASSERT_TRUE(set.needs_accent_folding());

  size_t total_matches = 0;
  for (int d = 0; d < 300; ++d) {
    std::string title, summary;
    // Some words inflected, for the prefixes to find.
    for (int i = 0; i < 6; ++i) title += words[random() % words.size()] + (i % 3 == 0 ? "s " : " ");
    for (int i = 0; i < 8; ++i) summary += words[random() % words.size()] + " ";
    if (d % 2 == 0) title.insert(0, words[random() % words.size()] + " ");
    const Document document({.title = title, .summary = summary}, /*fold_accents=*/true);
    std::vector<size_t> expected;
    for (size_t q = 0; q < queries.size(); ++q) {
      if (queries[q].Matches(document)) expected.push_back(q);
    }
    EXPECT_EQ(set.Match(document), expected) << title << " | " << summary;
    total_matches += expected.size();
  }
  EXPECT_GT(total_matches, 1000u);  // the comparison is not vacuous
}

TEST(WatchSet, TriggersAreTheTermsEveryMatchContains) {
  const auto triggers = [](std::string_view text) {
    std::string out;
    const std::optional<std::vector<Query::Trigger>> set = Query::Parse(text)->Triggers();
    if (!set) return std::string("none");
    for (const Query::Trigger& t : *set) out += t.text + (t.prefix ? "* " : " ");
    return out;
  };
  EXPECT_EQ(triggers("Darchiev"), "darchiev ");
  EXPECT_EQ(triggers("\"Moscow round\""), "moscow ");  // one word of a phrase is enough
  EXPECT_EQ(triggers("a OR Дарчиев*"), "a дарчиев* ");
  EXPECT_EQ(triggers("(a OR b) AND c"), "c ");  // the smaller set of an AND
  EXPECT_EQ(triggers("a -b"), "a ");
  EXPECT_EQ(triggers("a OR NOT b"), "none");
}

TEST(WatchSet, DocumentsAreTokenisedInTheFieldsSomeWatchSearches) {
  const Result<Query> body = Query::Parse("consulate");
  const Result<Query> scoped = Query::Parse("link:consulate OR author:(\"Ivan Petrov\")");
  const Result<Query> excluded = Query::Parse("consulate -feed:sport");
  ASSERT_TRUE(body.ok() && scoped.ok() && excluded.ok());
  EXPECT_EQ(body->fields(), kDefaultFields);
  EXPECT_EQ(scoped->fields(), Bit(Field::kLink) | Bit(Field::kAuthor));
  EXPECT_EQ(excluded->fields(), kDefaultFields | Bit(Field::kFeed));

  const DocumentFields fields{.title = "Talks resume",
                              .summary = "The consulate in San Francisco.",
                              .author = "Ivan Petrov",
                              .feed = "sport news",
                              .link = "https://example.org/consulate"};
  WatchSet set;
  set.Add(&*body);
  set.Add(&*excluded);
  EXPECT_EQ(set.fields(), kDefaultFields | Bit(Field::kFeed));
  // The link and the author are not searched by these watches, so not tokenised; the feed is.
  const Document document(fields, set.needs_accent_folding(), set.fields());
  EXPECT_TRUE(document.tokens(Field::kLink, false).empty());
  EXPECT_TRUE(document.tokens(Field::kAuthor, false).empty());
  EXPECT_EQ(set.Match(document), std::vector<size_t>{0});  // the exclusion reads the feed
  EXPECT_TRUE(
      excluded->Matches(Document({.summary = "consulate", .feed = "news"}, false, set.fields())));

  set.Add(&*scoped);
  const Document all(fields, set.needs_accent_folding(), set.fields());
  EXPECT_EQ(set.Match(all), (std::vector<size_t>{0, 2}));
  EXPECT_EQ(set.Match(all), set.Match(Document(fields, false)));
}

TEST(WatchSet, AQueryReadsTheRunningTextWhateverFieldsItSearches) {
  // These queries search neither the summary nor (some) the title, yet the summary's words
  // count in their distances, the title reads with the lede, and the content's passages are
  // numbered after the summary's: a document made for their fields must read them alike.
  std::string thousand_paragraphs;
  for (int i = 0; i < 1000; ++i) thousand_paragraphs += "paragraph\n";
  const std::vector<std::pair<std::string, DocumentFields>> cases = {
      {"title:alpha NEAR/3 content:beta",
       {.title = "alpha", .summary = "one two three four five six seven", .content = "beta"}},
      {"title:ambassador NOT NEAR/10 content:former",
       {.title = "The ambassador", .summary = "He spoke.", .content = "The former envoy left."}},
      {"content:alpha AND content:beta",
       {.title = "t", .summary = thousand_paragraphs, .content = "alpha\nbeta"}},
  };
  for (const auto& [text, fields] : cases) {
    for (const Scope scope : {Scope::kPassage, Scope::kItem}) {
      const Result<Query> query = Query::Parse(text, {.scope = scope});
      ASSERT_TRUE(query.ok()) << text;
      WatchSet set;
      set.Add(&*query);
      const bool expected = query->Matches(Document(fields, false));
      EXPECT_EQ(set.Match(Document(fields, false, set.fields())).size(), expected ? 1u : 0u)
          << text << " in scope " << ScopeName(scope);
      EXPECT_EQ(query->Matches(Document(fields, false, query->fields())), expected) << text;
    }
  }
}

}  // namespace
}  // namespace feedwatch::filters
