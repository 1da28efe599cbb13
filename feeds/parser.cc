// Format detection and the steps every document goes through: decode to UTF-8, read the XML
// (ReadWellFormed, or pugixml strictly or, failing that, leniently), normalise namespaces, then
// hand over to the reader of the format the root element names.
#include "feeds/parser.h"

#include <cctype>
#include <functional>
#include <pugixml.hpp>
#include <span>

#include "base/hash.h"
#include "base/text.h"
#include "feeds/encoding.h"
#include "feeds/html_text.h"
#include "feeds/internal/json_feed.h"
#include "feeds/internal/parse_budget.h"
#include "feeds/internal/xml_read.h"
#include "feeds/internal/xml_repair.h"
#include "feeds/internal/xml_tree.h"

namespace feedwatch::feeds {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// "line L, column C" of byte `offset` in `text`.
std::string Position(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(offset - line_start + 1);
}

// An HTML page where a feed was expected; names the feed it advertises, if it does, as a full
// URL when the page's own is known (`base_url`).
Error HtmlPage(const internal::XmlTree& page, std::string_view base_url) {
  std::string href;
  for (uint32_t i = 0; i < page.size() && href.empty(); ++i) {
    const internal::XmlNode node = page.node(i);
    if (node.kind() != internal::NodeKind::kElement || !EqualsIgnoringCase(node.name(), "link")) {
      continue;
    }
    const std::string_view rel = node.attribute("rel").value_or("");
    const std::string_view type = node.attribute("type").value_or("");
    if (EqualsIgnoringCase(rel, "alternate") &&
        (type.find("rss") != std::string_view::npos ||
         type.find("atom") != std::string_view::npos ||
         type.find("feed+json") != std::string_view::npos)) {
      href = CollapseWhitespace(node.attribute("href").value_or(""));
    }
  }
  std::string message = "not a feed: this is an HTML page";
  if (!href.empty()) {
    message += "; it advertises a feed at " +
               (base_url.empty() ? href : ResolveUrl(base_url, std::move(href)));
  }
  return Error::InvalidInput(std::move(message));
}

// Reads the XML in `buffer` from `offset` on. A well-formed document is read in place (so
// `buffer` is changed); any other is read from `pristine()`, strictly by pugixml or, when that
// fails, leniently.
Status ReadXml(std::string& buffer, size_t offset, const std::function<std::string()>& pristine,
               const ParseOptions& options, Feed& feed) {
  // What the tree views when pugixml built it.
  pugi::xml_document document;
  std::string text_storage;
  std::optional<internal::XmlTree> tree =
      internal::ReadWellFormed(std::span<char>(buffer).subspan(offset));
  if (!tree) {
    text_storage = pristine();
    const std::string_view text = std::string_view(text_storage).substr(offset);
    const internal::StrictParse strict = internal::ParseStrictly(text, document);
    const pugi::xml_parse_result& parsed = strict.result;
    internal::OpenElements open_at_end;
    if (!parsed || !document.document_element()) {
      // Recover the way a reader would.
      document.reset();
      open_at_end = internal::ParseLeniently(text, document);
      if (!document.document_element()) {
        return Error::InvalidInput(std::string("not a feed: not XML (") + parsed.description() +
                                   " at " + Position(strict.input, parsed.offset) + ")");
      }
      std::string what = parsed.description();
      if (!what.empty()) what[0] = AsciiLower(what[0]);
      feed.warnings.push_back(open_at_end.empty()
                                  ? "malformed XML: " + what + " at " +
                                        Position(strict.input, parsed.offset) + "; read leniently"
                                  : "malformed XML: the document ends with " +
                                        std::to_string(open_at_end.size()) + " element" +
                                        (open_at_end.size() == 1 ? "" : "s") +
                                        " still open (truncated?); read leniently");
    }
    tree = internal::FromPugixml(document, open_at_end);
  }
  const internal::XmlNode root = tree->root();
  if (EqualsIgnoringCase(root.name(), "html")) return HtmlPage(*tree, options.base_url);

  const internal::Document normalised = internal::NormaliseNamespaces(*tree);
  const std::string_view name = root.name();
  if (internal::NameIs(root, "rss") || internal::NameIs(root, "rdf:RDF") ||
      internal::NameIs(root, "RDF") || internal::NameIs(root, "channel")) {
    internal::ReadRss(root, normalised, options.base_url, options.max_items, feed);
  } else if (internal::NameIs(root, "atom:feed")) {
    internal::ReadAtom(root, normalised, options.base_url, options.max_items, feed);
    if (!normalised.atom_alias.empty()) {
      feed.warnings.push_back("<feed> is in namespace \"" + normalised.atom_alias +
                              "\", not Atom's; read as Atom");
    }
  } else if (EqualsIgnoringCase(name, "html")) {
    return HtmlPage(*tree, options.base_url);  // XHTML, its prefix normalised away
  } else {
    return Error::InvalidInput("not a feed: XML whose root element is <" + std::string(name) +
                               ">, not <rss>, <rdf:RDF> or <feed>");
  }
  return {};
}

// Everything after '/' up to '?' or '#' with "." and ".." segments applied (RFC 3986 5.2.4).
std::string RemoveDotSegments(std::string_view path) {
  // A "." or ".." segment starts the path or follows a '/'.
  if (!path.starts_with('.') && path.find("/.") == std::string_view::npos) {
    return std::string(path);
  }
  std::vector<std::string_view> segments;
  const bool absolute = path.starts_with('/');
  size_t pos = absolute ? 1 : 0;
  bool trailing_slash = false;
  while (pos <= path.size()) {
    const size_t slash = path.find('/', pos);
    const std::string_view segment =
        path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    trailing_slash = false;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      trailing_slash = true;
    } else if (segment == ".") {
      trailing_slash = true;
    } else {
      segments.push_back(segment);
    }
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  std::string out = absolute ? "/" : "";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i];
  }
  if (trailing_slash && !out.empty() && !out.ends_with('/')) out += '/';
  return out;
}

