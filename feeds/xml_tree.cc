#include "feeds/internal/xml_tree.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "feeds/encoding.h"
#include "feeds/html_text.h"
#include "feeds/internal/name_table.h"
#include "feeds/internal/xml_repair.h"

namespace feedwatch::feeds::internal {
namespace {

using NameEntries = std::array<NameTable<Name, kNameCount - 1>::Entry, kNameCount - 1>;

constexpr NameEntries kNameEntries{{
    {"atom:author", Name::kAtomAuthor},
    {"atom:category", Name::kAtomCategory},
    {"atom:content", Name::kAtomContent},
    {"atom:created", Name::kAtomCreated},
    {"atom:email", Name::kAtomEmail},
    {"atom:entry", Name::kAtomEntry},
    {"atom:id", Name::kAtomId},
    {"atom:issued", Name::kAtomIssued},
    {"atom:link", Name::kAtomLink},
    {"atom:modified", Name::kAtomModified},
    {"atom:name", Name::kAtomName},
    {"atom:published", Name::kAtomPublished},
    {"atom:source", Name::kAtomSource},
    {"atom:summary", Name::kAtomSummary},
    {"atom:title", Name::kAtomTitle},
    {"atom:updated", Name::kAtomUpdated},
    {"author", Name::kAuthor},
    {"body", Name::kBody},
    {"category", Name::kCategory},
    {"channel", Name::kChannel},
    {"content:encoded", Name::kContentEncoded},
    {"day", Name::kDay},
    {"dc:author", Name::kDcAuthor},
    {"dc:creator", Name::kDcCreator},
    {"dc:date", Name::kDcDate},
    {"dc:description", Name::kDcDescription},
    {"dc:identifier", Name::kDcIdentifier},
    {"dc:subject", Name::kDcSubject},
    {"dc:title", Name::kDcTitle},
    {"dcterms:created", Name::kDctermsCreated},
    {"dcterms:issued", Name::kDctermsIssued},
    {"dcterms:modified", Name::kDctermsModified},
    {"description", Name::kDescription},
    {"enclosure", Name::kEnclosure},
    {"fullitem", Name::kFullitem},
    {"guid", Name::kGuid},
    {"hour", Name::kHour},
    {"item", Name::kItem},
    {"itunes:author", Name::kItunesAuthor},
    {"link", Name::kLink},
    {"media:content", Name::kMediaContent},
    {"pubdate", Name::kPubDate},
    {"skipdays", Name::kSkipDays},
    {"skiphours", Name::kSkipHours},
    {"sy:updatefrequency", Name::kSyUpdateFrequency},
    {"sy:updateperiod", Name::kSyUpdatePeriod},
    {"title", Name::kTitle},
    {"ttl", Name::kTtl},
}};

// Every Name but kOther is spelled exactly once.
static_assert([] {
  std::array<int, kNameCount> spelled{};
  for (const auto& entry : kNameEntries) {
    if (entry.name.empty()) return false;
    ++spelled[static_cast<size_t>(entry.value)];
  }
  for (size_t i = 1; i < kNameCount; ++i) {
    if (spelled[i] != 1) return false;
  }
  return true;
}());

constexpr NameTable<Name, kNameCount - 1> kNames(kNameEntries);

bool IsNamespaceDeclaration(std::string_view attribute) {
  return attribute.starts_with("xmlns") && (attribute.size() == 5 || attribute[5] == ':');
}

}  // namespace

Name Classify(std::string_view name) { return kNames.Find(name, Name::kOther); }

// Appends nodes in document order, linking each to its parent and the sibling before it.
class TreeBuilder {
 public:
  // `expected_nodes` reserves room for as many nodes.
  explicit TreeBuilder(XmlTree& tree, size_t expected_nodes = 0) : tree_(tree) {
    tree_.nodes_.clear();
    tree_.nodes_.reserve(expected_nodes);
    tree_.nodes_.emplace_back();  // the document
    open_.push_back({0, XmlTree::kNone});
  }

  // Adds an element and makes it the one attributes go to; returns its index.
  uint32_t Element(std::string_view name) {
    const uint32_t index = Add(NodeKind::kElement, name);
    XmlTree::Node& node = tree_.nodes_[index];
    node.name = Classify(name);
    node.first_attribute = static_cast<uint32_t>(tree_.attributes_.size());
    return index;
  }

