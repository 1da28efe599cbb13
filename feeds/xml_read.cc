#include "feeds/internal/xml_read.h"

#include <strings.h>

#include <array>
#include <limits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/hash.h"
#include "base/text.h"
#include "feeds/date.h"
#include "feeds/html_text.h"
#include "feeds/parser.h"

namespace feedwatch::feeds::internal {
namespace {

constexpr std::string_view kAtom10 = "http://www.w3.org/2005/Atom";
constexpr std::string_view kAtom03 = "http://purl.org/atom/ns#";
constexpr std::string_view kRss090 = "http://my.netscape.com/rdf/simple/0.9/";

struct KnownNamespace {
  std::string_view uri;
  std::string_view prefix;  // empty: elements lose their prefix
};

constexpr std::array<KnownNamespace, 19> kKnownNamespaces{{
    {kAtom10, "atom"},
    {kAtom03, "atom"},
    {"http://purl.org/rss/1.0/", ""},
    {kRss090, ""},
    {"http://backend.userland.com/rss2", ""},
    {"http://blogs.law.harvard.edu/tech/rss", ""},
    {"http://backend.userland.com/rss", ""},
    {"http://www.w3.org/1999/xhtml", ""},
    {"http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf"},
    {"http://purl.org/dc/elements/1.1/", "dc"},
    {"http://purl.org/dc/elements/1.0/", "dc"},
    {"http://purl.org/dc/terms/", "dcterms"},
    {"http://purl.org/rss/1.0/modules/content/", "content"},
    {"http://purl.org/rss/1.0/modules/syndication/", "sy"},
    {"http://search.yahoo.com/mrss/", "media"},
    {"http://search.yahoo.com/mrss", "media"},
    {"http://www.itunes.com/dtds/podcast-1.0.dtd", "itunes"},
    {"http://rssnamespace.org/feedburner/ext/1.0", "feedburner"},
    {"http://www.w3.org/XML/1998/namespace", "xml"},
}};

const KnownNamespace* FindNamespace(std::string_view uri) {
  for (const KnownNamespace& known : kKnownNamespaces) {
    if (known.uri == uri) return &known;
  }
  return nullptr;
}

class NamespaceWalker {
 public:
  NamespaceWalker(XmlTree& tree, Document& result) : tree_(tree), result_(result) {}

  // Atom written without its namespace (<feed version="0.3">) is still Atom.
  void BindDefault(std::string_view uri) { Bind("", std::string(uri), -1); }

  // Elements in namespace `uri` are read as if in `as` (a known namespace URI).
  void Alias(std::string uri, std::string_view as) {
    alias_uri_ = std::move(uri);
    alias_ = FindNamespace(as);
  }

  // Whether visiting the root alone may leave an element misnamed: a namespace is declared
  // somewhere below the root, or one of the root's declarations or the default bound already
  // gives elements another prefix.
  bool BelowRootMayNeedRenaming(const XmlNode& root) const {
    if (!bindings_.empty()) return true;
    size_t on_root = 0;
    for (const XmlAttribute& attribute : root.attributes()) {
      if (attribute.name != "xmlns" && !attribute.name.starts_with("xmlns:")) continue;
      ++on_root;
      const KnownNamespace* known = FindNamespace(attribute.value);
      if (known != nullptr &&
          known->prefix != attribute.name.substr(std::min<size_t>(attribute.name.size(), 6))) {
        return true;
      }
    }
    return on_root != tree_.namespace_declarations();
  }

  // Visits every element in document order.
  void VisitAll() {
    std::vector<uint32_t> open;  // the elements around the one visited
    for (uint32_t i = 1; i < tree_.size(); ++i) {
      const XmlNode node = tree_.node(i);
      if (node.kind() != NodeKind::kElement) continue;
      const uint32_t parent = node.parent().index();
      while (!open.empty() && open.back() != parent) open.pop_back();
      Visit(node, static_cast<int>(open.size()));
      open.push_back(i);
    }
  }

  void Visit(const XmlNode& node, int level) {
    while (!bindings_.empty() && bindings_.back().depth >= level) Unbind();
    for (const XmlAttribute& attribute : node.attributes()) {
      const std::string_view name = attribute.name;
      if (name == "xmlns" || name.starts_with("xmlns:")) {
        Bind(name.substr(std::min<size_t>(name.size(), 6)), std::string(attribute.value), level);
        if (attribute.value == kRss090) result_.rss090 = true;
      }
    }
    const std::string_view name = node.name();
    const size_t colon = name.find(':');
    const std::string_view prefix =
        colon == std::string_view::npos ? std::string_view() : name.substr(0, colon);
    const std::string_view local = colon == std::string_view::npos ? name : name.substr(colon + 1);
    const Binding* binding = Lookup(prefix);
    if (level == 0) result_.root_namespace = binding != nullptr ? binding->uri : "";
    if (binding == nullptr) return;
    const KnownNamespace* known = binding->known;
    if (known == nullptr || known->prefix == prefix) return;
    renamed_.assign(known->prefix);
    if (!known->prefix.empty()) renamed_ += ':';
    renamed_ += local;
    tree_.Rename(node.index(), renamed_);
  }

