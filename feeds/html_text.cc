#include "feeds/html_text.h"

#ifdef __x86_64__
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <memory>
#include <optional>

#include "base/text.h"
#include "feeds/encoding.h"
#include "feeds/internal/html_reference_names.h"
#include "feeds/internal/html_text_gumbo.h"
#include "feeds/internal/name_table.h"
#include "feeds/internal/parse_budget.h"
#include "feeds/internal/text_builder.h"

namespace feedwatch::feeds {
namespace {

using internal::NameTable;
using internal::TextBuilder;

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

constexpr NameTable<uint8_t, kCommonReferences.size()> kCommonReferenceIndex = [] {
  std::array<NameTable<uint8_t, kCommonReferences.size()>::Entry, kCommonReferences.size()> entries;
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i] = {kCommonReferences[i].name, static_cast<uint8_t>(i)};
  }
  return NameTable<uint8_t, kCommonReferences.size()>(entries);
}();

const Reference* FindCommon(std::string_view name) {
  // References are case-sensitive.
  const uint8_t index = kCommonReferenceIndex.FindExact(name, kCommonReferences.size());
  return index == kCommonReferences.size() ? nullptr : &kCommonReferences[index];
}

// The tags the scanner tells apart. Everything from kP on is a block: it separates words and
// stays open until its end tag or one HTML5 implies.
enum class Tag : uint8_t {
  kInline,  // text flows through it; its tags change nothing the scanner tracks
  // Left to gumbo: raw-text and escapable raw-text elements, tables (whose text gumbo may
  // move), foreign content, forms and controls, document structure, the elements that bound an
  // HTML5 scope (an end tag's reach stops at them) and the other containers HTML5 counts as
  // special (a new list item's search for the open one stops at them).
  kDeclined,
  kBr,  // void blocks: separate words, hold nothing
  kHr,
  kImg,
  kP,
  kLi,
  kDd,
  kDt,
  kH1,
  kH2,
  kH3,
  kH4,
  kH5,
  kH6,
  kOl,
  kUl,
  kAddress,
  kDiv,
  kOtherBlock,
};

bool IsHeading(Tag tag) { return tag >= Tag::kH1 && tag <= Tag::kH6; }

constexpr NameTable<Tag, 76> kTags{{{
    {"details", Tag::kDeclined},
    {"dir", Tag::kDeclined},
    {"fieldset", Tag::kDeclined},
    {"form", Tag::kDeclined},
    {"hgroup", Tag::kDeclined},
    {"main", Tag::kDeclined},
    {"menu", Tag::kDeclined},
    {"nav", Tag::kDeclined},
    {"search", Tag::kDeclined},
    {"summary", Tag::kDeclined},
    {"applet", Tag::kDeclined},
    {"body", Tag::kDeclined},
    {"button", Tag::kDeclined},
    {"caption", Tag::kDeclined},
    {"col", Tag::kDeclined},
    {"colgroup", Tag::kDeclined},
    {"frame", Tag::kDeclined},
    {"frameset", Tag::kDeclined},
    {"head", Tag::kDeclined},
    {"html", Tag::kDeclined},
    {"iframe", Tag::kDeclined},
    {"image", Tag::kDeclined},
    {"marquee", Tag::kDeclined},
    {"math", Tag::kDeclined},
    {"noembed", Tag::kDeclined},
    {"noframes", Tag::kDeclined},
    {"noscript", Tag::kDeclined},
    {"object", Tag::kDeclined},
    {"optgroup", Tag::kDeclined},
    {"option", Tag::kDeclined},
    {"plaintext", Tag::kDeclined},
    {"script", Tag::kDeclined},
    {"select", Tag::kDeclined},
    {"style", Tag::kDeclined},
    {"svg", Tag::kDeclined},
    {"table", Tag::kDeclined},
    {"tbody", Tag::kDeclined},
    {"td", Tag::kDeclined},
    {"template", Tag::kDeclined},
    {"textarea", Tag::kDeclined},
    {"tfoot", Tag::kDeclined},
    {"th", Tag::kDeclined},
    {"thead", Tag::kDeclined},
    {"title", Tag::kDeclined},
    {"tr", Tag::kDeclined},
    {"xmp", Tag::kDeclined},
    {"br", Tag::kBr},
    {"hr", Tag::kHr},
    {"img", Tag::kImg},
    {"p", Tag::kP},
    {"li", Tag::kLi},
    {"dd", Tag::kDd},
    {"dt", Tag::kDt},
    {"h1", Tag::kH1},
    {"h2", Tag::kH2},
    {"h3", Tag::kH3},
    {"h4", Tag::kH4},
    {"h5", Tag::kH5},
    {"h6", Tag::kH6},
    {"ol", Tag::kOl},
    {"ul", Tag::kUl},
    {"address", Tag::kAddress},
    {"div", Tag::kDiv},
    {"article", Tag::kOtherBlock},
    {"aside", Tag::kOtherBlock},
    {"blockquote", Tag::kOtherBlock},
    {"center", Tag::kOtherBlock},
    {"dl", Tag::kOtherBlock},
    {"figcaption", Tag::kOtherBlock},
    {"figure", Tag::kOtherBlock},
    {"footer", Tag::kOtherBlock},
    {"header", Tag::kOtherBlock},
    {"listing", Tag::kOtherBlock},
    {"pre", Tag::kOtherBlock},
    {"section", Tag::kOtherBlock},
}}};

