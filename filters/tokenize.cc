#include "filters/tokenize.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

namespace feedwatch::filters {
namespace {

bool IsWordCodepoint(utf8proc_int32_t cp) {
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

bool IsAscii(std::string_view s) {
  for (const unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

std::string Fold(std::string_view word) {
  if (IsAscii(word)) {
    // ASCII letters and digits are already in NFKC; case folding is lower-casing. This is the
    // common case for English feeds and skips utf8proc's allocation.
    std::string out(word);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }
  utf8proc_uint8_t* mapped = nullptr;
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                                      UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(word.data()),
                   static_cast<utf8proc_ssize_t>(word.size()), &mapped, options);
  if (n < 0) return std::string(word);  // cannot happen: the caller passes valid UTF-8 only
  const std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(mapped, &std::free);
  std::string out(reinterpret_cast<const char*>(mapped), static_cast<size_t>(n));
  // ё (U+0451, D1 91) is written as е (U+0435, D0 B5) in most Russian text.
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    if (static_cast<unsigned char>(out[i]) == 0xD1 &&
        static_cast<unsigned char>(out[i + 1]) == 0x91) {
      out[i] = static_cast<char>(0xD0);
      out[i + 1] = static_cast<char>(0xB5);
    }
  }
  return out;
}

}  // namespace

void AppendTokens(std::string_view utf8, std::vector<std::string>& out) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  const auto size = static_cast<utf8proc_ssize_t>(utf8.size());
  utf8proc_ssize_t pos = 0;
  utf8proc_ssize_t word_begin = -1;
  while (pos < size) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t len = utf8proc_iterate(bytes + pos, size - pos, &cp);
    const bool valid = len > 0;
    if (!valid) len = 1;
    const bool word = valid && IsWordCodepoint(cp);
    if (word && word_begin < 0) word_begin = pos;
    if (!word && word_begin >= 0) {
      out.push_back(Fold(utf8.substr(word_begin, pos - word_begin)));
      word_begin = -1;
    }
    pos += len;
  }
  if (word_begin >= 0) out.push_back(Fold(utf8.substr(word_begin)));
}

std::vector<std::string> Tokenize(std::string_view utf8) {
  std::vector<std::string> out;
  AppendTokens(utf8, out);
  return out;
}

}  // namespace feedwatch::filters
