#include "filters/query.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace feedwatch::filters {
namespace {

// Title, summary and content; the other fields empty unless given.
struct Item {
  std::string title;
  std::string summary;
  std::string content;
  std::string author;
  std::string category;
  std::string feed;
  std::string link;
};

Document Doc(const Item& item, bool accents = false) {
  return Document({.title = item.title,
                   .summary = item.summary,
                   .content = item.content,
                   .author = item.author,
                   .category = item.category,
                   .feed = item.feed,
                   .link = item.link},
                  accents);
}

bool Matches(std::string_view query, const Item& item, QueryOptions options = {}) {
  const Result<Query> q = Query::Parse(query, options);
  EXPECT_TRUE(q.ok()) << query << ": " << q.error().message;
  return q.ok() && q->Matches(Doc(item, options.fold_accents));
}

bool Matches(std::string_view query, std::string title) {
  return Matches(query, Item{.title = std::move(title)});
}

std::string ErrorOf(std::string_view query) {
  const Result<Query> q = Query::Parse(query);
  EXPECT_FALSE(q.ok()) << query;
  return q.ok() ? "" : q.error().message;
}

TEST(Query, TermsMatchWholeTokensCaseInsensitively) {
  EXPECT_TRUE(Matches("Darchiev", "Ambassador DARCHIEV arrives"));
  EXPECT_TRUE(Matches("Moscow", "Moscow's position"));
  EXPECT_TRUE(Matches("Moscow", "Moscow’s position"));  // curly apostrophe
  EXPECT_FALSE(Matches("Darchiev", "Darchievsky"));
  EXPECT_FALSE(Matches("round", "around the world"));
  EXPECT_TRUE(Matches("US", "Russia-US talks"));  // "Russia-US" is two tokens
  EXPECT_TRUE(Matches("russia", "Russia-US talks"));
}

TEST(Query, PrefixMatchesInflections) {
  EXPECT_TRUE(Matches("Дарчиев*", "Встреча с Дарчиевым"));
  EXPECT_TRUE(Matches("consult*", "consultations resume"));
  EXPECT_FALSE(Matches("consult*", "inconsultable"));
  EXPECT_TRUE(Matches("Darchiev*", "Darchievsky"));
}

TEST(Query, UnicodeFoldsCaseAndYoAcrossScripts) {
  EXPECT_TRUE(Matches("дарчиёв", "ДАРЧИЕВ"));
  EXPECT_TRUE(Matches("раздражители", "«Раздражители» в повестке"));
  EXPECT_TRUE(Matches("Darchiev AND посол*", "Darchiev: посольство работает"));  // mixed scripts
  EXPECT_TRUE(Matches("ＵＳ", "US talks"));  // NFKC: full-width letters
}

TEST(Query, AccentFoldingIsPerWatch) {
  EXPECT_FALSE(Matches("Lavrov", "Lávrov meets Rubio"));
  EXPECT_TRUE(Matches("Lavrov", Item{.title = "Lávrov meets Rubio"}, {.fold_accents = true}));
  EXPECT_TRUE(Matches("Lávrov", Item{.title = "Lavrov meets Rubio"}, {.fold_accents = true}));
}

TEST(Query, PhrasesAreConsecutiveTokensInOneField) {
  EXPECT_TRUE(Matches("\"Moscow round\"", "the Moscow round of talks"));
  EXPECT_TRUE(Matches("\"Moscow round\"", "the Moscow, round"));  // punctuation is not a word
  EXPECT_FALSE(Matches("\"Moscow round\"", "round of talks in Moscow"));
  EXPECT_FALSE(Matches("\"Moscow round\"", Item{.title = "talks in Moscow", .summary = "round"}));
  EXPECT_TRUE(Matches("\"московск* раунд*\"", "Московский раунд отложен"));
  EXPECT_TRUE(Matches("\"Russia-US talks\"", "Russia US talks"));
}

TEST(Query, BooleanOperatorsAndPrecedence) {
  EXPECT_TRUE(Matches("Moscow AND round", "round of talks in Moscow"));
  EXPECT_TRUE(Matches("Moscow round", "round of talks in Moscow"));  // implicit AND
  EXPECT_FALSE(Matches("Moscow round", "Moscow talks"));
  EXPECT_TRUE(Matches("Spartak OR talks", "Moscow talks"));
  EXPECT_FALSE(Matches("Moscow NOT Spartak", "Spartak Moscow advance"));
  EXPECT_FALSE(Matches("Moscow -Spartak", "Spartak Moscow advance"));
  EXPECT_TRUE(Matches("Moscow -Spartak", "Moscow talks"));
  // AND binds tighter than OR: a OR (b AND c).
  EXPECT_TRUE(Matches("Darchiev OR Moscow round", "Darchiev arrives"));
  EXPECT_FALSE(Matches("Darchiev OR Moscow round", "Moscow talks"));
  EXPECT_TRUE(Matches("(Darchiev OR Moscow) round", "Moscow round"));
  EXPECT_FALSE(Matches("(Darchiev OR Moscow) round", "Darchiev arrives"));
  EXPECT_TRUE(Matches("NOT sport Moscow", "Moscow talks"));
  EXPECT_TRUE(Matches("Moscow NOT (Spartak OR CSKA)", "Moscow talks"));
  EXPECT_FALSE(Matches("Moscow NOT (Spartak OR CSKA)", "CSKA Moscow"));
  // Lower-case operator words are terms.
  EXPECT_TRUE(Matches("talks and", "talks and more"));
  EXPECT_FALSE(Matches("talks or round", "talks"));
}

TEST(Query, NearIsProximityInEitherOrderWithinAField) {
  EXPECT_TRUE(Matches("round NEAR/3 Moscow", "next round in Moscow"));        // 2 between
  EXPECT_TRUE(Matches("round NEAR/3 Moscow", "Moscow will host the round"));  // 3 between
  EXPECT_FALSE(Matches("round NEAR/2 Moscow", "Moscow will host the round"));
  EXPECT_TRUE(Matches("round NEAR/0 Moscow", "Moscow round"));
  // Across fields: see ProximityReadsTitleSummaryAndContentAsOneText.
  EXPECT_TRUE(Matches("round NEAR/5 Moscow", Item{.title = "round", .summary = "Moscow"}));
  EXPECT_TRUE(Matches("round ONEAR/3 Moscow", "round held in Moscow"));
  EXPECT_FALSE(Matches("round ONEAR/3 Moscow", "Moscow held a round"));
}

TEST(Query, HitsThatShareAWordAreNear) {
  // "round" is in "Moscow round": the two hits share a token, which is as near as they come.
  EXPECT_TRUE(Matches("round NEAR/3 \"Moscow round\"", "the Moscow round is off"));
  EXPECT_TRUE(Matches("\"Moscow round\" NEAR/0 round", "the Moscow round is off"));
  EXPECT_FALSE(Matches("round ONEAR/3 \"Moscow round\"", "the Moscow round is off"));
  EXPECT_FALSE(Matches("round NOT NEAR/0 \"round is\"", "the Moscow round is off"));
}

TEST(Query, NearOperandsMayBePhrasesAndGroups) {
  EXPECT_TRUE(Matches("\"next round\" NEAR/2 (Moscow OR Москв*)", "next round in Moscow"));
  EXPECT_TRUE(Matches("\"next round\" NEAR/2 (Moscow OR Москв*)", "next round in Москве"));
  EXPECT_FALSE(
      Matches("\"next round\" NEAR/2 (Moscow OR Москв*)", "next round of talks in X, Moscow"));
  EXPECT_TRUE(Matches("(round OR talks) NEAR/1 (Moscow OR Istanbul)", "talks in Istanbul"));
  // Chained: each NEAR applies to the spans the previous one kept.
  EXPECT_TRUE(Matches("a NEAR/1 b NEAR/1 c", "a b c"));
  EXPECT_FALSE(Matches("a NEAR/1 b NEAR/1 c", "a b x x x x c"));
}

TEST(Query, FieldScopes) {
  const Item item{.title = "Embassy talks",
                  .summary = "Darchiev said",
                  .content = "Moscow round",
                  .author = "Jane Roe",
                  .category = "Diplomacy\nUS",
                  .feed = "tass-en\nTASS",
                  .link = "https://tass.com/politics/123"};
  EXPECT_TRUE(Matches("title:embassy", item));
  EXPECT_FALSE(Matches("title:Darchiev", item));
  EXPECT_TRUE(Matches("summary:Darchiev", item));
  EXPECT_TRUE(Matches("content:\"Moscow round\"", item));
  EXPECT_TRUE(Matches("author:roe", item));
  EXPECT_FALSE(Matches("roe", item));  // unscoped terms search title, summary and content
  EXPECT_TRUE(Matches("category:diplomacy", item));
  EXPECT_TRUE(Matches("feed:tass", item));
  EXPECT_TRUE(Matches("link:politics", item));
  EXPECT_TRUE(Matches("title:(talks OR Darchiev)", item));
  EXPECT_FALSE(Matches("title:(Moscow OR Darchiev)", item));
  EXPECT_TRUE(Matches("title:embassy summary:Darchiev -category:sport", item));
}

TEST(Query, ParseErrorsSayWhereAndWhat) {
  EXPECT_EQ(ErrorOf(""), "1:1: empty query");
  EXPECT_EQ(ErrorOf("   "), "1:1: empty query");
  EXPECT_EQ(ErrorOf("a OR"),
            "1:5: expected a term, phrase or '(' after OR, found the end of the query");
  EXPECT_EQ(ErrorOf("OR a"), "1:1: expected a term, phrase or '(' before OR");
  EXPECT_EQ(ErrorOf("a AND OR b"), "1:7: expected a term, phrase or '(' after AND, found OR");
  EXPECT_EQ(ErrorOf("a (Moscow round"), "1:3: '(' is never closed: expected ')' before the end");
  EXPECT_EQ(ErrorOf("a (Moscow round) b)"), "1:19: unexpected ')'");
  EXPECT_EQ(ErrorOf("a)"), "1:2: unexpected ')'");
  EXPECT_EQ(ErrorOf("()"), "1:2: empty parentheses");
  EXPECT_EQ(ErrorOf("\"Moscow round"), "1:1: unclosed '\"': expected a closing quote");
  EXPECT_EQ(ErrorOf("\"\""), "1:1: empty phrase");
  EXPECT_EQ(ErrorOf("Dar*chiev"), "1:4: '*' may only end a word");
  EXPECT_EQ(ErrorOf("***"), "1:1: '*' may only end a word");
  EXPECT_EQ(ErrorOf("a !!!"), "1:3: expected a word with at least one letter or digit");
  EXPECT_EQ(ErrorOf("a NEAR b"), "1:3: expected NEAR/n with a number of words, e.g. NEAR/5");
  EXPECT_EQ(ErrorOf("a ONEAR/x b"), "1:3: expected ONEAR/n with a number of words, e.g. ONEAR/5");
  EXPECT_EQ(ErrorOf("a NEAR/5"),
            "1:9: expected a term, phrase or '(' after NEAR/5, found the end of the query");
  EXPECT_EQ(ErrorOf("a NEAR/5 NOT b"), "1:10: NOT cannot be an operand of NEAR/5");
  EXPECT_EQ(ErrorOf("(a -b) NEAR/5 c"), "1:1: NOT cannot be an operand of NEAR/5");
  EXPECT_EQ(ErrorOf("NOT a"), "1:1: a query needs at least one term that is not negated");
  EXPECT_EQ(ErrorOf("-a -b"), "1:1: a query needs at least one term that is not negated");
  EXPECT_EQ(ErrorOf("a NOT"),
            "1:6: expected a term, phrase or '(' after NOT, found the end of the query");
  EXPECT_EQ(ErrorOf("titel:a"),
            "1:1: unknown field \"titel\"; expected title, summary, content, author, category, "
            "feed or link");
  EXPECT_EQ(ErrorOf("title: a"), "1:7: expected a term, phrase or '(' right after \"title:\"");
  EXPECT_EQ(ErrorOf("a\nb OR\n  (c"), "3:3: '(' is never closed: expected ')' before the end");
  EXPECT_EQ(ErrorOf("«Дарчиев» OR"),
            "1:13: expected a term, phrase or '(' after OR, found the end of the query");
  EXPECT_EQ(ErrorOf(std::string(100, '(') + "a" + std::string(100, ')')),
            "1:66: the query nests too deeply");
}

TEST(Query, NumbersAndColonsInTermsAreNotFieldScopes) {
  EXPECT_TRUE(Matches("10:30", "talks at 10:30"));
  EXPECT_TRUE(Matches("G20", "G20 summit"));
}

TEST(Query, ExplainsWhichTermsHitWhereWithASnippet) {
  const Item item{.title = "Встреча с Дарчиевым прошла в Госдепартаменте",
                  .summary = "Посол России Александр Дарчиев обсудил работу посольств."};
  const Document document = Doc(item);
  const Result<Query> query = Query::Parse("Дарчиев* AND (посол* OR \"State Department\")");
  ASSERT_TRUE(query.ok());
  const std::optional<Explanation> why = query->Explain(document);
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->Summary(document),
            "title: Дарчиев* (Дарчиевым); summary: посол* (Посол); summary: Дарчиев* (Дарчиев); "
            "summary: посол* (посольств)");
  EXPECT_EQ(why->snippet.field, Field::kTitle);
  EXPECT_EQ(why->snippet.Marked("[", "]"), "Встреча с [Дарчиевым] прошла в Госдепартаменте");
  EXPECT_FALSE(query->Explain(Doc({.title = "Посол в Москве"})).has_value());
}