  void Attribute(std::string_view name, std::string_view value) {
    tree_.attributes_.push_back({name, value});
    ++tree_.nodes_.back().attribute_count;
    if (IsNamespaceDeclaration(name)) ++tree_.namespace_declarations_;
  }

  void Data(NodeKind kind, std::string_view value) { Add(kind, value); }

  void MarkCutOff(uint32_t element) { tree_.nodes_[element].cut_off = true; }

  // Makes element `index` the parent of the nodes added next, until Close.
  void Open(uint32_t index) { open_.push_back({index, XmlTree::kNone}); }
  void Close() { open_.pop_back(); }
  // How many elements are open.
  size_t depth() const { return open_.size() - 1; }
  // The name of the innermost open element.
  std::string_view innermost() const { return tree_.nodes_[open_.back().parent].text; }

 private:
  struct Frame {
    uint32_t parent;
    uint32_t last_child;
  };

  uint32_t Add(NodeKind kind, std::string_view text) {
    const auto index = static_cast<uint32_t>(tree_.nodes_.size());
    XmlTree::Node& node = tree_.nodes_.emplace_back();
    node.text = text;
    node.kind = kind;
    Frame& frame = open_.back();
    node.parent = frame.parent;
    if (frame.last_child == XmlTree::kNone) {
      tree_.nodes_[frame.parent].first_child = index;
    } else {
      tree_.nodes_[frame.last_child].next_sibling = index;
    }
    frame.last_child = index;
    return index;
  }

  XmlTree& tree_;
  std::vector<Frame> open_;
};

namespace {

enum CharClass : uint8_t { kSpace = 1, kNameStart = 2, kNameChar = 4 };

constexpr std::array<uint8_t, 256> kCharClasses = [] {
  std::array<uint8_t, 256> classes{};
  for (const char c : std::string_view(" \t\n\r")) classes[static_cast<uint8_t>(c)] = kSpace;
  for (size_t c = 0; c < 256; ++c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80) {
      classes[c] = kNameStart | kNameChar;
    }
    if ((c >= '0' && c <= '9') || c == '-' || c == '.') classes[c] = kNameChar;
  }
  return classes;
}();

bool Is(char c, CharClass what) { return (kCharClasses[static_cast<uint8_t>(c)] & what) != 0; }
bool IsSpace(char c) { return Is(c, kSpace); }
bool IsNameStart(char c) { return Is(c, kNameStart); }
bool IsNameChar(char c) { return Is(c, kNameChar); }

// One pass over a well-formed document, building the tree and decoding in place. Every method
// returns false (or nullptr) on anything it does not vouch for, and the caller gives up.
class WellFormedReader {
 public:
  // Room is made for a node every 64 bytes; a feed of articles has fewer (bench/'s corpus: one
  // every 98), and the array grows when a document has more.
  WellFormedReader(std::span<char> xml, XmlTree& tree)
      : p_(xml.data()), end_(xml.data() + xml.size()), builder_(tree, xml.size() / 64) {}

  bool Read() {
    // pugixml ends a string at NUL; let it decide what such a document is.
    if (std::memchr(p_, '\0', static_cast<size_t>(end_ - p_)) != nullptr) return false;
    carriage_returns_ = std::memchr(p_, '\r', static_cast<size_t>(end_ - p_)) != nullptr;
    if (!SkipMisc() || !At("<") || p_ + 1 == end_ || !IsNameStart(p_[1]) || !StartTag()) {
      return false;
    }
    while (builder_.depth() > 0) {
      auto* lt = static_cast<char*>(std::memchr(p_, '<', static_cast<size_t>(end_ - p_)));
      if (lt == nullptr || lt + 1 == end_) return false;
      if (lt != p_) {
        const std::optional<std::string_view> text = DecodeText(p_, lt);
        if (!text) return false;
        builder_.Data(NodeKind::kText, *text);
      }
      p_ = lt;
      bool ok = false;
      if (p_[1] == '/') {
        ok = EndTag();
      } else if (At("<![CDATA[")) {
        ok = Cdata();
      } else if (At("<!--")) {
        ok = Skip(4, "-->");
      } else if (IsNameStart(p_[1])) {
        ok = StartTag();
      }
      if (!ok) return false;
    }
    return SkipMisc() && p_ == end_;
  }

