#include "feeds/article.h"

#include <gumbo.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>
#include <unordered_set>
#include <vector>

#include "base/text.h"
#include "feeds/encoding.h"
#include "feeds/html_text.h"
#include "feeds/internal/html_text_gumbo.h"
#include "feeds/internal/json_shape.h"

namespace feedwatch::feeds {
namespace {

using nlohmann::json;

// A JSON-LD script deeper than this is not read: articles sit at depth 1 to 3, their
// authors and images a few levels below.
constexpr size_t kMaxJsonDepth = 32;
// A block of text is a paragraph of prose from this many characters, when few are links.
constexpr size_t kProseChars = 60;
constexpr double kProseLinkDensity = 0.3;
// A list item is prose from this many characters, when it has no links and ends a sentence.
constexpr size_t kListedProseChars = 100;
// Past this share of its characters in links, a block is navigation.
constexpr double kLinkBlockDensity = 0.5;
// A candidate element (itemprop, <article>) is taken when it scores at least this share of the
// densest block: less, and it is a teaser or a template's lede.
constexpr double kCandidateShare = 0.6;
// When this many blocks of the densest block's kind (tag and class) elsewhere are at this share
// of its density, their common ancestor holds the text.
constexpr double kRivalShare = 0.4;
constexpr size_t kRivals = 2;

size_t Utf8Length(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string_view Attribute(const GumboElement& element, const char* name) {
  const GumboAttribute* attribute = gumbo_get_attribute(&element.attributes, name);
  return attribute != nullptr ? std::string_view(attribute->value) : std::string_view();
}

std::string_view TagName(const GumboElement& element) {
  if (element.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(element.tag);
  GumboStringPiece name = element.original_tag;
  gumbo_tag_from_original_text(&name);
  return {name.data, name.length};
}

// Elements whose content is not the article's text, whatever their class.
bool IsSkipped(const GumboElement& element) {
  switch (element.tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_VIDEO:
    case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_LABEL:
      return true;
    case GUMBO_TAG_UNKNOWN: {
      // AMP's components: ads, share bars, consent, embeds; amp-live-list holds a live blog.
      const std::string name = AsciiLower(TagName(element));
      return name.starts_with("amp-") && name != "amp-live-list" && name != "amp-fit-text";
    }
    default:
      break;
  }
  if (element.attributes.length == 0) return false;
  if (gumbo_get_attribute(&element.attributes, "hidden") != nullptr) return true;
  if (Attribute(element, "aria-hidden") == "true") return true;
  std::string style = AsciiLower(Attribute(element, "style"));
  style.erase(std::remove(style.begin(), style.end(), ' '), style.end());
  return style.find("display:none") != std::string::npos;
}

bool IsBlockElement(const GumboElement& element) {
  switch (element.tag) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_UNKNOWN:
      return true;
    default:
      return false;
  }
}

bool IsHeading(GumboTag tag) {
  return tag == GUMBO_TAG_H1 || tag == GUMBO_TAG_H2 || tag == GUMBO_TAG_H3 || tag == GUMBO_TAG_H4 ||
         tag == GUMBO_TAG_H5 || tag == GUMBO_TAG_H6;
}

// What an element's class and id say of it, word by word ("post-comments__list": post,
// comments, list).
enum class Hint : uint8_t { kNone, kWeakNegative, kNegative };

Hint HintOf(const GumboElement& element) {
  // A page's outer elements say what the page is ("single-post right-sidebar"), not this part.
  if (element.tag == GUMBO_TAG_HTML || element.tag == GUMBO_TAG_BODY ||
      element.tag == GUMBO_TAG_MAIN) {
    return Hint::kNone;
  }
  // Never the article's text, whatever else the class says.
  static constexpr std::array<std::string_view, 33> kNegative = {
      "comment",       "comments",     "related",    "share",      "sharing",     "social",
      "subscribe",     "subscription", "newsletter", "promo",      "cookie",      "cookies",
      "consent",       "gdpr",         "sidebar",    "breadcrumb", "breadcrumbs", "advert",
      "advertisement", "ads",          "ad",         "banner",     "recommended", "recommend",
      "popular",       "teaser",       "teasers",    "readalso",   "also",        "readmore",
      "caption",       "tweet",        "paywall"};
  // Not the text, unless the same class also says it is.
  static constexpr std::array<std::string_view, 18> kWeak = {
      "meta", "footer", "nav",     "navigation", "menu",   "tags",  "tag",   "author", "byline",
      "date", "credit", "credits", "toolbar",    "widget", "modal", "popup", "more",   "print"};
  static constexpr std::array<std::string_view, 9> kPositive = {
      "article", "body", "content", "text", "story", "entry", "post", "main", "news"};
  std::string words = AsciiLower(Attribute(element, "class"));
  words += ' ';
  words += AsciiLower(Attribute(element, "id"));
  bool weak = false;
  bool positive = false;
  size_t start = 0;
  for (size_t i = 0; i <= words.size(); ++i) {
    const bool end = i == words.size() || !((words[i] >= 'a' && words[i] <= 'z'));
    if (!end) continue;
    const std::string_view word = std::string_view(words).substr(start, i - start);
    start = i + 1;
    if (word.empty()) continue;
    // "relatedposts", "sharedaddy": a long hint starts a word; a short one is the word.
    const auto is = [&](std::string_view w) {
      return w.size() >= 5 ? word.starts_with(w) : word == w;
    };
    if (std::any_of(kNegative.begin(), kNegative.end(), is)) return Hint::kNegative;
    weak = weak || std::any_of(kWeak.begin(), kWeak.end(), is);
    positive = positive || std::any_of(kPositive.begin(), kPositive.end(), is);
  }
  return weak && !positive ? Hint::kWeakNegative : Hint::kNone;
}

// A run of text between block boundaries.
struct Block {
  std::string text;
  size_t chars = 0;
  size_t link_chars = 0;
  size_t element = 0;    // the innermost element holding it
  size_t paragraph = 0;  // the innermost block element holding it (a <p>, a <div>, ...)
  bool negative = false;
  bool heading = false;
  bool listed = false;  // in a list item: teasers and link lists as often as text

  double link_density() const {
    return chars == 0 ? 0 : static_cast<double>(link_chars) / static_cast<double>(chars);
  }
  bool prose() const {
    if (chars < kProseChars || link_density() > kProseLinkDensity) return false;
    // A list item is a teaser or a link as often as text, unless it reads as sentences of its
    // own with no link to speak of: a digest's items, a list of demands.
    return !listed || (chars >= kListedProseChars && link_density() < 0.05 && EndsASentence());
  }
  bool EndsASentence() const {
    const char last = text.empty() ? ' ' : text.back();
    return last == '.' || last == '!' || last == '?' || last == '"' || text.ends_with("»") ||
           text.ends_with("”");
  }
  // Whether it reads as part of an article: not a link list, a heading, a button's word.
  bool readable() const {
    if (negative || heading || link_density() > kLinkBlockDensity) return false;
    if (chars >= 30) return true;
    return std::count(text.begin(), text.end(), ' ') >= 2 && EndsASentence();
  }
};

struct Element {
  size_t parent = SIZE_MAX;
  size_t last = 0;   // the last element of its subtree (elements are numbered in document order)
  double score = 0;  // of every block in its subtree
  double local = 0;  // of the paragraphs among its children (and half of its grandchildren's)
  size_t chars = 0;  // in its subtree
  size_t link_chars = 0;
  size_t kind = 0;  // a hash of its tag and class: a live blog's entries share one
  bool itemprop_body = false;
  bool article = false;
};

// The page's elements and blocks of text, read in document order with a stack of our own.
class PageReader {
 public:
  void Read(const GumboNode* root) {
    struct Frame {
      const GumboNode* node;
      unsigned next = 0;
    };
    std::vector<Frame> stack{{root}};
    while (!stack.empty()) {
      Frame& frame = stack.back();
      const GumboNode* node = frame.node;
      const GumboVector* children = node->type == GUMBO_NODE_DOCUMENT ? &node->v.document.children
                                                                      : &node->v.element.children;
      if (frame.next == 0 && node->type != GUMBO_NODE_DOCUMENT) Enter(node->v.element);
      if (frame.next < children->length) {
        const auto* child = static_cast<const GumboNode*>(children->data[frame.next++]);
        switch (child->type) {
          case GUMBO_NODE_TEXT:
          case GUMBO_NODE_WHITESPACE:
          case GUMBO_NODE_CDATA:
            Text(child->v.text.text);
            break;
          case GUMBO_NODE_ELEMENT:
          case GUMBO_NODE_TEMPLATE:
            if (!IsSkipped(child->v.element)) stack.push_back({child});
            break;
          default:
            break;
        }
        continue;
      }
      if (node->type != GUMBO_NODE_DOCUMENT) Leave(node->v.element);
      stack.pop_back();
    }
    Flush();
  }

  std::vector<Element>& elements() { return elements_; }
  std::vector<Block>& blocks() { return blocks_; }

 private:
  struct Open {
    size_t id;
    bool listed;
    bool block;
    bool link;
    bool negative;
    bool heading;
  };

  void Enter(const GumboElement& element) {
    const bool block = IsBlockElement(element);
    if (block) Flush();
    const size_t id = elements_.size();
    Element& e = elements_.emplace_back();
    e.parent = open_.empty() ? SIZE_MAX : open_.back().id;
    e.itemprop_body = Attribute(element, "itemprop") == "articleBody";
    e.article = element.tag == GUMBO_TAG_ARTICLE;
    e.kind = std::hash<std::string_view>{}(Attribute(element, "class")) ^ element.tag;
    const Hint hint = HintOf(element);
    const bool negative = hint == Hint::kNegative || hint == Hint::kWeakNegative;
    const bool listed =
        element.tag == GUMBO_TAG_LI || element.tag == GUMBO_TAG_DD || element.tag == GUMBO_TAG_DT;
    open_.push_back(
        {id, listed, block, element.tag == GUMBO_TAG_A, negative, IsHeading(element.tag)});
    listed_ += listed ? 1 : 0;
    negatives_ += negative ? 1 : 0;
    links_ += element.tag == GUMBO_TAG_A ? 1 : 0;
    headings_ += IsHeading(element.tag) ? 1 : 0;
  }

  void Leave(const GumboElement& /*element*/) {
    const Open open = open_.back();
    if (open.block) Flush();
    open_.pop_back();
    elements_[open.id].last = elements_.size() - 1;
    negatives_ -= open.negative ? 1 : 0;
    listed_ -= open.listed ? 1 : 0;
    links_ -= open.link ? 1 : 0;
    headings_ -= open.heading ? 1 : 0;
  }

  void Text(std::string_view text) {
    const size_t before = current_.text.size();
    for (size_t i = 0; i < text.size(); ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      const bool nbsp =
          c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xA0;
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || nbsp) {
        if (nbsp) ++i;
        if (!current_.text.empty() && current_.text.back() != ' ') current_.text += ' ';
        continue;
      }
      current_.text += static_cast<char>(c);
    }
    if (current_.text.size() == before) return;
    if (current_.text.size() == 1 && current_.text[0] == ' ') {
      current_.text.clear();
      return;
    }
    const size_t added = Utf8Length(std::string_view(current_.text).substr(before));
    if (links_ > 0) current_.link_chars += added;
    // The block belongs where its first words stand, and takes the marks of what holds them.
    if (!started_) {
      started_ = true;
      current_.element = open_.empty() ? 0 : open_.back().id;
      const auto block =
          std::find_if(open_.rbegin(), open_.rend(), [](const Open& open) { return open.block; });
      current_.paragraph = block == open_.rend() ? current_.element : block->id;
      current_.negative = negatives_ > 0;
      current_.heading = headings_ > 0;
      current_.listed = listed_ > 0;
    }
  }

  void Flush() {
    if (started_) {
      while (!current_.text.empty() && current_.text.back() == ' ') current_.text.pop_back();
      if (current_.text.starts_with(' ')) current_.text.erase(0, 1);
      current_.chars = Utf8Length(current_.text);
      current_.link_chars = std::min(current_.link_chars, current_.chars);
      if (current_.chars > 0) blocks_.push_back(std::move(current_));
    }
    current_ = Block();
    started_ = false;
  }

  std::vector<Element> elements_;
  std::vector<Block> blocks_;
  std::vector<Open> open_;
  Block current_;
  bool started_ = false;
  int negatives_ = 0;
  int links_ = 0;
  int headings_ = 0;
  int listed_ = 0;
};

// Whether a heading's text names a box of other stories: "Related coverage", "Read also",
// "Читайте также". Such a box is navigation whatever its classes say (hashed ones say nothing).
bool IsNavigationTitle(std::string_view heading) {
  static constexpr std::array<std::string_view, 28> kTitles = {
      "related",           "related coverage", "related stories",   "related articles",
      "related news",      "read also",        "read more",         "see also",
      "more on this",      "more stories",     "more news",         "most read",
      "most popular",      "popular",          "trending",          "recommended",
      "you may also like", "latest news",      "читайте также",     "по теме",
      "еще по теме",       "ещё по теме",      "материалы по теме", "новости по теме",
      "другие новости",    "самое читаемое",   "смотрите также",    "рекомендуем"};
  if (heading.size() > 64) return false;
  // Lower case, ASCII and Cyrillic (А-Я, Ё): how sites capitalise their titles.
  std::string title;
  for (size_t i = 0; i < heading.size(); ++i) {
    const auto c = static_cast<unsigned char>(heading[i]);
    const auto next = i + 1 < heading.size() ? static_cast<unsigned char>(heading[i + 1]) : 0;
    if (c == 0xD0 && next >= 0x90 && next <= 0x9F) {
      title += "\xD0";
      title += static_cast<char>(next + 0x20);
      ++i;
    } else if (c == 0xD0 && next >= 0xA0 && next <= 0xAF) {
      title += "\xD1";
      title += static_cast<char>(next - 0x20);
      ++i;
    } else if (c == 0xD0 && next == 0x81) {
      title += "\xD1\x91";
      ++i;
    } else {
      title += static_cast<char>(std::tolower(c));
    }
  }
  while (!title.empty() && (title.back() == ':' || title.back() == ' ')) title.pop_back();
  if (std::find(kTitles.begin(), kTitles.end(), title) != kTitles.end()) return true;
  // "More local stories", "More from the region", "Related: Ukraine talks": not a subheading
  // of the article's ("More sanctions expected").
  const std::string_view t = title;
  return t.starts_with("related ") || t.starts_with("more from ") || t.starts_with("more in ") ||
         t.starts_with("more on ") || t.starts_with("читайте также") ||
         (t.starts_with("more ") && (t.ends_with(" stories") || t.ends_with(" news") ||
                                     t.ends_with(" articles") || t.ends_with(" coverage")));
}

// Marks negative every block in a box whose first block is a heading naming other stories
// (IsNavigationTitle). Linear: a count per element of the boxes it opens, summed in document
// order.
void MarkTitledBoxes(const std::vector<Element>& elements, std::vector<Block>& blocks) {
  std::vector<int> opens(elements.size() + 1, 0);
  bool any = false;
  for (size_t b = 0; b < blocks.size(); ++b) {
    const Block& block = blocks[b];
    if (!block.heading || !IsNavigationTitle(block.text)) continue;
    const size_t box = elements[block.paragraph].parent;
    if (box == SIZE_MAX) continue;
    // The heading must open its box: a title inside the article's own container is not one.
    if (b > 0 && blocks[b - 1].element >= box) continue;
    ++opens[box];
    --opens[elements[box].last + 1];
    any = true;
  }
  if (!any) return;
  std::vector<bool> inside(elements.size(), false);
  int depth = 0;
  for (size_t i = 0; i < elements.size(); ++i) {
    depth += opens[i];
    inside[i] = depth > 0;
  }
  for (Block& block : blocks) block.negative = block.negative || inside[block.element];
}

// The text of every <script type="application/ld+json"> in the page, head and body.
std::vector<std::string_view> JsonLdScripts(const GumboNode* root) {
  std::vector<std::string_view> scripts;
  std::vector<const GumboNode*> stack{root};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    const GumboVector& children =
        node->type == GUMBO_NODE_DOCUMENT ? node->v.document.children : node->v.element.children;
    if (node->type == GUMBO_NODE_ELEMENT && node->v.element.tag == GUMBO_TAG_SCRIPT) {
      if (AsciiLower(Attribute(node->v.element, "type")).starts_with("application/ld+json") &&
          children.length > 0) {
        const auto* text = static_cast<const GumboNode*>(children.data[0]);
        if (text->type == GUMBO_NODE_TEXT) scripts.emplace_back(text->v.text.text);
      }
      continue;
    }
    for (unsigned i = children.length; i-- > 0;) {
      const auto* child = static_cast<const GumboNode*>(children.data[i]);
      if (child->type == GUMBO_NODE_ELEMENT || child->type == GUMBO_NODE_TEMPLATE) {
        stack.push_back(child);
      }
    }
  }
  return scripts;
}

bool IsArticleType(const json& type) {
  const auto article = [](const json& t) {
    if (!t.is_string()) return false;
    const auto& s = t.get_ref<const std::string&>();
    return s.ends_with("Article") || s == "BlogPosting" || s == "LiveBlogPosting" ||
           s == "Report" || s == "SocialMediaPosting";
  };
  if (type.is_array()) return std::any_of(type.begin(), type.end(), article);
  return article(type);
}

// The longest articleBody of an article-like object in the page's JSON-LD (at the top, in an
// array, or in @graph); "" when there is none.
std::string JsonLdBody(const std::vector<std::string_view>& scripts) {
  std::string best;
  for (const std::string_view script : scripts) {
    // Without a parser callback, which would cost the square of a container's width
    // (internal/json_shape.h).
    if (internal::ShapeOf(script).depth > kMaxJsonDepth) continue;
    const json document = json::parse(script, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded()) continue;
    std::vector<const json*> stack{&document};
    while (!stack.empty()) {
      const json* node = stack.back();
      stack.pop_back();
      if (node->is_array()) {
        for (const json& child : *node) stack.push_back(&child);
        continue;
      }
      if (!node->is_object()) continue;
      const auto body = node->find("articleBody");
      const auto type = node->find("@type");
      if (body != node->end() && body->is_string() && type != node->end() && IsArticleType(*type) &&
          body->get_ref<const std::string&>().size() > best.size()) {
        best = body->get_ref<const std::string&>();
      }
      for (const char* key : {"@graph", "mainEntity", "mainEntityOfPage", "liveBlogUpdate"}) {
        if (const auto child = node->find(key); child != node->end()) stack.push_back(&*child);
      }
    }
  }
  if (best.find('<') != std::string::npos) return HtmlToParagraphs(best);
  return TextParagraphs(best);
}

// The words of `text`, lower case (ASCII) and without the punctuation around them.
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != ' ' && text[i] != '\n') continue;
    std::string_view word = text.substr(start, i - start);
    start = i + 1;
    while (!word.empty() && std::ispunct(static_cast<unsigned char>(word.front())) != 0) {
      word.remove_prefix(1);
    }
    while (!word.empty() && std::ispunct(static_cast<unsigned char>(word.back())) != 0) {
      word.remove_suffix(1);
    }
    if (!word.empty()) words.push_back(AsciiLower(word));
  }
  return words;
}