TEST(Query, SnippetIsAWindowAroundTheFirstHitInALongField) {
  std::string content;
  for (int i = 0; i < 40; ++i) content += "word" + std::to_string(i) + " ";
  content += "the Moscow round of talks ";
  for (int i = 40; i < 80; ++i) content += "word" + std::to_string(i) + " ";
  const Document document = Doc({.content = content});
  const Result<Query> query = Query::Parse("\"Moscow round\" NEAR/3 talks");
  const std::optional<Explanation> why = query->Explain(document);
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->snippet.field, Field::kContent);
  EXPECT_EQ(why->snippet.Marked("**", "**"),
            "…word33 word34 word35 word36 word37 word38 word39 the **Moscow round** of **talks** "
            "word40 word41 word42 word43 word44 word45 word46 word47 word48 word49 word50 word51 "
            "word52 word53…");
}

// Random byte strings and random mixes of the language's pieces: the parser never crashes, and
// whatever it accepts evaluates. The sanitizer build runs this too.
TEST(Query, RandomInputNeverCrashesTheParser) {
  std::mt19937 random(7);
  const std::vector<std::string> pieces = {"a",   "Дарчиев*", "\"",       "(", ")",      " ",
                                           "AND", "OR",       "NOT",      "-", "NEAR/3", "ONEAR/",
                                           "*",   "title:",   "feed:",    ":", "\xff",   "\xd0",
                                           "\n",  "\"x y*\"", "NEAR/999", "ё"};
  const Document document = Doc({.title = "a b Дарчиев x y", .summary = "title feed"});
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const int length = static_cast<int>(random() % 24);
    for (int i = 0; i < length; ++i) {
      if (round % 2 == 0) {
        text += static_cast<char>(random() % 256);
      } else {
        text += pieces[random() % pieces.size()];
      }
    }
    const Result<Query> query = Query::Parse(text);
    if (query.ok()) {
      query->Matches(document);
      query->Explain(document);
      query->Triggers();
    } else {
      EXPECT_FALSE(query.error().message.empty());
    }
  }
}

