// parse and discover, in process: files, and URLs served from 127.0.0.1.
#include "cli/inspect.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "cli/check.h"
#include "config/config.h"
#include "tests/support/support.h"

namespace feedwatch::cli {
namespace {

TEST(Parse, JsonPrintsTheCorpusExpectation) {
  const std::filesystem::path corpus = testing::DataDir() / "feeds" / "corpus";
  for (const char* name : {"format-rss10", "encoding-windows-1251", "malformed-truncated"}) {
    const std::filesystem::path file = corpus / (std::string(name) + ".xml");
    const std::filesystem::path source =
        std::filesystem::exists(file) ? file : corpus / (std::string(name) + ".rdf");
    std::ostringstream out;
    const Status status = Parse(source.string(), /*json=*/true, out);
    EXPECT_TRUE(status.ok()) << name << ": " << status.error().message;
    EXPECT_EQ(out.str(), testing::ReadFile(corpus / (std::string(name) + ".expected.json")))
        << name;
  }
}

TEST(Parse, PrintsAReadableSummary) {
  std::ostringstream out;
  const Status status = Parse(
      (testing::DataDir() / "feeds/corpus/categories-and-enclosures.xml").string(), false, out);
  EXPECT_TRUE(status.ok()) << status.error().message;
  const std::string text = out.str();
  EXPECT_TRUE(text.starts_with("format:   rss2.0 (read as utf-8)\n")) << text;
  EXPECT_NE(text.find("\n[1] Podcast episode on the talks\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n    category:  Politics\n"), std::string::npos) << text;
  EXPECT_NE(
      text.find(
          "\n    enclosure: https://links.example/audio/ep1.mp3 (audio/mpeg, 5242880 bytes)\n"),
      std::string::npos)
      << text;
}

TEST(Parse, ErrorsSayWhatWentWrong) {
  std::ostringstream out;
  const Status html =
      Parse((testing::DataDir() / "feeds/corpus/error-html-page.html").string(), false, out);
  ASSERT_FALSE(html.ok());
  EXPECT_EQ(html.error().code, Error::Code::kInvalidInput);  // 65, EX_DATAERR
  EXPECT_NE(html.error().message.find("not a feed: this is an HTML page; it advertises a feed at "
                                      "https://site.example/rss.xml"),
            std::string::npos)
      << html.error().message;
  const Status missing = Parse("/nonexistent/feed.xml", false, out);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Error::Code::kNotFound);  // 66, EX_NOINPUT
  EXPECT_EQ(missing.error().message, "/nonexistent/feed.xml: No such file or directory");
  EXPECT_EQ(out.str(), "");
}

TEST(Parse, FetchesAUrlAndHonoursItsCharset) {
  testing::LoopbackServer server;
  // koi8-r bytes under a declaration that says windows-1251: the Content-Type must win.
  const std::string body = std::string(R"(<?xml version="1.0" encoding="windows-1251"?>)") +
                           "<rss version=\"2.0\"><channel><title>t</title><item><title>" +
                           "\xF0\xCF\xD3\xCF\xCC</title><link>/news/1</link></item>" +
                           "</channel></rss>";
  server.server().Get("/rss", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(body, "application/rss+xml; charset=koi8-r");
  });
  server.server().Get(
      "/gone", [](const httplib::Request&, httplib::Response& response) { response.status = 404; });
  server.Start();
  std::ostringstream out;
  const Status status = Parse(server.Url("/rss"), /*json=*/true, out);
  EXPECT_TRUE(status.ok()) << status.error().message;
  EXPECT_NE(out.str().find("\"title\": \"Посол\""), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("\"link\": \"" + server.Url("/news/1") + "\""), std::string::npos)
      << out.str();
  const Status missing = Parse(server.Url("/gone"), false, out);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Error::Code::kHttpStatus);  // 69, EX_UNAVAILABLE
  EXPECT_NE(missing.error().message.find("HTTP 404"), std::string::npos) << missing.error().message;
}

