// check-config, test-filter and eval, in process.
#include "cli/check.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "tests/support/support.h"

namespace feedwatch::cli {
namespace {

const std::filesystem::path& Example() {
  static const std::filesystem::path example =
      testing::SourceDir() / "config" / "feedwatch.example.toml";
  return example;
}

TEST(CheckConfig, ReportsAnUnknownKeyWithItsLineAndACaret) {
  const testing::TempDir dir;
  const auto config = dir.path() / "feedwatch.toml";
  testing::WriteFile(config,
                     "[[feed]]\nname = \"tass\"\nurl = \"https://tass.com/rss/v2.xml\"\n"
                     "intervall = \"5m\"\n");
  std::ostringstream out;
  std::ostringstream err;
  const Status status = CheckConfig(config.string(), out, err);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Error::Code::kConfig);
  EXPECT_EQ(status.error().message, config.string() +
                                        ":4:1: unknown key \"intervall\" in [[feed]]; did you mean "
                                        "\"interval\"?\n  intervall = \"5m\"\n  ^");
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(err.str(), "");
}

TEST(CheckConfig, WarnsOfSecretsOthersReadAndWatchesOtherHostsReach) {
  const testing::TempDir dir;
  testing::WriteFile(dir.path() / "token", "s3cret-token\n");
  std::filesystem::permissions(dir.path() / "token", std::filesystem::perms(0644));
  const std::string watches =
      "[[watch]]\nname = \"open\"\nquery = \"Darchiev\"\n"
      "[[watch]]\nname = \"closed\"\nquery = \"Darchiev\"\nfeed_token_file = \"token\"\n"
      "[[notify]]\nname = \"c\"\ntype = \"console\"\n";
  const std::filesystem::path config = dir.path() / "feedwatch.toml";
  testing::WriteFile(config, "[daemon]\nmetrics_listen = \"0.0.0.0:9464\"\n" + watches);
  std::ostringstream out;
  std::ostringstream open;
  const Status valid = CheckConfig(config.string(), out, open);
  EXPECT_TRUE(valid.ok()) << valid.error().message;  // warnings do not fail it
  EXPECT_EQ(out.str(), config.string() + ": OK (0 feeds, 2 watches, 1 notifier)\n");
  EXPECT_NE(open.str().find(config.string() +
                            ":2:18: warning: metrics_listen \"0.0.0.0:9464\" is reachable from "
                            "other hosts, and anyone who reaches it can read the stories of the "
                            "watches without a feed_token_file (open) at /feeds/WATCH.atom; give "
                            "them one, or listen on 127.0.0.1\n"),
            std::string::npos)
      << open.str();
  EXPECT_NE(open.str().find(config.string() + ":9:19: warning: the feed_token_file " +
                            (dir.path() / "token").string() +
                            " is readable or writable by every user (mode 0644); chmod o= it\n"),
            std::string::npos)
      << open.str();

  // On loopback, with the token file the owner's alone: nothing to say.
  std::filesystem::permissions(dir.path() / "token", std::filesystem::perms(0600));
  testing::WriteFile(config, "[daemon]\nmetrics_listen = \"127.0.0.1:9464\"\n" + watches);
  std::ostringstream quiet;
  const Status still_valid = CheckConfig(config.string(), out, quiet);
  EXPECT_TRUE(still_valid.ok()) << still_valid.error().message;
  EXPECT_EQ(quiet.str(), "");
}

TEST(CheckConfig, AcceptsTheBundledExample) {
  std::ostringstream out;
  std::ostringstream err;
  const Status status = CheckConfig(Example().string(), out, err);
  EXPECT_TRUE(status.ok()) << status.error().message;
  EXPECT_TRUE(out.str().starts_with(Example().string() + ": OK (")) << out.str();
}

TEST(CheckConfig, ReportsEveryBadQueryAtOnce) {
  const testing::TempDir dir;
  const std::filesystem::path config = dir.path() / "feedwatch.toml";
  testing::WriteFile(config, R"([[feed]]
name = "wire"
url = "file:wire.rss"
[[watch]]
name = "moscow-round"
query = '(Moscow round'
[[watch]]
name = "near"
query = 'a NEAR b'
[[notify]]
name = "console"
type = "console"
)");
  std::ostringstream out;
  std::ostringstream err;
  const Status status = CheckConfig(config.string(), out, err);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Error::Code::kConfig);
  const std::string& message = status.error().message;
  EXPECT_NE(message.find(":6:10: watch \"moscow-round\": query: '(' is never closed: "
                         "expected ')' before the end"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(":9:12: watch \"near\": query: expected NEAR/n with a number of "
                         "words, e.g. NEAR/5"),
            std::string::npos)
      << message;
  EXPECT_EQ(out.str(), "");
}

TEST(TestFilter, ShowsMatchedAndUnmatchedItemsWithMarkedSnippets) {
  std::ostringstream out;
  std::ostringstream err;
  const Status status =
      TestFilter({.config_path = Example().string(),
                  .config_given = true,
                  .watch = "darchiev",
                  .feed = (testing::DataDir() / "feeds" / "talks-ru.atom").string()},
                 out, err);
  EXPECT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(out.str(),
            "MATCH  Встреча с Дарчиевым прошла в Госдепартаменте\n"
            "       hits:    title: Дарчиев* (Дарчиевым); title: Госдеп* (Госдепартаменте); "
            "summary: посол (Посол)\n"
            "       snippet: Встреча с **Дарчиевым** прошла в **Госдепартаменте**\n"
            "-      Следующий раунд консультаций по раздражителям пройдёт в Москве\n"
            "-      Цены на недвижимость в Москве выросли\n"
            "\n"
            "watch \"darchiev\": 1 of 3 items match\n");
  EXPECT_EQ(err.str(), "");
}

TEST(TestFilter, TakesAQueryDirectly) {
  std::ostringstream out;
  std::ostringstream err;
  const Status status =
      TestFilter({.query = "Moscow NEAR/3 round -Spartak",
                  .feed = (testing::DataDir() / "feeds" / "talks-en.rss").string()},
                 out, err);
  EXPECT_TRUE(status.ok()) << status.error().message;
  EXPECT_NE(out.str().find("MATCH  Markets close higher\n"
                           "       hits:    content: Moscow (Moscow); content: round (round)\n"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("-      Spartak Moscow advance to the next round\n"), std::string::npos)
      << out.str();
  EXPECT_TRUE(out.str().ends_with("\nquery: 1 of 4 items match\n")) << out.str();
}

TEST(TestFilter, RejectsABadQueryWithACaret) {
  std::ostringstream out;
  std::ostringstream err;
  const Status status = TestFilter(
      {.query = "(Moscow round", .feed = (testing::DataDir() / "feeds" / "talks-en.rss").string()},
      out, err);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Error::Code::kConfig);
  EXPECT_EQ(status.error().message,
            "query:1:1: '(' is never closed: expected ')' before the end\n"
            "  (Moscow round\n"
            "  ^");
  EXPECT_EQ(out.str(), "");
}

TEST(TestFilter, AWatchTheConfigurationDoesNotHaveIsAConfigurationError) {
  std::ostringstream out;
  std::ostringstream err;
  const Status status =
      TestFilter({.config_path = Example().string(),
                  .config_given = true,
                  .watch = "darchiev2",
                  .feed = (testing::DataDir() / "feeds" / "talks-en.rss").string()},
                 out, err);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Error::Code::kConfig);
  EXPECT_EQ(status.error().message, Example().string() + ": no [[watch]] named \"darchiev2\"");
}