// What a block's start or end tag makes of the text around it (TextBuilder).
void Separate(TextBuilder& out, Tag tag, bool end) {
  if (tag == Tag::kBr) return out.Line();  // </br> is read as <br>
  if (tag == Tag::kImg) return out.Space();
  if (IsHeading(tag)) return end ? out.Join() : out.Paragraph();
  out.Paragraph();
}

// The blocks open at a point of a fragment, innermost last, as HTML5's tree construction keeps
// them as far as words go: which end tags close an element (and so separate words) and which
// it ignores. Only blocks are tracked; every scope boundary is declined, so "in scope" is "open".
// Each element a tag closes ends in `out` as gumbo's walk ends it, innermost first, so a heading
// closed by its container still joins the paragraph after it.
class OpenBlocks {
 public:
  explicit OpenBlocks(TextBuilder& out) : out_(out) {}

  // A start tag; false when only a full parse can say what it closes, or the fragment nests
  // deeper than the scanner follows.
  bool Start(Tag tag) {
    if (tag == Tag::kLi || tag == Tag::kDd || tag == Tag::kDt) {
      // A new item closes the open one, looking past address, div and p only.
      for (size_t i = depth_; i-- > 0;) {
        const Tag open = open_[i];
        if (tag == Tag::kLi ? open == Tag::kLi : (open == Tag::kDd || open == Tag::kDt)) {
          CloseTo(i);
          break;
        }
        if (open != Tag::kAddress && open != Tag::kDiv && open != Tag::kP) break;
      }
    }
    if (tag == Tag::kBr || tag == Tag::kImg) return Started(tag);
    ClosePIfOpen();  // every other block start, <hr> included, closes a paragraph
    if (tag == Tag::kHr) return Started(tag);
    // A heading inside a heading closes it when it is the current node, which depends on the
    // inline elements between them that only a full parse tracks.
    if (IsHeading(tag) && depth_ > 0 && IsHeading(open_[depth_ - 1])) return false;
    if (depth_ == open_.size()) return false;
    open_[depth_++] = tag;
    return Started(tag);
  }

  // An end tag. HTML5 ignores some: those separate nothing.
  void End(Tag tag) {
    if (tag == Tag::kBr) return Separate(out_, tag, true);  // </br> is read as <br>
    if (tag == Tag::kP) {
      if (!ClosePIfOpen()) Separate(out_, tag, true);  // a stray </p>: an empty paragraph
      return;
    }
    if (tag == Tag::kHr || tag == Tag::kImg) return;
    for (size_t i = depth_; i-- > 0;) {
      const Tag open = open_[i];
      if (open == tag || (IsHeading(tag) && IsHeading(open))) return CloseTo(i);
      // A list item's scope also ends at its list.
      if (tag == Tag::kLi && (open == Tag::kOl || open == Tag::kUl)) return;
    }
  }

 private:
  bool Started(Tag tag) {
    Separate(out_, tag, /*end=*/false);
    return true;
  }

  // Closes the open elements from the innermost down to open_[depth].
  void CloseTo(size_t depth) {
    while (depth_ > depth) Separate(out_, open_[--depth_], /*end=*/true);
  }

  bool ClosePIfOpen() {
    for (size_t i = depth_; i-- > 0;) {
      if (open_[i] == Tag::kP) {
        CloseTo(i);
        return true;
      }
    }
    return false;
  }