 private:
  bool At(std::string_view what) const {
    return static_cast<size_t>(end_ - p_) >= what.size() &&
           std::memcmp(p_, what.data(), what.size()) == 0;
  }

  void SkipSpace() {
    while (p_ < end_ && IsSpace(*p_)) ++p_;
  }

  // Moves past the first `terminator` at least `from` bytes on.
  bool Skip(size_t from, std::string_view terminator) {
    const std::string_view rest(p_ + from, static_cast<size_t>(end_ - p_) - from);
    const size_t found = rest.find(terminator);
    if (found == std::string_view::npos) return false;
    p_ += from + found + terminator.size();
    return true;
  }

  // Whitespace, comments, processing instructions (the XML declaration among them) and a
  // DOCTYPE, as may come before and after the root element. A '<' inside a processing
  // instruction or a DOCTYPE is left to pugixml: ReplaceHtmlReferences, which that path reads
  // through, takes any "<!--" or "<![CDATA[" for the start of one, and would leave the
  // references after it undecoded where this reader decodes them.
  bool SkipMisc() {
    while (true) {
      SkipSpace();
      if (At("<?")) {
        char* const start = p_ + 2;
        if (start == end_ || !IsNameStart(*start) || !Skip(2, "?>") ||
            std::memchr(start, '<', static_cast<size_t>(p_ - 2 - start)) != nullptr) {
          return false;
        }
      } else if (At("<!--")) {
        if (!Skip(4, "-->")) return false;
      } else if (At("<!DOCTYPE")) {
        if (!SkipDoctype()) return false;
      } else {
        return true;
      }
    }
  }

  // A DOCTYPE naming a DTD (RSS 0.91's, say), which pugixml skips, and so does this reader. One
  // with an internal subset ('[') or a '<' anywhere inside is pugixml's to read.
  bool SkipDoctype() {
    for (char* s = p_ + 9; s < end_; ++s) {
      if (*s == '"' || *s == '\'') {
        char* const close =
            static_cast<char*>(std::memchr(s + 1, *s, static_cast<size_t>(end_ - s - 1)));
        if (close == nullptr || std::memchr(s, '<', static_cast<size_t>(close - s)) != nullptr) {
          return false;
        }
        s = close;
      } else if (*s == '<' || *s == '[') {
        return false;
      } else if (*s == '>') {
        p_ = s + 1;
        return true;
      }
    }
    return false;
  }

  std::string_view Name() {
    char* const start = p_;
    while (p_ < end_ && IsNameChar(*p_)) ++p_;
    return {start, static_cast<size_t>(p_ - start)};
  }

  bool StartTag() {
    ++p_;  // '<'
    const std::string_view name = Name();
    if (p_ == end_) return false;
    const uint32_t element = builder_.Element(name);
    while (true) {
      const bool spaced = p_ < end_ && IsSpace(*p_);
      SkipSpace();
      if (p_ == end_) return false;
      if (*p_ == '>') {
        ++p_;
        builder_.Open(element);
        return true;
      }
      if (*p_ == '/') {
        if (p_ + 1 == end_ || p_[1] != '>') return false;
        p_ += 2;
        return true;
      }
      if (!spaced || !IsNameStart(*p_)) return false;
      const std::string_view attribute = Name();
      SkipSpace();
      if (p_ == end_ || *p_ != '=') return false;
      ++p_;
      SkipSpace();
      if (p_ == end_ || (*p_ != '"' && *p_ != '\'')) return false;
      const char quote = *p_++;
      auto* close = static_cast<char*>(std::memchr(p_, quote, static_cast<size_t>(end_ - p_)));
      if (close == nullptr || std::memchr(p_, '<', static_cast<size_t>(close - p_)) != nullptr) {
        return false;
      }
      const std::optional<std::string_view> value = DecodeAttribute(p_, close);
      if (!value) return false;
      builder_.Attribute(attribute, *value);
      p_ = close + 1;
    }
  }

  bool EndTag() {
    p_ += 2;  // "</"
    if (builder_.depth() == 0 || Name() != builder_.innermost()) return false;
    SkipSpace();
    if (p_ == end_ || *p_ != '>') return false;
    ++p_;
    builder_.Close();
    return true;
  }