 private:
  static constexpr size_t kNone = std::numeric_limits<size_t>::max();

  std::string alias_uri_;
  const KnownNamespace* alias_ = nullptr;

  struct Binding {
    std::string prefix;
    std::string uri;
    const KnownNamespace* known;  // what `uri` is, found once; null when unknown
    int depth;
    size_t shadowed;  // the binding of the same prefix this one hides, or kNone
  };

  void Bind(std::string_view prefix, std::string uri, int depth) {
    const auto [innermost, fresh] = innermost_.try_emplace(std::string(prefix), bindings_.size());
    const size_t shadowed = fresh ? kNone : std::exchange(innermost->second, bindings_.size());
    const KnownNamespace* known =
        !alias_uri_.empty() && uri == alias_uri_ ? alias_ : FindNamespace(uri);
    bindings_.push_back({std::string(prefix), std::move(uri), known, depth, shadowed});
  }

  void Unbind() {
    const Binding& binding = bindings_.back();
    const auto innermost = innermost_.find(binding.prefix);
    if (binding.shadowed == kNone) {
      innermost_.erase(innermost);
    } else {
      innermost->second = binding.shadowed;
    }
    bindings_.pop_back();
  }

  // In constant time: a document may nest as deep as it likes, declaring a prefix at each level.
  const Binding* Lookup(std::string_view prefix) const {
    const auto innermost = innermost_.find(prefix);
    return innermost == innermost_.end() ? nullptr : &bindings_[innermost->second];
  }

  XmlTree& tree_;
  Document& result_;
  std::vector<Binding> bindings_;  // innermost last
  // Each prefix's innermost binding, an index into bindings_.
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> innermost_;
  std::string renamed_;  // a new name, kept to spare an allocation an element
};

std::string DecodeBase64(std::string_view in) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : in) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    if (c >= '0' && c <= '9') value = c - '0' + 52;
    if (c == '+' || c == '-') value = 62;
    if (c == '/' || c == '_') value = 63;
    if (value < 0) continue;  // padding, whitespace
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

// `text` escaped as pugixml writes it: &, < and > (and in attribute values ") as references,
// control characters as numeric ones, keeping tab and line ends in text.
void AppendEscaped(std::string_view text, bool attribute, std::string& out) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>' && !attribute) {
      out += "&gt;";
    } else if (c == '"' && attribute) {
      out += "&quot;";
    } else if (byte < 32 && (attribute || (c != '\t' && c != '\n' && c != '\r'))) {
      out += "&#";
      out += static_cast<char>('0' + byte / 10);
      out += static_cast<char>('0' + byte % 10);
      out += ';';
    } else {
      out += c;
    }
  }
}

// `element` and everything in it as markup. A loop, not recursion: the nesting may be deep.
void AppendMarkup(const XmlNode& element, std::string& out) {
  XmlNode node = element;
  while (true) {
    if (node.kind() == NodeKind::kElement) {
      out += '<';
      out += node.name();
      for (const XmlAttribute& attribute : node.attributes()) {
        out += ' ';
        out += attribute.name;
        out += "=\"";
        AppendEscaped(attribute.value, true, out);
        out += '"';
      }
      if (node.first_child()) {
        out += '>';
        node = node.first_child();
        continue;
      }
      out += "/>";
    } else if (node.kind() == NodeKind::kText) {
      AppendEscaped(node.value(), false, out);
    } else {
      // "]]>" cannot be inside a CDATA section: it ends one and the rest starts the next.
      std::string_view value = node.value();
      out += "<![CDATA[";
      for (size_t end = value.find("]]>"); end != std::string_view::npos; end = value.find("]]>")) {
        out.append(value.substr(0, end + 2)).append("]]><![CDATA[");
        value.remove_prefix(end + 2);
      }
      out.append(value).append("]]>");
    }
    while (node != element && !node.next_sibling()) {
      node = node.parent();
      out.append("</").append(node.name()).append(">");
    }
    if (node == element) return;
    node = node.next_sibling();
  }
}

Text FromPlain(std::string_view raw, Keep keep) {
  Text text;
  if (keep == Keep::kBody) {
    text.text = TextParagraphs(raw);
    text.html = ParagraphsHtml(text.text);
  } else {
    text.text = CollapseWhitespace(raw);
  }
  return text;
}