TEST(ParseArticle, PrintsWhereTheTextCameFromAndEachParagraph) {
  std::ostringstream out;
  const std::filesystem::path page =
      testing::DataDir() / "articles/dev/wordpress-dachas-field-trip.html";
  const Status status = ParseArticle(page.string(), out);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_TRUE(out.str().starts_with("source:     article element\nencoding:   utf-8\n"))
      << out.str();
  EXPECT_NE(out.str().find("\n\nRussian ambassador Alexander Darchiev has made the properties"),
            std::string::npos)
      << out.str();
  // Neither the comments nor the related posts.
  EXPECT_EQ(out.str().find("farmers"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("tit-for-tat"), std::string::npos) << out.str();
}

TEST(ParseArticle, FetchesAPageInWindows1251AndSaysWhenThereIsNoText) {
  testing::LoopbackServer server;
  // "Посол Дарчиев", in windows-1251 bytes, declared only by the header.
  const std::string name = "\xCF\xEE\xF1\xEE\xEB \xC4\xE0\xF0\xF7\xE8\xE5\xE2";
  const std::string page = "<html><body><article><p>" + name +
                           " said the next round of consultations would be held in Moscow "
                           "before the end of the summer, the ministry said.</p></article>"
                           "</body></html>";
  server.server().Get("/news/1", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(page, "text/html; charset=windows-1251");
  });
  server.server().Get("/empty", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("<html><body><nav><a href=/>Home</a></nav></body></html>", "text/html");
  });
  server.Start();
  std::ostringstream out;
  Status status = ParseArticle(server.Url("/news/1"), out);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_NE(out.str().find("encoding:   windows-1251"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("\n\nПосол Дарчиев said the next round"), std::string::npos)
      << out.str();
  status = ParseArticle(server.Url("/empty"), out);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Error::Code::kInvalidInput);
  EXPECT_NE(status.error().message.find("no article text"), std::string::npos)
      << status.error().message;
}

// What discover printed, with a watch and a notifier added: a configuration.
std::filesystem::path WriteDiscovered(const std::filesystem::path& dir, const std::string& found) {
  std::filesystem::path config = dir / "feedwatch.toml";
  testing::WriteFile(config,
                     found +
                         "[[watch]]\nname = \"w\"\nquery = \"Darchiev\"\n"
                         "notify = [\"c\"]\n[[notify]]\nname = \"c\"\ntype = \"console\"\n");
  return config;
}

TEST(Discover, ListsAPagesFeedsReadyToPasteIntoTheConfig) {
  testing::LoopbackServer server;
  const std::string page = testing::ReadFile(testing::DataDir() / "discover" / "news-site.html");
  server.server().Get("/world/", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(page, "text/html; charset=utf-8");
  });
  server.server().Get("/rss/world.xml", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        "<rss version=\"2.0\"><channel><title>Eurasia Wire: World</title>"
        "</channel></rss>",
        "application/rss+xml");
  });
  server.server().Get("/plain", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><body>No feeds here</body></html>", "text/html");
  });
  server.Start();
  std::ostringstream found;
  const Status status = Discover(server.Url("/world/"), found);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_TRUE(found.str().starts_with("# 4 feeds advertised by " + server.Url("/world/") + "\n"))
      << found.str();
  EXPECT_NE(found.str().find("# Eurasia Wire — World (rss)\n[[feed]]\nname = "
                             "\"eurasia-wire-world\"\nurl = \"" +
                             server.Url("/rss/world.xml") + "\"\n"),
            std::string::npos)
      << found.str();
  // What it prints is configuration: with a watch added, it loads.
  const testing::TempDir dir;
  std::ostringstream checked;
  std::ostringstream warnings;
  const Status check =
      CheckConfig(WriteDiscovered(dir.path(), found.str()).string(), checked, warnings);
  EXPECT_TRUE(check.ok()) << check.error().message << found.str();
  EXPECT_NE(checked.str().find(": OK (4 feeds, 1 watch, 1 notifier)\n"), std::string::npos)
      << checked.str();
  // A feed's own URL is listed as itself; a page without feeds is an error.
  std::ostringstream itself;
  const Status feed = Discover(server.Url("/rss/world.xml"), itself);
  EXPECT_TRUE(feed.ok()) << feed.error().message;
  EXPECT_NE(itself.str().find("url = \"" + server.Url("/rss/world.xml") + "\""), std::string::npos)
      << itself.str();
  std::ostringstream nothing;
  const Status none = Discover(server.Url("/plain"), nothing);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, Error::Code::kInvalidInput);  // 65
  EXPECT_NE(none.error().message.find("advertises no feed"), std::string::npos)
      << none.error().message;
  EXPECT_EQ(nothing.str(), "");
}