  bool Cdata() {
    char* const start = p_ + 9;
    if (!Skip(9, "]]>")) return false;
    char* out = start;
    char* const end = p_ - 3;
    if (!carriage_returns_) out = end;
    for (char* s = out; s < end; ++s) {
      if (*s == '\r') {
        *out++ = '\n';
        if (s + 1 < end && s[1] == '\n') ++s;
      } else {
        *out++ = *s;
      }
    }
    builder_.Data(NodeKind::kCdata, {start, static_cast<size_t>(out - start)});
    return true;
  }

  // Decodes the reference at `s` ('&') to `out`, moving both past it. An '&' that starts no
  // reference ReplaceHtmlReferences or pugixml would decode is copied as it is, as they leave it.
  // False for what this reader does not decode as they would: numeric references it does not
  // know to be plain (pugixml reads "&#X41;" as text, and ReplaceHtmlReferences makes "&#0;"
  // U+FFFD), and the few HTML5 names that outgrow their reference.
  static bool Reference(char*& s, char* end, char*& out) {
    // Escaped HTML is made of these.
    const auto rest = static_cast<size_t>(end - s);
    if (rest >= 4 && s[2] == 't' && s[3] == ';' && (s[1] == 'l' || s[1] == 'g')) {
      *out++ = s[1] == 'l' ? '<' : '>';
      s += 4;
      return true;
    }
    if (rest >= 5 && std::memcmp(s + 1, "amp;", 4) == 0) {
      *out++ = '&';
      s += 5;
      return true;
    }
    // The name ReplaceHtmlReferences reads: name characters, at most 32 of them, then ';'.
    const bool numeric = rest >= 2 && s[1] == '#';
    char* semicolon = s + (numeric ? 2 : 1);
    while (semicolon < end && semicolon - s <= 33 && IsNameChar(*semicolon)) ++semicolon;
    const bool named = semicolon < end && *semicolon == ';' && semicolon > s + 1;
    if (!named) {
      if (numeric) return false;
      *out++ = *s++;  // a stray '&'
      return true;
    }
    const std::string_view name(s + 1, static_cast<size_t>(semicolon - s - 1));
    std::string decoded;
    if (numeric) {
      if (name.size() > 1 && name[1] == 'X') return false;  // not hexadecimal to pugixml
      const std::optional<char32_t> value = NumericReferenceValue(name.substr(1));
      if (!value || *value == 0 || (*value >= 0xD800 && *value <= 0xDFFF) || *value > 0x10FFFF) {
        return false;
      }
      AppendUtf8(ReferencedCharacter(*value), decoded);
    } else if (name == "quot" || name == "apos") {
      decoded.push_back(name == "quot" ? '"' : '\'');
    } else if (!IsNameStart(name[0]) || !DecodeNamedReference(name, decoded)) {
      *out++ = *s++;  // a reference HTML5 does not know either: text
      return true;
    }
    if (decoded.size() > static_cast<size_t>(semicolon + 1 - s)) return false;
    std::memcpy(out, decoded.data(), decoded.size());
    out += decoded.size();
    s = semicolon + 1;
    return true;
  }

  // Character data between markup: references decoded, line ends made "\n".
  std::optional<std::string_view> DecodeText(char* begin, char* end) const {
    const auto size = static_cast<size_t>(end - begin);
    if (carriage_returns_ && std::memchr(begin, '\r', size) != nullptr) {
      return DecodeSlowly(begin, end, false);
    }
    auto* amp = static_cast<char*>(std::memchr(begin, '&', size));
    if (amp == nullptr) return std::string_view(begin, size);
    char* out = amp;
    char* s = amp;
    while (true) {
      if (!Reference(s, end, out)) return std::nullopt;
      amp = static_cast<char*>(std::memchr(s, '&', static_cast<size_t>(end - s)));
      char* const run_end = amp == nullptr ? end : amp;
      std::memmove(out, s, static_cast<size_t>(run_end - s));
      out += run_end - s;
      if (amp == nullptr) return std::string_view(begin, static_cast<size_t>(out - begin));
      s = amp;
    }
  }

  // An attribute value: as text, and each whitespace character a space ("\r\n" one).
  static std::optional<std::string_view> DecodeAttribute(char* begin, char* end) {
    return DecodeSlowly(begin, end, true);
  }

