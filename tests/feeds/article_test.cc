// Article extraction: the main text of news pages shaped as outlets write them (TASS, RIA,
// Interfax, Kommersant, wire pages, WordPress, a live blog, AMP: tests/data/articles), scored
// as word-level precision and recall against each page's true body; and pages written to
// cost: deep, wide, endless, a JSON-LD bomb.
#include "feeds/article.h"

#include <gtest/gtest.h>
#include <iconv.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "filters/tokenize.h"
#include "tests/support/support.h"

namespace feedwatch::feeds {
namespace {

// `utf8` in windows-1251 bytes.
std::string ToWindows1251(const std::string& utf8) {
  iconv_t cd = iconv_open("WINDOWS-1251", "UTF-8");
  std::string in = utf8;
  std::string out(in.size(), '\0');
  char* from = in.data();
  char* to = out.data();
  size_t from_left = in.size();
  size_t to_left = out.size();
  iconv(cd, &from, &from_left, &to, &to_left);
  iconv_close(cd);
  out.resize(out.size() - to_left);
  return out;
}

struct Score {
  double precision = 0;
  double recall = 0;
};

// Word-level precision and recall of `got` against `truth`, as bags of folded words.
Score WordScore(std::string_view got, std::string_view truth) {
  std::map<std::string, int> want;
  for (std::string& word : filters::Tokenize(truth)) ++want[std::move(word)];
  const std::vector<std::string> words = filters::Tokenize(got);
  size_t total_want = 0;
  for (const auto& [word, count] : want) total_want += static_cast<size_t>(count);
  size_t hit = 0;
  for (const std::string& word : words) {
    if (auto it = want.find(word); it != want.end() && it->second > 0) {
      --it->second;
      ++hit;
    }
  }
  return {words.empty() ? 0 : static_cast<double>(hit) / static_cast<double>(words.size()),
          total_want == 0 ? 1 : static_cast<double>(hit) / static_cast<double>(total_want)};
}

// `html` without its class and id attributes: what is left when a site's markup names nothing.
std::string WithoutClassesAndIds(const std::string& html) {
  static const std::regex attribute(R"re(\s(class|id)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))re",
                                    std::regex::icase);
  return std::regex_replace(html, attribute, "");
}

// The mean word-level precision and recall over the pages of tests/data/articles/`set`,
// each page's printed; with `strip`, read without their class and id attributes.
Score ScoreSet(const std::string& set, bool strip = false) {
  const std::filesystem::path dir = testing::DataDir() / "articles" / set;
  std::vector<std::filesystem::path> pages;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".html") pages.push_back(entry.path());
  }
  std::sort(pages.begin(), pages.end());
  Score sum;
  for (const std::filesystem::path& page : pages) {
    std::filesystem::path body = page;
    body.replace_extension(".body.txt");
    const std::string html = testing::ReadFile(page);
    Result<Article> article = ExtractArticle(strip ? WithoutClassesAndIds(html) : html, "");
    const Score score = WordScore(article ? article->text : "", testing::ReadFile(body));
    std::printf("%-5s %-40s %-16s precision %.3f recall %.3f\n", set.c_str(),
                page.filename().c_str(),
                article ? std::string(ArticleSourceName(article->source)).c_str() : "(none)",
                score.precision, score.recall);
    sum.precision += score.precision;
    sum.recall += score.recall;
  }
  EXPECT_FALSE(pages.empty()) << dir;
  const auto n = static_cast<double>(std::max<size_t>(pages.size(), 1));
  std::printf("%-5s mean over %zu pages: precision %.3f recall %.3f\n", set.c_str(), pages.size(),
              sum.precision / n, sum.recall / n);
  return {sum.precision / n, sum.recall / n};
}

TEST(Article, TheTuningPagesAreReadAtNineTenthsPrecisionAndRecall) {
  const Score score = ScoreSet("dev");
  EXPECT_GE(score.precision, 0.9);
  EXPECT_GE(score.recall, 0.9);
}

