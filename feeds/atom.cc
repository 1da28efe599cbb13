// Atom 1.0 (RFC 4287) and its predecessor Atom 0.3.
#include <algorithm>
#include <charconv>

#include "feeds/html_text.h"
#include "feeds/internal/item_window.h"
#include "feeds/internal/parse_budget.h"
#include "feeds/internal/xml_read.h"
#include "feeds/parser.h"

namespace feedwatch::feeds::internal {
namespace {

std::optional<TimePoint> FirstDate(const Children& children, std::initializer_list<Name> names) {
  for (const Name name : names) {
    if (std::optional<TimePoint> date = DateOf(children[name])) return date;
  }
  return std::nullopt;
}

// The alternate link: rel="alternate" (the default); the first HTML one when there are several.
// `base`: the base URL of the element whose children these are.
std::string AlternateLink(const Children& children, std::string_view base) {
  XmlNode chosen;
  for (const auto& [link, name] : children.elements()) {
    if (name != Name::kAtomLink) continue;
    const std::string_view rel = link.attribute("rel").value_or("alternate");
    if (rel != "alternate" && rel != "http://www.iana.org/assignments/relation/alternate") continue;
    const std::string_view type = link.attribute("type").value_or("text/html");
    if (type == "text/html" || type == "application/xhtml+xml") {
      chosen = link;
      break;
    }
    if (!chosen) chosen = link;
  }
  if (!chosen) return "";
  // <link>URL</link> with no href is wrong but unambiguous.
  std::string href = CollapseWhitespace(chosen.attribute("href").value_or(""));
  if (href.empty()) href = Value(chosen);
  std::string base_storage;
  return ResolveUrl(OwnBase(chosen, base, base_storage), std::move(href));
}

// A person construct's name, or its email when it has no name.
std::string Person(const XmlNode& person) {
  if (!person) return "";
  const Children children(person);
  std::string name = Value(children[Name::kAtomName]);
  if (name.empty()) name = Value(children[Name::kAtomEmail]);
  if (name.empty()) name = Value(person);  // <author>Name</author>, seen in the wild
  return name;
}

// `feed_base`: the base URL of the entry's feed element.
void ReadEntry(const XmlNode& node, std::string_view feed_base, const std::string& feed_author,
               Item& item) {
  const Children children(node);
  std::string base_storage;
  const std::string_view base = OwnBase(node, feed_base, base_storage);
  item.title = AtomText(children[Name::kAtomTitle], Keep::kLine).text;
  item.id = Value(children[Name::kAtomId]);
  item.link = AlternateLink(children, base);
  Text summary = AtomText(children[Name::kAtomSummary]);
  item.summary_text = std::move(summary.text);
  item.summary_html = std::move(summary.html);
  Text content = AtomText(children[Name::kAtomContent]);
  item.content_text = std::move(content.text);
  item.content_html = std::move(content.html);
  ReadMediaText(node, item);
  // RFC 4287 4.2.1: an entry without an author has its source's, else its feed's.
  item.author = Person(children[Name::kAtomAuthor]);
  if (item.author.empty()) {
    item.author = Person(Children(children[Name::kAtomSource])[Name::kAtomAuthor]);
  }
  if (item.author.empty()) item.author = feed_author;
  item.published =
      FirstDate(children, {Name::kAtomPublished, Name::kAtomIssued, Name::kAtomCreated});
  item.updated = FirstDate(children, {Name::kAtomUpdated, Name::kAtomModified});

  for (const auto& [child, name] : children.elements()) {
    if (name == Name::kAtomCategory) {
      std::string category = CollapseWhitespace(child.attribute("label").value_or(""));
      if (category.empty()) category = CollapseWhitespace(child.attribute("term").value_or(""));
      if (!category.empty()) item.categories.push_back(std::move(category));
    } else if (name == Name::kAtomLink && child.attribute("rel") == "enclosure") {
      Enclosure enclosure;
      enclosure.url = CollapseWhitespace(child.attribute("href").value_or(""));
      if (enclosure.url.empty()) continue;
      std::string link_base;
      enclosure.url = ResolveUrl(OwnBase(child, base, link_base), std::move(enclosure.url));
      enclosure.type = CollapseWhitespace(child.attribute("type").value_or(""));
      const std::string_view length = child.attribute("length").value_or("");
      std::from_chars(length.data(), length.data() + length.size(), enclosure.length);
      item.enclosures.push_back(std::move(enclosure));
    }
  }
}

}  // namespace

void ReadAtom(const XmlNode& root, const Document& document, const std::string& base,
              size_t max_items, Feed& feed) {
  feed.format = document.root_namespace == "http://purl.org/atom/ns#" ? "atom0.3" : "atom1.0";
  const Children children(root);
  feed.title = AtomText(children[Name::kAtomTitle], Keep::kLine).text;
  std::string base_storage;
  feed.link = AlternateLink(children, OwnBase(root, base, base_storage));
  const std::string feed_author = Person(children[Name::kAtomAuthor]);
  // A document read from a file has no web address; the feed's own link stands in.
  const std::string entry_base = IsHttpUrl(base) || !IsHttpUrl(feed.link) ? base : feed.link;
  const std::string feed_base(OwnBase(root, entry_base, base_storage));
  const size_t count = children.Count(Name::kAtomEntry);
  const ItemWindow window(count, max_items);
  window.Warn(feed);
  feed.items.reserve(std::min(count, max_items == 0 ? count : max_items));
  size_t index = 0;
  for (const auto& [node, name] : children.elements()) {
    if (name != Name::kAtomEntry || !window.Reads(index++) || CutOff(node, feed)) continue;
    ReadEntry(node, feed_base, feed_author, feed.items.emplace_back());
    if (!AfterItem(feed)) return;
  }
}

}  // namespace feedwatch::feeds::internal
