#include "feeds/discover.h"

#include <algorithm>

#include "base/text.h"
#include "feeds/html_text.h"
#include "feeds/parser.h"

namespace feedwatch::feeds {
namespace {

constexpr size_t kMaxPageBytes = 4u << 20;
constexpr size_t kMaxFeeds = 200;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// "rss", "atom", "json", or "" for a type that is not a feed's.
std::string FeedKind(std::string_view type) {
  const std::string lower = AsciiLower(type.substr(0, type.find(';')));
  if (lower == "application/rss+xml" || lower == "application/rdf+xml") return "rss";
  if (lower == "application/atom+xml") return "atom";
  if (lower == "application/feed+json" || lower == "application/json") return "json";
  return "";
}

// Whether the space-separated `rel` list holds "alternate".
bool IsAlternate(std::string_view rel) {
  size_t at = 0;
  while (at < rel.size()) {
    while (at < rel.size() && IsSpace(rel[at])) ++at;
    size_t end = at;
    while (end < rel.size() && !IsSpace(rel[end])) ++end;
    if (EqualsIgnoringCase(rel.substr(at, end - at), "alternate")) return true;
    at = end;
  }
  return false;
}

struct Attributes {
  std::string rel, type, href, title;
};

// Reads the attributes of the tag whose name ends at html[pos]; returns the position after
// its '>' (or the end).
size_t ReadAttributes(std::string_view html, size_t pos, Attributes& out) {
  while (pos < html.size()) {
    while (pos < html.size() && (IsSpace(html[pos]) || html[pos] == '/')) ++pos;
    if (pos >= html.size()) return pos;
    if (html[pos] == '>') return pos + 1;
    const size_t name_start = pos;
    while (pos < html.size() && !IsSpace(html[pos]) && html[pos] != '=' && html[pos] != '>' &&
           html[pos] != '/') {
      ++pos;
    }
    const std::string name = AsciiLower(html.substr(name_start, pos - name_start));
    while (pos < html.size() && IsSpace(html[pos])) ++pos;
    std::string_view value;
    if (pos < html.size() && html[pos] == '=') {
      ++pos;
      while (pos < html.size() && IsSpace(html[pos])) ++pos;
      if (pos < html.size() && (html[pos] == '"' || html[pos] == '\'')) {
        const size_t close = html.find(html[pos], pos + 1);
        const size_t end = close == std::string_view::npos ? html.size() : close;
        value = html.substr(pos + 1, end - pos - 1);
        pos = close == std::string_view::npos ? html.size() : close + 1;
      } else {
        const size_t start = pos;
        while (pos < html.size() && !IsSpace(html[pos]) && html[pos] != '>') ++pos;
        value = html.substr(start, pos - start);
      }
    }
    // References decoded (&amp; in a query string), whitespace collapsed.
    std::string* field = name == "rel"     ? &out.rel
                         : name == "type"  ? &out.type
                         : name == "href"  ? &out.href
                         : name == "title" ? &out.title
                                           : nullptr;
    if (field != nullptr && field->empty()) *field = HtmlToText(value);
  }
  return pos;
}

// Past the end of the element `name` (script, style) that starts before `pos`.
size_t SkipElement(std::string_view html, size_t pos, std::string_view name) {
  const size_t end = FindIgnoringCase(html, "</" + std::string(name), pos);
  return end == std::string_view::npos ? html.size() : end;
}

}  // namespace

std::vector<AdvertisedFeed> FindFeedLinks(std::string_view html, std::string_view page_url) {
  html = html.substr(0, std::min(html.size(), kMaxPageBytes));
  std::vector<AdvertisedFeed> feeds;
  size_t pos = 0;
  while (feeds.size() < kMaxFeeds) {
    pos = html.find('<', pos);
    if (pos == std::string_view::npos) break;
    const std::string_view rest = html.substr(pos);
    if (rest.starts_with("<!--")) {
      const size_t end = html.find("-->", pos + 4);
      pos = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    size_t name_end = pos + 1;
    while (name_end < html.size() && !IsSpace(html[name_end]) && html[name_end] != '>' &&
           html[name_end] != '/') {
      ++name_end;
    }
    const std::string_view name = html.substr(pos + 1, name_end - pos - 1);
    if (EqualsIgnoringCase(name, "script") || EqualsIgnoringCase(name, "style")) {
      pos = SkipElement(html, name_end, name);
      continue;
    }
    if (!EqualsIgnoringCase(name, "link")) {
      pos = name_end;
      continue;
    }
    Attributes attributes;
    pos = ReadAttributes(html, name_end, attributes);
    const std::string kind = FeedKind(attributes.type);
    if (kind.empty() || attributes.href.empty() || !IsAlternate(attributes.rel)) continue;
    std::string url = ResolveUrl(page_url, attributes.href);
    if (std::any_of(feeds.begin(), feeds.end(),
                    [&](const AdvertisedFeed& feed) { return feed.url == url; })) {
      continue;
    }
    feeds.push_back({std::move(url), std::move(attributes.title), kind});
  }
  return feeds;
}

}  // namespace feedwatch::feeds