TEST(Query, ProximityReadsTheTitleAndTheLedeAsOneText) {
  // The headline ends and the lede begins: one sentence after the other, as a reader reads.
  const Item split{.title = "US delegation led by Sonata Coulter arrives in Moscow",
                   .summary = "The sides will hold a new round of consultations on irritants."};
  for (const Scope scope : {Scope::kPassage, Scope::kItem}) {
    SCOPED_TRACE(std::string(ScopeName(scope)));
    const QueryOptions options{.scope = scope};
    // Eight words between the headline's last and "consultations".
    EXPECT_TRUE(Matches("Moscow NEAR/8 consultations", split, options));
    EXPECT_FALSE(Matches("Moscow NEAR/7 consultations", split, options));
    EXPECT_TRUE(Matches("Moscow ONEAR/8 consultations", split, options));
    EXPECT_FALSE(Matches("consultations ONEAR/8 Moscow", split, options));  // the title first
    // The positions count every word of the title before the summary's first.
    EXPECT_FALSE(Matches("delegation NEAR/6 consultations", split, options));
    EXPECT_TRUE(Matches("delegation NEAR/15 consultations", split, options));
    // A field scope still restricts its term to its field.
    EXPECT_FALSE(Matches("title:consultations NEAR/8 Moscow", split, options));
    EXPECT_TRUE(Matches("summary:consultations NEAR/8 title:Moscow", split, options));
    // Other fields are texts of their own: the feed's name does not run into the title.
    EXPECT_FALSE(
        Matches("Wire NEAR/1 Darchiev", Item{.title = "Darchiev", .feed = "Wire"}, options));
    EXPECT_TRUE(Matches("feed:Wire NEAR/1 feed:Agency", Item{.title = "x", .feed = "Wire Agency"},
                        options));
    // A phrase is never split between fields: "... in Moscow" / "Round two ..." is not
    // "Moscow round".
    EXPECT_FALSE(Matches("\"Moscow round\"",
                         Item{.title = "Delegation arrives in Moscow", .summary = "Round two of"},
                         options));
  }
  // Item scope: the content follows the summary in one running text.
  const Item body{.title = "Talks", .summary = "Talks on irritants.", .content = "And property."};
  EXPECT_TRUE(Matches("irritants NEAR/3 property", body, {.scope = Scope::kItem}));
  // Passage scope: they are two passages, and proximity never crosses from one to the next.
  EXPECT_FALSE(Matches("irritants NEAR/3 property", body));
}

