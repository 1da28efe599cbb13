#include "feeds/parser.h"

#include <cstring>
#include <pugixml.hpp>

#include "base/hash.h"
#include "feeds/date.h"
#include "feeds/html_text.h"

namespace feedwatch::feeds {
namespace {

// The element name without its namespace prefix: "atom:link" -> "link".
std::string_view LocalName(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::string_view Prefix(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? std::string_view() : name.substr(0, colon);
}

// All character data directly inside `node` (text and CDATA sections), in order.
std::string DirectText(const pugi::xml_node& node) {
  std::string out;
  for (const pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) out += child.value();
  }
  return out;
}

// All character data below `node`, with element boundaries as spaces (for Atom xhtml).
void DeepText(const pugi::xml_node& node, std::string& out) {
  for (const pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      out += child.value();
    } else if (child.type() == pugi::node_element) {
      out += ' ';
      DeepText(child, out);
      out += ' ';
    }
  }
}

pugi::xml_node Child(const pugi::xml_node& parent, std::string_view local,
                     std::string_view prefix = {}) {
  for (const pugi::xml_node child : parent.children()) {
    if (child.type() == pugi::node_element && LocalName(child) == local &&
        Prefix(child) == prefix) {
      return child;
    }
  }
  return {};
}

std::optional<TimePoint> DateOf(const pugi::xml_node& node) {
  if (!node) return std::nullopt;
  return ParseDate(DirectText(node));
}

// RSS text elements may hold escaped HTML; reading them as HTML is what readers do.
std::string RssText(const pugi::xml_node& node) { return node ? HtmlToText(DirectText(node)) : ""; }

bool IsHttp(std::string_view url) {
  return url.starts_with("http://") || url.starts_with("https://");
}

void ParseRss(const pugi::xml_node& channel, const ParseOptions& options, Feed& feed) {
  feed.format = "rss2.0";
  feed.title = RssText(Child(channel, "title"));
  feed.link = ResolveUrl(options.base_url, CollapseWhitespace(DirectText(Child(channel, "link"))));
  // Relative item links resolve against the document's URL; a document read from a file has
  // no web address of its own, so its channel link stands in.
  const std::string& base =
      IsHttp(options.base_url) || !IsHttp(feed.link) ? options.base_url : feed.link;
  for (const pugi::xml_node node : channel.children()) {
    if (node.type() != pugi::node_element || LocalName(node) != "item" || !Prefix(node).empty()) {
      continue;
    }
    Item item;
    item.title = RssText(Child(node, "title"));
    const pugi::xml_node guid = Child(node, "guid");
    item.id = CollapseWhitespace(DirectText(guid));
    std::string link = CollapseWhitespace(DirectText(Child(node, "link")));
    const bool guid_is_link =
        guid && std::strcmp(guid.attribute("isPermaLink").as_string("true"), "false") != 0;
    if (link.empty() && guid_is_link &&
        (item.id.starts_with("http://") || item.id.starts_with("https://"))) {
      link = item.id;
    }
    if (!link.empty()) item.link = ResolveUrl(base, link);
    item.summary_text = RssText(Child(node, "description"));
    item.content_text = RssText(Child(node, "encoded", "content"));
    item.author = RssText(Child(node, "author"));
    if (item.author.empty()) item.author = RssText(Child(node, "creator", "dc"));
    item.published = DateOf(Child(node, "pubDate"));
    if (!item.published) item.published = DateOf(Child(node, "date", "dc"));
    feed.items.push_back(std::move(item));
  }
}

// An Atom text construct: type="text" (default), "html" or "xhtml".
std::string AtomText(const pugi::xml_node& node) {
  if (!node) return "";
  const std::string_view type = node.attribute("type").as_string("text");
  if (type == "xhtml") {
    std::string text;
    DeepText(node, text);
    return CollapseWhitespace(text);
  }
  if (type == "html" || type == "text/html") return HtmlToText(DirectText(node));
  return CollapseWhitespace(DirectText(node));
}

std::string AtomLink(const pugi::xml_node& parent, const std::string& base) {
  for (const pugi::xml_node child : parent.children()) {
    if (child.type() != pugi::node_element || LocalName(child) != "link") continue;
    const std::string_view rel = child.attribute("rel").as_string("alternate");
    if (rel == "alternate") return ResolveUrl(base, child.attribute("href").as_string());
  }
  return "";
}

void ParseAtom(const pugi::xml_node& root, const ParseOptions& options, Feed& feed) {
  feed.format = "atom1.0";
  feed.title = AtomText(Child(root, "title", Prefix(root)));
  feed.link = AtomLink(root, options.base_url);
  for (const pugi::xml_node node : root.children()) {
    if (node.type() != pugi::node_element || LocalName(node) != "entry") continue;
    Item item;
    const std::string_view prefix = Prefix(node);
    item.title = AtomText(Child(node, "title", prefix));
    item.id = CollapseWhitespace(DirectText(Child(node, "id", prefix)));
    item.link = AtomLink(node, options.base_url);
    item.summary_text = AtomText(Child(node, "summary", prefix));
    item.content_text = AtomText(Child(node, "content", prefix));
    item.author =
        CollapseWhitespace(DirectText(Child(Child(node, "author", prefix), "name", prefix)));
    item.published = DateOf(Child(node, "published", prefix));
    item.updated = DateOf(Child(node, "updated", prefix));
    feed.items.push_back(std::move(item));
  }
}

}  // namespace

