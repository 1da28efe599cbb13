// Internal to feeds/: the XML tree the format readers read, and the two ways it is built.
//
// A well-formed document is read by ReadWellFormed: one pass over the text, in place, that
// decodes character data as it goes and classifies every element name once, leaving a flat array
// of nodes whose names and values are views of the text. Anything that reader does not vouch for
// (a tag that does not close, a DOCTYPE with an internal subset, a reference pugixml reads its
// own way; docs/parsing.md lists them) goes to pugixml, strictly and then as tag soup, and
// FromPugixml copies what pugixml built into the same shape. Either way the readers see the same
// tree: the tests and the feed_parser fuzzer hold the two builders to that.
#pragma once

#include <cstdint>
#include <optional>
#include <pugixml.hpp>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace feedwatch::feeds::internal {

// The element names the readers look for, normalised as xml_read.h says.
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

// `name` as a Name, case aside.
Name Classify(std::string_view name);

enum class NodeKind : uint8_t { kDocument, kElement, kText, kCdata };

struct XmlAttribute {
  std::string_view name;
  std::string_view value;  // references decoded
};

class XmlTree;

// A node of an XmlTree, or null. Cheap to copy; valid while its tree is.
class XmlNode {
 public:
  XmlNode() = default;
  XmlNode(const XmlTree* tree, uint32_t index) : tree_(tree), index_(index) {}

  explicit operator bool() const { return tree_ != nullptr; }
  bool operator==(const XmlNode& other) const = default;
  // Its place in document order: the document is 0.
  uint32_t index() const { return index_; }
  const XmlTree* tree() const { return tree_; }

  NodeKind kind() const;
  // An element's name (normalised once NormaliseNamespaces has run); empty for other kinds.
  std::string_view name() const;
  // The name as a Name.
  Name name_id() const;
  // Text and CDATA: the character data, references decoded. Empty for other kinds.
  std::string_view value() const;
  XmlNode first_child() const;
  XmlNode next_sibling() const;
  // The element or document above; null for the document.
  XmlNode parent() const;
  std::span<const XmlAttribute> attributes() const;
  // The value of the first attribute named `name`, or nullopt.
  std::optional<std::string_view> attribute(std::string_view name) const;
  // Whether the end of a truncated document left this element open.
  bool cut_off() const;

 private:
  const XmlTree* tree_ = nullptr;
  uint32_t index_ = 0;
};

class XmlTree {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  XmlTree();
  XmlTree(XmlTree&&) = default;
  XmlTree& operator=(XmlTree&&) = default;

  XmlNode document() const { return {this, 0}; }
  // The first element child of the document, or null.
  XmlNode root() const;
  // How many attributes declare a namespace (xmlns, xmlns:x), in the whole document.
  size_t namespace_declarations() const { return namespace_declarations_; }
  size_t size() const { return nodes_.size(); }
  XmlNode node(uint32_t index) const { return {this, index}; }

  // Renames element `index`, classifying the new name; the tree keeps a copy of `name`.
  void Rename(uint32_t index, std::string_view name);

 private:
  friend class XmlNode;
  friend class TreeBuilder;

  struct Node {
    std::string_view text;  // the name of an element, the value of text and CDATA
    uint32_t parent = kNone;
    uint32_t first_child = kNone;
    uint32_t next_sibling = kNone;
    uint32_t first_attribute = 0;
    uint32_t attribute_count = 0;
    NodeKind kind = NodeKind::kDocument;
    Name name = Name::kOther;
    bool cut_off = false;
  };

  std::vector<Node> nodes_;  // in document order; nodes_[0] is the document
  std::vector<XmlAttribute> attributes_;
  size_t namespace_declarations_ = 0;
  std::set<std::string, std::less<>> names_;  // names given by Rename, each kept once
};

// Reads the well-formed document in `xml` (UTF-8) into a tree, decoding character data in place:
// `xml` is changed, and the tree holds views of it. XML's five references, numeric references
// and HTML5's named references are decoded, line ends normalised, and whitespace in attribute
// values made spaces, as pugixml does after ReplaceHtmlReferences. nullopt for any document this
// reader does not vouch for; `xml` is then changed in part.
std::optional<XmlTree> ReadWellFormed(std::span<char> xml);

// The tree pugixml built in `document`, which must outlive it; `open_at_end` (from
// ParseLeniently) marks the elements left open.
XmlTree FromPugixml(const pugi::xml_document& document,
                    const std::unordered_set<const void*>& open_at_end = {});

// Whether two trees hold the same nodes, names, values and attributes.
bool SameTree(const XmlTree& a, const XmlTree& b);

// Whether ReadWellFormed, if it accepts `xml`, builds what FromPugixml does from pugixml's strict
// reading (ParseStrictly) of it: the promise the tests and the feed_parser fuzzer hold it to.
// `accepted` (if given) says whether ReadWellFormed accepted it.
bool AgreesWithPugixml(std::string_view xml, bool* accepted = nullptr);

// As in pugixml, a null node has no name, value, children or attributes.
inline NodeKind XmlNode::kind() const {
  return tree_ == nullptr ? NodeKind::kDocument : tree_->nodes_[index_].kind;
}
inline Name XmlNode::name_id() const {
  return tree_ == nullptr ? Name::kOther : tree_->nodes_[index_].name;
}
inline std::string_view XmlNode::name() const {
  return kind() == NodeKind::kElement ? tree_->nodes_[index_].text : std::string_view();
}
inline std::string_view XmlNode::value() const {
  const NodeKind k = kind();
  return k == NodeKind::kText || k == NodeKind::kCdata ? tree_->nodes_[index_].text
                                                       : std::string_view();
}
inline XmlNode XmlNode::first_child() const {
  const uint32_t child = tree_ == nullptr ? XmlTree::kNone : tree_->nodes_[index_].first_child;
  return child == XmlTree::kNone ? XmlNode() : XmlNode(tree_, child);
}
inline XmlNode XmlNode::next_sibling() const {
  const uint32_t next = tree_ == nullptr ? XmlTree::kNone : tree_->nodes_[index_].next_sibling;
  return next == XmlTree::kNone ? XmlNode() : XmlNode(tree_, next);
}
inline XmlNode XmlNode::parent() const {
  const uint32_t parent = tree_ == nullptr ? XmlTree::kNone : tree_->nodes_[index_].parent;
  return parent == XmlTree::kNone ? XmlNode() : XmlNode(tree_, parent);
}
inline std::span<const XmlAttribute> XmlNode::attributes() const {
  if (tree_ == nullptr) return {};
  const XmlTree::Node& node = tree_->nodes_[index_];
  return std::span<const XmlAttribute>(tree_->attributes_)
      .subspan(node.first_attribute, node.attribute_count);
}
inline std::optional<std::string_view> XmlNode::attribute(std::string_view name) const {
  for (const XmlAttribute& attribute : attributes()) {
    if (attribute.name == name) return attribute.value;
  }
  return std::nullopt;
}
inline bool XmlNode::cut_off() const { return tree_ != nullptr && tree_->nodes_[index_].cut_off; }

}  // namespace feedwatch::feeds::internal