  TextBuilder& out_;
  std::array<Tag, 64> open_{};
  size_t depth_ = 0;
};

// Reads the tag starting at html[pos] == '<' (start or end tag, name starting with a letter)
// and sets `name` to its name as written. Returns the position after '>', or npos when the tag
// runs off the end.
size_t ScanTag(std::string_view html, size_t pos, std::string_view& name) {
  pos += html[pos + 1] == '/' ? 2 : 1;
  const size_t name_start = pos;
  while (pos < html.size() && !IsHtmlSpace(html[pos]) && html[pos] != '/' && html[pos] != '>') {
    ++pos;
  }
  name = html.substr(name_start, pos - name_start);
  // The attributes, by HTML5's tokenizer states; only where the tag ends matters. A quote opens
  // a value only where a value may start (after '=' and any spaces), and '=' right after a
  // space starts an attribute's name rather than its value.
  enum class State { kBeforeName, kName, kAfterName, kBeforeValue, kUnquotedValue };
  State state = State::kBeforeName;
  for (; pos < html.size(); ++pos) {
    const char c = html[pos];
    if (state == State::kBeforeValue && (c == '"' || c == '\'')) {
      pos = html.find(c, pos + 1);
      if (pos == std::string_view::npos) return pos;
      state = State::kBeforeName;  // whatever follows a quoted value starts a new attribute
      continue;
    }
    if (c == '>') return pos + 1;
    const bool space = IsHtmlSpace(c);
    switch (state) {
      case State::kBeforeName:
        if (!space && c != '/') state = State::kName;  // '=' here starts a name
        break;
      case State::kName:
        if (space) state = State::kAfterName;
        if (c == '/') state = State::kBeforeName;  // by way of "self-closing start tag"
        if (c == '=') state = State::kBeforeValue;
        break;
      case State::kAfterName:
        if (c == '/') {
          state = State::kBeforeName;
        } else if (c == '=') {
          state = State::kBeforeValue;
        } else if (!space) {
          state = State::kName;
        }
        break;
      case State::kBeforeValue:
        if (!space) state = State::kUnquotedValue;
        break;
      case State::kUnquotedValue:
        if (space) state = State::kBeforeName;
        break;
    }
  }
  return std::string_view::npos;
}

// Bytes that may start whitespace or an invisible character: controls, space, DEL and the lead
// bytes of the multi-byte sequences Collapser::Special reads. Everything else is plain text.
constexpr std::array<bool, 256> kWhitespaceLead = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c <= ' '; ++c) table[c] = true;
  for (const int c : {0x7F, 0xC2, 0xE2, 0xE3, 0xEF}) table[c] = true;
  return table;
}();

enum class CharKind : uint8_t { kText, kSpace, kLine, kParagraph, kInvisible };

struct Character {
  size_t length;
  CharKind kind;
};

// The character at text[i], whose first byte is a whitespace lead (kWhitespaceLead). Controls
// are not text (XML forbids them and readers show nothing) but separate words; so do the
// Unicode spaces news HTML carries; U+00AD and U+FEFF vanish. Any other character is text: all
// of it, as far as its continuation bytes go (none of which can stop a run).
constexpr Character ClassifyLead(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c <= ' ' || c == 0x7F) return {1, CharKind::kSpace};
  const auto at = [&](size_t k) {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
  };
  if (c == 0xC2 && at(1) == 0xA0) return {2, CharKind::kSpace};      // U+00A0 no-break space
  if (c == 0xC2 && at(1) == 0xAD) return {2, CharKind::kInvisible};  // U+00AD soft hyphen
  if (c == 0xE2 && at(1) == 0x80 && at(2) == 0xA8) return {3, CharKind::kLine};       // U+2028
  if (c == 0xE2 && at(1) == 0x80 && at(2) == 0xA9) return {3, CharKind::kParagraph};  // U+2029
  if ((c == 0xE2 && at(1) == 0x80 && ((at(2) >= 0x80 && at(2) <= 0x8A) || at(2) == 0xAF)) ||
      (c == 0xE2 && at(1) == 0x81 && at(2) == 0x9F) ||
      (c == 0xE3 && at(1) == 0x80 && at(2) == 0x80)) {
    return {3, CharKind::kSpace};  // U+2000..U+200A, U+202F, U+205F, U+3000
  }
  if (c == 0xEF && at(1) == 0xBB && at(2) == 0xBF) return {3, CharKind::kInvisible};  // U+FEFF
  const size_t expected = c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  size_t length = 1;
  while (length < expected && at(length) >= 0x80 && at(length) <= 0xBF) ++length;
  return {length, CharKind::kText};
}

