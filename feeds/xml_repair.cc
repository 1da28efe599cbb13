#include "feeds/internal/xml_repair.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/text.h"
#include "feeds/encoding.h"
#include "feeds/html_text.h"

namespace feedwatch::feeds::internal {
namespace {

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsXmlPredefined(std::string_view name) {
  return name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos";
}

// The first '&' in `xml` from `from` on that does not start one of XML's five predefined
// references (which escaped HTML is full of), or npos. Sixteen bytes at a time where SSE2 is
// available.
size_t FindUnusualAmpersand(std::string_view xml, size_t from) {
  const auto unusual = [&](size_t at) {
    const std::string_view rest = xml.substr(at + 1, 5);
    return !rest.starts_with("lt;") && !rest.starts_with("gt;") && !rest.starts_with("amp;") &&
           !rest.starts_with("quot;") && !rest.starts_with("apos;");
  };
  size_t i = from;
#ifdef __SSE2__
  for (; i + 16 <= xml.size(); i += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(xml.data() + i));
    auto ampersands =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, _mm_set1_epi8('&'))));
    for (; ampersands != 0; ampersands &= ampersands - 1) {
      const size_t at = i + static_cast<size_t>(__builtin_ctz(ampersands));
      if (unusual(at)) return at;
    }
  }
#endif
  for (; i < xml.size(); ++i) {
    if (xml[i] == '&' && unusual(i)) return i;
  }
  return std::string_view::npos;
}

// Whether the digits of a numeric reference ("x110000", "55296") name no Unicode scalar value.
bool IsUnrepresentable(std::string_view digits) {
  const std::optional<char32_t> value = NumericReferenceValue(digits);
  return value && (*value == 0 || (*value >= 0xD800 && *value <= 0xDFFF) || *value > 0x10FFFF);
}

// Appends `raw` with character references decoded: XML's five, numeric ones and HTML5's
// named ones. Anything else is literal text.
void AppendDecoded(std::string_view raw, std::string& out) {
  size_t pos = 0;
  while (pos < raw.size()) {
    const size_t amp = raw.find('&', pos);
    out.append(raw.substr(pos, amp - pos));
    if (amp == std::string_view::npos) return;
    pos = amp + 1;
    // Within the longest name: a text of ampersands with no semicolon is read once, not once
    // an ampersand.
    const size_t semicolon = raw.substr(pos, 33).find(';');
    if (semicolon == std::string_view::npos) {
      out += '&';
      continue;
    }
    const std::string_view name = raw.substr(pos, semicolon);
    if (name.starts_with('#') && name.size() > 1) {
      const bool hex = name[1] == 'x' || name[1] == 'X';
      const std::optional<char32_t> value = NumericReferenceValue(name.substr(1));
      if (value && name.size() - (hex ? 2 : 1) <= 8 && *value != 0) {
        AppendUtf8(ReferencedCharacter(*value), out);  // U+FFFD past U+10FFFF
        pos += semicolon + 1;
        continue;
      }
    } else if (DecodeNamedReference(name, out)) {
      pos += semicolon + 1;
      continue;
    }
    out += '&';
  }
}

// The position of `needle` at or after `from`, or npos. Searched for by its byte least common in
// XML, `needle[anchor]` ('[' of "<![CDATA[", '!' of "<!--"), with memchr: string_view::find and
// memmem stop at every '<', and in XML '<' is everywhere.
size_t Find(std::string_view haystack, std::string_view needle, size_t from, size_t anchor) {
  size_t pos = from + anchor;
  while (pos < haystack.size()) {
    const void* hit = std::memchr(haystack.data() + pos, needle[anchor], haystack.size() - pos);
    if (hit == nullptr) return std::string_view::npos;
    const auto at = static_cast<size_t>(static_cast<const char*>(hit) - haystack.data());
    const size_t start = at - anchor;
    if (at >= from + anchor && haystack.substr(start, needle.size()) == needle) return start;
    pos = at + 1;
  }
  return std::string_view::npos;
}

// Where each construct is searched for by Find.
size_t FindCdata(std::string_view xml, size_t from) { return Find(xml, "<![CDATA[", from, 2); }
size_t FindComment(std::string_view xml, size_t from) { return Find(xml, "<!--", from, 1); }

