// Internal to feeds/: reading the namespace-normalised pugixml tree the format readers share.
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
#include <pugixml.hpp>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/clock.h"
#include "feeds/feed.h"

namespace feedwatch::feeds::internal {

struct Document {
  std::string root_namespace;  // the URI of the root element, empty when none
  bool rss090 = false;         // the RSS 0.90 namespace is declared
  // Elements a truncated document left open (pugi::xml_node::internal_object()).
  std::unordered_set<const void*> open_at_end;

  // Whether `item` was cut off by the end of the document; if so, says so in `feed`.
  bool CutOff(const pugi::xml_node& item, Feed& feed) const;
};

// How many times "xmlns" occurs in `xml`: at least the number of namespace declarations.
size_t CountNamespaceDeclarations(std::string_view xml);

// Renames elements as the invariant above says; returns what format detection needs.
// `declarations` is CountNamespaceDeclarations of the document's text: when the root holds all
// of them, the elements below it need not be visited one by one.
Document NormaliseNamespaces(pugi::xml_document& document, size_t declarations);

// The element names the readers look for, normalised as the invariant above says.
enum class Name : uint8_t {
  kOther,  // any name not below
  kAtomAuthor,
  kAtomCategory,
  kAtomContent,
  kAtomCreated,
  kAtomEmail,
  kAtomEntry,
  kAtomId,
  kAtomIssued,
  kAtomLink,
  kAtomModified,
  kAtomName,
  kAtomPublished,
  kAtomSource,
  kAtomSummary,
  kAtomTitle,
  kAtomUpdated,
  kAuthor,
  kBody,
  kCategory,
  kChannel,
  kContentEncoded,
  kDay,
  kDcAuthor,
  kDcCreator,
  kDcDate,
  kDcDescription,
  kDcIdentifier,
  kDcSubject,
  kDcTitle,
  kDctermsCreated,
  kDctermsIssued,
  kDctermsModified,
  kDescription,
  kEnclosure,
  kFullitem,
  kGuid,
  kHour,
  kItem,
  kItunesAuthor,
  kLink,
  kMediaContent,
  kPubDate,
  kSkipDays,
  kSkipHours,
  kSyUpdateFrequency,
  kSyUpdatePeriod,
  kTitle,
  kTtl,
};
constexpr size_t kNameCount = static_cast<size_t>(Name::kTtl) + 1;

// `node`'s normalised name as a Name, case aside (as NameIs).
Name NameOf(const pugi::xml_node& node);

// The element children of one element, read once, so that the readers' many "the first <x>"
// questions cost an array index each rather than a walk over the children. Holds nodes of the
// document, which must outlive it.
class Children {
 public:
  struct Element {
    pugi::xml_node node;
    Name name;
  };

  explicit Children(const pugi::xml_node& parent);

  // The first child element named `name`, or a null node.
  pugi::xml_node operator[](Name name) const { return first_[static_cast<size_t>(name)]; }
  // How many child elements are named `name`.
  size_t Count(Name name) const { return counts_[static_cast<size_t>(name)]; }
  // The first child element with the first of `names` that has one.
  pugi::xml_node FirstOf(std::initializer_list<Name> names) const;
  // Every child element in document order.
  std::span<const Element> elements() const {
    return overflow_.empty() ? std::span<const Element>(inline_.data(), count_)
                             : std::span<const Element>(overflow_);
  }

 private:
  std::array<pugi::xml_node, kNameCount> first_{};
  std::array<uint32_t, kNameCount> counts_{};
  // An item has a dozen children; a channel may have thousands.
  std::array<Element, 16> inline_;
  size_t count_ = 0;
  std::vector<Element> overflow_;  // all of them, once there are more than inline_ holds
};

// Whether `node`'s (normalised) name is `name`. Case does not matter: feeds written as
// <PUBDATE> or <Item> exist, and no two feed elements differ only in case.
bool NameIs(const pugi::xml_node& node, std::string_view name);

// The first child element named `name` (normalised, e.g. "dc:creator"), or a null node.
pugi::xml_node Child(const pugi::xml_node& parent, std::string_view name);

// The character data directly inside `node` (text and CDATA sections): a view of the document
// when it is a single node, the common case; else concatenated into `storage`.
std::string_view DirectText(const pugi::xml_node& node, std::string& storage);

// `node`'s character data, whitespace collapsed: for ids, URLs, dates and names.
std::string Value(const pugi::xml_node& node);

// The children of `node` serialised as markup, for content that came as inline XML.
std::string InnerXml(const pugi::xml_node& node);

// Whether `node` has element children (markup written directly in the XML).
bool HasElementChildren(const pugi::xml_node& node);

// The URL relative references in `node` resolve against: the xml:base attributes from the root
// down to `node`, each resolved against the one above, over `document_base`. A view of
// `document_base` when there are none (the common case), else of `storage`.
std::string_view BaseFor(const pugi::xml_node& node, std::string_view document_base,
                         std::string& storage);

// A date element's value, or nullopt when absent or unparseable.
std::optional<TimePoint> DateOf(const pugi::xml_node& node);

struct Text {
  std::string text;  // what a reader sees
  std::string html;  // markup to render; plain text escaped
};

// What a caller keeps of a text: titles and names need no markup, which spares a copy.
enum class Keep : uint8_t { kText, kTextAndHtml };

// An element whose content is HTML, escaped or written inline (RSS description, title,
// content:encoded). With Keep::kText, `html` is left empty.
Text HtmlElement(const pugi::xml_node& node, Keep keep = Keep::kTextAndHtml);

// An Atom text or content construct per its type="text|html|xhtml|MIME" (1.0) or mode and type
// (0.3). With Keep::kText, `html` is left empty.
Text AtomText(const pugi::xml_node& node, Keep keep = Keep::kTextAndHtml);

bool IsHttpUrl(std::string_view url);

// The format readers. `base` is the document's URL (may be empty); they append to `feed`.
void ReadRss(const pugi::xml_node& root, const Document& document, const std::string& base,
             Feed& feed);
void ReadAtom(const pugi::xml_node& root, const Document& document, const std::string& base,
              Feed& feed);

}  // namespace feedwatch::feeds::internal