// What each common reference's text is to the collapser.
constexpr std::array<CharKind, kCommonReferences.size()> kCommonReferenceKinds = [] {
  std::array<CharKind, kCommonReferences.size()> kinds{};
  for (size_t i = 0; i < kinds.size(); ++i) {
    const std::string_view text = kCommonReferences[i].text;
    if (kWhitespaceLead[static_cast<unsigned char>(text[0])]) {
      const Character character = ClassifyLead(text, 0);
      // Each reference is one character.
      if (character.length != text.size()) throw "a reference of more than one character";
      kinds[i] = character.kind;
    }
  }
  return kinds;
}();

// The bytes that stop a plain run of text; with `markup`, '<' and '&' too.
template <bool markup>
constexpr std::array<bool, 256> kStops = [] {
  std::array<bool, 256> table = kWhitespaceLead;
  table['<'] = table['&'] = markup;
  return table;
}();

// PlainRun's byte-at-a-time rule, from `run` on.
template <bool markup>
size_t PlainRunBytes(std::string_view text, size_t pos, size_t run) {
  constexpr const std::array<bool, 256>& kStop = kStops<markup>;
  const auto at = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  while (run < text.size()) {
    if (!kStop[at(run)]) {
      ++run;
    } else if (at(run) == ' ' && run > pos && at(run - 1) != ' ' && run + 1 < text.size() &&
               !kStop[at(run + 1)]) {
      run += 2;
    } else {
      break;
    }
  }
  return run;
}

#ifdef __x86_64__
// The stop bytes as two pshufb tables, one indexed by a byte's low nibble and one by its high
// nibble, whose entries share a bit exactly when the byte stops a run: controls and space, DEL,
// the lead bytes 0xC2, 0xE2, 0xE3 and 0xEF, and with `markup` '<' and '&'. Each table is
// repeated for both 128-bit lanes.
template <bool markup>
constexpr std::array<std::array<char, 32>, 2> kNibbleTables = [] {
  constexpr uint8_t kControl = 0x01;   // 0x00-0x1F: high nibble 0 or 1, any low nibble
  constexpr uint8_t kSpaceAmp = 0x02;  // 0x20 and 0x26
  constexpr uint8_t kLess = 0x04;      // 0x3C
  constexpr uint8_t kDelete = 0x08;    // 0x7F
  constexpr uint8_t kLead2 = 0x10;     // 0xC2 and 0xE2
  constexpr uint8_t kLeadE = 0x20;     // 0xE3 and 0xEF
  std::array<uint8_t, 16> low{};
  std::array<uint8_t, 16> high{};
  for (uint8_t& entry : low) entry = kControl;
  low[0x0] |= kSpaceAmp;
  low[0x2] |= kLead2;
  low[0x3] |= kLeadE;
  low[0xF] |= kDelete | kLeadE;
  if (markup) {
    low[0x6] |= kSpaceAmp;
    low[0xC] |= kLess;
  }
  high[0x0] = high[0x1] = kControl;
  high[0x2] = kSpaceAmp;
  high[0x3] = kLess;
  high[0x7] = kDelete;
  high[0xC] = kLead2;
  high[0xE] = kLead2 | kLeadE;
  std::array<std::array<char, 32>, 2> tables{};
  for (size_t i = 0; i < 32; ++i) {
    tables[0][i] = static_cast<char>(low[i % 16]);
    tables[1][i] = static_cast<char>(high[i % 16]);
  }
  return tables;
}();

template <bool markup>
constexpr bool NibbleTablesMatchStops() {
  for (size_t byte = 0; byte < 256; ++byte) {
    const bool classified =
        (kNibbleTables<markup>[0][byte % 16] & kNibbleTables<markup>[1][byte / 16]) != 0;
    if (classified != kStops<markup>[byte]) return false;
  }
  return true;
}
static_assert(NibbleTablesMatchStops<true>() && NibbleTablesMatchStops<false>());

