#include "filters/tokenize.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include "base/text.h"

namespace feedwatch::filters {
namespace {

bool IsWordCodepoint(utf8proc_int32_t cp) {
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
  }
  if (cp >= 0x400 && cp <= 0x47F) return true;  // Cyrillic letters, every one of them
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

// Folds a word of ASCII letters and digits and the 66 letters of the Russian alphabet, the
// common case in our feeds, without utf8proc: NFKC leaves them alone and case folding is a
// table that keeps every letter's length, so the word is written folded to `out`, word.size()
// bytes. False for anything else (`out` then holds part of it).
bool FoldSimple(std::string_view word, char* out) {
  for (size_t i = 0; i < word.size(); ++i) {
    const auto c = static_cast<unsigned char>(word[i]);
    if (c < 0x80) {
      out[i] = AsciiLower(static_cast<char>(c));
      continue;
    }
    if (i + 1 >= word.size()) return false;
    const auto d = static_cast<unsigned char>(word[i + 1]);
    if (c == 0xD0 && d >= 0x90 && d <= 0x9F) {  // А-П -> а-п
      out[i] = '\xD0';
      out[i + 1] = static_cast<char>(d + 0x20);
    } else if (c == 0xD0 && d >= 0xA0 && d <= 0xAF) {  // Р-Я -> р-я
      out[i] = '\xD1';
      out[i + 1] = static_cast<char>(d - 0x20);
    } else if ((c == 0xD0 && d == 0x81) || (c == 0xD1 && d == 0x91)) {  // Ё, ё -> е
      out[i] = '\xD0';
      out[i + 1] = '\xB5';
    } else if ((c == 0xD0 && d >= 0xB0 && d <= 0xBF) || (c == 0xD1 && d >= 0x80 && d <= 0x8F)) {
      out[i] = static_cast<char>(c);
      out[i + 1] = static_cast<char>(d);
    } else {
      return false;  // not а-я
    }
    ++i;
  }
  return true;
}

// utf8proc puts a run of combining marks in canonical order by swapping neighbours: time
// quadratic in the run. No word of a language is this long, and a longer one (a page's run of
// marks, written to stall the matching) is folded this many bytes at a time.
constexpr size_t kFoldedAtOnce = 256;

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Where the piece of `word` that starts at `begin` ends: before the last letter (a code point
// of combining class 0) within kFoldedAtOnce bytes, so that marks stay with their letter; in
// a run of marks alone, before the code point those bytes end in.
size_t PieceEnd(std::string_view word, size_t begin) {
  if (word.size() - begin <= kFoldedAtOnce) return word.size();
  size_t end = begin + kFoldedAtOnce;
  while (end > begin + 1 && IsContinuationByte(word[end])) --end;
  for (size_t at = end; at > begin;) {
    utf8proc_int32_t cp = -1;
    utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(word.data() + at),
                     static_cast<utf8proc_ssize_t>(word.size() - at), &cp);
    if (cp >= 0 && utf8proc_get_property(cp)->combining_class == 0) return at;
    do {
      --at;
    } while (at > begin && IsContinuationByte(word[at]));
  }
  return end;
}

// `word` folded as a token is (it is not split) by utf8proc, into `out`: for the words
// FoldSimple does not fold.
void FoldUnicode(std::string_view word, bool fold_accents, std::string& out) {
  auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                                UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
  if (fold_accents) options = static_cast<utf8proc_option_t>(options | UTF8PROC_STRIPMARK);
  out.clear();
  for (size_t begin = 0; begin < word.size();) {
    const size_t end = PieceEnd(word, begin);
    const std::string_view part = word.substr(begin, end - begin);
    begin = end;
    utf8proc_uint8_t* mapped = nullptr;
    const utf8proc_ssize_t n =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(part.data()),
                     static_cast<utf8proc_ssize_t>(part.size()), &mapped, options);
    if (n < 0) {  // cannot happen: the caller passes valid UTF-8 only
      out.append(part);
      continue;
    }
    const std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(mapped, &std::free);
    out.append(reinterpret_cast<const char*>(mapped), static_cast<size_t>(n));
  }
  // ё (U+0451, D1 91) is written as е (U+0435, D0 B5) in most Russian text.
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    if (static_cast<unsigned char>(out[i]) == 0xD1 &&
        static_cast<unsigned char>(out[i + 1]) == 0x91) {
      out[i] = static_cast<char>(0xD0);
      out[i + 1] = static_cast<char>(0xB5);
    }
  }
}

}  // namespace