// The end of a construct that starts at `pos` and ends with `terminator`; the end of input when
// it is never closed.
size_t SkipPast(std::string_view xml, size_t pos, std::string_view terminator) {
  const size_t end = Find(xml, terminator, pos, 0);
  return end == std::string_view::npos ? xml.size() : end + terminator.size();
}

// A DOCTYPE, internal subset included: '>' inside the [ ] does not end it.
size_t SkipDoctype(std::string_view xml, size_t pos) {
  int depth = 0;
  for (; pos < xml.size(); ++pos) {
    const char c = xml[pos];
    if (c == '"' || c == '\'') {
      const size_t close = xml.find(c, pos + 1);
      if (close == std::string_view::npos) return xml.size();
      pos = close;
    } else if (c == '[') {
      ++depth;
    } else if (c == ']') {
      --depth;
    } else if (c == '>' && depth <= 0) {
      return pos + 1;
    }
  }
  return xml.size();
}

class SoupBuilder {
 public:
  static constexpr size_t kMaxDepth = 512;

  explicit SoupBuilder(pugi::xml_document& document) { stack_.push_back(document); }

  OpenElements Build(std::string_view xml) {
    size_t pos = 0;
    while (pos < xml.size()) {
      const size_t lt = xml.find('<', pos);
      if (lt != pos) Text(xml.substr(pos, lt - pos));
      if (lt == std::string_view::npos) break;
      pos = Markup(xml, lt);
    }
    Flush();
    OpenElements open;
    for (size_t i = 1; i < stack_.size(); ++i) open.insert(stack_[i].internal_object());
    return open;
  }

 private:
  // Text is collected until the next node, so a run of stray '<' costs linear time.
  void Text(std::string_view raw) {
    if (stack_.size() == 1) return;  // text outside the root element
    AppendDecoded(raw, pending_text_);
  }

  void Flush() {
    if (pending_text_.empty()) return;
    stack_.back().append_child(pugi::node_pcdata).set_value(pending_text_.c_str());
    pending_text_.clear();
  }

  // Reads the markup at xml[lt] == '<'; returns the position after it.
  size_t Markup(std::string_view xml, size_t lt) {
    const std::string_view rest = xml.substr(lt);
    if (rest.starts_with("<!--")) return SkipPast(xml, lt + 4, "-->");
    if (rest.starts_with("<![CDATA[")) {
      const size_t end = xml.find("]]>", lt + 9);
      const std::string_view data =
          xml.substr(lt + 9, end == std::string_view::npos ? std::string_view::npos : end - lt - 9);
      if (stack_.size() > 1) {
        Flush();
        stack_.back().append_child(pugi::node_cdata).set_value(std::string(data).c_str());
      }
      return end == std::string_view::npos ? xml.size() : end + 3;
    }
    if (rest.starts_with("<!")) return SkipDoctype(xml, lt + 2);
    if (rest.starts_with("<?")) return SkipPast(xml, lt + 2, "?>");
    if (rest.starts_with("</")) {
      Flush();
      return EndTag(xml, lt + 2);
    }
    if (rest.size() > 1 && IsNameStart(rest[1])) {
      Flush();
      return StartTag(xml, lt + 1);
    }
    Text("<");
    return lt + 1;
  }

  size_t EndTag(std::string_view xml, size_t pos) {
    const size_t name_start = pos;
    while (pos < xml.size() && IsNameChar(xml[pos])) ++pos;
    const std::string_view name = xml.substr(name_start, pos - name_start);
    const size_t end = SkipPast(xml, pos, ">");
    if (end == xml.size() && xml.back() != '>') return end;  // cut off inside the end tag
    // Close the nearest open element of this name; failing that, of this name in any case.
    std::optional<size_t> open = Nearest(std::string(name));
    if (!open) open = Nearest(std::string(kAnyCase) + AsciiLower(name));
    if (open) stack_.resize(*open);
    return end;  // or an end tag nothing opened
  }

