#include "feeds/html_text.h"

#include <gumbo.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <memory>

#include "feeds/encoding.h"
#include "feeds/internal/html_text_gumbo.h"

namespace feedwatch::feeds {
namespace {

using GumboPtr = std::unique_ptr<GumboOutput, void (*)(GumboOutput*)>;

GumboPtr Parse(std::string_view html) {
  return {gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()),
          [](GumboOutput* o) { gumbo_destroy_output(&kGumboDefaultOptions, o); }};
}

bool IsBlock(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_P:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_IMG:
      return true;
    default:
      return false;
  }
}

// Elements whose content a reader never sees.
bool IsHidden(GumboTag tag) {
  return tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_NOSCRIPT ||
         tag == GUMBO_TAG_TEMPLATE || tag == GUMBO_TAG_HEAD || tag == GUMBO_TAG_TITLE;
}

void AppendText(const GumboNode* node, std::string& out) {
  switch (node->type) {
    case GUMBO_NODE_TEXT:
    case GUMBO_NODE_CDATA:
    case GUMBO_NODE_WHITESPACE:
      out += node->v.text.text;
      return;
    case GUMBO_NODE_ELEMENT:
    case GUMBO_NODE_TEMPLATE: {
      const GumboTag tag = node->v.element.tag;
      if (IsHidden(tag)) return;
      const bool block = IsBlock(tag);
      if (block) out += ' ';
      const GumboVector& children = node->v.element.children;
      for (unsigned i = 0; i < children.length; ++i) {
        AppendText(static_cast<const GumboNode*>(children.data[i]), out);
      }
      if (block) out += ' ';
      return;
    }
    case GUMBO_NODE_DOCUMENT:
    case GUMBO_NODE_COMMENT:
      return;
  }
}

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiAlnum(char c) { return IsAsciiAlpha(c) || (c >= '0' && c <= '9'); }
bool IsHtmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

struct Reference {
  std::string_view name;
  std::string_view text;
};

// The references news HTML uses most, sorted by name; the rest of HTML5's 2,231 come from
// gumbo's table.
constexpr std::array<Reference, 38> kCommonReferences{{
    {"amp", "&"},         {"apos", "'"},        {"bdquo", "\u201E"},  {"bull", "\u2022"},
    {"copy", "\u00A9"},   {"deg", "\u00B0"},    {"euro", "\u20AC"},   {"gt", ">"},
    {"hellip", "\u2026"}, {"iexcl", "\u00A1"},  {"iquest", "\u00BF"}, {"laquo", "\u00AB"},
    {"ldquo", "\u201C"},  {"lsaquo", "\u2039"}, {"lsquo", "\u2018"},  {"lt", "<"},
    {"mdash", "\u2014"},  {"middot", "\u00B7"}, {"minus", "\u2212"},  {"nbsp", "\u00A0"},
    {"ndash", "\u2013"},  {"numero", "\u2116"}, {"ordm", "\u00BA"},   {"para", "\u00B6"},
    {"pound", "\u00A3"},  {"quot", "\""},       {"raquo", "\u00BB"},  {"rdquo", "\u201D"},
    {"reg", "\u00AE"},    {"rsaquo", "\u203A"}, {"rsquo", "\u2019"},  {"sbquo", "\u201A"},
    {"sect", "\u00A7"},   {"shy", "\u00AD"},    {"thinsp", "\u2009"}, {"times", "\u00D7"},
    {"trade", "\u2122"},  {"zwnj", "\u200C"},
}};

const Reference* FindCommon(std::string_view name) {
  const auto it =
      std::lower_bound(kCommonReferences.begin(), kCommonReferences.end(), name,
                       [](const Reference& r, std::string_view n) { return r.name < n; });
  return it != kCommonReferences.end() && it->name == name ? &*it : nullptr;
}

