#include "config/config.h"

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace feedwatch::config {
namespace {

using namespace std::chrono_literals;

std::string ErrorsOf(std::string_view text) {
  const Result<Config> config = LoadConfigText(text, "/etc/feedwatch/feedwatch.toml");
  EXPECT_FALSE(config.ok());
  return config.ok() ? "" : config.error().message;
}

TEST(Config, LoadsTheBundledExample) {
  const std::filesystem::path path =
      testing::DataDir().parent_path().parent_path() / "config" / "feedwatch.example.toml";
  const Result<Config> config = LoadConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->watches.size(), 3u);
  ASSERT_FALSE(config->feeds.empty());
  const FeedConfig& sample = config->feeds.front();
  EXPECT_EQ(sample.name, "sample-talks");
  EXPECT_EQ(sample.url,
            "file://" +
                (path.parent_path() / "samples" / "talks-sample.xml").lexically_normal().string());
  EXPECT_EQ(sample.initial_lookback, std::nullopt);
  EXPECT_EQ(config->feeds[1].interval, 5min);
  EXPECT_EQ(config->feeds[1].initial_lookback, 48h);
}

TEST(Config, AppliesDefaults) {
  const Result<Config> config = LoadConfigText(R"(
[[notify]]
name = "console"
type = "console"

[[feed]]
name = "a"
url = "https://example.org/feed"

[[watch]]
name = "w"
query = "word"
)",
                                               "/tmp/x.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->http.timeout, 30s);
  EXPECT_EQ(config->http.max_body, 10u << 20);
  EXPECT_EQ(config->feeds[0].interval, 10min);
  EXPECT_EQ(config->feeds[0].initial_lookback, 48h);
  EXPECT_EQ(config->watches[0].notify, std::vector<std::string>{"console"});
  EXPECT_EQ(config->daemon.state_dir, "");
}

TEST(Config, ResolvesRelativePathsAgainstTheConfigFolder) {
  const Result<Config> config = LoadConfigText(R"(
[daemon]
state_dir = "state"
[[notify]]
name = "console"
type = "console"
[[feed]]
name = "local"
url = "file:feeds/my feed.xml"
)",
                                               "/srv/fw/feedwatch.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->daemon.state_dir, "/srv/fw/state");
  EXPECT_EQ(config->feeds[0].url, "file:///srv/fw/feeds/my%20feed.xml");
}

TEST(Config, UnknownKeyInFeedNamesItsPlaceAndSuggestsTheKnownOne) {
  EXPECT_EQ(ErrorsOf(R"([[feed]]
name = "tass"
url = "https://tass.com/rss/v2.xml"
intervall = "5m"
)"),
            "/etc/feedwatch/feedwatch.toml:4:1: unknown key \"intervall\" in [[feed]]; did you "
            "mean \"interval\"?\n"
            "  intervall = \"5m\"\n"
            "  ^");
}

TEST(Config, InternalNetworksMustBeNetworks) {
  EXPECT_EQ(ErrorsOf("[http]\ninternal_networks = [\"10.0.0.0/8\", \"10.0.0.0/33\", 7]\n"),
            "/etc/feedwatch/feedwatch.toml:2:36: \"10.0.0.0/33\" is not a network; expected an "
            "address with an optional prefix length, like \"10.0.0.0/8\" or \"fc00::/7\"\n"
            "  internal_networks = [\"10.0.0.0/8\", \"10.0.0.0/33\", 7]\n"
            "                                     ^\n"
            "/etc/feedwatch/feedwatch.toml:2:51: expected a network (a string like "
            "\"10.0.0.0/8\"), got an integer\n"
            "  internal_networks = [\"10.0.0.0/8\", \"10.0.0.0/33\", 7]\n"
            "                                                    ^");
}

TEST(Config, UnknownKeyWithNothingCloseListsTheKnownKeys) {
  EXPECT_EQ(ErrorsOf("[http]\nproxyserver = \"x\"\n"),
            "/etc/feedwatch/feedwatch.toml:2:1: unknown key \"proxyserver\" in [http]; expected "
            "one of: timeout connect_timeout low_speed_time max_body max_parse_time concurrency "
            "per_host ca_file proxy internal_networks\n"
            "  proxyserver = \"x\"\n"
            "  ^");
}

TEST(Config, ReportsEveryProblemInOneRunInFileOrder) {
  EXPECT_EQ(
      ErrorsOf(R"([[notify]]
name = "console"
type = "console"

[[feed]]
name = "tass"
url = "https://tass.com/rss/v2.xml"

[[feed]]
name = "tass"
url = "https://tass.ru/rss/v2.xml"
interval = "5 minutes"

[[watch]]
name = "darchiev"
query = "Darchiev"
notify = ["console", "desk"]
)"),
      "/etc/feedwatch/feedwatch.toml:10:8: duplicate feed name \"tass\" (first defined on "
      "line 6)\n"
      "  name = \"tass\"\n"
      "         ^\n"
      "/etc/feedwatch/feedwatch.toml:12:12: invalid duration \"5 minutes\": expected a number "
      "and a unit (ms, s, m, h, d), like \"90s\", \"10m\" or \"1h30m\"\n"
      "  interval = \"5 minutes\"\n"
      "             ^\n"
      "/etc/feedwatch/feedwatch.toml:17:22: unknown notifier \"desk\"; defined notifiers: "
      "console\n"
      "  notify = [\"console\", \"desk\"]\n"
      "                       ^");
}

TEST(Config, MinIntervalIsASecondAtLeastAndNoLongerThanTheInterval) {
  EXPECT_EQ(ErrorsOf("[defaults]\nmin_interval = \"500ms\"\n"),
            "/etc/feedwatch/feedwatch.toml:2:16: min_interval must be at least 1s\n"
            "  min_interval = \"500ms\"\n"
            "                 ^");
  EXPECT_EQ(ErrorsOf("[[feed]]\nname = \"mid\"\nurl = \"https://mid.ru/rss\"\ninterval = \"5m\"\n"
                     "min_interval = \"10m\"\n"),
            "/etc/feedwatch/feedwatch.toml:5:16: min_interval must not be longer than interval "
            "(300s): it is the shortest time between two polls, interval the longest\n"
            "  min_interval = \"10m\"\n"
            "                 ^");
  // Inherited, a longer min_interval makes a short interval's polls fixed.
  const Result<Config> config = LoadConfigText(
      "[defaults]\nmin_interval = \"5m\"\n[[feed]]\nname = \"a\"\nurl = \"https://a.example/\"\n"
      "interval = \"2m\"\n[[feed]]\nname = \"b\"\nurl = \"https://b.example/\"\n"
      "min_interval = \"30s\"\n",
      "/etc/feedwatch/feedwatch.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->feeds[0].min_interval, 5min);
  EXPECT_EQ(config->feeds[1].min_interval, 30s);
  EXPECT_EQ(config->feeds[1].interval, 10min);
}

TEST(Config, TomlSyntaxErrorHasItsPosition) {
  const std::string errors = ErrorsOf("[[feed]]\nname = \"a\nurl = 1\n");
  EXPECT_TRUE(errors.starts_with("/etc/feedwatch/feedwatch.toml:2:")) << errors;
  EXPECT_NE(errors.find("  name = \"a"), std::string::npos) << errors;
}

TEST(Config, MissingRequiredKeysAndWrongTypes) {
  EXPECT_EQ(ErrorsOf(R"([[notify]]
name = "console"
type = "console"
[[feed]]
name = "a"
[[feed]]
name = 5
url = "ftp://x/y"
)"),
            "/etc/feedwatch/feedwatch.toml:4:1: [[feed]] is missing the required key \"url\"\n"
            "  [[feed]]\n"
            "  ^\n"
            "/etc/feedwatch/feedwatch.toml:7:8: expected \"name\" to be a string, got an integer\n"
            "  name = 5\n"
            "         ^\n"
            "/etc/feedwatch/feedwatch.toml:8:7: feed URL \"ftp://x/y\" must start with http://, "
            "https:// or file:\n"
            "  url = \"ftp://x/y\"\n"
            "        ^");
}

TEST(Config, DotAndDotDotAreNotNames) {
  // Names are paths on the listener (/watch/NAME, /feeds/NAME.atom), where browsers resolve
  // them away.
  EXPECT_EQ(ErrorsOf(R"([[notify]]
name = "console"
type = "console"
[[watch]]
name = ".."
query = 'Darchiev'
)"),
            "/etc/feedwatch/feedwatch.toml:5:8: watch name \"..\" must be letters, digits, '-', "
            "'_' or '.', and not \".\" or \"..\"\n"
            "  name = \"..\"\n"
            "         ^");
}

TEST(Config, BadQueryIsReportedWithTheWatchName) {
  EXPECT_EQ(ErrorsOf(R"([[notify]]
name = "console"
type = "console"
[[watch]]
name = "moscow-round"
query = '"Moscow round OR consultations'
)"),
            "/etc/feedwatch/feedwatch.toml:6:10: watch \"moscow-round\": query: unclosed '\"': "
            "expected a closing quote\n"
            "  query = '\"Moscow round OR consultations'\n"
            "           ^");
}

TEST(Config, AnUnclosedParenthesisIsReportedWhereItStandsInTheFile) {
  // Line and column of the file, not of the query; another position named in the message is
  // the file's too.
  EXPECT_EQ(ErrorsOf(R"([[notify]]
name = "console"
type = "console"
[[watch]]
name = "round"
query = '''
  ("Moscow round" OR
   consultations
'''
[[watch]]
name = "near"
query = '''
  (Darchiev OR
   Дарчиев) Lavrov)
'''
)"),
            "/etc/feedwatch/feedwatch.toml:7:3: watch \"round\": query: '(' is never closed: "
            "expected ')' before the end\n"
            "    (\"Moscow round\" OR\n"
            "    ^\n"
            "/etc/feedwatch/feedwatch.toml:14:19: watch \"near\": query: unexpected ')'\n"
            "     Дарчиев) Lavrov)\n"
            "                    ^");
}

TEST(Config, AStringLeftOpenAtTheEndOfItsLineIsSaidSoAtItsQuote) {
  // The open one, past those closed before it.
  const std::string errors =
      ErrorsOf("[[watch]]\nname = \"w\"\nquery = \"Darchiev\"\nnotify = [\"c\", \"d\\\"x]\n");
  EXPECT_TRUE(errors.starts_with("/etc/feedwatch/feedwatch.toml:4:16: this string is not closed"))
      << errors;
  EXPECT_EQ(ErrorsOf("[[watch]]\nname = \"w\"\nquery = \"Darchiev OR\n  Lavrov\"\n"),
            "/etc/feedwatch/feedwatch.toml:3:9: this string is not closed on its line: a \"...\" "
            "string ends on the line it starts on; close it with \", or write a text over several "
            "lines between ''' and '''\n"
            "  query = \"Darchiev OR\n"
            "          ^");
}

TEST(Config, ABrokenNotifierIsReportedOnceAndNotAgainByTheWatchesNamingIt) {
  // The webhook's secret file is missing: that is the one error; the watch naming it is not
  // told it is unknown, and a typo elsewhere lists it among the defined notifiers.
  EXPECT_EQ(ErrorsOf(R"([[notify]]
name = "desk-mail"
type = "console"
[[notify]]
name = "hook"
type = "webhook"
url = "http://127.0.0.1:9/x"
secret_file = "/nonexistent/secret"
[[watch]]
name = "w"
query = "Darchiev"
notify = ["hook", "hooks"]
)"),
            "/etc/feedwatch/feedwatch.toml:8:15: cannot read secret_file \"/nonexistent/secret\" "
            "(/nonexistent/secret: No such file or directory)\n"
            "  secret_file = \"/nonexistent/secret\"\n"
            "                ^\n"
            "/etc/feedwatch/feedwatch.toml:12:19: unknown notifier \"hooks\"; did you mean "
            "\"hook\"?\n"
            "  notify = [\"hook\", \"hooks\"]\n"
            "                    ^");
  // A mistyped type is the one error: the watch without `notify` is not told it has nowhere to
  // send.
  EXPECT_EQ(ErrorsOf("[[notify]]\nname = \"desk\"\ntype = \"e-mail\"\n[[watch]]\nname = \"w\"\n"
                     "query = \"Darchiev\"\n"),
            "/etc/feedwatch/feedwatch.toml:3:8: unknown notifier type \"e-mail\"; expected "
            "\"console\", \"email\" or \"webhook\"\n"
            "  type = \"e-mail\"\n"
            "         ^");
}

TEST(Config, QueryErrorsPointIntoMultiLineQueries) {
  EXPECT_EQ(ErrorsOf(R"([[notify]]
name = "console"
type = "console"
[[watch]]
name = "round"
query = '''
"Moscow round"
  OR (round NEAR Moscow)
'''
)"),
            "/etc/feedwatch/feedwatch.toml:8:13: watch \"round\": query: expected NEAR/n with a "
            "number of words, e.g. NEAR/5\n"
            "    OR (round NEAR Moscow)\n"
            "              ^");
}

TEST(Config, TermListsAreSharedByWatchesAndCheckedAtTheirEntries) {
  const Result<Config> config = LoadConfigText(R"([[notify]]
name = "console"
type = "console"
[terms]
us = ["=US", "United States", "@capital"]
capital = "Washington"
[[watch]]
name = "talks"
query = 'talks AND @us'
scope = "item"
)",
                                               "/tmp/x.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->watches[0].scope, filters::Scope::kItem);
  EXPECT_EQ(config->terms->Names(), (std::vector<std::string>{"capital", "us"}));
  const filters::Document document({.title = "talks in Washington"}, false);
  EXPECT_TRUE(config->watches[0].query->Matches(document));

  // A bad entry is said at the entry, once: not again by the watch that uses its list.
  EXPECT_EQ(ErrorsOf(R"([[notify]]
name = "console"
type = "console"
[terms]
us = ["=US", "\"United States\"", "@nowhere"]
[[watch]]
name = "talks"
query = 'talks AND @us'
scope = "passages"
[[watch]]
name = "other"
query = 'talks AND @them'
)"),
            "/etc/feedwatch/feedwatch.toml:5:14: [terms] \"us\": entry 2: 1:1: a list entry is a "
            "word or words in order, without quotes or parentheses\n"
            "  us = [\"=US\", \"\\\"United States\\\"\", \"@nowhere\"]\n"
            "               ^\n"
            "/etc/feedwatch/feedwatch.toml:9:9: expected \"scope\" to be \"passage\" (the evidence "
            "in one passage, with the title) or \"item\" (anywhere in the item), got \"passages\"\n"
            "  scope = \"passages\"\n"
            "          ^\n"
            "/etc/feedwatch/feedwatch.toml:12:20: watch \"other\": query: unknown term list "
            "@them; defined term lists: @us\n"
            "  query = 'talks AND @them'\n"
            "                     ^");
}

TEST(Config, ANamedExpressionsErrorPointsIntoIt) {
  EXPECT_EQ(ErrorsOf(R"([[notify]]
name = "console"
type = "console"
[terms]
round = '''
(round OR talks)
  NEAR/8 (Moscow
'''
[[watch]]
name = "r"
query = '@round AND US'
)"),
            "/etc/feedwatch/feedwatch.toml:7:10: [terms] \"round\": 2:10: '(' is never closed: "
            "expected ')' before the end\n"
            "    NEAR/8 (Moscow\n"
            "           ^");
}

TEST(Config, RejectsUnknownNotifierTypes) {
  const std::string errors = ErrorsOf("[[notify]]\nname = \"desk\"\ntype = \"sms\"\n");
  EXPECT_EQ(errors,
            "/etc/feedwatch/feedwatch.toml:3:8: unknown notifier type \"sms\"; expected "
            "\"console\", \"email\" or \"webhook\"\n"
            "  type = \"sms\"\n"
            "         ^");
}

TEST(Config, LoadsEmailAndWebhookNotifiersWithTheirSecrets) {
  const testing::TempDir dir;
  testing::WriteFile(dir.path() / "smtp-password", "hunter2\n");
  testing::WriteFile(dir.path() / "hook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
  const Result<Config> config = LoadConfigText(R"(
[smtp]
url = "smtp://mail.example.org:587"
from = "Лента <alerts@example.org>"
username = "alerts"
password_file = "smtp-password"

[[notify]]
name = "desk"
type = "email"
to = ["desk@example.org", "Night Desk <night@example.org>"]
digest = "daily 08:00 Europe/Moscow"
max_per_hour = 10

[[notify]]
name = "hook"
type = "webhook"
url = "https://hooks.example.org/x"
secret_file = "hook-secret"
format = "slack"
headers = { Authorization = "Bearer t0k3n" }
max_age = "2h"
)",
                                               dir.path() / "feedwatch.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_TRUE(config->smtp.has_value());
  EXPECT_EQ(config->smtp->from.name, "Лента");
  EXPECT_EQ(config->smtp->from.address, "alerts@example.org");
  EXPECT_EQ(config->smtp->password, "hunter2");
  ASSERT_EQ(config->notifiers.size(), 2u);
  const NotifierConfig& desk = config->notifiers[0];
  const auto* email = std::get_if<notify::EmailSettings>(&desk.settings);
  ASSERT_NE(email, nullptr);
  EXPECT_EQ(email->to, (std::vector<std::string>{"desk@example.org", "night@example.org"}));
  EXPECT_EQ(desk.digest.ToString(), "daily 08:00 Europe/Moscow");
  EXPECT_EQ(desk.max_per_hour, 10);
  EXPECT_EQ(desk.max_age, 24h);
  const NotifierConfig& hook = config->notifiers[1];
  const auto* webhook = std::get_if<notify::WebhookSettings>(&hook.settings);
  ASSERT_NE(webhook, nullptr);
  EXPECT_EQ(webhook->format, notify::WebhookFormat::kSlack);
  EXPECT_EQ(webhook->secret.size(), 24u);  // the base64 after whsec_, decoded
  EXPECT_EQ(webhook->headers, std::vector<std::string>{"Authorization: Bearer t0k3n"});
  EXPECT_EQ(hook.max_age, 2h);
  EXPECT_TRUE(hook.digest.off());
}

TEST(Config, ReadsSecretsFromTheCredentialsDirectoryFirst) {
  const testing::TempDir dir;
  const testing::TempDir credentials;
  testing::WriteFile(dir.path() / "smtp-password", "from the config folder");
  testing::WriteFile(credentials.path() / "smtp-password", "from systemd");
  testing::WriteFile(credentials.path() / "feedwatch_hook-secret",
                     "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  setenv("CREDENTIALS_DIRECTORY", credentials.path().c_str(), 1);
  const Result<Config> config = LoadConfigText(
      "[smtp]\nurl = \"smtps://mail.example.org\"\nfrom = \"a@example.org\"\n"
      "username = \"a\"\npassword_file = \"smtp-password\"\n"
      // The unit's LoadCredential=feedwatch:/etc/feedwatch/credentials names it feedwatch_FILE.
      "[[notify]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"https://x.test/\"\n"
      "secret_file = \"hook-secret\"\n",
      dir.path() / "feedwatch.toml");
  unsetenv("CREDENTIALS_DIRECTORY");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->smtp->password, "from systemd");
  EXPECT_EQ(std::get<notify::WebhookSettings>(config->notifiers[0].settings).secret.size(), 24u);
}

TEST(Config, StoreTakesAPostgresqlUriAPasswordFromCredentialsAndALease) {
  const testing::TempDir dir;
  const testing::TempDir credentials;
  testing::WriteFile(credentials.path() / "feedwatch_pg-password", "s3cret\n");
  setenv("CREDENTIALS_DIRECTORY", credentials.path().c_str(), 1);
  const Result<Config> config = LoadConfigText(
      "[store]\nurl = \"postgresql://feedwatch@db.example.org/feedwatch\"\n"
      "password_file = \"pg-password\"\ninstance = \"poller-1\"\nlease = \"90s\"\n",
      dir.path() / "feedwatch.toml");
  unsetenv("CREDENTIALS_DIRECTORY");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->store.url, "postgresql://feedwatch@db.example.org/feedwatch");
  EXPECT_EQ(config->store.password, "s3cret");
  EXPECT_EQ(config->store.instance, "poller-1");
  EXPECT_EQ(config->store.lease, 90s);
  // Without [store]: SQLite in state_dir, one instance.
  const Result<Config> plain = LoadConfigText("", dir.path() / "feedwatch.toml");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->store.url, "");
  EXPECT_EQ(plain->store.lease, 60s);
}

TEST(Config, StoreMistakesSayWhatIsExpected) {
  EXPECT_EQ(ErrorsOf("[store]\nurl = \"mysql://db/feedwatch\"\nlease = \"2s\"\n"
                     "instance = \"a\\u0007b\"\n"),
            "/etc/feedwatch/feedwatch.toml:2:7: [store] url \"mysql://db/feedwatch\" must be a "
            "PostgreSQL URI (postgresql://USER@HOST/DATABASE); leave it out for SQLite in "
            "state_dir\n"
            "  url = \"mysql://db/feedwatch\"\n"
            "        ^\n"
            "/etc/feedwatch/feedwatch.toml:3:9: [store] lease must be at least 5s\n"
            "  lease = \"2s\"\n"
            "          ^\n"
            "/etc/feedwatch/feedwatch.toml:4:12: [store] instance must be at most 200 printable "
            "characters, without quotes\n"
            "  instance = \"a\\u0007b\"\n"
            "             ^");
}

TEST(Config, ReportsEveryNotifierMistakeWithItsLine) {
  const testing::TempDir dir;
  testing::WriteFile(dir.path() / "not-base64", "whsec_not base64!");
  const std::string errors = ErrorsOf(R"([[notify]]
name = "desk"
type = "email"
to = ["desk at example.org"]
digest = "weekly"

[[notify]]
name = "hook"
type = "webhook"
url = "ftp://x"
secret_file = ")" + (dir.path() / "not-base64").string() +
                                      R"("
headers = { "X-Bad" = "a\nBcc: b" }

[[notify]]
name = "late"
type = "webhook"
url = "https://x.test/"
secret_file = "missing-secret"
digest = "daily 25:00"

[[notify]]
name = "zoned"
type = "console"
digest = "daily 08:00 Mars/Olympus"
)");
  for (const std::string expected : {
           "3:8: an email notifier needs an [smtp] section with at least url and from",
           "4:7: bad email address \"desk at example.org\": expected local@domain",
           "5:10: unknown digest \"weekly\"; expected \"off\", \"hourly\" or \"daily HH:MM "
           "[Area/Zone]\"",
           "10:7: webhook url \"ftp://x\" must be an http:// or https:// URL",
           "11:15: the secret in",
           "must be \"whsec_\" followed by base64 (Standard Webhooks)",
           "12:23: expected header \"X-Bad\" to be a string on one line",
           "18:15: cannot read secret_file \"missing-secret\" (/etc/feedwatch/missing-secret: No "
           "such file or directory)",
           "19:10: unknown digest \"daily 25:00\"",
           "24:10: unknown time zone \"Mars/Olympus\" in digest",
       }) {
    EXPECT_NE(errors.find(expected), std::string::npos) << expected << "\n in:\n" << errors;
  }
}

TEST(Config, WatchNeedsSomewhereToSend) {
  const std::string errors = ErrorsOf("[[watch]]\nname = \"w\"\nquery = \"x\"\n");
  EXPECT_NE(errors.find("1:1: [[watch]] has nowhere to send alerts: add a [[notify]] table"),
            std::string::npos)
      << errors;
}

TEST(Config, AWatchsFeedTokenMustFitInAUrl) {
  const testing::TempDir dir;
  testing::WriteFile(dir.path() / "good-token", "Abc-123_x.y~z\n");
  testing::WriteFile(dir.path() / "bad-token", "has space&amp\n");
  const std::string watch =
      "[[notify]]\nname = \"c\"\ntype = \"console\"\n[[watch]]\nname = \"w\"\n"
      "query = \"x\"\nfeed_token_file = ";
  const Result<Config> good =
      LoadConfigText(watch + "\"good-token\"\n", dir.path() / "feedwatch.toml");
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(good->watches[0].feed_token, "Abc-123_x.y~z");
  const Result<Config> bad =
      LoadConfigText(watch + "\"bad-token\"\n", dir.path() / "feedwatch.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find(":7:19: the token in \"bad-token\" must be letters, digits"),
            std::string::npos)
      << bad.error().message;
  EXPECT_EQ(bad.error().message.find("has space"), std::string::npos);  // a secret stays one
}

