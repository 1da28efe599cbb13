#include "daemon/alert_feeds.h"

#include <algorithm>

#include "base/text.h"
#include "notify/notifier.h"

namespace feedwatch::daemon {
namespace {

// Text for XML: escaped, and without a character XML 1.0 forbids (its Char production): C0
// controls but tab, LF and CR; U+FFFE and U+FFFF; bytes that are not UTF-8 become U+FFFD. One
// such character in a title would make the whole feed not well-formed for as long as the story
// stays among its entries.
std::string Xml(std::string_view text) {
  return HtmlEscape(FilterUtf8(text, [](std::string_view character, std::string& out) {
    const auto byte = static_cast<unsigned char>(character[0]);
    const bool control =
        character.size() == 1 && byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r';
    if (!control && character != "\xEF\xBF\xBE" && character != "\xEF\xBF\xBF") out += character;
  }));
}

}  // namespace

std::string AlertFeedBaseUrl(const std::string& public_url, const std::string& listen_address) {
  if (!public_url.empty()) return public_url;
  return listen_address.empty() ? "" : "http://" + listen_address;
}

std::string RenderAlertFeed(const std::string& watch, const std::vector<store::StoryMatch>& stories,
                            const std::string& instance, TimePoint now,
                            const std::string& base_url) {
  const TimePoint updated = stories.empty() ? now : stories.front().matched_at;
  std::string out =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n";
  out += "  <title>feedwatch: " + Xml(watch) + "</title>\n";
  out += "  <id>urn:feedwatch:" + Xml(instance) + ":watch:" + Xml(watch) + "</id>\n";
  if (!base_url.empty()) {
    // Watch names are letters, digits, '-', '_' and '.': nothing in the path to encode.
    out += R"(  <link rel="self" type="application/atom+xml" href=")" +
           Xml(base_url + "/feeds/" + watch + ".atom") + R"("/>)" + "\n";
    out += R"(  <link rel="alternate" href=")" + Xml(base_url + "/") + R"("/>)" + "\n";
  }
  out += "  <updated>" + FormatIso8601(updated) + "</updated>\n";
  out += "  <author><name>feedwatch</name></author>\n";
  out += "  <generator>feedwatch</generator>\n";
  for (const store::StoryMatch& story : stories) {
    out += "  <entry>\n";
    out += "    <title>" + Xml(ShortenUtf8(story.title, kEntryTitleBytes)) + "</title>\n";
    if ((story.link.starts_with("http://") || story.link.starts_with("https://")) &&
        story.link.size() <= kEntryLinkBytes) {
      out += R"(    <link rel="alternate" href=")" + Xml(story.link) + R"("/>)" + "\n";
    }
    out +=
        "    <id>urn:feedwatch:" + Xml(instance) + ":story:" + std::to_string(story.id) + "</id>\n";
    out += "    <published>" + FormatIso8601(story.published.value_or(story.matched_at)) +
           "</published>\n";
    out += "    <updated>" + FormatIso8601(story.matched_at) + "</updated>\n";
    out += "    <author><name>" + Xml(story.feed) + "</name></author>\n";
    std::string summary =
        "<p>" + notify::MarkedToHtml(ShortenAtWord(story.snippet, kEntrySnippetBytes)) + "</p>";
    if (!story.also_reported_by.empty()) {
      std::string others;
      const size_t named = std::min(story.also_reported_by.size(), kEntryOtherFeeds);
      for (size_t i = 0; i < named; ++i) {
        others += (others.empty() ? "" : ", ") + story.also_reported_by[i].feed;
      }
      if (named < story.also_reported_by.size()) {
        others += " and " + std::to_string(story.also_reported_by.size() - named) + " more";
      }
      summary += "<p>Also reported by: " + HtmlEscape(others) + "</p>";
    }
    out += "    <summary type=\"html\">" + Xml(summary) + "</summary>\n";
    out += "  </entry>\n";
  }
  out += "</feed>\n";
  return out;
}

void AlertFeeds::Configure(std::map<std::string, std::string> tokens, std::string base_url) {
  base_url_ = std::move(base_url);
  const std::lock_guard lock(mutex_);
  tokens_ = std::move(tokens);
  std::erase_if(feeds_, [&](const auto& entry) { return !tokens_.contains(entry.first); });
}

void AlertFeeds::Publish(const std::string& watch, std::string atom, TimePoint updated) {
  PublishedPage page = PublishedPage::Of(std::move(atom), updated);
  const std::lock_guard lock(mutex_);
  feeds_[watch] = std::move(page);
}

net::HttpListener::Reply AlertFeeds::Serve(const net::HttpListener::Request& request) const {
  net::HttpListener::Reply not_found = net::HttpListener::Reply::Plain(404, "no such feed\n");
  std::string_view path = request.path;
  if (!path.starts_with("/feeds/") || !path.ends_with(".atom")) return not_found;
  const std::optional<std::string> name = PercentDecode(path.substr(7, path.size() - 7 - 5));
  const std::optional<std::string> token = QueryToken(request.query);
  if (!name || !token) return not_found;
  const std::lock_guard lock(mutex_);
  const auto feed = feeds_.find(*name);
  if (!TokenAdmits(tokens_, *name, *token) || feed == feeds_.end()) return not_found;
  return feed->second.Answer(request, "application/atom+xml; charset=utf-8");
}

}  // namespace feedwatch::daemon