// PlainRun thirty-two bytes at a time, each classified by two table lookups.
template <bool markup>
__attribute__((target("avx2"))) size_t PlainRunAvx2(std::string_view text, size_t pos) {
  const char* const data = text.data();
  // (A lambda would not inherit the target attribute.)
  const __m256i low_table =
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kNibbleTables<markup>[0].data()));
  const __m256i high_table =
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kNibbleTables<markup>[1].data()));
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  uint32_t plain_before = 0;  // the byte before the block: plain, or `pos` (no space may lead)
  size_t run = pos;
  for (; run + 32 < text.size(); run += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + run));
    const __m256i classes = _mm256_and_si256(
        _mm256_shuffle_epi8(low_table, _mm256_and_si256(x, nibble)),
        _mm256_shuffle_epi8(high_table, _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble)));
    const auto stops_or_spaces = ~static_cast<uint32_t>(
        _mm256_movemask_epi8(_mm256_cmpeq_epi8(classes, _mm256_setzero_si256())));
    const auto spaces =
        static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, _mm256_set1_epi8(' '))));
    const uint32_t plain_after = kStops<markup>[static_cast<unsigned char>(data[run + 32])] ? 0 : 1;
    // A space is fine between two plain bytes, the ones on either side of the block included.
    const uint32_t plain = ~stops_or_spaces;
    const uint32_t single =
        spaces & ((plain << 1) | plain_before) & ((plain >> 1) | (plain_after << 31));
    const uint32_t stops = stops_or_spaces & ~single;
    if (stops != 0) return run + static_cast<size_t>(__builtin_ctz(stops));
    plain_before = spaces >> 31 ^ 1;  // a space ending the block was single
  }
  return PlainRunBytes<markup>(text, pos, run);
}
#endif

// The end of the run of text from `pos` that needs no collapsing: no byte `stop` marks, except
// single spaces between two such bytes (already collapsed). `stop` marks every byte up to ' ',
// DEL and the lead bytes Collapser::Special reads; with `markup`, also '<' and '&'. This loop is
// most of the cost of reading a feed: with AVX2 (x86-64 servers since 2013) it reads 32 bytes
// at a time; elsewhere a byte at a time.
template <bool markup>
size_t PlainRun(std::string_view text, size_t pos) {
  // Most runs end where they start: at markup, a reference, or a space after either.
  if (pos < text.size() && kStops<markup>[static_cast<unsigned char>(text[pos])]) return pos;
#ifdef __x86_64__
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return PlainRunAvx2<markup>(text, pos);
#endif
  return PlainRunBytes<markup>(text, pos, pos);
}

// One character (or, for kText, any run of text) of the given kind.
void Add(TextBuilder& out, std::string_view text, CharKind kind) {
  switch (kind) {
    case CharKind::kText:
      out.Plain(text);
      return;
    case CharKind::kSpace:
      out.Space();
      return;
    case CharKind::kLine:
      out.Line();
      return;
    case CharKind::kParagraph:
      out.Paragraph();
      return;
    case CharKind::kInvisible:
      return;
  }
}

// Decodes the reference at html[pos] == '&' into `out`; returns the position after it, or npos
// when the scanner cannot be sure to decode it as gumbo would. `scratch` holds a numeric one.
size_t ScanReference(std::string_view html, size_t pos, TextBuilder& out, std::string& scratch) {
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
    scratch.clear();
    AppendUtf8(value, scratch);
    out.Append(scratch);
    return p + 1;
  }
  if (p >= html.size() || !IsAsciiAlpha(html[p])) {
    out.Plain("&");  // a bare ampersand is text
    return pos + 1;
  }
  const size_t name_start = p;
  while (p < html.size() && IsAsciiAlnum(html[p])) ++p;
  if (p >= html.size() || html[p] != ';') return std::string_view::npos;
  const Reference* reference = FindCommon(html.substr(name_start, p - name_start));
  if (reference == nullptr) return std::string_view::npos;
  Add(out, reference->text, kCommonReferenceKinds[reference - kCommonReferences.data()]);
  return p + 1;
}

}  // namespace

namespace internal {

TextBuilder::TextBuilder(size_t capacity, Mode mode) : mode_(mode) { out_.reserve(capacity); }

void TextBuilder::Append(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t run = PlainRun</*markup=*/false>(text, i);
    if (run > i) {
      Plain(text.substr(i, run - i));
      i = run;
    } else {
      i += Special(text, i);
    }
  }
}