// The share of `words` found in `in`.
double Coverage(const std::vector<std::string>& words, const std::unordered_set<std::string>& in) {
  if (words.empty()) return 0;
  const auto found = std::count_if(words.begin(), words.end(),
                                   [&](const std::string& w) { return in.contains(w); });
  return static_cast<double>(found) / static_cast<double>(words.size());
}

// `html` without its scripts and styles (JSON-LD kept), for a page past kHtmlMaxBytes: sites
// inline megabytes of application state before the article, which the size and element limits
// would otherwise keep in place of the article. Linear: each kind's next start tag is searched
// for once past where the last element ended.
std::string WithoutScripts(std::string_view html) {
  std::string out;
  out.reserve(std::min(html.size(), kHtmlMaxBytes));
  size_t pos = 0;
  size_t next_script = FindIgnoringCase(html, "<script");
  size_t next_style = FindIgnoringCase(html, "<style");
  while (true) {
    const size_t at = std::min(next_script, next_style);
    const size_t tag_end = at == std::string_view::npos ? at : html.find('>', at);
    if (tag_end == std::string_view::npos) break;
    const bool script = at == next_script;
    const size_t close = FindIgnoringCase(html, script ? "</script" : "</style", tag_end);
    const size_t end = close == std::string_view::npos ? html.size() : html.find('>', close);
    // An element never closed runs to the end of the page.
    const size_t after = end >= html.size() ? html.size() : end + 1;
    const bool json_ld =
        script && FindIgnoringCase(html.substr(at, tag_end - at), "ld+json") != std::string::npos;
    out.append(html.substr(pos, (json_ld ? after : at) - pos));
    pos = after;
    if (next_script < pos) next_script = FindIgnoringCase(html, "<script", pos);
    if (next_style < pos) next_style = FindIgnoringCase(html, "<style", pos);
  }
  out.append(html.substr(pos));
  return out;
}