// Markup that names nothing (no class, no id): the densest block, <article> and JSON-LD alone.
TEST(Article, TheTuningPagesWithoutClassesOrIdsAreStillReadWell) {
  const Score score = ScoreSet("dev", /*strip=*/true);
  EXPECT_GE(score.precision, 0.85);
  EXPECT_GE(score.recall, 0.85);
}

// Written apart and never used for tuning: the figure docs/parsing.md reports.
TEST(Article, TheHeldAsidePagesAreReadAtNineTenthsPrecisionAndRecall) {
  const Score score = ScoreSet("held");
  EXPECT_GE(score.precision, 0.9);
  EXPECT_GE(score.recall, 0.9);
}

// Written blind on 2026-12-06 after the fetch_articles changes, and scored once: the figure
// docs/parsing.md reports.
TEST(Article, TheSecondHeldAsidePagesAreReadAtNineTenthsPrecisionAndRecall) {
  const Score score = ScoreSet("held2");
  EXPECT_GE(score.precision, 0.9);
  EXPECT_GE(score.recall, 0.9);
}

// Three paragraphs of a report on the talks.
const std::string& Paragraphs() {
  static const std::string paragraphs =
      "<p>The Russian and American delegations met in Istanbul for a second round of "
      "consultations on the work of their embassies, the foreign ministry said.</p>"
      "<p>Ambassador Alexander Darchiev said the next round would be held in Moscow, and that "
      "the return of six diplomatic properties was on the agenda.</p>"
      "<p>The talks lasted six hours. Neither side gave a date for the next meeting, which "
      "officials expect in the spring.</p>";
  return paragraphs;
}

TEST(Article, NavigationReadAlsoAndCommentsAreLeftOut) {
  std::string links;
  for (int i = 0; i < 40; ++i) {
    links += "<li><a href=\"/n/" + std::to_string(i) + "\">Markets close higher on oil " +
             std::to_string(i) + "</a></li>";
  }
  const std::string page =
      "<html><body><nav><ul>" + links + "</ul></nav><div class=\"main\"><h1>Talks</h1>" +
      Paragraphs().substr(0, Paragraphs().find("<p>Ambassador")) +
      "<div class=\"read-also\"><a href=\"/x\">Read also: Lavrov speaks to Rubio by phone about "
      "the Ukrainian settlement and other issues</a></div>" +
      Paragraphs().substr(Paragraphs().find("<p>Ambassador")) +
      "</div><section id=\"comments\"><p>I have been following these talks for years and I "
      "think nothing will come of them, as usual, whatever the diplomats say.</p></section>"
      "<footer>Copyright 2025 Example Media. All rights reserved. Reproduction forbidden."
      "</footer></body></html>";
  Result<Article> article = ExtractArticle(page, "text/html; charset=utf-8");
  ASSERT_TRUE(article) << article.error().message;
  EXPECT_NE(article->text.find("held in Moscow"), std::string::npos) << article->text;
  EXPECT_EQ(article->text.find("Markets"), std::string::npos) << article->text;
  EXPECT_EQ(article->text.find("Read also"), std::string::npos) << article->text;
  EXPECT_EQ(article->text.find("following these talks"), std::string::npos) << article->text;
  EXPECT_EQ(article->text.find("Copyright"), std::string::npos) << article->text;
  EXPECT_EQ(std::count(article->text.begin(), article->text.end(), '\n'), 2) << article->text;
}

