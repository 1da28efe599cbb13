// Internal to feeds/: reading the namespace-normalised tree (xml_tree.h) the format readers share.
//
// Invariant: before any reader runs, NormaliseNamespaces has renamed every element after its
// namespace URI, not the prefix the document chose: Atom 1.0 and 0.3 elements are "atom:x";
// RSS 0.90, 1.0 and namespaced 2.0 elements and XHTML elements have no prefix; Dublin Core is
// "dc:" (elements) and "dcterms:", RDF "rdf:", content "content:", syndication "sy:", Media RSS
// "media:". Elements of undeclared or unknown prefixes keep the name as written.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "feeds/feed.h"
#include "feeds/internal/xml_tree.h"

namespace feedwatch::feeds::internal {

struct Document {
  std::string root_namespace;  // the URI of the root element, empty when none
  bool rss090 = false;         // the RSS 0.90 namespace is declared
  std::string atom_alias;      // the unknown namespace of a root <feed>, read as Atom
};

// Renames the elements of `tree` as the invariant above says; returns what format detection
// needs.
Document NormaliseNamespaces(XmlTree& tree);

// Whether `item` was cut off by the end of the document; if so, says so in `feed`.
bool CutOff(const XmlNode& item, Feed& feed);

// The element children of one element, read once, so that the readers' many "the first <x>"
// questions cost an array index each rather than a walk over the children. Holds nodes of the
// document, which must outlive it.
class Children {
 public:
  struct Element {
    XmlNode node;
    Name name;
  };

  explicit Children(const XmlNode& parent);

  // The first child element named `name`, or a null node.
  XmlNode operator[](Name name) const {
    const uint32_t first = first_[static_cast<size_t>(name)];
    return first == 0 ? XmlNode() : tree_->node(first);
  }
  // How many child elements are named `name`.
  size_t Count(Name name) const { return counts_[static_cast<size_t>(name)]; }
  // The first child element with the first of `names` that has one.
  XmlNode FirstOf(std::initializer_list<Name> names) const;
  // Every child element in document order.
  std::span<const Element> elements() const {
    return overflow_.empty() ? std::span<const Element>(inline_.data(), count_)
                             : std::span<const Element>(overflow_);
  }

 private:
  const XmlTree* tree_ = nullptr;
  std::array<uint32_t, kNameCount> first_{};  // indexes in tree_; 0 (the document) for none
  std::array<uint32_t, kNameCount> counts_{};
  // An item has a dozen children; a channel may have thousands.
  std::array<Element, 16> inline_;
  size_t count_ = 0;
  std::vector<Element> overflow_;  // all of them, once there are more than inline_ holds
};

// Whether `node`'s (normalised) name is `name`. Case does not matter: feeds written as
// <PUBDATE> or <Item> exist, and no two feed elements differ only in case.
bool NameIs(const XmlNode& node, std::string_view name);

// The first child element named `name` (normalised, e.g. "dc:creator"), or a null node.
XmlNode Child(const XmlNode& parent, std::string_view name);

// The character data directly inside `node` (text and CDATA sections): a view of the document
// when it is a single node, the common case; else concatenated into `storage`.
std::string_view DirectText(const XmlNode& node, std::string& storage);

// `node`'s character data, whitespace collapsed: for ids, URLs, dates and names.
std::string Value(const XmlNode& node);

// The children of `node` serialised as markup, for content that came as inline XML.
std::string InnerXml(const XmlNode& node);

// Whether `node` has element children (markup written directly in the XML).
bool HasElementChildren(const XmlNode& node);

// The URL relative references in `node` resolve against: the xml:base attributes from the root
// down to `node`, each resolved against the one above, over `document_base`. A view of
// `document_base` when there are none (the common case), else of `storage`.
std::string_view BaseFor(const XmlNode& node, std::string_view document_base, std::string& storage);
// The same for `node` whose parent's is `parent_base`: its own xml:base resolved against that,
// else `parent_base`. Readers find a parent's base once for its children, and looking an
// attribute up walks the element's list: walked from the root for every item, a root of a
// million attributes would be read a million times over.
std::string_view OwnBase(const XmlNode& node, std::string_view parent_base, std::string& storage);

// A date element's value, or nullopt when absent or unparseable.
std::optional<TimePoint> DateOf(const XmlNode& node);

struct Text {
  std::string text;  // what a reader sees
  std::string html;  // markup to render; plain text escaped
};

// What a caller reads a text as: a title or a name is one line of text with no markup, which
// spares a copy; a summary or content keeps its paragraphs ('\n' between them) and its markup,
// for rendering alerts.
enum class Keep : uint8_t { kLine, kBody };

// An element whose content is HTML, escaped or written inline (RSS description, title,
// content:encoded). With Keep::kLine, `html` is left empty.
Text HtmlElement(const XmlNode& node, Keep keep = Keep::kBody);

// An Atom text or content construct per its type="text|html|xhtml|MIME" (1.0) or mode and type
// (0.3). With Keep::kLine, `html` is left empty.
Text AtomText(const XmlNode& node, Keep keep = Keep::kBody);

bool IsHttpUrl(std::string_view url);

// Media RSS text for an item that has no title, or no summary and content, of its own:
// media:title and media:description on the item, or inside its media:group or media:content
// (YouTube's channel feeds put every video's description there). Type "plain" (the default)
// or "html".
void ReadMediaText(const XmlNode& item, Item& out);

// The format readers. `base` is the document's URL (may be empty); they append to `feed`.
// Each reads at most `max_items` items (0: all), as ItemWindow says.
void ReadRss(const XmlNode& root, const Document& document, const std::string& base,
             size_t max_items, Feed& feed);
void ReadAtom(const XmlNode& root, const Document& document, const std::string& base,
              size_t max_items, Feed& feed);

}  // namespace feedwatch::feeds::internal
