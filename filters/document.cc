#include "filters/document.h"

#include <algorithm>

namespace feedwatch::filters {
namespace {

constexpr std::array<std::string_view, kFieldCount> kFieldNames{
    "title", "summary", "content", "author", "category", "feed", "link"};

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