TEST(Article, ADigestInAListIsReadAndABoxTitledRelatedIsNot) {
  // Hashed classes say nothing: the digest's items are sentences in <li>s, and a box headed
  // "Related coverage" (or "Материалы по теме") holds more prose, of other stories, than it.
  const std::string digest =
      "<ul><li><strong>Iran, Russia hold consultations:</strong> the deputy foreign ministers "
      "met in Moscow on the nuclear programme and the situation around the agency.</li>"
      "<li><strong>Embassies:</strong> Ambassador Alexander Darchiev said the sides had agreed "
      "to speed up visas for diplomats, and that the next round would follow soon.</li>"
      "<li><strong>Drones:</strong> Russia said it downed 48 drones overnight, while Ukraine's "
      "air force said Russia launched 95 drones and two missiles.</li></ul>";
  for (const char* title : {"Related coverage", "Материалы по теме", "More local stories"}) {
    std::string related = R"(<div class="c-59445"><h2>)" + std::string(title) + "</h2>";
    for (int i = 0; i < 4; ++i) {
      related.append(R"(<div class="c-a2eda"><a href="/s/)").append(std::to_string(i));
      related += R"("><h3>Kremlin expects the next round</h3></a><p class="c-bd64e">Kremlin )"
                 "spokesman Dmitry Peskov said on Monday that the next round of consultations on "
                 "the work of diplomatic missions could be held in the coming weeks.</p></div>";
    }
    related += "</div>";
    std::string page =
        R"(<html><body><div class="c-4fa57"><h1 class="c-26ce9">Key developments</h1>)"
        R"(<div class="c-fb1c0"><div class="c-2d6e8">)";
    page.append(digest).append("</div></div>").append(related).append("</div></body></html>");
    Result<Article> article = ExtractArticle(page, "text/html; charset=utf-8");
    ASSERT_TRUE(article) << title << ": " << article.error().message;
    EXPECT_NE(article->text.find("Alexander Darchiev said"), std::string::npos)
        << title << ": " << article->text;
    EXPECT_EQ(article->text.find("Peskov"), std::string::npos) << title << ": " << article->text;
  }
}

TEST(Article, JsonLdIsUsedWhenThePageShowsItAndIgnoredWhenItIsAnotherText) {
  const std::string ld =
      R"({"@context":"https://schema.org","@graph":[{"@type":"WebPage"},{"@type":"NewsArticle",)"
      R"("articleBody":"The Russian and American delegations met in Istanbul for a second )"
      R"(round of consultations on the work of their embassies, the foreign ministry said. )"
      R"(Ambassador Alexander Darchiev said the next round would be held in Moscow, and that )"
      R"(the return of six diplomatic properties was on the agenda. The talks lasted six )"
      R"(hours. Neither side gave a date for the next meeting, which officials expect in the )"
      R"(spring."}]})";
  const std::string page = "<html><head><script type=\"application/ld+json\">" + ld +
                           "</script></head><body><div>" + Paragraphs() + "</div></body></html>";
  Result<Article> article = ExtractArticle(page, "");
  ASSERT_TRUE(article) << article.error().message;
  EXPECT_EQ(article->source, Article::Source::kJsonLd);
  EXPECT_NE(article->text.find("held in Moscow"), std::string::npos);

  // A template that puts another article's body in every page.
  const std::string sport =
      R"({"@type":"NewsArticle","articleBody":"Zenit beat Spartak two nil in St Petersburg )"
      R"(on Saturday, with both goals scored in the second half after a long rain delay. The )"
      R"(coach told reporters that the title race was far from over and that his players )"
      R"(would rest before the cup match on Wednesday against Rostov in the south."})";
  const std::string other = "<html><head><script type=\"application/ld+json\">" + sport +
                            "</script></head><body><div>" + Paragraphs() + "</div></body></html>";
  article = ExtractArticle(other, "");
  ASSERT_TRUE(article) << article.error().message;
  EXPECT_NE(article->source, Article::Source::kJsonLd);
  EXPECT_NE(article->text.find("held in Moscow"), std::string::npos) << article->text;
}

