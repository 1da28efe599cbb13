#include "filters/document.h"

#include <algorithm>

namespace feedwatch::filters {
namespace {

constexpr std::array<std::string_view, kFieldCount> kFieldNames{
    "title", "summary", "content", "author", "category", "feed", "link"};

size_t BodyIndex(Field field) { return field == Field::kSummary ? 0 : 1; }

}  // namespace

std::string_view FieldName(Field field) { return kFieldNames[static_cast<size_t>(field)]; }

std::optional<Field> FieldNamed(std::string_view name) {
  for (size_t i = 0; i < kFieldNames.size(); ++i) {
    if (kFieldNames[i] == name) return static_cast<Field>(i);
  }
  return std::nullopt;
}

Document::Document(const DocumentFields& fields, bool fold_accents)
    : text_{std::string(fields.title),  std::string(fields.summary),  std::string(fields.content),
            std::string(fields.author), std::string(fields.category), std::string(fields.feed),
            std::string(fields.link)} {
  for (size_t f = 0; f < kFieldCount; ++f) {
    AppendTokens(text_[f], /*fold_accents=*/false, tokens_[f]);
    if (fold_accents) AppendTokens(text_[f], /*fold_accents=*/true, accent_tokens_[f]);
  }
  index_ = Index(tokens_);
  if (fold_accents) accent_index_ = Index(accent_tokens_);
  CutPassages();
}

void Document::CutPassages() {
  // Accent folding changes no token boundary, so one cut serves both token sets.
  uint32_t next = 1;
  for (const Field field : {Field::kSummary, Field::kContent}) {
    const std::vector<Token>& tokens = tokens_[static_cast<size_t>(field)];
    Passages& passages = passages_[BodyIndex(field)];
    passages.first = std::min(next, kMaxPassages);
    if (tokens.empty()) continue;
    passages.starts.push_back(0);
    if (next > kMaxPassages) continue;  // the summary took every passage: this joins its last
    const std::string_view text = text_[static_cast<size_t>(field)];
    size_t token = 0;
    for (size_t newline = text.find('\n'); newline != std::string_view::npos;
         newline = text.find('\n', newline + 1)) {
      if (next + passages.starts.size() > kMaxPassages) break;
      while (token < tokens.size() && tokens[token].begin < newline) ++token;
      if (token == tokens.size()) break;
      // Paragraphs with no words (a row of dashes, an image's place) make no passage.
      if (passages.starts.back() != token) passages.starts.push_back(static_cast<uint32_t>(token));
    }
    next += static_cast<uint32_t>(passages.starts.size());
  }
  passage_count_ = std::clamp<uint32_t>(next - 1, 1, kMaxPassages);
}

Document::Place Document::PlaceOf(Field field, uint32_t position) const {
  if (!IsBody(field)) {
    return {0, position, 0, static_cast<uint32_t>(tokens_[static_cast<size_t>(field)].size())};
  }
  const Passages& passages = passages_[BodyIndex(field)];
  const auto after = std::upper_bound(passages.starts.begin(), passages.starts.end(), position);
  const auto index = static_cast<uint32_t>(after - passages.starts.begin()) - 1;
  const uint32_t begin = passages.starts[index];
  const uint32_t end = after == passages.starts.end()
                           ? static_cast<uint32_t>(tokens_[static_cast<size_t>(field)].size())
                           : *after;
  return {passages.first + index, position - begin, begin, end};
}

std::vector<Document::Posting> Document::Index(const Tokens& tokens) {
  std::vector<Posting> index;
  size_t count = 0;
  for (const std::vector<Token>& field : tokens) count += field.size();
  index.reserve(count);
  for (size_t f = 0; f < kFieldCount; ++f) {
    for (uint32_t p = 0; p < tokens[f].size(); ++p) index.push_back({static_cast<Field>(f), p});
  }
  const auto text = [&](const Posting& posting) -> const std::string& {
    return tokens[static_cast<size_t>(posting.field)][posting.position].text;
  };
  // Equal tokens in field and position order.
  std::sort(index.begin(), index.end(), [&](const Posting& a, const Posting& b) {
    const int order = text(a).compare(text(b));
    if (order != 0) return order < 0;
    return a.field != b.field ? a.field < b.field : a.position < b.position;
  });
  return index;
}

std::string_view Document::TokenAt(const Posting& posting, bool accents) const {
  return tokens(posting.field, accents)[posting.position].text;
}

std::span<const Document::Posting> Document::Find(std::string_view text, bool prefix,
                                                  bool accents) const {
  const std::vector<Posting>& index = accents ? accent_index_ : index_;
  const auto first = std::lower_bound(
      index.begin(), index.end(), text,
      [&](const Posting& posting, std::string_view t) { return TokenAt(posting, accents) < t; });
  auto last = first;
  if (prefix) {
    while (last != index.end() && TokenAt(*last, accents).starts_with(text)) ++last;
  } else {
    while (last != index.end() && TokenAt(*last, accents) == text) ++last;
  }
  return {first, last};
}

std::vector<std::string_view> Document::DistinctTokens(bool accents) const {
  const std::vector<Posting>& index = accents ? accent_index_ : index_;
  std::vector<std::string_view> out;
  for (const Posting& posting : index) {
    const std::string_view token = TokenAt(posting, accents);
    if (out.empty() || out.back() != token) out.push_back(token);
  }
  return out;
}

}  // namespace feedwatch::filters
