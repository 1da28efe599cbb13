#include "feeds/internal/xml_read.h"

#include <strings.h>

#include <array>
#include <cstring>
#include <vector>

#include "base/text.h"
#include "feeds/date.h"
#include "feeds/html_text.h"
#include "feeds/internal/name_table.h"
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

class NamespaceWalker : public pugi::xml_tree_walker {
 public:
  explicit NamespaceWalker(Document& result) : result_(result) {}

  // Atom written without its namespace (<feed version="0.3">) is still Atom.
  void BindDefault(std::string_view uri) {
    bindings_.push_back({"", std::string(uri), FindNamespace(uri), -1});
  }

  // Whether visiting the root alone may leave an element misnamed: a namespace is declared
  // somewhere below the root (`declarations` counts every "xmlns" in the document's text), or one
  // of the root's declarations or the default bound already gives elements another prefix.
  bool BelowRootMayNeedRenaming(const pugi::xml_node& root, size_t declarations) const {
    if (!bindings_.empty()) return true;
    size_t on_root = 0;
    for (const pugi::xml_attribute attribute : root.attributes()) {
      const std::string_view name = attribute.name();
      if (name != "xmlns" && !name.starts_with("xmlns:")) continue;
      ++on_root;
      const KnownNamespace* known = FindNamespace(attribute.value());
      if (known != nullptr && known->prefix != name.substr(std::min<size_t>(name.size(), 6))) {
        return true;
      }
    }
    return on_root != declarations;
  }

  bool for_each(pugi::xml_node& node) override {
    if (node.type() != pugi::node_element) return true;
    Visit(node, depth());
    return true;
  }

  void Visit(pugi::xml_node node, int level) {
    while (!bindings_.empty() && bindings_.back().depth >= level) bindings_.pop_back();
    for (const pugi::xml_attribute attribute : node.attributes()) {
      const std::string_view name = attribute.name();
      if (name == "xmlns" || name.starts_with("xmlns:")) {
        bindings_.push_back({std::string(name.substr(std::min<size_t>(name.size(), 6))),
                             attribute.value(), FindNamespace(attribute.value()), level});
        if (std::string_view(attribute.value()) == kRss090) result_.rss090 = true;
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
    // Built apart from the old name, which pugixml may overwrite in place.
    renamed_.assign(known->prefix);
    if (!known->prefix.empty()) renamed_ += ':';
    renamed_ += local;
    node.set_name(renamed_.c_str());
  }

 private:
  struct Binding {
    std::string prefix;
    std::string uri;
    const KnownNamespace* known;  // what `uri` is, found once; null when unknown
    int depth;
  };

  const Binding* Lookup(std::string_view prefix) const {
    for (size_t i = bindings_.size(); i-- > 0;) {
      if (bindings_[i].prefix == prefix) return &bindings_[i];
    }
    return nullptr;
  }

  Document& result_;
  std::vector<Binding> bindings_;  // innermost last
  std::string renamed_;            // a new name, kept to spare an allocation an element
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

Text FromPlain(std::string_view raw, Keep keep) {
  Text text;
  text.text = CollapseWhitespace(raw);
  if (keep == Keep::kTextAndHtml) text.html = EscapeHtml(text.text);
  return text;
}

Text FromHtml(std::string_view html, Keep keep) {
  Text text;
  text.text = HtmlToText(html);
  if (keep == Keep::kTextAndHtml) text.html = html;
  return text;
}

}  // namespace

bool Document::CutOff(const pugi::xml_node& item, Feed& feed) const {
  if (!open_at_end.contains(item.internal_object())) return false;
  feed.warnings.emplace_back("an item cut off by the end of the document was skipped");
  return true;
}

size_t CountNamespaceDeclarations(std::string_view xml) {
  // 'x' is rare in text, and memchr finds it as fast as the CPU allows.
  size_t count = 0;
  for (size_t x = xml.find('x'); x != std::string_view::npos; x = xml.find('x', x + 1)) {
    count += xml.substr(x).starts_with("xmlns");
  }
  return count;
}

Document NormaliseNamespaces(pugi::xml_document& document, size_t declarations) {
  Document result;
  NamespaceWalker walker(result);
  const pugi::xml_node root = document.document_element();
  if (std::string_view(root.name()) == "feed" && !root.attribute("xmlns")) {
    walker.BindDefault(std::string_view(root.attribute("version").as_string()) == "0.3" ? kAtom03
                                                                                        : kAtom10);
  }
  if (walker.BelowRootMayNeedRenaming(root, declarations)) {
    document.traverse(walker);
  } else {
    walker.Visit(root, 0);  // no element below the root is renamed: most RSS
  }
  return result;
}

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

}  // namespace

Name NameOf(const pugi::xml_node& node) { return kNames.Find(node.name(), Name::kOther); }

Children::Children(const pugi::xml_node& parent) {
  for (pugi::xml_node child = parent.first_child(); child; child = child.next_sibling()) {
    if (child.type() != pugi::node_element) continue;
    const Name name = NameOf(child);
    if (count_ < inline_.size()) {
      inline_[count_++] = {child, name};
    } else {
      if (overflow_.empty()) overflow_.assign(inline_.begin(), inline_.end());
      overflow_.push_back({child, name});
    }
    ++counts_[static_cast<size_t>(name)];
    pugi::xml_node& first = first_[static_cast<size_t>(name)];
    if (!first) first = child;
  }
}

pugi::xml_node Children::FirstOf(std::initializer_list<Name> names) const {
  for (const Name name : names) {
    if (const pugi::xml_node node = (*this)[name]) return node;
  }
  return {};
}

bool NameIs(const pugi::xml_node& node, std::string_view name) {
  const char* actual = node.name();
  // Most comparisons fail on the first letter; settle those without a library call.
  if (name.empty() || AsciiLower(actual[0]) != AsciiLower(name[0])) {
    return name.empty() && actual[0] == '\0';
  }
  return strncasecmp(actual, name.data(), name.size()) == 0 && actual[name.size()] == '\0';
}

pugi::xml_node Child(const pugi::xml_node& parent, std::string_view name) {
  for (pugi::xml_node child = parent.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_element && NameIs(child, name)) return child;
  }
  return {};
}

