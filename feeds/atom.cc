// Atom 1.0 (RFC 4287) and its predecessor Atom 0.3.
#include <charconv>
#include <cstring>

#include "feeds/html_text.h"
#include "feeds/internal/xml_read.h"
#include "feeds/parser.h"

namespace feedwatch::feeds::internal {
namespace {

std::optional<TimePoint> FirstDate(const pugi::xml_node& parent,
                                   std::initializer_list<std::string_view> names) {
  for (const std::string_view name : names) {
    if (std::optional<TimePoint> date = DateOf(Child(parent, name))) return date;
  }
  return std::nullopt;
}

// The alternate link: rel="alternate" (the default); the first HTML one when there are several.
std::string AlternateLink(const pugi::xml_node& parent, const std::string& base) {
  pugi::xml_node chosen;
  for (pugi::xml_node link = parent.first_child(); link; link = link.next_sibling()) {
    if (!NameIs(link, "atom:link")) continue;
    const std::string_view rel = link.attribute("rel").as_string("alternate");
    if (rel != "alternate" && rel != "http://www.iana.org/assignments/relation/alternate") continue;
    const std::string_view type = link.attribute("type").as_string("text/html");
    if (type == "text/html" || type == "application/xhtml+xml") {
      chosen = link;
      break;
    }
    if (!chosen) chosen = link;
  }
  if (!chosen) return "";
  // <link>URL</link> with no href is wrong but unambiguous.
  std::string href = CollapseWhitespace(chosen.attribute("href").as_string());
  if (href.empty()) href = Value(chosen);
  return ResolveUrl(BaseFor(chosen, base), href);
}

// A person construct's name, or its email when it has no name.
std::string Person(const pugi::xml_node& person) {
  if (!person) return "";
  std::string name = Value(Child(person, "atom:name"));
  if (name.empty()) name = Value(Child(person, "atom:email"));
  if (name.empty()) name = Value(person);  // <author>Name</author>, seen in the wild
  return name;
}

void ReadEntry(const pugi::xml_node& node, const std::string& base, const std::string& feed_author,
               Item& item) {
  item.title = AtomText(Child(node, "atom:title")).text;
  item.id = Value(Child(node, "atom:id"));
  item.link = AlternateLink(node, base);
  Text summary = AtomText(Child(node, "atom:summary"));
  item.summary_text = std::move(summary.text);
  item.summary_html = std::move(summary.html);
  Text content = AtomText(Child(node, "atom:content"));
  item.content_text = std::move(content.text);
  item.content_html = std::move(content.html);
  // RFC 4287 4.2.1: an entry without an author has its source's, else its feed's.
  item.author = Person(Child(node, "atom:author"));
  if (item.author.empty()) item.author = Person(Child(Child(node, "atom:source"), "atom:author"));
  if (item.author.empty()) item.author = feed_author;
  item.published = FirstDate(node, {"atom:published", "atom:issued", "atom:created"});
  item.updated = FirstDate(node, {"atom:updated", "atom:modified"});

  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    if (NameIs(child, "atom:category")) {
      std::string category = CollapseWhitespace(child.attribute("label").as_string());
      if (category.empty()) category = CollapseWhitespace(child.attribute("term").as_string());
      if (!category.empty()) item.categories.push_back(std::move(category));
    } else if (NameIs(child, "atom:link") &&
               std::string_view(child.attribute("rel").as_string()) == "enclosure") {
      Enclosure enclosure;
      enclosure.url = CollapseWhitespace(child.attribute("href").as_string());
      if (enclosure.url.empty()) continue;
      enclosure.url = ResolveUrl(BaseFor(child, base), enclosure.url);
      enclosure.type = CollapseWhitespace(child.attribute("type").as_string());
      const std::string_view length = child.attribute("length").as_string();
      std::from_chars(length.data(), length.data() + length.size(), enclosure.length);
      item.enclosures.push_back(std::move(enclosure));
    }
  }
}

}  // namespace

void ReadAtom(const pugi::xml_node& root, const Document& document, const std::string& base,
              Feed& feed) {
  feed.format = document.root_namespace == "http://purl.org/atom/ns#" ? "atom0.3" : "atom1.0";
  feed.title = AtomText(Child(root, "atom:title")).text;
  feed.link = AlternateLink(root, base);
  const std::string feed_author = Person(Child(root, "atom:author"));
  // A document read from a file has no web address; the feed's own link stands in.
  const std::string entry_base = IsHttpUrl(base) || !IsHttpUrl(feed.link) ? base : feed.link;
  for (pugi::xml_node node = root.first_child(); node; node = node.next_sibling()) {
    if (!NameIs(node, "atom:entry") || document.CutOff(node, feed)) continue;
    ReadEntry(node, entry_base, feed_author, feed.items.emplace_back());
  }
}

}  // namespace feedwatch::feeds::internal