TEST(Config, APublicUrlIsAWebUrlWithAHost) {
  const Result<Config> good =
      LoadConfigText("[daemon]\npublic_url = \"https://desk.example.org/feedwatch/\"\n",
                     "/etc/feedwatch/feedwatch.toml");
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(good->daemon.public_url, "https://desk.example.org/feedwatch");
  const Result<Config> unset = LoadConfigText("", "/etc/feedwatch/feedwatch.toml");
  ASSERT_TRUE(unset.ok());
  EXPECT_EQ(unset->daemon.public_url, "");
  for (const std::string bad :
       {"desk.example.org", "ftp://desk.example.org", "https:///feedwatch", "https://",
        "https://desk.example.org/a b", "https://desk.example.org/?token=x",
        "https://desk.example.org/\\\"x"}) {
    const std::string errors = ErrorsOf("[daemon]\npublic_url = \"" + bad + "\"\n");
    EXPECT_TRUE(errors.starts_with("/etc/feedwatch/feedwatch.toml:2:14: public_url \"")) << errors;
    EXPECT_NE(errors.find("must be an http:// or https:// URL"), std::string::npos) << errors;
  }
  EXPECT_EQ(ErrorsOf("[daemon]\npublic_url = \"ftp://desk.example.org\"\n"),
            "/etc/feedwatch/feedwatch.toml:2:14: public_url \"ftp://desk.example.org\" must be an "
            "http:// or https:// URL with a host and no query, such as "
            "\"https://desk.example.org/feedwatch\"\n"
            "  public_url = \"ftp://desk.example.org\"\n"
            "               ^");
}

TEST(Config, MissingFileIsNotFound) {
  const Result<Config> config = LoadConfigFile("/nonexistent/feedwatch.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Error::Code::kNotFound);
  EXPECT_EQ(config.error().message,
            "/nonexistent/feedwatch.toml: cannot read the config file: No such file or directory");
}

}  // namespace
}  // namespace feedwatch::config