// Tags the scanner leaves to gumbo: raw-text and escapable raw-text elements, tables (whose
// text gumbo may move), foreign content, forms whose text is an attribute, and document
// structure.
bool ScannerDeclines(std::string_view tag) {
  static constexpr std::array<std::string_view, 32> kDeclined{
      "body",     "caption", "col",       "colgroup", "frame",    "frameset", "head",
      "html",     "iframe",  "image",     "math",     "noembed",  "noframes", "noscript",
      "optgroup", "option",  "plaintext", "script",   "select",   "style",    "svg",
      "table",    "tbody",   "td",        "template", "textarea", "tfoot",    "th",
      "thead",    "title",   "tr",        "xmp"};  // sorted
  return std::binary_search(kDeclined.begin(), kDeclined.end(), tag);
}

bool ScannerBlock(std::string_view tag) {
  static constexpr std::array<std::string_view, 29> kBlocks{
      "address", "article", "aside",      "blockquote", "br",     "center", "dd", "div",
      "dl",      "dt",      "figcaption", "figure",     "footer", "h1",     "h2", "h3",
      "h4",      "h5",      "h6",         "header",     "hr",     "img",    "li", "listing",
      "ol",      "p",       "pre",        "section",    "ul"};  // sorted
  return std::binary_search(kBlocks.begin(), kBlocks.end(), tag);
}

// Reads the tag starting at html[pos] == '<' (start or end tag, name starting with a letter).
// Returns the position after '>', or npos when the tag runs off the end.
size_t ScanTag(std::string_view html, size_t pos, std::string& name) {
  pos += html[pos + 1] == '/' ? 2 : 1;
  name.clear();
  while (pos < html.size() && !IsHtmlSpace(html[pos]) && html[pos] != '/' && html[pos] != '>') {
    char c = html[pos++];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    name += c;
  }
  // Attributes: quotes matter only in a value, right after '='.
  while (pos < html.size() && html[pos] != '>') {
    if (html[pos] == '=') {
      ++pos;
      while (pos < html.size() && IsHtmlSpace(html[pos])) ++pos;
      if (pos < html.size() && (html[pos] == '"' || html[pos] == '\'')) {
        const size_t close = html.find(html[pos], pos + 1);
        if (close == std::string_view::npos) return std::string_view::npos;
        pos = close + 1;
        continue;
      }
      continue;
    }
    ++pos;
  }
  return pos < html.size() ? pos + 1 : std::string_view::npos;
}

// Decodes the reference at html[pos] == '&' into `out`; returns the position after it, or npos
// when the scanner cannot be sure to decode it as gumbo would.
size_t ScanReference(std::string_view html, size_t pos, std::string& out) {
  size_t p = pos + 1;
  if (p < html.size() && html[p] == '#') {
    ++p;
    const bool hex = p < html.size() && (html[p] == 'x' || html[p] == 'X');
    if (hex) ++p;
    uint32_t value = 0;
    const size_t digits_start = p;
    while (p < html.size() && p - digits_start < 7) {
      const char c = html[p];
      int digit = -1;
      if (c >= '0' && c <= '9') digit = c - '0';
      if (hex && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      if (hex && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      if (digit < 0) break;
      value = value * (hex ? 16 : 10) + static_cast<uint32_t>(digit);
      ++p;
    }
    if (p == digits_start || p >= html.size() || html[p] != ';') return std::string_view::npos;
    // gumbo maps these specially (NUL, the windows-1252 range, surrogates, out of range).
    if (value == 0 || (value >= 0x80 && value <= 0x9F) || (value >= 0xD800 && value <= 0xDFFF) ||
        value > 0x10FFFF) {
      return std::string_view::npos;
    }
    AppendUtf8(value, out);
    return p + 1;
  }
  if (p >= html.size() || !IsAsciiAlpha(html[p])) {
    out += '&';  // a bare ampersand is text
    return pos + 1;
  }
  const size_t name_start = p;
  while (p < html.size() && IsAsciiAlnum(html[p])) ++p;
  if (p >= html.size() || html[p] != ';') return std::string_view::npos;
  const Reference* reference = FindCommon(html.substr(name_start, p - name_start));
  if (reference == nullptr) return std::string_view::npos;
  out += reference->text;
  return p + 1;
}

// Bytes that may start whitespace or an invisible character: controls, space, DEL and the lead
// bytes of the multi-byte sequences Collapser::Special reads. Everything else is plain text.
constexpr std::array<bool, 256> kWhitespaceLead = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c <= ' '; ++c) table[c] = true;
  for (const int c : {0x7F, 0xC2, 0xE2, 0xE3, 0xEF}) table[c] = true;
  return table;
}();

