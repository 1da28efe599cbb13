#include "cli/inspect.h"

#include <algorithm>
#include <vector>

#include "base/text.h"
#include "cli/inputs.h"
#include "daemon/feed_names.h"
#include "feeds/article.h"
#include "feeds/discover.h"
#include "feeds/feed_json.h"

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

namespace feedwatch::cli {
namespace {

std::string FormatDate(const std::optional<TimePoint>& date) {
  return date ? FormatIso8601(*date) : "-";
}

// One paragraph a line, under the first.
std::string Paragraphs(std::string text) {
  for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 1)) {
    text.insert(at + 1, 15, ' ');
  }
  return text;
}

void PrintFeed(const feeds::Feed& feed, std::ostream& out) {
  out << "format:   " << feed.format << " (read as " << feed.encoding << ")\n"
      << "title:    " << feed.title << "\n"
      << "link:     " << feed.link << "\n";
  if (feed.ttl) out << "ttl:      " << feed.ttl->count() << " min\n";
  if (feed.update_period) out << "period:   " << feed.update_period->count() << " s\n";
  for (const std::string& warning : feed.warnings) out << "warning:  " << warning << "\n";
  out << Counted(static_cast<std::int64_t>(feed.items.size()), "item", "items") << "\n";
  int n = 0;
  for (const feeds::Item& item : feed.items) {
    out << "\n[" << ++n << "] " << item.title << "\n"
        << "    link:      " << item.link << "\n"
        << "    id:        " << item.id << "\n"
        << "    published: " << FormatDate(item.published)
        << "   updated: " << FormatDate(item.updated) << "\n";
    if (!item.author.empty()) out << "    author:    " << item.author << "\n";
    for (const std::string& category : item.categories) {
      out << "    category:  " << category << "\n";
    }
    for (const feeds::Enclosure& enclosure : item.enclosures) {
      out << "    enclosure: " << enclosure.url << " (" << enclosure.type << ", "
          << enclosure.length << " bytes)\n";
    }
    if (!item.summary_text.empty())
      out << "    summary:   " << Paragraphs(item.summary_text) << "\n";
    if (!item.content_text.empty())
      out << "    content:   " << Paragraphs(item.content_text) << "\n";
  }
}

}  // namespace

Status Parse(const std::string& file_or_url, bool json, std::ostream& out) {
  const Result<feeds::Feed> feed = ReadFeed(file_or_url);
  if (!feed) return feed.error();
  if (json) {
    out << feeds::FeedToJson(*feed);
  } else {
    PrintFeed(*feed, out);
  }
  return Status::Ok();
}

Status ParseArticle(const std::string& file_or_url, std::ostream& out) {
  Result<daemon::Document> document = FetchInput(file_or_url);
  if (!document) return document.error();
  Result<feeds::Article> article =
      feeds::ExtractArticle(document->bytes, document->options.content_type);
  if (!article) return Error::InvalidInput(file_or_url + ": " + article.error().message);
  const size_t paragraphs =
      static_cast<size_t>(std::count(article->text.begin(), article->text.end(), '\n')) + 1;
  out << "source:     " << feeds::ArticleSourceName(article->source) << "\n"
      << "encoding:   " << article->encoding << "\n"
      << "paragraphs: " << paragraphs << " (" << article->text.size() << " bytes)\n";
  for (size_t at = 0; at <= article->text.size();) {
    size_t end = article->text.find('\n', at);
    if (end == std::string::npos) end = article->text.size();
    out << "\n"
        << PeerText(std::string_view(article->text).substr(at, end - at), {}, 20'000) << "\n";
    at = end + 1;
  }
  return Status::Ok();
}

Status Discover(const std::string& file_or_url, std::ostream& out) {
  Result<daemon::Document> document = FetchInput(file_or_url);
  if (!document) return document.error();
  std::vector<feeds::AdvertisedFeed> found;
  const std::string base =
      document->options.base_url.empty() ? file_or_url : document->options.base_url;
  if (Result<feeds::Feed> feed = feeds::ParseFeed(document->bytes, document->options)) {
    found.push_back({base, feed->title, feed->format});
  } else {
    found = feeds::FindFeedLinks(document->bytes, base);
  }
  if (found.empty()) {
    return Error::InvalidInput(file_or_url +
                               ": advertises no feed (no <link rel=\"alternate\"> of an RSS, "
                               "Atom or JSON Feed type) and is not a feed itself");
  }
  const std::vector<std::string> names = daemon::FeedNames(found, base);
  out << "# " << found.size() << (found.size() == 1 ? " feed" : " feeds") << " advertised by "
      << file_or_url << "\n";
  for (size_t i = 0; i < found.size(); ++i) {
    const feeds::AdvertisedFeed& feed = found[i];
    // The page's words go in a comment, on one line; the table is written by toml++, which
    // quotes and escapes the URL as TOML wants (a '"' or '#' in an href stays the URL's).
    out << "\n# " << PeerText(feed.title.empty() ? "(no title)" : feed.title, {}, 200) << " ("
        << PeerText(feed.type, {}, 100) << ")\n";
    toml::table entry{{"name", names[i]}, {"url", feed.url}};
    toml::table table{{"feed", toml::array{std::move(entry)}}};
    constexpr toml::format_flags kDoubleQuoted =
        toml::toml_formatter::default_flags & ~toml::format_flags::allow_literal_strings;
    out << toml::toml_formatter(table, kDoubleQuoted) << "\n";
  }
  return Status::Ok();
}

}  // namespace feedwatch::cli