// A wire story's last line: who reported, wrote and edited it, not what happened.
bool IsCredit(std::string_view text) {
  for (const std::string_view start : {"Reporting by", "(Reporting by", "Writing by", "Editing by",
                                       "Additional reporting by", "Compiled by"}) {
    if (text.starts_with(start)) return true;
  }
  return text.ends_with("contributed to this report.") ||
         text.ends_with("contributed reporting.") || text.ends_with("contributed to this story.");
}

// The paragraphs of `blocks` (those readable within `root`'s subtree), joined and bounded.
std::string Join(const std::vector<const Block*>& blocks) {
  std::string text;
  size_t paragraphs = 0;
  for (const Block* block : blocks) {
    if (paragraphs == kArticleMaxParagraphs) break;
    if (text.size() + block->text.size() + 1 > kArticleMaxBytes) break;
    if (!text.empty()) text += '\n';
    text += block->text;
    ++paragraphs;
  }
  return text;
}

}  // namespace

std::string_view ArticleSourceName(Article::Source source) {
  switch (source) {
    case Article::Source::kJsonLd:
      return "json-ld";
    case Article::Source::kItemprop:
      return "itemprop";
    case Article::Source::kArticleElement:
      return "article element";
    case Article::Source::kDensestBlock:
      return "densest block";
  }
  return "";
}

