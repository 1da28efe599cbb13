// [defaults] and [[feed]]: what to poll, how often, and how much of it to read.
#include <array>
#include <map>

#include "config/sections.h"

namespace feedwatch::config {
namespace {

// The largest max_items and max_alerts: a poll's items are held in memory together.
constexpr int kMaxItemsLimit = 1'000'000;
// The largest max_articles: pages fetched for one poll, each up to [http] max_body.
constexpr int kMaxArticlesLimit = 1'000;
// The longest article_wait: a poll's alerts wait this long at most.
constexpr Duration kMaxArticleWait = std::chrono::minutes(5);

// The keys a [[feed]] may have: those of [defaults] that apply to one feed, and its own.
constexpr std::array kFeedKeys = {std::string_view("name"),
                                  std::string_view("url"),
                                  std::string_view("interval"),
                                  std::string_view("min_interval"),
                                  std::string_view("initial_lookback"),
                                  std::string_view("max_items"),
                                  std::string_view("max_alerts"),
                                  std::string_view("fetch_articles"),
                                  std::string_view("max_articles"),
                                  std::string_view("article_wait")};

std::string PercentEncodePath(std::string_view path) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '~' || c == '/';
    if (plain) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

// A duration, or "all" for no limit. Absent: `fallback`.
std::optional<Duration> Lookback(Reader& reader, const toml::table& table,
                                 std::optional<Duration> fallback) {
  const toml::node* node = table.get("initial_lookback");
  if (node == nullptr) return fallback;
  if (const auto* value = node->as_string(); value != nullptr && value->get() == "all") {
    return std::nullopt;
  }
  const std::optional<Duration> duration = reader.DurationValue(table, "initial_lookback");
  return duration ? duration : fallback;
}

std::optional<std::string> FeedUrl(Reader& reader, const toml::table& table) {
  auto url = reader.String(table, "url", "[[feed]]", true);
  if (!url) return std::nullopt;
  const toml::source_position where = table.get("url")->source().begin;
  const auto has_host = [&](std::string_view scheme) {
    return url->size() > scheme.size() && url->find_first_of("/?#", scheme.size()) != scheme.size();
  };
  if (url->starts_with("http://") || url->starts_with("https://")) {
    if (has_host(url->starts_with("http://") ? "http://" : "https://")) return url;
    reader.Add(where, "feed URL " + Quote(*url) + " has no host");
    return std::nullopt;
  }
  if (url->starts_with("file:")) {
    std::string_view path = std::string_view(*url).substr(5);
    if (path.starts_with("//")) {
      path.remove_prefix(2);
      if (path.starts_with("/")) return url;
      reader.Add(where, "file URL " + Quote(*url) +
                            " must be file:///absolute/path or file:path/relative/to/the/config");
      return std::nullopt;
    }
    const std::filesystem::path absolute =
        std::filesystem::absolute(reader.Folder() / std::filesystem::path(path)).lexically_normal();
    return "file://" + PercentEncodePath(absolute.string());
  }
  reader.Add(where, "feed URL " + Quote(*url) + " must start with http://, https:// or file:");
  return std::nullopt;
}

// `table`'s min_interval, or `fallback`: a second at least, and not longer than `interval` (an
// inherited one longer than a table's own interval just makes its polls fixed).
Duration MinInterval(Reader& reader, const toml::table& table, Duration interval,
                     Duration fallback) {
  const std::optional<Duration> value = reader.DurationValue(table, "min_interval");
  if (!value) return fallback;
  const toml::source_position where = table.get("min_interval")->source().begin;
  if (*value < std::chrono::seconds(1)) {
    reader.Add(where, "min_interval must be at least 1s");
    return fallback;
  }
  if (*value > interval) {
    reader.Add(where, "min_interval must not be longer than interval (" +
                          std::to_string(
                              std::chrono::duration_cast<std::chrono::seconds>(interval).count()) +
                          "s): it is the shortest time between two polls, interval the longest");
    return fallback;
  }
  return *value;
}

// fetch_articles, max_articles and article_wait of `table` over `fallback`'s.
template <typename Settings>
void ArticleSettings(Reader& reader, const toml::table& table, const FeedDefaults& fallback,
                     Settings& out) {
  out.fetch_articles = fallback.fetch_articles;
  out.max_articles = fallback.max_articles;
  out.article_wait = fallback.article_wait;
  if (table.get("fetch_articles") != nullptr) {
    out.fetch_articles = reader.Bool(table, "fetch_articles").value_or(fallback.fetch_articles);
  }
  reader.Integer(table, "max_articles", 1, kMaxArticlesLimit, out.max_articles);
  if (const std::optional<Duration> wait = reader.DurationValue(table, "article_wait")) {
    if (*wait > kMaxArticleWait) {
      reader.Add(table.get("article_wait")->source().begin,
                 "article_wait must be at most 5m: a poll's alerts wait that long for each "
                 "turn of a host's per_host slots that its articles need");
    } else {
      out.article_wait = *wait;
    }
  }
}

}  // namespace

FeedDefaults LoadDefaults(Reader& reader, const toml::table& root, ScheduleSettings& schedule) {
  FeedDefaults defaults;
  const toml::table* table = reader.Section(root, "defaults");
  if (table == nullptr) return defaults;
  reader.CheckKeys(*table,
                   {"interval", "min_interval", "initial_lookback", "max_backoff", "max_items",
                    "max_alerts", "fetch_articles", "max_articles", "article_wait"},
                   "[defaults]");
  if (auto d = reader.DurationValue(*table, "interval")) defaults.interval = *d;
  defaults.min_interval =
      MinInterval(reader, *table, defaults.interval, FeedDefaults{}.min_interval);
  reader.Integer(*table, "max_items", 1, kMaxItemsLimit, defaults.max_items);
  reader.Integer(*table, "max_alerts", 1, kMaxItemsLimit, defaults.max_alerts);
  if (auto d = reader.DurationValue(*table, "max_backoff")) schedule.max_backoff = *d;
  defaults.initial_lookback = Lookback(reader, *table, defaults.initial_lookback);
  ArticleSettings(reader, *table, FeedDefaults{}, defaults);
  return defaults;
}

std::vector<FeedConfig> LoadFeeds(Reader& reader, const toml::table& root,
                                  const FeedDefaults& defaults) {
  std::vector<FeedConfig> feeds;
  std::map<std::string, toml::source_index> first_line;
  for (const toml::table* table : reader.TableArray(root, "feed")) {
    reader.CheckKeys(*table, kFeedKeys, "[[feed]]");
    FeedConfig feed;
    feed.max_items = defaults.max_items;
    feed.max_alerts = defaults.max_alerts;
    reader.Integer(*table, "max_items", 1, kMaxItemsLimit, feed.max_items);
    reader.Integer(*table, "max_alerts", 1, kMaxItemsLimit, feed.max_alerts);
    const auto name = reader.Name(*table, "[[feed]]", first_line, "feed");
    const auto url = FeedUrl(reader, *table);
    feed.interval = reader.DurationValue(*table, "interval").value_or(defaults.interval);
    feed.min_interval = MinInterval(reader, *table, feed.interval, defaults.min_interval);
    feed.initial_lookback = Lookback(reader, *table, defaults.initial_lookback);
    ArticleSettings(reader, *table, defaults, feed);
    if (!name || !url) continue;
    feed.name = *name;
    feed.url = *url;
    feeds.push_back(std::move(feed));
  }
  return feeds;
}

}  // namespace feedwatch::config