// The whole-article defect: one unrelated sentence or paragraph must not silence a story, and
// two unrelated paragraphs must not make one.
TEST(Query, PassageScopeReadsEachPassageWithTheTitle) {
  const Item report{
      .title = "Russia and US to meet again",
      .summary = "The next round of consultations on irritants will be held in Moscow.",
      .content =
          "The previous rounds took place in Istanbul.\n"
          "Ukraine was not on the agenda, the ministry said.\n"
          "Spartak beat CSKA in the 20th round on Sunday."};
  // NOT excludes a passage, not the item: the lede still says it.
  EXPECT_TRUE(Matches("(round NEAR/8 Moscow) NOT Ukraine", report));
  EXPECT_FALSE(Matches("(round NEAR/8 Moscow) NOT Ukraine", report, {.scope = Scope::kItem}));
  // ... but a word of the title stands in every passage.
  EXPECT_FALSE(Matches("(round NEAR/8 Moscow) NOT meet", report));
  // AND wants its evidence in one passage (with the title): "Spartak" and "Istanbul" stand in
  // two.
  EXPECT_FALSE(Matches("Spartak AND Istanbul", report));
  EXPECT_TRUE(Matches("Spartak AND Istanbul", report, {.scope = Scope::kItem}));
  // The title is context for every passage, far into the body too.
  EXPECT_TRUE(Matches("US AND Spartak", report));
  EXPECT_TRUE(Matches("title:US AND content:Istanbul", report));
  // Proximity joins the title to the lede only: "again" (the title's last word) is two words
  // from the lede's "round", and far from every later passage.
  EXPECT_TRUE(Matches("again NEAR/3 round", report));
  EXPECT_FALSE(Matches("again NEAR/3 Spartak", report));
  EXPECT_FALSE(Matches("again NEAR/3 previous", report));
  // Within a later passage, proximity counts from its own first word.
  EXPECT_TRUE(Matches("Spartak NEAR/5 round", report));
  EXPECT_FALSE(Matches("Istanbul NEAR/3 Ukraine", report));  // adjacent across a break
  // A phrase never runs from one paragraph into the next.
  EXPECT_FALSE(Matches("\"Istanbul Ukraine\"", report));
  EXPECT_FALSE(Matches("\"Istanbul Ukraine\"", report, {.scope = Scope::kItem}));
  // An item with no body is its title: one passage.
  EXPECT_TRUE(Matches("Russia NOT Ukraine", Item{.title = "Russia and US to meet again"}));
  EXPECT_FALSE(Matches("Russia NOT US", Item{.title = "Russia and US to meet again"}));
}

TEST(Query, AnOperandThatHoldsInOnePassageBringsItsTitleHitsOnlyThere) {
  // Each side of the NEAR holds, title word and all, in a different paragraph.
  EXPECT_FALSE(Matches("(Darchiev AND embassy) NEAR/3 (round AND Moscow)",
                       Item{.title = "Darchiev on the next round",
                            .summary = "A statement was published today.",
                            .content = "The embassy issued a statement.\n"
                                       "Talks will be held in Moscow."}));
  EXPECT_TRUE(Matches("(Darchiev AND embassy) NEAR/3 (round AND Moscow)",
                      Item{.title = "Darchiev on the next round",
                           .summary = "A statement was published today.",
                           .content = "The embassy issued a statement on talks in Moscow."}));
  EXPECT_FALSE(Matches("(ambassador AND Washington) ONEAR/2 Darchiev",
                       Item{.title = "Russian ambassador",
                            .summary = "Darchiev spoke on Monday.",
                            .content = "He later flew to Washington."}));
  // An exclusion whose right side holds in one paragraph only excludes there: a paragraph of
  // its own changes no decision.
  const std::string query = "round NOT NEAR/3 (Spartak AND match)";
  const Item talks{.title = "Spartak news", .summary = "The next round of talks opens in Moscow."};
  EXPECT_TRUE(Matches(query, talks));
  Item with_score = talks;
  with_score.content = "The match ended 2-1.";
  EXPECT_TRUE(Matches(query, with_score));
  EXPECT_FALSE(Matches(
      query, Item{.title = "Spartak news", .summary = "The next round: the match ended 2-1."}));
  // The title's "round" is excluded where the right side holds, and stands in the other
  // passages.
  const std::string title_round = "(round NOT NEAR/3 (Spartak AND match)) AND talks";
  EXPECT_TRUE(Matches(title_round, Item{.title = "Spartak round",
                                        .summary = "Separately, talks opened.",
                                        .content = "The match ended 2-1."}));
  EXPECT_FALSE(Matches(title_round, Item{.title = "Spartak round",
                                         .summary = "Nothing else to report.",
                                         .content = "The match ended 2-1 after talks."}));
}