TokenTexts::TokenTexts(TokenTexts&& other) noexcept
    : blocks_(std::move(other.blocks_)),
      first_block_(other.first_block_),
      next_(std::exchange(other.next_, nullptr)),
      left_(std::exchange(other.left_, 0)) {}

TokenTexts& TokenTexts::operator=(TokenTexts&& other) noexcept {
  blocks_ = std::move(other.blocks_);
  first_block_ = other.first_block_;
  next_ = std::exchange(other.next_, nullptr);
  left_ = std::exchange(other.left_, 0);
  return *this;
}

char* TokenTexts::Reserve(size_t size) {
  if (size > left_) {
    const size_t block =
        std::max({size, blocks_.empty() ? first_block_ : size_t{4096}, size_t{64}});
    // NOLINTNEXTLINE(modernize-avoid-c-arrays): a block of a size known at run time
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(block));
    next_ = blocks_.back().get();
    left_ = block;
  }
  return next_;
}

std::string_view TokenTexts::Keep(size_t size) {
  const std::string_view kept(next_, size);
  next_ += size;
  left_ -= size;
  return kept;
}

std::string_view TokenTexts::Add(std::string_view text) {
  char* const place = Reserve(text.size());
  if (!text.empty()) std::memcpy(place, text.data(), text.size());
  return Keep(text.size());
}

void AppendTokens(std::string_view utf8, bool fold_accents, TokenTexts& texts,
                  std::vector<Token>& out) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  const auto size = static_cast<utf8proc_ssize_t>(utf8.size());
  utf8proc_ssize_t pos = 0;
  utf8proc_ssize_t word_begin = -1;
  std::string folded;  // one buffer for the words utf8proc folds
  const auto emit = [&](utf8proc_ssize_t end) {
    const std::string_view word = utf8.substr(word_begin, end - word_begin);
    // Folded in place where it is kept, most words; basic Russian letters carry no marks but
    // ё and й, and й keeps its breve unless accents fold.
    char* const place = texts.Reserve(word.size());
    std::string_view text;
    if (FoldSimple(word, place) &&
        (!fold_accents ||
         std::string_view(place, word.size()).find("\xD0\xB9") == std::string_view::npos)) {
      text = texts.Keep(word.size());
    } else {
      FoldUnicode(word, fold_accents, folded);
      text = texts.Add(folded);
    }
    out.push_back({text, static_cast<uint32_t>(word_begin), static_cast<uint32_t>(end)});
    word_begin = -1;
  };
  while (pos < size) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t len = 1;
    bool valid = true;
    if (bytes[pos] < 0x80) {
      cp = bytes[pos];
    } else if ((bytes[pos] == 0xD0 || bytes[pos] == 0xD1) && pos + 1 < size &&
               (bytes[pos + 1] & 0xC0) == 0x80) {
      // U+0400-U+047F, Cyrillic letters all: the common case in Russian text, without utf8proc.
      cp = (bytes[pos] & 0x1F) << 6 | (bytes[pos + 1] & 0x3F);
      len = 2;
    } else {
      len = utf8proc_iterate(bytes + pos, size - pos, &cp);
      valid = len > 0;
      if (!valid) len = 1;
    }
    const bool word = valid && IsWordCodepoint(cp);
    if (word && word_begin < 0) word_begin = pos;
    if (!word && word_begin >= 0) emit(pos);
    pos += len;
  }
  if (word_begin >= 0) emit(size);
}

std::vector<std::string> Tokenize(std::string_view utf8, bool fold_accents) {
  TokenTexts texts(utf8.size());
  std::vector<Token> tokens;
  AppendTokens(utf8, fold_accents, texts, tokens);
  std::vector<std::string> out;
  out.reserve(tokens.size());
  for (const Token& token : tokens) out.emplace_back(token.text);
  return out;
}

}  // namespace feedwatch::filters