TEST(Article, AWindows1251PageDeclaredInAMetaTagIsDecoded) {
  const std::string utf8 =
      "<html><head><meta charset=\"windows-1251\"></head><body><article><p>Посол России в США "
      "Александр Дарчиев заявил, что следующий раунд консультаций пройдет в Москве.</p>"
      "<p>По его словам, на повестке дня остается возвращение дипломатической собственности."
      "</p></article></body></html>";
  const std::string cp1251 = ToWindows1251(utf8);
  ASSERT_LT(cp1251.size(), utf8.size());
  EXPECT_EQ(HtmlMetaCharset(cp1251), "windows-1251");
  Result<Article> article = ExtractArticle(cp1251, "text/html");
  ASSERT_TRUE(article) << article.error().message;
  EXPECT_EQ(article->encoding, "windows-1251");
  EXPECT_NE(article->text.find("Александр Дарчиев"), std::string::npos) << article->text;
  EXPECT_EQ(HtmlMetaCharset("<meta http-equiv=\"Content-Type\" content=\"text/html; "
                            "charset=KOI8-R\">"),
            "koi8-r");
}

// Sites that inline their application state: three megabytes of script before the article, and
// a hundred thousand scripts, each read once.
TEST(Article, APageWhoseScriptsFillItsFirstMegabytesIsStillRead) {
  const std::string state = "window.__STATE__ = {\"items\": [" + std::string(3u << 20, 'x') + "]};";
  Result<Article> article = ExtractArticle("<html><head><script>" + state +
                                               "</script><STYLE>p{}</STYLE></head><body><article>" +
                                               Paragraphs() + "</article></body></html>",
                                           "");
  ASSERT_TRUE(article) << article.error().message;
  EXPECT_NE(article->text.find("held in Moscow"), std::string::npos) << article->text;

  std::string many = "<html><body>";
  while (many.size() < (3u << 20)) many += "<script>var a = 1;</script>";
  article = ExtractArticle(many + "<div>" + Paragraphs() + "</div></body></html>", "");
  ASSERT_TRUE(article) << article.error().message;
  EXPECT_NE(article->text.find("held in Moscow"), std::string::npos) << article->text;
}

TEST(Article, APageWithoutTextSaysSo) {
  for (const std::string_view page :
       {std::string_view(), std::string_view("\0\xff\xfe", 3), std::string_view("<html>"),
        std::string_view("<nav><a href=/>Home</a> <a href=/news>News</a></nav>")}) {
    const Result<Article> article = ExtractArticle(page, "");
    ASSERT_FALSE(article) << article->text;
    EXPECT_EQ(article.error().code, Error::Code::kInvalidInput);
    EXPECT_EQ(article.error().message, "no article text found on the page");
  }
}

TEST(Article, AHostilePageCostsBoundedWork) {
  // 100,000 nested divs, a JSON-LD of 200,000 nested arrays, a million paragraphs of links.
  std::string deep = "<html><body>";
  for (int i = 0; i < 100'000; ++i) deep += "<div>";
  deep += Paragraphs() + "</body></html>";
  EXPECT_NO_FATAL_FAILURE((void)ExtractArticle(deep, ""));

  std::string bomb = "<html><head><script type=\"application/ld+json\">";
  bomb += std::string(200'000, '[') + std::string(200'000, ']');
  bomb += "</script></head><body><div>" + Paragraphs() + "</div></body></html>";
  Result<Article> article = ExtractArticle(bomb, "");
  ASSERT_TRUE(article) << article.error().message;
  EXPECT_NE(article->text.find("held in Moscow"), std::string::npos);

  std::string wide = "<html><body><div>" + Paragraphs();
  while (wide.size() < (8u << 20)) {
    wide += "<p>The next round of talks will be held soon, the ministry said again on Friday.</p>";
  }
  article = ExtractArticle(wide, "");
  ASSERT_TRUE(article) << article.error().message;
  EXPECT_LE(article->text.size(), kArticleMaxBytes);
}

}  // namespace
}  // namespace feedwatch::feeds