TEST(Query, ThePassagesOfAnItemHaveALimit) {
  std::string content;
  for (int i = 0; i < 3000; ++i) content += "filler paragraph " + std::to_string(i) + "\n";
  content += "Moscow round\nUkraine";
  const Document document = Doc({.title = "t", .summary = "lede", .content = content});
  EXPECT_EQ(document.passage_count(), kMaxPassages);
  // Past the limit the paragraphs read as one: the last passage.
  EXPECT_FALSE(Matches("\"Moscow round\" NOT Ukraine", Item{.title = "t", .content = content}));
  EXPECT_TRUE(Matches("\"Moscow round\" NOT Ukraine",
                      Item{.title = "t", .content = "filler\nMoscow round\nUkraine"}));
  // A summary that takes every passage: the content joins its last, after its words, and a
  // phrase still stops at a paragraph's end.
  std::string summary;
  for (int i = 0; i < 999; ++i) summary += "filler paragraph " + std::to_string(i) + "\n";
  summary += "Moscow alpha beta gamma delta epsilon zeta eta theta iota kappa\nlast paragraph";
  EXPECT_FALSE(Matches("Moscow NEAR/0 round",
                       Item{.title = "t", .summary = summary, .content = "round of talks"}));
  EXPECT_FALSE(Matches("\"kappa last\"", Item{.title = "t", .summary = summary}));
  EXPECT_TRUE(Matches("\"kappa\" NEAR/1 last", Item{.title = "t", .summary = summary}));
}

TEST(Query, OfTheSameWordsReachedTwiceTheMoreTellingCopyMakesTheSnippet) {
  const Item item{.title = "Comment from Moscow", .summary = "Talks went well, the embassy said."};
  for (const char* query :
       {"((Moscow OR Kremlin) AND embassy) OR ((Moscow OR Kremlin) NEAR/3 talks)",
        "((Moscow OR Kremlin) NEAR/3 talks) OR ((Moscow OR Kremlin) AND embassy)"}) {
    const Result<Query> q = Query::Parse(query);
    ASSERT_TRUE(q.ok());
    const std::optional<Explanation> why = q->Explain(Doc(item));
    ASSERT_TRUE(why.has_value());
    EXPECT_EQ(why->snippet.Marked("**", "**"), "Comment from **Moscow**") << query;
  }
}

TEST(Query, APhraseDoesNotRunFromOneCategoryIntoTheNext) {
  const Item item{.title = "t", .category = "Spartak Moscow\nRound 20"};
  EXPECT_FALSE(Matches("category:\"Moscow round\"", item));
  EXPECT_TRUE(Matches("category:\"Spartak Moscow\"", item));
}

TEST(Query, NotNearTakesAwayTheHitsItIsNearAndNotTheItem) {
  const Item item{.title = "Envoys speak",
                  .summary =
                      "Former ambassador Antonov spoke first. Then the ambassador in "
                      "Washington, Alexander Darchiev, took the floor."};
  EXPECT_TRUE(Matches("ambassador NOT NEAR/2 (former OR Antonov)", item));
  EXPECT_FALSE(Matches("ambassador NOT NEAR/2 (former OR Antonov)",
                       Item{.title = "Former ambassador Antonov speaks"}));
  // Exclusions chain: each takes away what it is near from the hits the last one left.
  EXPECT_FALSE(Matches("(ambassador NOT NEAR/2 former) NOT NEAR/4 Washington", item));
  EXPECT_TRUE(Matches("(ambassador NOT NEAR/2 former) NOT NEAR/0 Washington", item));
  // As an operand: only the hits left count.
  EXPECT_TRUE(Matches("(ambassador NOT NEAR/2 former) NEAR/3 Washington", item));
  EXPECT_FALSE(Matches("(ambassador NOT NEAR/1 Washington) NEAR/3 Washington", item));
  // NOT BEFORE: only what follows takes a hit away; NOT AFTER: only what precedes it.
  EXPECT_TRUE(Matches("ambassador NOT BEFORE/1 Antonov", Item{.title = "Antonov ambassador"}));
  EXPECT_FALSE(Matches("ambassador NOT BEFORE/1 Antonov", Item{.title = "ambassador Antonov"}));
  EXPECT_TRUE(Matches("\"in Moscow\" NOT AFTER/1 embassy",
                      Item{.title = "Officials meet in Moscow for embassy talks"}));
  EXPECT_FALSE(
      Matches("\"in Moscow\" NOT AFTER/1 embassy", Item{.title = "the embassy in Moscow"}));
  EXPECT_EQ(ErrorOf("a BEFORE/2 b"),
            "1:3: BEFORE/2 only follows NOT: a NOT BEFORE/2 b drops the hits of a that b follows");
  EXPECT_EQ(ErrorOf("a NOT ONEAR/2 b"),
            "1:3: expected NOT NEAR/n, NOT BEFORE/n (drops the hits of a that b follows) or NOT "
            "AFTER/n (those that b precedes)");
  // BEFORE and AFTER are words without a number and without NOT.
  EXPECT_TRUE(Matches("before AND after", Item{.title = "Before and after"}));
  // The snippet shows the hit that is left.
  const std::optional<Explanation> why =
      Query::Parse("ambassador NOT NEAR/2 former")->Explain(Doc(item));
  ASSERT_TRUE(why);
  ASSERT_EQ(why->hits.size(), 1u);
  EXPECT_EQ(why->hits[0].first, 7u);  // "... Then the [ambassador] in Washington"
  // It takes hits of terms away one by one: what stands before it is terms or phrases.
  EXPECT_EQ(ErrorOf("(a AND b) NOT NEAR/2 c"),
            "1:11: NOT NEAR/2 removes hits of terms: what comes before it must be terms or "
            "phrases, or an OR of them");
  EXPECT_EQ(ErrorOf("a NOT NEAR/2 -c"), "1:14: NOT cannot be an operand of NOT NEAR/2");
  EXPECT_EQ(ErrorOf("a NOT NEAR/x b"), "1:7: expected NEAR/n with a number of words, e.g. NEAR/5");
}