TEST(Eval, PrintsTheFiguresAndEveryMistake) {
  std::ostringstream out;
  const Status status =
      Eval(Example().string(), (testing::DataDir() / "filters" / "talks-labelled.jsonl").string(),
           {}, out);
  EXPECT_TRUE(status.ok()) << status.error().message;
  const std::string text = out.str();
  EXPECT_TRUE(
      text.starts_with("401 labelled items\nWATCH                    PRECISION  RECALL     "
                       "F1    TP    FP    FN\n"))
      << text;
  EXPECT_NE(text.find("\nall "), std::string::npos) << text;
  EXPECT_NE(text.find("\nBY SPLIT                \n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nheld-out "), std::string::npos) << text;
  EXPECT_NE(text.find("\nFALSE ALARM "), std::string::npos) << text;
  EXPECT_EQ(text.find("WITH UNRELATED TEXT ADDED"), std::string::npos) << "only with perturb";
}

TEST(Eval, AnUnreadableLabelsFileIsMissingInput) {
  std::ostringstream out;
  const Status status = Eval(Example().string(), "/nonexistent.jsonl", {}, out);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Error::Code::kNotFound);  // 66
  EXPECT_EQ(out.str(), "");
}

TEST(Eval, ErrorsSayFileAndLineAndAMistypedWatchIsAUsageError) {
  const testing::TempDir dir;
  const std::filesystem::path labels = dir.path() / "labels.jsonl";
  testing::WriteFile(labels,
                     "{\"title\": \"Darchiev meets senators\", \"watches\": []}\n"
                     "{\"title\": \"x\", \"watches\": [\"darchiev2\"]}\n");
  std::ostringstream out;
  const Status unknown = Eval(Example().string(), labels.string(), {}, out);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Error::Code::kInvalidInput);  // 65
  EXPECT_EQ(unknown.error().message,
            labels.string() +
                ":2: no [[watch]] named \"darchiev2\" in the configuration; did you mean "
                "\"darchiev\"?");
  testing::WriteFile(labels, "{\"title\": \"x\", \"watches\": []}\n{\"title\": 5}\n");
  const Status bad_line = Eval(Example().string(), labels.string(), {}, out);
  ASSERT_FALSE(bad_line.ok());
  EXPECT_EQ(bad_line.error().code, Error::Code::kInvalidInput);  // 65
  EXPECT_TRUE(bad_line.error().message.starts_with(labels.string() + ":2: "))
      << bad_line.error().message;
  const Status mistyped =
      Eval(Example().string(), labels.string(), {.only_watch = "moscow-rond"}, out);
  ASSERT_FALSE(mistyped.ok());
  EXPECT_EQ(mistyped.error().code, Error::Code::kUsage);  // 64
  EXPECT_TRUE(mistyped.error().message.starts_with("eval: --watch: ")) << mistyped.error().message;
  EXPECT_NE(mistyped.error().message.find("did you mean \"moscow-round\"?"), std::string::npos)
      << mistyped.error().message;
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace feedwatch::cli