  size_t StartTag(std::string_view xml, size_t pos) {
    const size_t name_start = pos;
    while (pos < xml.size() && IsNameChar(xml[pos])) ++pos;
    const std::string name(xml.substr(name_start, pos - name_start));
    std::vector<std::pair<std::string, std::string>> attributes;
    bool self_closing = false;
    while (true) {
      while (pos < xml.size() && IsSpace(xml[pos])) ++pos;
      if (pos >= xml.size()) return xml.size();  // cut off inside the tag: drop it
      if (xml[pos] == '>') {
        ++pos;
        break;
      }
      if (xml[pos] == '/') {
        ++pos;
        if (pos < xml.size() && xml[pos] == '>') {
          self_closing = true;
          ++pos;
          break;
        }
        continue;
      }
      const size_t attribute_start = pos;
      while (pos < xml.size() && !IsSpace(xml[pos]) && xml[pos] != '=' && xml[pos] != '>' &&
             xml[pos] != '/') {
        ++pos;
      }
      std::string attribute(xml.substr(attribute_start, pos - attribute_start));
      while (pos < xml.size() && IsSpace(xml[pos])) ++pos;
      std::string value;
      if (pos < xml.size() && xml[pos] == '=') {
        ++pos;
        while (pos < xml.size() && IsSpace(xml[pos])) ++pos;
        if (pos >= xml.size()) return xml.size();
        size_t value_end = 0;
        if (xml[pos] == '"' || xml[pos] == '\'') {
          value_end = xml.find(xml[pos], pos + 1);
          if (value_end == std::string_view::npos) return xml.size();
          AppendDecoded(xml.substr(pos + 1, value_end - pos - 1), value);
          pos = value_end + 1;
        } else {
          value_end = pos;
          while (value_end < xml.size() && !IsSpace(xml[value_end]) && xml[value_end] != '>') {
            ++value_end;
          }
          AppendDecoded(xml.substr(pos, value_end - pos), value);
          pos = value_end;
        }
      }
      if (!attribute.empty()) attributes.emplace_back(std::move(attribute), std::move(value));
    }
    CloseUpToContainerOf(name);
    pugi::xml_node element = stack_.back().append_child(name.c_str());
    // The first of a name is kept, found in a set: pugixml's attribute() walks a list, and a
    // tag of a million attributes would cost half a trillion steps.
    std::unordered_set<std::string_view> kept;
    for (const auto& [attribute, value] : attributes) {
      if (kept.insert(attribute).second) {
        element.append_attribute(attribute.c_str()).set_value(value.c_str());
      }
    }
    // Past kMaxDepth nothing nests further: no walk over the tree can run out of stack.
    if (!self_closing && stack_.size() <= kMaxDepth) Push(element, name);
    return pos;
  }

  // Open elements are found by name in amortised constant time, not by walking the stack: a
  // document 512 elements deep followed by a million end tags that close nothing would cost
  // half a billion comparisons. Each key lists (stack index, element) in the order they were
  // opened; an entry whose element is no longer open is dropped when it is next looked at.
  static constexpr std::string_view kAnyCase = "\x01";  // prefix of lower-cased names
  static constexpr std::string_view kItemContainer = "\x02item";
  static constexpr std::string_view kEntryContainer = "\x02entry";

  void Push(pugi::xml_node element, const std::string& name) {
    const size_t index = stack_.size();
    stack_.push_back(element);
    open_[name].emplace_back(index, element);
    open_[std::string(kAnyCase) + AsciiLower(name)].emplace_back(index, element);
    const std::string_view local = std::string_view(name).substr(name.find(':') + 1);
    if (EqualsIgnoringCase(local, "channel") || EqualsIgnoringCase(local, "rss") ||
        EqualsIgnoringCase(local, "RDF")) {
      open_[std::string(kItemContainer)].emplace_back(index, element);
    } else if (EqualsIgnoringCase(local, "feed")) {
      open_[std::string(kEntryContainer)].emplace_back(index, element);
    }
  }

  // The stack index of the innermost open element listed under `key`.
  std::optional<size_t> Nearest(const std::string& key) {
    const auto it = open_.find(key);
    if (it == open_.end()) return std::nullopt;
    auto& entries = it->second;
    while (!entries.empty()) {
      const auto& [index, element] = entries.back();
      if (index < stack_.size() && stack_[index] == element) return index;
      entries.pop_back();
    }
    return std::nullopt;
  }

  // An <item> or <entry> is never inside anything but its channel or feed: one that starts
  // inside an element left unclosed (a podcast's nested <itunes:category> in the header, an
  // item without its end tag) closes what is open back to its container, as HTML's parser
  // closes a <p> at a <div>. Without this every item became a child of the unclosed element
  // and the feed read as empty.
  void CloseUpToContainerOf(std::string_view name) {
    const bool item = EqualsIgnoringCase(name, "item");
    if (!item && !EqualsIgnoringCase(name, "entry")) return;
    if (const std::optional<size_t> container =
            Nearest(std::string(item ? kItemContainer : kEntryContainer))) {
      stack_.resize(*container + 1);
    }
  }