// What an exclusion describes is said in one sentence ("the former ambassador", "consultations
// with China"): a sentence added after the story's last must not reach back into it.
TEST(Query, ExclusionsLookWithinTheirSentence) {
  const Item lede{.title = "Talks",
                  .summary =
                      "The next round will be held in Moscow. Ukraine was not on the "
                      "agenda."};
  EXPECT_TRUE(Matches("Moscow NOT BEFORE/3 Ukraine", lede));
  EXPECT_FALSE(Matches("Moscow NOT BEFORE/3 Ukraine",
                       Item{.title = "Talks", .summary = "Talks in Moscow, Ukraine said."}));
  // A full stop after an initial or an abbreviation ends no sentence.
  EXPECT_FALSE(Matches("Darchiev NOT AFTER/2 Mr",
                       Item{.title = "x", .summary = "Talks went well, Mr. Darchiev said."}));
  EXPECT_FALSE(Matches("officials NOT AFTER/1 =\"U.S.\"",
                       Item{.title = "x", .summary = "The talks were long. U.S. officials left."}));
  // A number before a full stop is not an initial: the sentence ends there. One with no space
  // after the stop ("12.5") ends nothing.
  EXPECT_TRUE(Matches("consultation* NOT BEFORE/3 China",
                      Item{.title = "x",
                           .summary = "Russia and the US will hold consultations on March 3. "
                                      "China welcomed the news."}));
  EXPECT_FALSE(Matches("consultation* NOT BEFORE/3 China",
                       Item{.title = "x", .summary = "The consultations cost 12.5 China yuan."}));
  // The headline reads as one sentence with the lede's first.
  EXPECT_FALSE(Matches("Darchiev NOT NEAR/3 wrestler",
                       Item{.title = "Wrestler", .summary = "Darchiev won gold. He is 27."}));
  // The right side of an exclusion is read within one sentence too: "Russia" ending one
  // sentence and "China" starting the next are not Russia and China as two sides.
  const std::string pair = "\"in Moscow\" NOT NEAR/10 (Russia NEAR/2 China)";
  EXPECT_TRUE(Matches(pair, Item{.title = "x",
                                 .summary = "The round will be in Moscow, it said in Russia. "
                                            "China agreed to host another."}));
  EXPECT_FALSE(
      Matches(pair, Item{.title = "x", .summary = "Russia and China held a round in Moscow."}));
}

TEST(Query, AnEqualsSignMatchesOnlyAsWritten) {
  EXPECT_TRUE(Matches("=US", "Russia-US talks"));
  EXPECT_FALSE(Matches("=US", "Join us in Oman"));
  EXPECT_TRUE(Matches("US", "Join us in Oman"));
  EXPECT_TRUE(Matches("=\"U.S.\"", "U.S. officials said"));
  EXPECT_FALSE(Matches("=\"U.S.\"", "u.s. officials said"));
  EXPECT_TRUE(Matches("=NATO*", "NATO's summit"));
  EXPECT_FALSE(Matches("=NATO*", "Nato's summit"));
  EXPECT_TRUE(Matches("=США", "Россия и США"));
  const std::optional<Explanation> why = Query::Parse("=US")->Explain(Doc({.title = "US talks"}));
  ASSERT_TRUE(why);
  EXPECT_EQ(why->hits.at(0).term, "=US");
}

TEST(Query, TermListsStandForAnyOfTheirEntries) {
  TermLists lists;
  lists.Add("us", {"=US", "United States", "Washington", "США", "@capital"});
  lists.Add("capital", {"Вашингтон*"});
  lists.Add("loop", {"@loop2"});
  lists.Add("loop2", {"x", "@loop"});
  lists.Add("bad", {"fine", "two\"quotes\""});
  const QueryOptions options{.lists = &lists};
  EXPECT_TRUE(Matches("talks AND @us", Item{.title = "talks with the United States"}, options));
  EXPECT_TRUE(Matches("talks AND @us", Item{.title = "talks in Вашингтоне"}, options));
  EXPECT_FALSE(Matches("talks AND @us", Item{.title = "talks with us"}, options));
  EXPECT_TRUE(Matches("title:@us", Item{.title = "US"}, options));
  EXPECT_FALSE(Matches("title:@us", Item{.title = "x", .summary = "US"}, options));
  EXPECT_TRUE(lists.Check("us"));
  EXPECT_EQ(lists.Check("loop").error().message,
            "entry 1: 1:1: @loop2 entry 2: 1:1: term list @loop refers to itself");
  EXPECT_EQ(lists.Check("bad").error().message,
            "entry 2: 1:4: a list entry is a word or words in order, without quotes or "
            "parentheses");
  EXPECT_EQ(lists.Check("bad").error().line, 2);
  const Result<Query> unknown = Query::Parse("talks AND @nope", options);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(
      unknown.error().message,
      "1:11: unknown term list @nope; defined term lists: @bad, @capital, @loop, @loop2, @us");
  EXPECT_EQ(ErrorOf("talks AND @us"), "1:11: unknown term list @us; no [terms] are defined");
}