struct UrlParts {
  std::string_view scheme;  // without ':'
  std::optional<std::string_view> authority;
  std::string_view path;
  std::optional<std::string_view> query;  // without '?'
  std::optional<std::string_view> fragment;
};

UrlParts Split(std::string_view url) {
  UrlParts parts;
  if (const size_t hash = url.find('#'); hash != std::string_view::npos) {
    parts.fragment = url.substr(hash + 1);
    url = url.substr(0, hash);
  }
  if (const size_t question = url.find('?'); question != std::string_view::npos) {
    parts.query = url.substr(question + 1);
    url = url.substr(0, question);
  }
  const size_t colon = url.find(':');
  if (colon != std::string_view::npos && colon > 0 && url.find('/') > colon &&
      std::isalpha(static_cast<unsigned char>(url[0]))) {
    bool scheme_chars = true;
    for (const char c : url.substr(0, colon)) {
      scheme_chars = scheme_chars && (std::isalnum(static_cast<unsigned char>(c)) || c == '+' ||
                                      c == '-' || c == '.');
    }
    if (scheme_chars) {
      parts.scheme = url.substr(0, colon);
      url = url.substr(colon + 1);
    }
  }
  if (url.starts_with("//")) {
    const size_t end = url.find('/', 2);
    parts.authority =
        url.substr(2, end == std::string_view::npos ? std::string_view::npos : end - 2);
    url = end == std::string_view::npos ? std::string_view() : url.substr(end);
  }
  parts.path = url;
  return parts;
}

}  // namespace

std::string ResolveUrl(std::string_view base_url, std::string reference) {
  const UrlParts r = Split(reference);
  if (!r.scheme.empty()) return reference;
  const UrlParts b = Split(base_url);
  if (b.scheme.empty()) return reference;  // no absolute base to resolve against
  std::string path;
  std::optional<std::string_view> query = r.query;
  std::optional<std::string_view> authority = r.authority;
  if (r.authority) {
    path = RemoveDotSegments(r.path);
  } else {
    authority = b.authority;
    if (r.path.empty()) {
      path = std::string(b.path);
      if (!r.query) query = b.query;
    } else if (r.path.starts_with('/')) {
      path = RemoveDotSegments(r.path);
    } else {
      std::string merged;
      if (b.authority && b.path.empty()) {
        merged = "/" + std::string(r.path);
      } else {
        const size_t slash = b.path.rfind('/');
        merged = std::string(b.path.substr(0, slash == std::string_view::npos ? 0 : slash + 1)) +
                 std::string(r.path);
      }
      path = RemoveDotSegments(merged);
    }
  }
  std::string out;
  out.reserve(b.scheme.size() + 3 + (authority ? authority->size() : 0) + path.size() +
              (query ? query->size() + 1 : 0) + (r.fragment ? r.fragment->size() + 1 : 0));
  out.append(b.scheme).append(":");
  if (authority) out.append("//").append(*authority);
  out += path;
  if (query) out.append("?").append(*query);
  if (r.fragment) out.append("#").append(*r.fragment);
  return out;
}

std::string ItemKey(const Item& item) {
  if (!item.id.empty()) return item.id;
  if (!item.link.empty()) return item.link;
  const std::string published = item.published ? FormatIso8601(*item.published) : "";
  return "sha256:" + Sha256()
                         .Add(item.title)
                         .Add("\n")
                         .Add(published)
                         .Add("\n")
                         .AddAsLine(item.summary_text)
                         .Add("\n")
                         .AddAsLine(item.content_text)
                         .Hex();
}

Result<Feed> ParseFeed(std::string_view bytes, const ParseOptions& options) {
  internal::ParseBudget budget(options.max_parse_time);
  Feed feed;
  Decoded decoded = DecodeToUtf8(bytes, CharsetFromContentType(options.content_type));
  feed.encoding = decoded.encoding;
  if (!decoded.warning.empty()) feed.warnings.push_back(decoded.warning);
  if (decoded.replaced > 0) {
    feed.warnings.push_back(std::to_string(decoded.replaced) + " invalid byte sequence" +
                            (decoded.replaced == 1 ? "" : "s") + " in " + decoded.encoding +
                            " replaced with U+FFFD");
  }
  std::string_view text = decoded.text;
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  if (text.empty()) return Error::InvalidInput("not a feed: the document is empty");

  if (text.front() != '<' && text.front() != '{' && text.front() != '[') {
    // Servers prepend junk (a PHP warning, a stray line) to otherwise good XML.
    const size_t lt = text.find('<');
    if (lt == std::string_view::npos) {
      return Error::InvalidInput("not a feed: neither XML nor JSON");
    }
    feed.warnings.push_back(std::to_string(lt) + " bytes of text before the XML skipped");
    text.remove_prefix(lt);
  }
  const auto offset = static_cast<size_t>(text.data() - decoded.text.data());
  const auto pristine = [&] {
    return DecodeToUtf8(bytes, CharsetFromContentType(options.content_type)).text;
  };
  const Status status =
      text.front() == '<' ? ReadXml(decoded.text, offset, pristine, options, feed)
                          : internal::ReadJsonFeed(text, options.base_url, options.max_items, feed);
  if (budget.Exceeded()) {
    return Error::TooLarge(
        "parse budget exceeded: more than " +
        std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(options.max_parse_time).count()) +
        " ms of CPU time for " + std::to_string(bytes.size()) + " bytes");
  }
  if (!status) return status.error();
  return feed;
}

}  // namespace feedwatch::feeds
