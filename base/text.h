// Small text helpers shared by the modules: ASCII case for the names formats define (element
// names, charsets, zones), and UTF-8 for text rendered for people.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace feedwatch {

// U+FFFD, in UTF-8: what stands for bytes that are not text.
inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid (overlong forms,
// surrogates and values past U+10FFFF included).
inline size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  const auto continuation = [&](size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return continuation(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!continuation(i + 1) || !continuation(i + 2)) return 0;
    const unsigned char c1 = byte(i + 1);
    if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!continuation(i + 1) || !continuation(i + 2) || !continuation(i + 3)) return 0;
    const unsigned char c1 = byte(i + 1);
    if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
    if (c == 0xF4 && c1 >= 0x90) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

// Appends `in` to `out` with each byte that starts no valid UTF-8 sequence replaced by U+FFFD;
// returns how many were replaced.
inline size_t CopyUtf8Replacing(std::string_view in, std::string& out) {
  size_t replaced = 0;
  out.reserve(out.size() + in.size());
  for (size_t i = 0; i < in.size();) {
    const size_t length = Utf8SequenceLength(in, i);
    if (length == 0) {
      out += kUtf8Replacement;
      ++replaced;
      ++i;
    } else {
      out.append(in.substr(i, length));
      i += length;
    }
  }
  return replaced;
}

// `text` with each byte that starts no valid UTF-8 sequence replaced by U+FFFD, and each
// character (one whole sequence) handed to `keep(character, out)`, which appends what stays of
// it to `out`: the character, something in its place, or nothing.
template <typename Keep>
std::string FilterUtf8(std::string_view text, Keep keep) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      out += kUtf8Replacement;
      ++i;
      continue;
    }
    keep(text.substr(i, length), out);
    i += length;
  }
  return out;
}

// `c` in lower case if it is an ASCII capital letter, else as it is: unlike std::tolower, never
// touched by the locale, and usable at compile time.
constexpr char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// "1 feed", "3 feeds": `n` and the noun in its singular or plural.
inline std::string Counted(std::int64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// Levenshtein distance of two byte strings (names, keys: short).
inline size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// For "did you mean": the candidate closest to a mistyped `word`, if one is close enough (a
// third of its length, at least two edits); "" when none is.
template <typename Names>
std::string_view Closest(std::string_view word, const Names& candidates) {
  std::string_view best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    const size_t distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

// `text` with its ASCII capitals in lower case.
inline std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

// Whether `a` and `b` are equal but for ASCII case.
constexpr bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// The first position from `from` where `needle` (non-empty) stands in `text` but for ASCII
// case; npos when nowhere. Costs the text's length times the needle's: for short needles.
inline size_t FindIgnoringCase(std::string_view text, std::string_view needle, size_t from = 0) {
  for (size_t i = from; i + needle.size() <= text.size(); ++i) {
    if (EqualsIgnoringCase(text.substr(i, needle.size()), needle)) return i;
  }
  return std::string_view::npos;
}

// At most `max_bytes` of `text`, cut at a character boundary and ended with "…" when cut.
inline std::string ShortenUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "…";
}

// At most about `max_bytes` of `text`, cut after the last whole word that fits and ended with
// "…" when cut: for ledes shown to people. A text with no space in reach is cut at a character
// boundary instead.
inline std::string ShortenAtWord(std::string_view text, size_t max_bytes = 400) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t end = text.rfind(' ', max_bytes);
  if (end == std::string_view::npos || end < max_bytes / 2) return ShortenUtf8(text, max_bytes);
  while (end > 0 && std::string_view(",;:-(").find(text[end - 1]) != std::string_view::npos) {
    --end;
  }
  return std::string(text.substr(0, end)) + "…";
}

// Text with paragraphs (feeds::Item's summary and content: one '\n' between paragraphs) read as
// one line, each break a space. The same bytes at the same offsets, so positions in the text
// hold in the line; and the line is the text as feedwatch read it before it kept paragraphs,
// which the identities it hashes (item keys, content hashes) rest on.
inline std::string ParagraphsAsLine(std::string_view text) {
  std::string out(text);
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

// `text` with &, <, >, " and ' escaped: safe as HTML or XML text and inside a quoted
// attribute (and in Telegram's and Matrix's HTML subsets).
inline std::string HtmlEscape(std::string_view text) {
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
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// `text` with each %XX replaced by its byte (RFC 3986 percent-decoding); nullopt when a '%' is
// not followed by two hex digits.
inline std::optional<std::string> PercentDecode(std::string_view text) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = AsciiLower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex(text[i + 1]);
    const int low = hex(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// What may be logged or stored of text a peer sent (an error body, a Location header). Every
// form of each of `secrets` in it is replaced by "<redacted>" before anything is cut, so no
// part of one survives the cut: as is, percent-encoded (RFC 3986's reserved characters only, or
// every byte; either case of hex) and JSON-escaped ("\/"). Then control characters become
// spaces (a peer's ESC or BEL never reaches a terminal), bytes that are not UTF-8 become
// U+FFFD, and the text is cut to `max_bytes` at a character.
inline std::string PeerText(std::string_view text, const std::vector<std::string_view>& secrets,
                            size_t max_bytes) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  CopyUtf8Replacing(text, out);
  const auto redact = [&](const std::string& form, bool any_case) {
    if (form.empty()) return;
    for (size_t at = 0; at < out.size();) {
      at = any_case ? FindIgnoringCase(out, form, at) : out.find(form, at);
      if (at == std::string::npos) return;
      out.replace(at, form.size(), "<redacted>");
      at += 10;
    }
  };
  for (const std::string_view secret : secrets) {
    if (secret.size() < 4) continue;  // too short to tell from other text
    std::string reserved, every, json;
    for (const char c : secret) {
      const auto byte = static_cast<unsigned char>(c);
      const std::string encoded = {'%', kHex[byte >> 4], kHex[byte & 0x0F]};
      const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                              c == '~';
      reserved += unreserved ? std::string(1, c) : encoded;
      every += encoded;
      json += c == '/' ? std::string("\\/") : std::string(1, c);
    }
    redact(std::string(secret), false);
    redact(reserved, true);
    redact(every, true);
    redact(json, false);
  }
  std::string clean;
  clean.reserve(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const auto byte = static_cast<unsigned char>(out[i]);
    const bool c1 = byte == 0xC2 && i + 1 < out.size() &&
                    static_cast<unsigned char>(out[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(out[i + 1]) <= 0x9F;
    if (byte < 0x20 || byte == 0x7F || c1) {
      clean += ' ';
      if (c1) ++i;
    } else {
      clean += out[i];
    }
  }
  return ShortenUtf8(clean, max_bytes);
}

// `line` of an input and a caret under its `column`th character (counted from 1, in characters),
// each indented by two spaces: "  a AND (b\n         ^". Tabs before the column are copied, so
// the caret lines up however the terminal sets its tab stops.
inline std::string Caret(std::string_view line, size_t column) {
  std::string out = "  " + std::string(line) + "\n  ";
  size_t characters = 0;
  for (size_t i = 0; i < line.size() && characters + 1 < column; ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if ((c & 0xC0) == 0x80) continue;
    out += c == '\t' ? '\t' : ' ';
    ++characters;
  }
  return out + '^';
}

}  // namespace feedwatch