// The end of the run of text from `pos` that needs no collapsing: no byte `stop` marks, except
// single spaces between two such bytes (already collapsed). `markup` says whether `stop` also
// marks '<' and '&'. Sixteen bytes at a time where SSE2 is available: this loop is most of the
// cost of reading a feed.
size_t PlainRun(std::string_view text, size_t pos, const std::array<bool, 256>& stop, bool markup) {
  const char* const data = text.data();
  const size_t size = text.size();
  const auto at = [&](size_t i) { return static_cast<unsigned char>(data[i]); };
  size_t run = pos;
  while (run < size) {
#ifdef __SSE2__
    const auto equal = [](__m128i x, char c) { return _mm_cmpeq_epi8(x, _mm_set1_epi8(c)); };
    if (run + 16 <= size) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + run));
      const __m128i space = equal(x, ' ');
      const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(' ')), x);  // <= ' '
      __m128i special = _mm_or_si128(
          _mm_or_si128(equal(x, '\x7F'), equal(x, '\xC2')),
          _mm_or_si128(_mm_or_si128(equal(x, '\xE2'), equal(x, '\xE3')), equal(x, '\xEF')));
      if (markup) special = _mm_or_si128(special, _mm_or_si128(equal(x, '<'), equal(x, '&')));
      const auto other = static_cast<unsigned>(
          _mm_movemask_epi8(_mm_or_si128(_mm_andnot_si128(space, control), special)));
      const auto spaces = static_cast<unsigned>(_mm_movemask_epi8(space));
      const unsigned plain = ~(other | spaces) & 0xFFFFu;
      // A space between two plain bytes of this block is fine; at either edge the byte rule
      // below decides.
      const unsigned stops = other | (spaces & ~(spaces & (plain << 1) & (plain >> 1)));
      if (stops == 0) {
        run += 16;
        continue;
      }
      run += static_cast<size_t>(__builtin_ctz(stops));
    }
#endif
    if (!stop[at(run)]) {
      ++run;
    } else if (at(run) == ' ' && run > pos && at(run - 1) != ' ' && run + 1 < size &&
               !stop[at(run + 1)]) {
      run += 2;
    } else {
      break;
    }
  }
  return run;
}

// Builds collapsed text as it is appended: whitespace runs become one space, leading and
// trailing whitespace disappear, invisible characters are dropped.
class Collapser {
 public:
  explicit Collapser(size_t capacity) { out_.reserve(capacity); }

  void Append(std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
      const size_t run = PlainRun(text, i, kWhitespaceLead, /*markup=*/false);
      if (run > i) {
        Plain(text.substr(i, run - i));
        i = run;
      } else {
        i += Special(text, i);
      }
    }
  }

  void Space() { pending_space_ = true; }

  // Appends text known to hold no whitespace lead byte.
  void Plain(std::string_view run) {
    if (pending_space_ && !out_.empty()) out_ += ' ';
    pending_space_ = false;
    out_.append(run);
  }

  // Reads the character at text[i], whose first byte is a whitespace lead; returns its length.
  size_t Special(std::string_view text, size_t i) {
    const auto c = static_cast<unsigned char>(text[i]);
    // Controls are not text: XML forbids them and readers show nothing.
    if (c <= ' ' || c == 0x7F) {
      pending_space_ = true;
      return 1;
    }
    // The Unicode spaces and invisible characters news HTML carries.
    const auto at = [&](size_t k) {
      return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
    };
    size_t length = 0;
    bool space = false;
    if (c == 0xC2 && at(1) == 0xA0) {
      length = 2, space = true;  // U+00A0 no-break space
    } else if (c == 0xC2 && at(1) == 0xAD) {
      length = 2;  // U+00AD soft hyphen
    } else if ((c == 0xE2 && at(1) == 0x80 &&
                ((at(2) >= 0x80 && at(2) <= 0x8A) || at(2) == 0xA8 || at(2) == 0xA9 ||
                 at(2) == 0xAF)) ||
               (c == 0xE2 && at(1) == 0x81 && at(2) == 0x9F) ||
               (c == 0xE3 && at(1) == 0x80 && at(2) == 0x80)) {
      // U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000
      length = 3, space = true;
    } else if (c == 0xEF && at(1) == 0xBB && at(2) == 0xBF) {
      length = 3;  // U+FEFF
    }
    if (length > 0) {
      pending_space_ = pending_space_ || space;
      return length;
    }
    Plain(text.substr(i, 1));
    return 1;
  }

  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
  bool pending_space_ = false;
};

}  // namespace