Text FromHtml(std::string_view html, Keep keep) {
  Text text;
  if (keep == Keep::kBody) {
    text.text = HtmlToParagraphs(html);
    text.html = html;
  } else {
    text.text = HtmlToText(html);
  }
  return text;
}

}  // namespace

bool CutOff(const XmlNode& item, Feed& feed) {
  if (!item.cut_off()) return false;
  feed.warnings.emplace_back("an item cut off by the end of the document was skipped");
  return true;
}

Document NormaliseNamespaces(XmlTree& tree) {
  Document result;
  NamespaceWalker walker(tree, result);
  const XmlNode root = tree.root();
  const std::string_view atom = root.attribute("version") == "0.3" ? kAtom03 : kAtom10;
  if (root.name() == "feed" && !root.attribute("xmlns")) walker.BindDefault(atom);
  // <feed xmlns="a URI that is not Atom's">: a typo in the URI, or an old draft's. Whatever
  // else it could be, its entries are what a reader of it wants; read as Atom.
  const std::string_view root_name = root.name();
  const size_t colon = root_name.find(':');
  const std::string_view local =
      colon == std::string_view::npos ? root_name : root_name.substr(colon + 1);
  const std::string declaration = colon == std::string_view::npos
                                      ? "xmlns"
                                      : "xmlns:" + std::string(root_name.substr(0, colon));
  if (const auto uri = root.attribute(declaration);
      local == "feed" && uri && FindNamespace(*uri) == nullptr) {
    walker.Alias(std::string(*uri), atom);
    result.atom_alias = std::string(*uri);
  }
  if (!result.atom_alias.empty() || walker.BelowRootMayNeedRenaming(root)) {
    walker.VisitAll();
  } else {
    walker.Visit(root, 0);  // no element below the root is renamed: most RSS
  }
  return result;
}

Children::Children(const XmlNode& parent) : tree_(parent.tree()) {
  if (!parent) return;
  for (XmlNode child = parent.first_child(); child; child = child.next_sibling()) {
    if (child.kind() != NodeKind::kElement) continue;
    const Name name = child.name_id();
    if (count_ < inline_.size()) {
      inline_[count_++] = {child, name};
    } else {
      if (overflow_.empty()) overflow_.assign(inline_.begin(), inline_.end());
      overflow_.push_back({child, name});
    }
    ++counts_[static_cast<size_t>(name)];
    uint32_t& first = first_[static_cast<size_t>(name)];
    if (first == 0) first = child.index();
  }
}

XmlNode Children::FirstOf(std::initializer_list<Name> names) const {
  for (const Name name : names) {
    if (const XmlNode node = (*this)[name]) return node;
  }
  return {};
}

bool NameIs(const XmlNode& node, std::string_view name) {
  const std::string_view actual = node.name();
  return actual.size() == name.size() && strncasecmp(actual.data(), name.data(), name.size()) == 0;
}

XmlNode Child(const XmlNode& parent, std::string_view name) {
  for (XmlNode child = parent.first_child(); child; child = child.next_sibling()) {
    if (child.kind() == NodeKind::kElement && NameIs(child, name)) return child;
  }
  return {};
}

std::string_view DirectText(const XmlNode& node, std::string& storage) {
  const auto is_text = [](const XmlNode& child) {
    return child.kind() == NodeKind::kText || child.kind() == NodeKind::kCdata;
  };
  const XmlNode first = node.first_child();
  if (!first) return {};
  if (!first.next_sibling()) return is_text(first) ? first.value() : std::string_view();
  storage.clear();
  for (XmlNode child = first; child; child = child.next_sibling()) {
    if (is_text(child)) storage += child.value();
  }
  return storage;
}

std::string Value(const XmlNode& node) {
  std::string storage;
  return CollapseWhitespace(DirectText(node, storage));
}

bool HasElementChildren(const XmlNode& node) {
  for (XmlNode child = node.first_child(); child; child = child.next_sibling()) {
    if (child.kind() == NodeKind::kElement) return true;
  }
  return false;
}

std::string InnerXml(const XmlNode& node) {
  std::string out;
  for (XmlNode child = node.first_child(); child; child = child.next_sibling()) {
    if (child.kind() == NodeKind::kText) {
      out += HtmlEscape(child.value());
    } else if (child.kind() == NodeKind::kCdata) {
      out += child.value();  // CDATA inside markup holds escaped-free HTML
    } else {
      AppendMarkup(child, out);
    }
  }
  return out;
}

