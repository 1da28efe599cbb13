// The full HTML5 parse (gumbo) behind HtmlToText, held to limits: a feed chooses the depth and
// size of its HTML, and gumbo's costs grow faster than its input (the stack of open elements is
// scanned for each tag; formatting elements are reopened after each block that closes them;
// destroying its tree recurses once per level). So:
// - FindHtmlCut stops the parse at the first tag past the nesting depth, the element count or
//   the size limit (html_text.h); what follows is read as plain text.
// - gumbo allocates from an arena capped in proportion to the fragment, which also ends the
//   parse when the current ParseBudget runs out; past either, the whole fragment is read as
//   plain text. The arena is freed whole, so gumbo's recursive destructor never runs.
// - The tree is walked with a stack of our own, never by recursion.
#include <gumbo.h>

#include <algorithm>
#include <array>
#include <csetjmp>
#include <cstdlib>
#include <vector>

#include "base/text.h"
#include "feeds/encoding.h"
#include "feeds/html_text.h"
#include "feeds/internal/html_text_gumbo.h"
#include "feeds/internal/parse_budget.h"
#include "feeds/internal/xml_repair.h"

namespace feedwatch::feeds::internal {
namespace {

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsHtmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

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

// What entering (or leaving) an element of `tag` makes of the text around it: the same as
// the scanner's (html_text.cc, Separate). Tables, which the scanner leaves to gumbo: a row is a
// paragraph, a cell a word apart.
void Separate(GumboTag tag, bool end, TextBuilder& out) {
  switch (tag) {
    case GUMBO_TAG_BR:
      if (!end) out.Line();
      return;
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
      return out.Space();
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
      return end ? out.Join() : out.Paragraph();
    default:
      return out.Paragraph();
  }
}

// The text under `root` in document order, block elements separating paragraphs.
void AppendText(const GumboNode* root, TextBuilder& out) {
  struct Open {
    const GumboNode* node;
    unsigned next_child;
    bool block;
  };
  std::vector<Open> stack;
  const auto visit = [&](const GumboNode* node) {
    switch (node->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_CDATA:
      case GUMBO_NODE_WHITESPACE:
        out.Append(node->v.text.text);
        return;
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE: {
        const GumboTag tag = node->v.element.tag;
        if (IsHidden(tag)) return;
        const bool block = IsBlock(tag);
        if (block) Separate(tag, /*end=*/false, out);
        stack.push_back({node, 0, block});
        return;
      }
      case GUMBO_NODE_DOCUMENT:
      case GUMBO_NODE_COMMENT:
        return;
    }
  };
  visit(root);
  while (!stack.empty()) {
    Open& open = stack.back();
    const GumboVector& children = open.node->v.element.children;
    if (open.next_child == children.length) {
      if (open.block) Separate(open.node->v.element.tag, /*end=*/true, out);
      stack.pop_back();
      continue;
    }
    visit(static_cast<const GumboNode*>(children.data[open.next_child++]));
  }
}

// gumbo's memory for one parse: chunks freed together when the parse is done. gumbo's frees are
// ignored (it frees little before the end: the growth of its buffers, which doubles), so the
// cap bounds what the parse allocates in all.
class Arena {
 public:
  explicit Arena(size_t cap) : cap_(cap) {}
  ~Arena() {
    for (void* chunk : chunks_) std::free(chunk);
  }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // nullptr past the cap or when the system has no memory.
  void* Allocate(size_t size) {
    size = (size + 15) & ~size_t{15};
    if (size > cap_ - used_) return nullptr;
    if (size > left_) {
      const size_t chunk = std::max(size, kChunk);
      next_ = static_cast<char*>(std::malloc(chunk));
      if (next_ == nullptr) return nullptr;
      chunks_.push_back(next_);
      left_ = chunk;
    }
    void* block = next_;
    next_ += size;
    left_ -= size;
    used_ += size;
    return block;
  }