  std::vector<pugi::xml_node> stack_;  // stack_[0] is the document
  std::unordered_map<std::string, std::vector<std::pair<size_t, pugi::xml_node>>> open_;
  std::string pending_text_;
};

}  // namespace

std::optional<std::string> ReplaceHtmlReferences(std::string_view xml) {
  std::optional<std::string> out;
  size_t copied = 0;  // xml[0, copied) is in *out already
  // The next CDATA section and comment; references inside them are not references.
  size_t cdata = FindCdata(xml, 0);
  size_t comment = FindComment(xml, 0);
  size_t pos = 0;
  while (true) {
    const size_t special = FindUnusualAmpersand(xml, pos);
    if (special == std::string_view::npos) break;
    bool inside = false;
    while (std::min(cdata, comment) < special) {
      const bool is_cdata = cdata < comment;
      const size_t end =
          is_cdata ? SkipPast(xml, cdata + 9, "]]>") : SkipPast(xml, comment + 4, "-->");
      // Searched again only when passed: a document without comments is searched once.
      if (cdata < end) cdata = FindCdata(xml, end);
      if (comment < end) comment = FindComment(xml, end);
      if (end > special) {
        pos = end;
        inside = true;
        break;
      }
    }
    if (inside) continue;
    size_t end = special + 1;
    const bool numeric = end < xml.size() && xml[end] == '#';
    if (numeric) ++end;
    while (end < xml.size() && end - special <= 33 && IsNameChar(xml[end])) ++end;
    pos = end;
    if (end >= xml.size() || xml[end] != ';' || end == special + 1) continue;
    const std::string_view name = xml.substr(special + 1, end - special - 1);
    std::string text;
    if (numeric) {
      // pugixml would write a surrogate or a value past U+10FFFF as invalid UTF-8, and 128-159
      // as the C1 controls XML says they are.
      const std::optional<char32_t> value = NumericReferenceValue(name.substr(1));
      if (IsUnrepresentable(name.substr(1))) {
        text = "\uFFFD";
      } else if (value && ReferencedCharacter(*value) != *value) {
        AppendUtf8(ReferencedCharacter(*value), text);
      } else {
        continue;
      }
    } else if (IsXmlPredefined(name) || !IsNameStart(name[0]) ||
               !DecodeNamedReference(name, text)) {
      continue;
    }
    if (!out) out.emplace();
    out->append(xml.substr(copied, special - copied));
    // As numeric references, so that "<" from a reference stays text.
    for (size_t i = 0; i < text.size();) {
      const auto c = static_cast<unsigned char>(text[i]);
      const size_t length = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      char32_t value = length == 1 ? c : c & (0xFF >> (length + 1));
      for (size_t k = 1; k < length && i + k < text.size(); ++k) {
        value = (value << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
      }
      *out += "&#" + std::to_string(static_cast<uint32_t>(value)) + ";";
      i += length;
    }
    copied = end + 1;
  }
  if (out) out->append(xml.substr(copied));
  return out;
}

std::optional<char32_t> NumericReferenceValue(std::string_view digits) {
  const bool hex = !digits.empty() && (digits[0] == 'x' || digits[0] == 'X');
  if (hex) digits.remove_prefix(1);
  if (digits.empty()) return std::nullopt;
  char32_t value = 0;
  for (const char c : digits) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (hex && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (hex && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0) return std::nullopt;
    value = std::min<char32_t>(value * (hex ? 16 : 10) + static_cast<char32_t>(digit), 0x110000);
  }
  return value;
}

StrictParse ParseStrictly(std::string_view xml, pugi::xml_document& document) {
  StrictParse parse;
  parse.input = ReplaceHtmlReferences(xml).value_or(std::string(xml));
  parse.result =
      document.load_buffer(parse.input.data(), parse.input.size(),
                           pugi::parse_default | pugi::parse_ws_pcdata, pugi::encoding_utf8);
  return parse;
}

OpenElements ParseLeniently(std::string_view xml, pugi::xml_document& document) {
  return SoupBuilder(document).Build(xml);
}

}  // namespace feedwatch::feeds::internal
