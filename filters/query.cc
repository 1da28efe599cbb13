#include "filters/query.h"

#include <string>

#include "filters/tokenize.h"

namespace feedwatch::filters {
namespace {

// Column of byte `offset` in `text`, counted in UTF-8 characters from 1.
size_t ColumnAt(std::string_view text, size_t offset) {
  size_t column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
  }
  return column;
}

Error ErrorAt(std::string_view text, size_t offset, const std::string& message) {
  return Error::InvalidInput("1:" + std::to_string(ColumnAt(text, offset)) + ": " + message);
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

Document Document::FromFields(const std::vector<std::string_view>& fields) {
  Document document;
  for (const std::string_view field : fields) {
    AppendTokens(field, document.tokens_);
    document.tokens_.emplace_back();
  }
  return document;
}

Result<Query> Query::Parse(std::string_view text) {
  Query query;
  size_t pos = 0;
  bool expect_operand = true;
  while (true) {
    while (pos < text.size() && IsSpace(text[pos])) ++pos;
    if (pos == text.size()) break;
    const size_t start = pos;
    std::string_view raw;
    bool quoted = false;
    if (text[pos] == '"') {
      const size_t close = text.find('"', pos + 1);
      if (close == std::string_view::npos) {
        return ErrorAt(text, start, "unclosed '\"': expected a closing quote");
      }
      raw = text.substr(pos + 1, close - pos - 1);
      pos = close + 1;
      quoted = true;
    } else {
      while (pos < text.size() && !IsSpace(text[pos]) && text[pos] != '"') ++pos;
      raw = text.substr(start, pos - start);
    }

    if (!quoted && raw == "OR") {
      if (expect_operand) return ErrorAt(text, start, "expected a word or phrase before OR");
      expect_operand = true;
      continue;
    }
    if (!quoted && (raw == "AND" || raw == "NOT" || raw.find_first_of("()") != raw.npos)) {
      return ErrorAt(text, start,
                     "only words, \"phrases\" and prefix* joined by OR are supported here");
    }
    if (!expect_operand) {
      return ErrorAt(text, start, "expected OR between alternatives");
    }

    // Split the operand on '*' boundaries so that `consult*` is a prefix term and a `*` inside
    // a word is rejected rather than silently ignored.
    Phrase phrase;
    size_t word_start = 0;
    while (word_start <= raw.size()) {
      size_t word_end = raw.find_first_of(" \t\r\n", word_start);
      if (word_end == std::string_view::npos) word_end = raw.size();
      std::string_view word = raw.substr(word_start, word_end - word_start);
      if (!word.empty()) {
        const bool prefix = word.back() == '*';
        if (prefix) word.remove_suffix(1);
        const size_t word_offset = start + (quoted ? 1 : 0) + word_start;
        if (word.find('*') != std::string_view::npos) {
          return ErrorAt(text, word_offset, "'*' may only end a word");
        }
        const std::vector<std::string> tokens = Tokenize(word);
        if (tokens.empty()) {
          return ErrorAt(text, word_offset, "expected a word with at least one letter or digit");
        }
        for (size_t i = 0; i < tokens.size(); ++i) {
          phrase.push_back(Term{tokens[i], prefix && i + 1 == tokens.size()});
        }
      }
      word_start = word_end + 1;
    }
    if (phrase.empty()) return ErrorAt(text, start, "empty phrase");
    query.alternatives_.push_back(std::move(phrase));
    expect_operand = false;
  }
  if (query.alternatives_.empty()) return ErrorAt(text, 0, "empty query");
  if (expect_operand) return ErrorAt(text, text.size(), "expected a word or phrase after OR");
  return query;
}

bool Query::PhraseAt(const Phrase& phrase, const std::vector<std::string>& tokens, size_t at) {
  if (at + phrase.size() > tokens.size()) return false;
  for (size_t i = 0; i < phrase.size(); ++i) {
    const std::string& token = tokens[at + i];
    const Term& term = phrase[i];
    if (token.empty()) return false;  // field boundary
    if (term.prefix ? !token.starts_with(term.text) : token != term.text) return false;
  }
  return true;
}

bool Query::Matches(const Document& document) const {
  for (const Phrase& phrase : alternatives_) {
    for (size_t i = 0; i < document.tokens_.size(); ++i) {
      if (PhraseAt(phrase, document.tokens_, i)) return true;
    }
  }
  return false;
}

}  // namespace feedwatch::filters