TEST(Discover, NamesFeedsWithCyrillicTitlesInLatinLetters) {
  testing::LoopbackServer server;
  const std::string page =
      "<html><head><title>Новости</title>\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Новости\" "
      "href=\"/rss/all.xml\">\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Известия — Политика\" "
      "href=\"/rss/politics.xml\">\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"НОВОСТИ\" "
      "href=\"/rss/main.xml\">\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Київ — Новини\" "
      "href=\"/uk/rss.xml\">\n"
      "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Le Monde — À la une\" "
      "href=\"/fr/une.atom\">\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"★ ★ ★\" "
      "href=\"/ru/rss/%D1%8D%D0%BA%D0%BE%D0%BD%D0%BE%D0%BC%D0%B8%D0%BA%D0%B0.xml?x=1\">\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" href=\"/rss/sport/\">\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed/rss.xml\">\n"
      "<link rel=\"alternate\" type=\"application/rss+xml\" href=\"/index.rss\">\n"
      "</head><body></body></html>";
  server.server().Get("/", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(page, "text/html; charset=utf-8");
  });
  server.Start();
  std::ostringstream found;
  const Status status = Discover(server.Url("/"), found);
  ASSERT_TRUE(status.ok()) << status.error().message;
  std::vector<std::string> names;
  const std::string text = found.str();
  for (size_t at = 0; (at = text.find("\nname = \"", at)) != std::string::npos;) {
    at += 9;
    names.push_back(text.substr(at, text.find('"', at) - at));
  }
  // The title, transliterated; else the feed's path; else the host. Each name once.
  std::string host = server.Url("/").substr(7);
  host.pop_back();
  std::replace(host.begin(), host.end(), '.', '-');
  std::replace(host.begin(), host.end(), ':', '-');
  EXPECT_EQ(names, (std::vector<std::string>{"novosti", "izvestiia-politika", "novosti-2",
                                             "kyiv-novyny", "le-monde-a-la-une", "ekonomika",
                                             "sport", host, host + "-2"}))
      << text;
  // What it prints loads as configuration.
  const testing::TempDir dir;
  const Result<config::Config> loaded = config::LoadConfigFile(WriteDiscovered(dir.path(), text));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message << "\n" << text;
  EXPECT_EQ(loaded->feeds.size(), 9u);
}

TEST(Discover, WritesAHostileHrefAsTheSameUrl) {
  testing::LoopbackServer server;
  server.server().Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        "<html><head><title>x</title>"
        "<link rel=\"alternate\" type=\"application/rss+xml\" "
        "title=\"Line one\nurl = 'evil'\" href='http://x.test/f\" # y'>"
        "</head><body></body></html>",
        "text/html");
  });
  server.Start();
  std::ostringstream found;
  const Status status = Discover(server.Url("/"), found);
  ASSERT_TRUE(status.ok()) << status.error().message;
  // Loaded back, the configuration holds the href as the page wrote it, and nothing else.
  const testing::TempDir dir;
  const Result<config::Config> loaded =
      config::LoadConfigFile(WriteDiscovered(dir.path(), found.str()));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message << "\n" << found.str();
  ASSERT_EQ(loaded->feeds.size(), 1u) << found.str();
  EXPECT_EQ(loaded->feeds[0].url, "http://x.test/f\" # y") << found.str();
}

}  // namespace
}  // namespace feedwatch::cli