void TextBuilder::Plain(std::string_view run) {
  if (!out_.empty()) {
    if (pending_ == Pending::kParagraph) {
      out_ += '\n';
    } else if (pending_ != Pending::kNone) {
      out_ += ' ';
    }
  }
  pending_ = Pending::kNone;
  joined_ = false;
  out_.append(run);
}

size_t TextBuilder::Special(std::string_view text, size_t i) {
  if (text[i] == '\n' && mode_ == Mode::kPlainParagraphs) {
    Line();
    return 1;
  }
  const Character character = ClassifyLead(text, i);
  Add(*this, text.substr(i, character.length), character.kind);
  return character.length;
}

void TextBuilder::Space() {
  if (pending_ == Pending::kNone) pending_ = Pending::kSpace;
}

void TextBuilder::Line() {
  if (mode_ == Mode::kOneLine || joined_) return Space();
  if (pending_ == Pending::kLine || EndsSentence()) {
    pending_ = Pending::kParagraph;
  } else if (pending_ != Pending::kParagraph) {
    pending_ = Pending::kLine;
  }
}

void TextBuilder::Paragraph() {
  if (mode_ == Mode::kOneLine || joined_) return Space();
  pending_ = Pending::kParagraph;
}

void TextBuilder::Join() {
  joined_ = true;
  Space();
}

bool TextBuilder::EndsSentence() const {
  if (out_.empty()) return false;
  const std::string_view text = out_;
  const char last = text.back();
  if (last == '.' || last == '!' || last == '?' || last == ':' || last == ';' || last == '"' ||
      last == ')') {
    return true;
  }
  // … ” » ’
  return text.ends_with("\u2026") || text.ends_with("\u201D") || text.ends_with("\u00BB") ||
         text.ends_with("\u2019");
}

bool DecodeCommonReference(std::string_view name, std::string& out) {
  const Reference* reference = FindCommon(name);
  if (reference == nullptr) return false;
  out += reference->text;
  return true;
}