std::string_view DirectText(const pugi::xml_node& node, std::string& storage) {
  const auto is_text = [](const pugi::xml_node& child) {
    return child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata;
  };
  const pugi::xml_node first = node.first_child();
  if (!first) return {};
  if (!first.next_sibling()) return is_text(first) ? first.value() : std::string_view();
  storage.clear();
  for (pugi::xml_node child = first; child; child = child.next_sibling()) {
    if (is_text(child)) storage += child.value();
  }
  return storage;
}

std::string Value(const pugi::xml_node& node) {
  std::string storage;
  return CollapseWhitespace(DirectText(node, storage));
}

bool HasElementChildren(const pugi::xml_node& node) {
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_element) return true;
  }
  return false;
}

std::string InnerXml(const pugi::xml_node& node) {
  struct Writer : pugi::xml_writer {
    std::string out;
    void write(const void* data, size_t size) override {
      out.append(static_cast<const char*>(data), size);
    }
  } writer;
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_pcdata) {
      writer.out += EscapeHtml(child.value());
    } else if (child.type() == pugi::node_cdata) {
      writer.out += child.value();  // CDATA inside markup holds escaped-free HTML
    } else if (child.type() == pugi::node_element) {
      child.print(writer, "", pugi::format_raw);
    }
  }
  return writer.out;
}

std::string_view BaseFor(const pugi::xml_node& node, std::string_view document_base,
                         std::string& storage) {
  std::vector<std::string_view> bases;
  for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent()) {
    if (const pugi::xml_attribute base = n.attribute("xml:base")) bases.emplace_back(base.value());
  }
  if (bases.empty()) return document_base;
  storage = document_base;
  for (size_t i = bases.size(); i-- > 0;) {
    storage = ResolveUrl(storage, CollapseWhitespace(bases[i]));
  }
  return storage;
}

std::optional<TimePoint> DateOf(const pugi::xml_node& node) {
  if (!node) return std::nullopt;
  std::string storage;
  return ParseDate(DirectText(node, storage));
}

bool IsHttpUrl(std::string_view url) {
  const std::string lower = AsciiLower(url.substr(0, 8));
  return lower.starts_with("http://") || lower.starts_with("https://");
}

Text HtmlElement(const pugi::xml_node& node, Keep keep) {
  if (!node) return {};
  if (HasElementChildren(node)) return FromHtml(InnerXml(node), keep);
  std::string storage;
  return FromHtml(DirectText(node, storage), keep);
}

Text AtomText(const pugi::xml_node& node, Keep keep) {
  if (!node) return {};
  if (node.attribute("src")) return {};  // out-of-line content: nothing to read here
  std::string type = AsciiLower(node.attribute("type").as_string("text"));
  const std::string mode = AsciiLower(node.attribute("mode").as_string());
  std::string storage;
  std::string_view raw = DirectText(node, storage);
  std::string decoded;
  if (mode == "base64") {
    decoded = DecodeBase64(raw);
    raw = decoded;
  } else if (mode == "xml" || HasElementChildren(node)) {
    // Inline markup: an XHTML <div> wrapper (Atom 1.0) is not part of the content.
    const pugi::xml_node div = Child(node, "div");
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