namespace internal {

std::string GumboText(std::string_view html) {
  const GumboPtr output = Parse(html);
  std::string text;
  AppendText(output->root, text);
  return text;
}

std::optional<std::string> ScannerText(std::string_view html) {
  // Stop at markup, references, NUL and anything that may be whitespace; copy the rest in runs.
  static constexpr std::array<bool, 256> kStop = [] {
    std::array<bool, 256> table = kWhitespaceLead;
    table['<'] = table['&'] = true;
    return table;
  }();
  Collapser out(html.size());
  std::string decoded;
  std::string name;
  size_t pos = 0;
  while (pos < html.size()) {
    const size_t run = PlainRun(html, pos, kStop, /*markup=*/true);
    if (run > pos) {
      out.Plain(html.substr(pos, run - pos));
      pos = run;
      continue;
    }
    const char c = html[pos];
    if (c == '\0') return std::nullopt;
    if (c == '&') {
      decoded.clear();
      pos = ScanReference(html, pos, decoded);
      if (pos == std::string_view::npos) return std::nullopt;
      out.Append(decoded);
      continue;
    }
    if (c != '<') {
      pos += out.Special(html, pos);
      continue;
    }
    const char next = pos + 1 < html.size() ? html[pos + 1] : '\0';
    if (IsAsciiAlpha(next) ||
        (next == '/' && pos + 2 < html.size() && IsAsciiAlpha(html[pos + 2]))) {
      pos = ScanTag(html, pos, name);
      if (pos == std::string_view::npos || ScannerDeclines(name)) return std::nullopt;
      if (ScannerBlock(name)) out.Space();
      continue;
    }
    if (html.substr(pos).starts_with("<!--")) {
      const size_t end = html.find("-->", pos + 4);
      const std::string_view body = html.substr(pos + 4, end - pos - 4);
      if (end == std::string_view::npos || body.starts_with(">") || body.starts_with("->") ||
          body.find("--!") != std::string_view::npos) {
        return std::nullopt;
      }
      pos = end + 3;
      continue;
    }
    if (next == '!' || next == '?' || next == '/') return std::nullopt;
    out.Plain("<");  // "<" not opening a tag is text
    ++pos;
  }
  return out.Take();
}

}  // namespace internal

std::string CollapseWhitespace(std::string_view text) {
  Collapser collapser(text.size());
  collapser.Append(text);
  return collapser.Take();
}

std::string HtmlToText(std::string_view html) {
  if (std::optional<std::string> text = internal::ScannerText(html)) return std::move(*text);
  return CollapseWhitespace(internal::GumboText(html));
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool DecodeNamedReference(std::string_view name, std::string& out) {
  if (name.empty() || name.size() > 32) return false;
  if (const Reference* reference = FindCommon(name)) {
    out += reference->text;
    return true;
  }
  for (const char c : name) {
    if (!IsAsciiAlnum(c)) return false;
  }
  // gumbo's table has every HTML5 reference. It also reads legacy prefixes ("&notit;" as
  // "¬it;"), so only a reference consumed whole (no ';' left over) counts.
  const std::string probe = "&" + std::string(name) + ";";
  std::string text = internal::GumboText(probe);
  if (text == probe || (text.find(';') != std::string::npos && name != "semi")) return false;
  out += text;
  return true;
}

}  // namespace feedwatch::feeds