std::optional<std::string> ScannerText(std::string_view html, TextBuilder::Mode mode) {
  // Stop at markup, references, NUL and anything that may be whitespace; copy the rest in runs.
  TextBuilder out(html.size(), mode);
  std::string scratch;
  std::string_view name;
  OpenBlocks blocks(out);
  size_t pos = 0;
  while (pos < html.size()) {
    const size_t run = PlainRun</*markup=*/true>(html, pos);
    if (run > pos) {
      out.Plain(html.substr(pos, run - pos));
      pos = run;
      continue;
    }
    const char c = html[pos];
    if (c == '\0') return std::nullopt;
    if (c == '&') {
      pos = ScanReference(html, pos, out, scratch);
      if (pos == std::string_view::npos) return std::nullopt;
      continue;
    }
    if (c != '<') {
      pos += out.Special(html, pos);
      continue;
    }
    const char next = pos + 1 < html.size() ? html[pos + 1] : '\0';
    if (IsAsciiAlpha(next) ||
        (next == '/' && pos + 2 < html.size() && IsAsciiAlpha(html[pos + 2]))) {
      const bool end = next == '/';
      pos = ScanTag(html, pos, name);
      if (pos == std::string_view::npos) return std::nullopt;
      const Tag tag = kTags.Find(name, Tag::kInline);
      if (tag == Tag::kDeclined) return std::nullopt;
      if (tag == Tag::kInline) continue;
      if (end) {
        blocks.End(tag);
      } else if (!blocks.Start(tag)) {
        return std::nullopt;
      }
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

namespace {

HtmlText Read(std::string_view html, internal::TextBuilder::Mode mode) {
  if (std::optional<std::string> text = internal::ScannerText(html, mode)) {
    return {std::move(*text)};
  }
  const internal::HtmlCut cut = internal::FindHtmlCut(html);
  HtmlText result;
  internal::TextBuilder out(html.size(), mode);
  internal::GumboText(html.substr(0, cut.offset), out, &result.limit);
  if (cut.offset < html.size()) {
    out.Space();
    internal::StrippedText(html.substr(cut.offset), out);
    if (result.limit == HtmlLimit::kNone) result.limit = cut.limit;
  }
  result.text = out.Take();
  return result;
}

std::string Counted(HtmlText result) {
  if (result.limit != HtmlLimit::kNone) {
    if (internal::ParseBudget* budget = internal::ParseBudget::Current()) ++budget->html_limited;
  }
  return std::move(result.text);
}

}  // namespace

std::string CollapseWhitespace(std::string_view text) {
  internal::TextBuilder out(text.size(), internal::TextBuilder::Mode::kOneLine);
  out.Append(text);
  return out.Take();
}

std::string TextParagraphs(std::string_view text) {
  internal::TextBuilder out(text.size(), internal::TextBuilder::Mode::kPlainParagraphs);
  out.Append(text);
  return out.Take();
}

HtmlText ReadHtml(std::string_view html) {
  return Read(html, internal::TextBuilder::Mode::kOneLine);
}

HtmlText ReadHtmlParagraphs(std::string_view html) {
  // A fragment without a single tag is plain text that feeds put where HTML may go: its blank
  // lines are its paragraphs, where HTML would read them as spaces.
  return Read(html, html.find('<') == std::string_view::npos
                        ? internal::TextBuilder::Mode::kPlainParagraphs
                        : internal::TextBuilder::Mode::kParagraphs);
}

std::string HtmlToText(std::string_view html) { return Counted(ReadHtml(html)); }

std::string ParagraphsHtml(std::string_view paragraphs) {
  std::string html;
  if (paragraphs.empty()) return html;
  html.reserve(paragraphs.size() + 16);
  size_t start = 0;
  while (start <= paragraphs.size()) {
    const size_t end = std::min(paragraphs.find('\n', start), paragraphs.size());
    html += "<p>" + HtmlEscape(paragraphs.substr(start, end - start)) + "</p>";
    start = end + 1;
  }
  return html;
}

std::string HtmlToParagraphs(std::string_view html) { return Counted(ReadHtmlParagraphs(html)); }

std::string DescribeHtmlLimit(HtmlLimit limit) {
  switch (limit) {
    case HtmlLimit::kNone:
      return "within every limit";
    case HtmlLimit::kDepth:
      return "nested deeper than " + std::to_string(kHtmlMaxDepth) + " elements";
    case HtmlLimit::kElements:
      return "more than " + std::to_string(kHtmlMaxElements) + " elements";
    case HtmlLimit::kAttributes:
      return "a tag with more than " + std::to_string(kHtmlMaxAttributes) + " attributes";
    case HtmlLimit::kSize:
      return "more than " + std::to_string(kHtmlMaxBytes >> 20) + " MiB";
    case HtmlLimit::kMemory:
      return "more parser memory than " + std::to_string(kHtmlMemoryPerByte) + " times its size";
    case HtmlLimit::kTime:
      return "the parse budget spent";
  }
  return "";
}

bool DecodeNamedReference(std::string_view name, std::string& out) {
  if (name.empty() || name.size() > 32) return false;
  if (const Reference* reference = FindCommon(name)) {
    out += reference->text;
    return true;
  }
  // The others are decoded by gumbo, whose table has every one, once each, at the first
  // lookup: a gumbo parse per reference would let a body of 10 MB of them cost seconds.
  // (A space's text is "": the one-line text trims it.)
  static const std::array<std::optional<std::string>, internal::kHtmlReferenceNames.size()> texts =
      [] {
        std::array<std::optional<std::string>, internal::kHtmlReferenceNames.size()> decoded;
        for (size_t i = 0; i < decoded.size(); ++i) {
          const std::string_view known = internal::kHtmlReferenceNames[i];
          // gumbo also reads legacy prefixes ("&notit;" as "¬it;"): only a reference consumed
          // whole (no ';' left over) counts.
          const std::string probe = "&" + std::string(known) + ";";
          std::string text = internal::GumboText(probe, internal::TextBuilder::Mode::kOneLine);
          if (text != probe && (text.find(';') == std::string::npos || known == "semi")) {
            decoded[i] = std::move(text);
          }
        }
        return decoded;
      }();
  const auto* const found = std::lower_bound(internal::kHtmlReferenceNames.begin(),
                                             internal::kHtmlReferenceNames.end(), name);
  if (found == internal::kHtmlReferenceNames.end() || *found != name) return false;
  const std::optional<std::string>& text =
      texts[static_cast<size_t>(found - internal::kHtmlReferenceNames.begin())];
  if (!text) return false;
  out += *text;
  return true;
}

}  // namespace feedwatch::feeds