std::string ResolveUrl(std::string_view base, std::string_view reference) {
  const size_t colon = reference.find(':');
  const size_t first_delimiter = reference.find_first_of("/?#");
  if (colon != std::string_view::npos && colon > 0 && colon < first_delimiter) {
    return std::string(reference);  // already absolute
  }
  const size_t scheme_end = base.find("://");
  if (scheme_end == std::string_view::npos || reference.empty()) return std::string(reference);
  if (reference.starts_with("//"))
    return std::string(base.substr(0, scheme_end + 1)) + std::string(reference);
  const size_t path_start = base.find('/', scheme_end + 3);
  const std::string_view origin = base.substr(0, path_start);
  if (reference.starts_with("/")) return std::string(origin) + std::string(reference);
  std::string_view base_path =
      path_start == std::string_view::npos ? std::string_view("/") : base.substr(path_start);
  base_path = base_path.substr(0, base_path.find_first_of("?#"));
  if (reference.starts_with("?") || reference.starts_with("#")) {
    return std::string(origin) + std::string(base_path) + std::string(reference);
  }
  const std::string_view directory = base_path.substr(0, base_path.rfind('/') + 1);
  return std::string(origin) + std::string(directory) + std::string(reference);
}

std::string ItemKey(const Item& item) {
  if (!item.id.empty()) return item.id;
  if (!item.link.empty()) return item.link;
  const std::string published = item.published ? FormatIso8601(*item.published) : "";
  return "sha256:" + Sha256Hex(item.title + '\n' + published + '\n' + item.summary_text + '\n' +
                               item.content_text);
}

Result<Feed> ParseFeed(std::string_view bytes, const ParseOptions& options) {
  pugi::xml_document document;
  const pugi::xml_parse_result parsed =
      document.load_buffer(bytes.data(), bytes.size(), pugi::parse_default, pugi::encoding_auto);
  const pugi::xml_node root = document.document_element();
  if (!root) {
    return Error::InvalidInput(std::string("not a feed: not XML (") + parsed.description() +
                               " at byte " + std::to_string(parsed.offset) + ")");
  }
  Feed feed;
  const std::string_view name = LocalName(root);
  if (name == "rss") {
    const pugi::xml_node channel = Child(root, "channel");
    if (!channel) return Error::InvalidInput("not a feed: <rss> has no <channel>");
    ParseRss(channel, options, feed);
  } else if (name == "feed") {
    ParseAtom(root, options, feed);
  } else if (name == "html" || name == "HTML") {
    return Error::InvalidInput("not a feed: this is an HTML page");
  } else {
    return Error::InvalidInput("not a feed: unexpected root element <" + std::string(root.name()) +
                               ">");
  }
  if (!parsed) {
    feed.warnings.push_back(std::string("malformed XML, read up to byte ") +
                            std::to_string(parsed.offset) + ": " + parsed.description());
  }
  return feed;
}

}  // namespace feedwatch::feeds