TEST(Query, TheSnippetIsCutAroundTheMostTellingHit) {
  // A watch on the property, on the report that mentions Russia first and the property last:
  // the snippet is about the property, not the first "Russia".
  const Item report{
      .title = "Third round of Russia-US talks in Moscow soon: Russian ambassador",
      .summary =
          "Alexander Darchiev says the sides will focus on irritants, and Moscow wants "
          "Russian diplomatic property confiscated in the US back."};
  const Result<Query> property = Query::Parse(
      "(\"diplomatic propert*\" OR dacha* OR compound*) AND (Russia* OR Moscow OR Kremlin OR "
      "Lavrov OR Росси* OR Москв*)");
  ASSERT_TRUE(property.ok());
  const std::optional<Explanation> why = property->Explain(Doc(report));
  ASSERT_TRUE(why);
  EXPECT_EQ(why->snippet.field, Field::kSummary);
  EXPECT_NE(why->snippet.Marked("**", "**").find("**diplomatic property**"), std::string::npos)
      << why->snippet.Marked("**", "**");
  // A term of a proximity clause beats a context word that comes first.
  const Result<Query> round = Query::Parse(
      "(round NEAR/8 Moscow) AND (US OR USA OR Washington OR American OR \"State Department\" "
      "OR irritants)");
  ASSERT_TRUE(round.ok());
  const std::optional<Explanation> round_why = round->Explain(
      Doc({.title = "Ryabkov: no date yet",
           .summary = "Washington has not replied to the latest note, officials said "
                      "on Monday. The next round will be in "
                      "Moscow, the minister said, after a long pause in contacts "
                      "that began last year with many irritants on the table."}));
  ASSERT_TRUE(round_why);
  EXPECT_TRUE(round_why->snippet.text.starts_with("…")) << round_why->snippet.text;
  EXPECT_NE(round_why->snippet.Marked("[", "]").find("[round] will be in [Moscow]"),
            std::string::npos)
      << round_why->snippet.Marked("[", "]");
  // Of equally telling hits, the first as read: the title.
  EXPECT_EQ(Query::Parse("Darchiev")
                ->Explain(Doc({.title = "Darchiev", .summary = "Darchiev"}))
                ->snippet.field,
            Field::kTitle);
}

TEST(Query, ANamedExpressionIsAPartOfAQueryUsedByName) {
  TermLists lists;
  lists.Add("venue", {"in Moscow", "Russian capital"});
  lists.AddExpression("round", "(round OR consultations) NEAR/8 @venue");
  lists.AddExpression("broken", "(round OR talks");
  const QueryOptions options{.lists = &lists};
  const Item report{.title = "Envoy speaks", .summary = "The next round will be in Moscow."};
  EXPECT_TRUE(Matches("@round", report, options));
  // Used twice, once bound near the US and once with the US in the title.
  EXPECT_TRUE(Matches(
      "(@round NEAR/5 US) OR (@round AND title:US)",
      Item{.title = "US envoy speaks", .summary = "The next round will be in Moscow."}, options));
  EXPECT_FALSE(Matches("(@round NEAR/5 US) OR (@round AND title:US)", report, options));
  EXPECT_TRUE(lists.IsExpression("round"));
  EXPECT_EQ(lists.Check("broken").error().message,
            "1:1: '(' is never closed: expected ')' before the end");
  EXPECT_EQ(lists.Check("broken").error().column, 1);
}

// The title reads with every passage, and with the lede as one text: a title hit that a NEAR
// paired only with the lede is evidence in the lede, not in every passage.
TEST(Query, ATitleHitPairedWithTheLedeStaysTheLedes) {
  const Item sale{.title = "Maryland county approves sale of historic waterfront estate",
                  .summary =
                      "The 1920s mansion on the Chester River sold for $7.2 million.\n"
                      "Meanwhile, Russia launched drones at Ukraine."};
  // "Chester River" (lede) near "estate" (title): the lede; then near "Maryland" (title).
  const std::string query = "((\"Chester River\" NEAR/15 estate) NEAR/20 Maryland) AND Russia";
  EXPECT_FALSE(Matches(query, sale));
  EXPECT_TRUE(Matches("((\"Chester River\" NEAR/15 estate) NEAR/20 Maryland) AND mansion", sale));
}

TEST(Query, TheSnippetComesFromThePassageThatMatched) {
  const Item report{.title = "Lavrov travels to Beijing",
                    .summary = "The minister will meet Wang Yi on Thursday.",
                    .content =
                        "Trade and energy top the agenda of the visit to China.\n"
                        "Separately, the ministry said the next round of consultations "
                        "with the US on embassy irritants would be held in Moscow.\n"
                        "Moscow and Beijing also plan a round of security talks."};
  const std::optional<Explanation> why =
      Query::Parse("(round NEAR/12 Moscow) AND (US OR irritants)")->Explain(Doc(report));
  ASSERT_TRUE(why);
  EXPECT_EQ(why->snippet.Marked("[", "]"),
            "Separately, the ministry said the next [round] of consultations with the [US] on "
            "embassy [irritants] would be held in [Moscow].");
  // Hits in passages where the query does not hold are not its evidence.
  for (const Hit& hit : why->hits) EXPECT_NE(hit.begin, report.content.rfind("round"));
  // A title is shown whole: its telling words are its last ones as often as its first.
  const std::optional<Explanation> title =
      Query::Parse("US")->Explain(Doc({.title = "Iran and US to resume indirect nuclear talks "
                                                "in Muscat next week"}));
  ASSERT_TRUE(title);
  EXPECT_EQ(title->snippet.Marked("[", "]"),
            "Iran and [US] to resume indirect nuclear talks in Muscat next week");
}