  static std::optional<std::string_view> DecodeSlowly(char* begin, char* end, bool attribute) {
    char* out = begin;
    for (char* s = begin; s < end;) {
      if (*s == '&') {
        if (!Reference(s, end, out)) return std::nullopt;
      } else if (*s == '\r') {
        *out++ = attribute ? ' ' : '\n';
        ++s;
        if (s < end && *s == '\n') ++s;
      } else if (attribute && (*s == '\n' || *s == '\t')) {
        *out++ = ' ';
        ++s;
      } else {
        *out++ = *s++;
      }
    }
    return std::string_view(begin, static_cast<size_t>(out - begin));
  }

  char* p_;
  char* const end_;
  bool carriage_returns_ = false;  // whether the document has any '\r' to normalise
  TreeBuilder builder_;
};

}  // namespace

XmlTree::XmlTree() { nodes_.emplace_back(); }

XmlNode XmlTree::root() const {
  for (XmlNode child = document().first_child(); child; child = child.next_sibling()) {
    if (child.kind() == NodeKind::kElement) return child;
  }
  return {};
}

void XmlTree::Rename(uint32_t index, std::string_view name) {
  auto it = names_.find(name);
  if (it == names_.end()) it = names_.emplace(name).first;
  nodes_[index].text = *it;
  nodes_[index].name = Classify(name);
}

std::optional<XmlTree> ReadWellFormed(std::span<char> xml) {
  XmlTree tree;
  if (!WellFormedReader(xml, tree).Read()) return std::nullopt;
  return tree;
}

XmlTree FromPugixml(const pugi::xml_document& document,
                    const std::unordered_set<const void*>& open_at_end) {
  XmlTree tree;
  TreeBuilder builder(tree);
  pugi::xml_node node = document.first_child();
  while (node) {
    if (node.type() == pugi::node_element) {
      const uint32_t element = builder.Element(node.name());
      for (const pugi::xml_attribute attribute : node.attributes()) {
        builder.Attribute(attribute.name(), attribute.value());
      }
      if (open_at_end.contains(node.internal_object())) builder.MarkCutOff(element);
      if (node.first_child()) {
        builder.Open(element);
        node = node.first_child();
        continue;
      }
    } else if (node.type() == pugi::node_pcdata) {
      builder.Data(NodeKind::kText, node.value());
    } else if (node.type() == pugi::node_cdata) {
      builder.Data(NodeKind::kCdata, node.value());
    }
    while (!node.next_sibling()) {
      node = node.parent();
      if (node == document) return tree;
      builder.Close();
    }
    node = node.next_sibling();
  }
  return tree;
}

bool SameTree(const XmlTree& a, const XmlTree& b) {
  if (a.size() != b.size() || a.namespace_declarations() != b.namespace_declarations()) {
    return false;
  }
  // Both trees are in document order, so the same node has the same index in each.
  const auto same = [](const XmlNode& x, const XmlNode& y) {
    return static_cast<bool>(x) == static_cast<bool>(y) && (!x || x.index() == y.index());
  };
  for (uint32_t i = 0; i < a.size(); ++i) {
    const XmlNode x = a.node(i);
    const XmlNode y = b.node(i);
    if (x.kind() != y.kind() || x.name() != y.name() || x.name_id() != y.name_id() ||
        x.value() != y.value() || x.cut_off() != y.cut_off() || !same(x.parent(), y.parent()) ||
        !same(x.first_child(), y.first_child()) || !same(x.next_sibling(), y.next_sibling()) ||
        !std::ranges::equal(x.attributes(), y.attributes(),
                            [](const XmlAttribute& p, const XmlAttribute& q) {
                              return p.name == q.name && p.value == q.value;
                            })) {
      return false;
    }
  }
  return true;
}

bool AgreesWithPugixml(std::string_view xml, bool* accepted) {
  std::string copy(xml);
  const std::optional<XmlTree> fast = ReadWellFormed(copy);
  if (accepted != nullptr) *accepted = fast.has_value();
  if (!fast) return true;
  pugi::xml_document document;
  const StrictParse strict = ParseStrictly(xml, document);
  return strict.result && document.document_element() && SameTree(*fast, FromPugixml(document));
}

}  // namespace feedwatch::feeds::internal