 private:
  static constexpr size_t kChunk = size_t{64} * 1024;
  size_t cap_;
  size_t used_ = 0;
  char* next_ = nullptr;
  size_t left_ = 0;
  std::vector<void*> chunks_;
};

// One bounded parse. The allocator leaves the parse by longjmp when the arena is full or the
// budget is spent: gumbo is C, so no destructor is skipped, and the arena owns every byte gumbo
// had allocated.
struct BoundedParse {
  Arena arena;
  ParseBudget* budget = ParseBudget::Current();
  size_t allocations = 0;
  HtmlLimit limit = HtmlLimit::kNone;
  std::jmp_buf escape{};
};

void* Allocate(void* userdata, size_t size) {
  auto* parse = static_cast<BoundedParse*>(userdata);
  // Checking the clock costs a system call; a thousand allocations cost far more.
  if (++parse->allocations % 1024 == 0 && parse->budget != nullptr && parse->budget->Exceeded()) {
    parse->limit = HtmlLimit::kTime;
    std::longjmp(parse->escape, 1);
  }
  void* block = parse->arena.Allocate(size);
  if (block == nullptr) {
    parse->limit = HtmlLimit::kMemory;
    std::longjmp(parse->escape, 1);
  }
  return block;
}

void Deallocate(void* /*userdata*/, void* /*block*/) {}

// gumbo's tree of `html`, owned by `parse.arena`; null when the parse was cut short.
const GumboOutput* ParseWithin(BoundedParse& parse, std::string_view html) {
  GumboOptions options = kGumboDefaultOptions;
  options.allocator = Allocate;
  options.deallocator = Deallocate;
  options.userdata = &parse;
  options.max_errors = 0;  // the error list copies the open elements: quadratic memory
  if (setjmp(parse.escape) != 0) return nullptr;
  return gumbo_parse_with_options(&options, html.data(), html.size());
}

bool IsVoid(std::string_view name) {
  static constexpr std::array<std::string_view, 16> kVoid = {
      "area", "base", "br",    "col",    "embed", "hr",  "img",    "input",
      "link", "meta", "param", "source", "track", "wbr", "keygen", "image"};
  return std::any_of(kVoid.begin(), kVoid.end(),
                     [&](std::string_view v) { return EqualsIgnoringCase(v, name); });
}

// Elements whose content is text up to their end tag, not markup.
bool IsRawText(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kRaw = {
      "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"};
  return std::any_of(kRaw.begin(), kRaw.end(),
                     [&](std::string_view v) { return EqualsIgnoringCase(v, name); });
}

// Elements a start tag of the same name closes when it is the innermost open one.
bool ClosesItsLike(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kSiblings = {"p",  "li", "dd", "dt",
                                                                "tr", "td", "th", "option"};
  return std::any_of(kSiblings.begin(), kSiblings.end(),
                     [&](std::string_view v) { return EqualsIgnoringCase(v, name); });
}

// The end of the tag starting at html[pos] == '<' (after its '>'), by HTML5's attribute states:
// a quote opens a value only after '='. npos when it runs off the end.
size_t TagEnd(std::string_view html, size_t pos, bool& self_closing) {
  bool after_equals = false;
  for (++pos; pos < html.size(); ++pos) {
    const char c = html[pos];
    if (after_equals && (c == '"' || c == '\'')) {
      pos = html.find(c, pos + 1);
      if (pos == std::string_view::npos) return pos;
      after_equals = false;
      continue;
    }
    if (c == '>') {
      self_closing = html[pos - 1] == '/';
      return pos + 1;
    }
    if (c == '=') {
      after_equals = true;
    } else if (!IsHtmlSpace(c)) {
      after_equals = false;
    }
  }
  return std::string_view::npos;
}

// The attributes of a start tag, from the end of its name to past its '>': each name that
// starts after a space or after a quoted value.
size_t CountAttributes(std::string_view tag) {
  size_t count = 0;
  bool between = true;  // after a space, or at the start
  char quote = '\0';
  for (const char c : tag) {
    if (quote != '\0') {
      if (c == quote) {
        quote = '\0';
        between = true;
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (IsHtmlSpace(c)) {
      between = true;
    } else if (c == '=') {
      between = false;
    } else {
      if (between && c != '/' && c != '>') ++count;
      between = false;
    }
  }
  return count;
}

// Appends the text of `html` to `out` with every tag dropped (a block's tags separating words
// or paragraphs), comments, scripts and styles skipped, numeric and common named references
// decoded.
void AppendStripped(std::string_view html, TextBuilder& out) {
  std::string scratch;
  size_t pos = 0;
  while (pos < html.size()) {
    const size_t special = html.find_first_of("<&", pos);
    out.Append(html.substr(pos, special - pos));
    if (special == std::string_view::npos) return;
    pos = special;
    if (html[pos] == '&') {
      const size_t semicolon = html.find_first_of(";<& \t\r\n", pos + 1);
      if (semicolon != std::string_view::npos && html[semicolon] == ';' && semicolon - pos <= 33) {
        const std::string_view name = html.substr(pos + 1, semicolon - pos - 1);
        if (name.starts_with('#')) {
          if (const std::optional<char32_t> value = NumericReferenceValue(name.substr(1))) {
            scratch.clear();
            AppendUtf8(*value > 0x10FFFF || *value == 0 ? U'\uFFFD' : ReferencedCharacter(*value),
                       scratch);
            out.Append(scratch);
            pos = semicolon + 1;
            continue;
          }
        } else if (scratch.clear(); DecodeCommonReference(name, scratch)) {
          out.Append(scratch);
          pos = semicolon + 1;
          continue;
        }
      }
      out.Plain("&");
      ++pos;
      continue;
    }
    const char next = pos + 1 < html.size() ? html[pos + 1] : '\0';
    if (html.substr(pos).starts_with("<!--")) {
      const size_t end = html.find("-->", pos + 4);
      if (end == std::string_view::npos) return;
      pos = end + 3;
    } else if (IsAsciiAlpha(next) || next == '/' || next == '!' || next == '?') {
      bool self_closing = false;
      const size_t end = TagEnd(html, pos, self_closing);
      if (end == std::string_view::npos) return;
      size_t name_end = pos + (next == '/' ? 2 : 1);
      while (name_end < end &&
             (IsAsciiAlpha(html[name_end]) || (html[name_end] >= '0' && html[name_end] <= '9'))) {
        ++name_end;
      }
      const size_t name_start = pos + (next == '/' ? 2 : 1);
      const std::string_view name = html.substr(name_start, name_end - name_start);
      const GumboTag tag = gumbo_tagn_enum(name.data(), static_cast<unsigned>(name.size()));
      if (next != '!' && next != '?' && IsBlock(tag)) Separate(tag, next == '/', out);
      pos = end;
      if (next != '/' && IsRawText(name) && !self_closing) {
        // Skip to the element's end tag; with none, the rest is its content.
        const size_t close = FindIgnoringCase(html, "</" + std::string(name), pos);
        if (close == std::string_view::npos) return;
        pos = close;
      }
    } else {
      out.Plain("<");
      ++pos;
    }
  }
}

}  // namespace

HtmlCut FindHtmlCut(std::string_view whole) {
  if (whole.size() > kHtmlMaxBytes) {
    const HtmlCut cut = FindHtmlCut(whole.substr(0, kHtmlMaxBytes));
    if (cut.limit != HtmlLimit::kNone) return cut;
    // Cut at the last tag before the limit, so no tag is split.
    const size_t lt = whole.rfind('<', kHtmlMaxBytes);
    return {lt == std::string_view::npos ? kHtmlMaxBytes : lt, HtmlLimit::kSize};
  }
  const std::string_view html = whole;
  // The open elements, innermost last, as an approximation of gumbo's: an end tag closes the
  // nearest open element of its name among the innermost few (and is ignored if there is none),
  // a start tag closes a like sibling that is innermost. Approximate is enough: the arena
  // catches what it misses.
  constexpr size_t kEndTagReach = 16;
  std::vector<std::string_view> open;
  open.reserve(kHtmlMaxDepth);
  size_t foreign = 0;  // open <svg> and <math>: in them "/>" closes an element
  size_t elements = 0;
  size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string_view::npos) {
    const size_t tag = pos;
    const char next = pos + 1 < html.size() ? html[pos + 1] : '\0';
    if (html.substr(pos).starts_with("<!--")) {
      const size_t end = html.find("-->", pos + 4);
      if (end == std::string_view::npos) break;
      pos = end + 3;
      continue;
    }
    const bool end_tag = next == '/';
    if (!IsAsciiAlpha(end_tag ? (pos + 2 < html.size() ? html[pos + 2] : '\0') : next)) {
      ++pos;
      continue;
    }
    bool self_closing = false;
    const size_t after = TagEnd(html, pos, self_closing);
    if (after == std::string_view::npos) break;
    size_t name_start = pos + (end_tag ? 2 : 1);
    size_t name_end = name_start;
    while (name_end < after && !IsHtmlSpace(html[name_end]) && html[name_end] != '/' &&
           html[name_end] != '>') {
      ++name_end;
    }
    const std::string_view name = html.substr(name_start, name_end - name_start);
    pos = after;
    const auto is_foreign = [](std::string_view n) {
      return EqualsIgnoringCase(n, "svg") || EqualsIgnoringCase(n, "math");
    };
    if (end_tag) {
      const size_t reach = std::min(open.size(), kEndTagReach);
      for (size_t i = 0; i < reach; ++i) {
        if (EqualsIgnoringCase(open[open.size() - 1 - i], name)) {
          for (size_t k = 0; k <= i; ++k) {
            if (is_foreign(open.back())) --foreign;
            open.pop_back();
          }
          break;
        }
      }
      continue;
    }
    if (++elements > kHtmlMaxElements) return {tag, HtmlLimit::kElements};
    if (CountAttributes(html.substr(name_end, after - name_end)) > kHtmlMaxAttributes) {
      return {tag, HtmlLimit::kAttributes};
    }
    if (IsVoid(name) || (self_closing && foreign > 0)) continue;
    if (!open.empty() && ClosesItsLike(name) && EqualsIgnoringCase(open.back(), name)) continue;
    if (open.size() == kHtmlMaxDepth) return {tag, HtmlLimit::kDepth};
    if (is_foreign(name)) ++foreign;
    open.push_back(name);
    if (IsRawText(name)) {
      const size_t close = FindIgnoringCase(html, "</" + std::string(name), pos);
      if (close == std::string_view::npos) break;
      pos = close;
    }
  }
  return {html.size(), HtmlLimit::kNone};
}

void GumboText(std::string_view html, TextBuilder& out, HtmlLimit* limit) {
  BoundedParse parse{Arena(kHtmlMemoryPerByte * html.size() + kHtmlMemoryBase)};
  if (const GumboOutput* output = ParseWithin(parse, html)) {
    AppendText(output->root, out);
  } else {
    AppendStripped(html, out);
  }
  if (limit != nullptr) *limit = parse.limit;
}

std::string GumboText(std::string_view html, TextBuilder::Mode mode, HtmlLimit* limit) {
  TextBuilder out(html.size(), mode);
  GumboText(html, out, limit);
  return out.Take();
}

struct GumboDocument::State {
  explicit State(size_t cap) : parse{Arena(cap)} {}
  BoundedParse parse;
  const GumboOutput* output = nullptr;
};

GumboDocument::GumboDocument(std::string_view html)
    : state_(std::make_unique<State>(kHtmlMemoryPerByte * html.size() + kHtmlMemoryBase)) {
  state_->output = ParseWithin(state_->parse, html);
}

GumboDocument::~GumboDocument() = default;

const GumboNode* GumboDocument::root() const {
  return state_->output != nullptr ? state_->output->document : nullptr;
}

HtmlLimit GumboDocument::limit() const { return state_->parse.limit; }

void StrippedText(std::string_view html, TextBuilder& out) { AppendStripped(html, out); }

std::string StrippedText(std::string_view html, TextBuilder::Mode mode) {
  TextBuilder out(html.size(), mode);
  AppendStripped(html, out);
  return out.Take();
}

}  // namespace feedwatch::feeds::internal