TEST(Query, ATitleOfNormalLengthIsTheSnippetWholeAndOnlyAVeryLongOneIsCut) {
  const std::string headline = "Iran and US to resume indirect nuclear talks in Muscat next week";
  const Item item{.title = headline,
                  .summary =
                      "Oman will host the talks, officials said on Sunday, after a pause "
                      "of months in which Iran and the US traded threats."};
  for (const auto& [query, marked] : std::vector<std::pair<std::string, std::string>>{
           {"US", "Iran and [US] to resume indirect nuclear talks in Muscat next week"},
           {"=US", "Iran and [US] to resume indirect nuclear talks in Muscat next week"},
           {"Iran AND talks",
            "[Iran] and US to resume indirect nuclear [talks] in Muscat next week"},
           {"Muscat OR Oman", "Iran and US to resume indirect nuclear talks in [Muscat] next week"},
           {"title:(US NEAR/3 resume)",
            "Iran and [US] to [resume] indirect nuclear talks in Muscat next week"}}) {
    const std::optional<Explanation> why = Query::Parse(query)->Explain(Doc(item));
    ASSERT_TRUE(why) << query;
    EXPECT_EQ(why->snippet.field, Field::kTitle) << query;
    EXPECT_EQ(why->snippet.Marked("[", "]"), marked) << query;
  }
  // Up to 48 words whole, however many bytes: 48 words of a Russian headline are some 500.
  std::string long_title;
  for (int i = 0; i < 23; ++i) long_title += "слово" + std::to_string(i) + " ";
  long_title += "Маскат";
  for (int i = 23; i < 47; ++i) long_title += " слово" + std::to_string(i);
  const std::optional<Explanation> whole =
      Query::Parse("Маскат")->Explain(Doc({.title = long_title}));
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->snippet.text, long_title);
  // Past it, a window around the hit.
  const std::optional<Explanation> cut =
      Query::Parse("Маскат")->Explain(Doc({.title = long_title + " слово47"}));
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->snippet.Marked("[", "]"),
            "…слово15 слово16 слово17 слово18 слово19 слово20 слово21 слово22 [Маскат] слово23 "
            "слово24 слово25 слово26 слово27 слово28 слово29 слово30 слово31 слово32 слово33 "
            "слово34 слово35 слово36 слово37 слово38…");
}

TEST(Query, AWordRepeatedThousandsOfTimesListsTwentyHits) {
  std::string content;
  for (int i = 0; i < 5000; ++i) content += "Darchiev ";
  const std::optional<Explanation> why =
      Query::Parse("Darchiev")->Explain(Doc({.title = "x", .content = content}));
  ASSERT_TRUE(why);
  EXPECT_EQ(why->hits.size(), 5000u);
  const std::string summary = why->Summary(Doc({.title = "x", .content = content}));
  EXPECT_TRUE(summary.ends_with("; and 4980 more")) << summary.substr(summary.size() - 40);
  EXPECT_LT(summary.size(), 1000u);
}

// Words written so that std::hash puts them all in one slot of the document's table, as an
// attacker can (the hash is not seeded): each is still found, where it stands, and the
// numbering falls back to sorting instead of probing one cluster n^2/2 times.
TEST(DocumentIndex, WordsThatShareOneHashSlotAreEachFoundWhereTheyStand) {
  std::vector<std::string> words;
  for (uint64_t n = 0; words.size() < 2000; ++n) {
    std::string word = "q";
    for (uint64_t v = n; v > 0; v /= 26) word += static_cast<char>('a' + v % 26);
    // 2,001 tokens make a table of 4,096 slots: these all start at slot 0.
    if ((std::hash<std::string_view>{}(word)&4095) == 0) words.push_back(std::move(word));
  }
  std::string summary;
  for (const std::string& word : words) summary += word + " ";
  summary += words[7];  // once more, at the end
  const Document document = Doc({.title = "Darchiev", .summary = summary});
  for (size_t i = 0; i < words.size(); ++i) {
    const std::span<const Document::Posting> found = document.Find(words[i], false, false);
    ASSERT_EQ(found.size(), i == 7 ? 2u : 1u) << words[i];
    EXPECT_EQ(found[0].field, Field::kSummary);
    EXPECT_EQ(found[0].position, i);
    const std::span<const Document::Posting> by_hash =
        document.FindExact(words[i], std::hash<std::string_view>{}(words[i]), false);
    ASSERT_EQ(by_hash.size(), found.size()) << words[i];
    EXPECT_EQ(by_hash[0].position, i);
  }
  EXPECT_EQ(document.Find(words[7], false, false)[1].position, words.size());
  EXPECT_TRUE(
      Matches("Darchiev AND " + words[1999], Item{.title = "Darchiev", .summary = summary}));
  EXPECT_EQ(document.Find("q", true, false).size(), words.size() + 1);  // a prefix over them all
}

TEST(DocumentIndex, WordsThatShareTheirFirstEightBytesAreFoundByTheirWholeText) {
  // The index orders words by their first eight bytes before their text: these share them.
  const std::vector<std::string> words{"washingtonian", "washing",  "washingt",   "washington",
                                       "washingtons",   "wash",     "washingtom", "washingtoo",
                                       "вашингт",       "вашингтон"};
  std::string summary;
  for (const std::string& word : words) summary += word + " ";
  const Document document = Doc({.title = "Darchiev", .summary = summary});
  // Every prefix and every whole word of the list, and a few that are not there.
  std::vector<std::string> probes{"washingtonians", "washingtz", "w", "", "вашингтона"};
  for (const std::string& word : words) {
    for (size_t n = 1; n <= word.size(); ++n) probes.push_back(word.substr(0, n));
  }
  for (const std::string& probe : probes) {
    for (const bool prefix : {false, true}) {
      std::set<uint32_t> expected;
      for (uint32_t i = 0; i < words.size(); ++i) {
        if (prefix ? words[i].starts_with(probe) : words[i] == probe) expected.insert(i);
      }
      std::set<uint32_t> found;
      for (const Document::Posting& posting : document.Find(probe, prefix, false)) {
        found.insert(posting.position);
      }
      EXPECT_EQ(found, expected) << probe << (prefix ? "*" : "");
      if (prefix) continue;
      const auto by_hash = document.FindExact(probe, std::hash<std::string_view>{}(probe), false);
      EXPECT_EQ(by_hash.size(), expected.size()) << probe;
    }
  }
}

}  // namespace
}  // namespace feedwatch::filters