std::string_view BaseFor(const XmlNode& node, std::string_view document_base,
                         std::string& storage) {
  std::vector<std::string_view> bases;
  for (XmlNode n = node; n && n.kind() == NodeKind::kElement; n = n.parent()) {
    if (const std::optional<std::string_view> base = n.attribute("xml:base")) {
      bases.push_back(*base);
    }
  }
  if (bases.empty()) return document_base;
  storage = document_base;
  for (size_t i = bases.size(); i-- > 0;) {
    storage = ResolveUrl(storage, CollapseWhitespace(bases[i]));
  }
  return storage;
}

std::string_view OwnBase(const XmlNode& node, std::string_view parent_base, std::string& storage) {
  const std::optional<std::string_view> base = node.attribute("xml:base");
  if (!base) return parent_base;
  storage = ResolveUrl(parent_base, CollapseWhitespace(*base));
  return storage;
}

std::optional<TimePoint> DateOf(const XmlNode& node) {
  if (!node) return std::nullopt;
  std::string storage;
  return ParseDate(DirectText(node, storage));
}

bool IsHttpUrl(std::string_view url) {
  const std::string lower = AsciiLower(url.substr(0, 8));
  return lower.starts_with("http://") || lower.starts_with("https://");
}

Text HtmlElement(const XmlNode& node, Keep keep) {
  if (!node) return {};
  if (HasElementChildren(node)) return FromHtml(InnerXml(node), keep);
  std::string storage;
  return FromHtml(DirectText(node, storage), keep);
}

namespace {

// media:title or media:description, typed "plain" or "html".
Text MediaText(const XmlNode& node, Keep keep) {
  std::string storage;
  const std::string_view raw = DirectText(node, storage);
  return AsciiLower(node.attribute("type").value_or("plain")) == "html" ? FromHtml(raw, keep)
                                                                        : FromPlain(raw, keep);
}

}  // namespace

void ReadMediaText(const XmlNode& item, Item& out) {
  const bool wants_title = out.title.empty();
  const bool wants_text = out.summary_text.empty() && out.content_text.empty();
  if (!wants_title && !wants_text) return;
  XmlNode title;
  XmlNode description;
  // On the item first, then in its groups and contents, in document order; the first wins.
  const auto look = [&](const XmlNode& parent) {
    for (XmlNode child = parent.first_child(); child; child = child.next_sibling()) {
      if (child.kind() != NodeKind::kElement) continue;
      if (!title && NameIs(child, "media:title")) title = child;
      if (!description && NameIs(child, "media:description")) description = child;
    }
  };
  look(item);
  for (XmlNode child = item.first_child(); child && (!title || !description);
       child = child.next_sibling()) {
    if (child.kind() != NodeKind::kElement) continue;
    if (NameIs(child, "media:group") || NameIs(child, "media:content")) {
      look(child);
      // media:content inside media:group.
      for (XmlNode inner = child.first_child(); inner; inner = inner.next_sibling()) {
        if (inner.kind() == NodeKind::kElement && NameIs(inner, "media:content")) look(inner);
      }
    }
  }
  if (wants_title && title) out.title = MediaText(title, Keep::kLine).text;
  if (wants_text && description) {
    Text text = MediaText(description, Keep::kBody);
    out.summary_text = std::move(text.text);
    out.summary_html = std::move(text.html);
  }
}

Text AtomText(const XmlNode& node, Keep keep) {
  if (!node) return {};
  if (node.attribute("src")) return {};  // out-of-line content: nothing to read here
  const std::string type = AsciiLower(node.attribute("type").value_or("text"));
  const std::string mode = AsciiLower(node.attribute("mode").value_or(""));
  std::string storage;
  std::string_view raw = DirectText(node, storage);
  std::string decoded;
  if (mode == "base64") {
    decoded = DecodeBase64(raw);
    raw = decoded;
  } else if (mode == "xml" || HasElementChildren(node)) {
    // Inline markup: an XHTML <div> wrapper (Atom 1.0) is not part of the content.
    const XmlNode div = Child(node, "div");
    const bool wrapped =
        type == "xhtml" && div && raw.find_first_not_of(" \t\r\n") == std::string_view::npos;
    return FromHtml(InnerXml(wrapped ? div : node), keep);
  }
  if (type == "html" || type == "text/html" || type == "xhtml" || type.ends_with("+xml") ||
      type.ends_with("/xml")) {
    return FromHtml(raw, keep);
  }
  // Atom 0.3 defaults to escaped text/plain; a mode="escaped" construct typed text/plain that
  // holds tags is HTML in practice.
  if (mode == "escaped" && type != "text/plain") return FromHtml(raw, keep);
  if (type == "text" || type.starts_with("text/")) return FromPlain(raw, keep);
  // Any other type is base64 (RFC 4287 4.1.3.3); what decodes to text is read as HTML.
  return FromHtml(DecodeBase64(raw), keep);
}

}  // namespace feedwatch::feeds::internal