std::string HtmlMetaCharset(std::string_view bytes) {
  const std::string head = AsciiLower(bytes.substr(0, 1024));
  for (size_t meta = head.find("<meta"); meta != std::string::npos;
       meta = head.find("<meta", meta + 5)) {
    const size_t end = head.find('>', meta);
    const std::string_view tag =
        std::string_view(head).substr(meta, end == std::string::npos ? end : end - meta);
    const size_t charset = tag.find("charset");
    if (charset == std::string_view::npos) continue;
    size_t pos = charset + 7;
    while (pos < tag.size() && (tag[pos] == ' ' || tag[pos] == '=')) ++pos;
    while (pos < tag.size() && (tag[pos] == '"' || tag[pos] == '\'')) ++pos;
    const size_t stop = tag.find_first_of("\"'; />", pos);
    std::string value(tag.substr(pos, stop == std::string_view::npos ? stop : stop - pos));
    // A document whose bytes are read to find this tag is not UTF-16 or UTF-32, whatever it
    // says: browsers read it as UTF-8 (HTML's encoding sniffing).
    if (value.starts_with("utf-16") || value.starts_with("utf-32") || value == "unicode") {
      return "utf-8";
    }
    if (!value.empty()) return value;
  }
  return "";
}

Result<Article> ExtractArticle(std::string_view page, std::string_view content_type) {
  Article article;
  std::string charset = CharsetFromContentType(content_type);
  if (charset.empty()) charset = HtmlMetaCharset(page);
  Decoded decoded = DecodeToUtf8(page, charset);
  article.encoding = decoded.encoding;
  if (decoded.text.size() > kHtmlMaxBytes) decoded.text = WithoutScripts(decoded.text);
  const std::string_view html = decoded.text;
  const internal::HtmlCut cut = internal::FindHtmlCut(html);
  const internal::GumboDocument document(html.substr(0, cut.offset));
  if (document.root() == nullptr) {
    return Error::InvalidInput("the page could not be read: " +
                               DescribeHtmlLimit(document.limit()));
  }
  PageReader reader;
  reader.Read(document.root());
  std::vector<Element>& elements = reader.elements();
  MarkTitledBoxes(elements, reader.blocks());
  const std::vector<Block>& blocks = reader.blocks();
  // gumbo always makes <html>, <head> and <body>; a page with none is no page.
  if (elements.empty()) return Error::InvalidInput("no article text found on the page");

  // Each block counts for the elements that hold it: prose for, navigation and what the page
  // marks as not the article against, short lines (bylines, dates, buttons) a little against.
  // Prose also counts, as in Readability, for the element holding its paragraph and half for
  // the one above: an article's paragraphs stand side by side, a list of teasers' each in a
  // box of its own.
  for (const Block& block : blocks) {
    if (block.heading) continue;
    double weight = -0.3 * static_cast<double>(block.chars);
    if (block.negative || block.link_density() > kLinkBlockDensity) {
      weight = -static_cast<double>(block.chars);
    } else if (block.prose()) {
      weight = static_cast<double>(block.chars);
      const size_t parent = elements[block.paragraph].parent;
      if (parent != SIZE_MAX) {
        elements[parent].local += weight;
        if (elements[parent].parent != SIZE_MAX)
          elements[elements[parent].parent].local += weight / 2;
      }
    }
    Element& holder = elements[block.element];
    holder.score += weight;
    holder.chars += block.chars;
    holder.link_chars += block.link_chars;
  }
  for (size_t i = elements.size(); i-- > 1;) {
    const size_t parent = elements[i].parent;
    if (parent == SIZE_MAX) continue;
    elements[parent].score += elements[i].score;
    elements[parent].chars += elements[i].chars;
    elements[parent].link_chars += elements[i].link_chars;
  }
  const auto density_score = [&](size_t i) {
    const Element& e = elements[i];
    const double links =
        e.chars == 0 ? 0 : static_cast<double>(e.link_chars) / static_cast<double>(e.chars);
    return e.local * (1 - links);
  };
  size_t densest = 0;
  for (size_t i = 0; i < elements.size(); ++i) {
    if (density_score(i) >= density_score(densest)) densest = i;
  }
  size_t root = densest;
  article.source = Article::Source::kDensestBlock;
  const auto best_of = [&](auto marked) {
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < elements.size(); ++i) {
      if (marked(elements[i]) && (best == SIZE_MAX || elements[i].score > elements[best].score)) {
        best = i;
      }
    }
    return best != SIZE_MAX && elements[best].score > 0 &&
                   elements[best].score >= kCandidateShare * elements[densest].score
               ? best
               : SIZE_MAX;
  };
  if (const size_t item = best_of([](const Element& e) { return e.itemprop_body; });
      item != SIZE_MAX) {
    root = item;
    article.source = Article::Source::kItemprop;
  } else if (const size_t element = best_of([](const Element& e) { return e.article; });
             element != SIZE_MAX) {
    root = element;
    article.source = Article::Source::kArticleElement;
  }
  // Several blocks of the densest one's kind and nearly as dense, under one ancestor, are one
  // text cut into boxes (a live blog's entries, an article around an embedded box): the
  // ancestor is taken, as Readability does.
  if (root == densest) {
    std::vector<size_t> rivals;
    for (size_t i = 0; i < elements.size(); ++i) {
      if (i != densest && elements[i].kind == elements[densest].kind &&
          density_score(i) >= kRivalShare * density_score(densest) &&
          (i < densest || i > elements[densest].last)) {
        rivals.push_back(i);
      }
    }
    for (size_t up = elements[densest].parent; up != SIZE_MAX && rivals.size() >= kRivals;
         up = elements[up].parent) {
      const auto inside = std::count_if(rivals.begin(), rivals.end(),
                                        [&](size_t i) { return i > up && i <= elements[up].last; });
      if (static_cast<size_t>(inside) >= kRivals) {
        // Only when what it adds is text, not navigation around the boxes.
        if (elements[up].score >= elements[densest].score) root = up;
        break;
      }
    }
  }
  std::vector<const Block*> chosen;
  if (elements[root].score > 0) {
    for (const Block& block : blocks) {
      if (block.element >= root && block.element <= elements[root].last && block.readable()) {
        chosen.push_back(&block);
      }
    }
  }
  while (!chosen.empty() && IsCredit(chosen.back()->text)) chosen.pop_back();
  article.text = Join(chosen);

  // JSON-LD: the publisher's own text, when the page shows it. A template's lede, a truncated
  // body or another article's text is either not on the page or leaves prose paragraphs of the
  // markup's choice unaccounted for; the markup then wins. When they agree, the markup's
  // paragraphs that the JSON-LD holds are kept: the markup's paragraphs, the JSON-LD's
  // precision (what else the markup's choice held is a teaser, a caption, a line of credits).
  const std::string ld = JsonLdBody(JsonLdScripts(document.root()));
  if (!ld.empty()) {
    const std::vector<std::string> ld_words = Words(ld);
    std::unordered_set<std::string> page_words;
    for (const Block& block : blocks) {
      for (std::string& word : Words(block.text)) page_words.insert(std::move(word));
    }
    const std::unordered_set<std::string> in_ld(ld_words.begin(), ld_words.end());
    std::vector<const Block*> agreed;
    size_t agreed_words = 0;
    size_t unaccounted_chars = 0;  // prose of the markup's choice that the JSON-LD lacks
    for (const Block* block : chosen) {
      const std::vector<std::string> words = Words(block->text);
      if (Coverage(words, in_ld) >= 0.8) {
        agreed.push_back(block);
        agreed_words += words.size();
      } else if (block->prose()) {
        unaccounted_chars += block->chars;
      }
    }
    if (Coverage(ld_words, page_words) >= 0.8 &&
        static_cast<double>(unaccounted_chars) < 0.8 * static_cast<double>(Utf8Length(ld))) {
      article.source = Article::Source::kJsonLd;
      article.text = static_cast<double>(agreed_words) >= 0.9 * static_cast<double>(ld_words.size())
                         ? Join(agreed)
                         : ShortenUtf8(ld, kArticleMaxBytes);
    }
  }
  if (article.text.empty()) return Error::InvalidInput("no article text found on the page");
  return article;
}

}  // namespace feedwatch::feeds
