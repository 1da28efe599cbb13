// The searchable text of one item: every field tokenised once, then every watch is evaluated
// against it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "filters/tokenize.h"

namespace feedwatch::filters {

enum class Field : uint8_t { kTitle, kSummary, kContent, kAuthor, kCategory, kFeed, kLink };
constexpr size_t kFieldCount = 7;

using FieldMask = uint8_t;
constexpr FieldMask Bit(Field field) {
  return static_cast<FieldMask>(1u << static_cast<int>(field));
}
// What a term without a field scope searches.
constexpr FieldMask kDefaultFields =
    Bit(Field::kTitle) | Bit(Field::kSummary) | Bit(Field::kContent);

// "title", "summary", ...: the names field scopes use (`title:Darchiev`).
std::string_view FieldName(Field field);
std::optional<Field> FieldNamed(std::string_view name);

// The texts of an item; the Document keeps its own copy.
struct DocumentFields {
  std::string_view title;
  std::string_view summary;
  std::string_view content;
  std::string_view author;
  std::string_view category;  // all categories, one per line
  std::string_view feed;      // the feed's name and title
  std::string_view link;
};

class Document {
 public:
  // With `fold_accents`, a second, accent-folded token set is built too, for the watches that
  // ask for it.
  Document(const DocumentFields& fields, bool fold_accents);

  // One occurrence of a token: field and position (token index within the field).
  struct Posting {
    Field field;
    uint32_t position;
  };

  // The postings whose token equals `text` (or starts with it, for a prefix), in token order.
  std::span<const Posting> Find(std::string_view text, bool prefix, bool accents) const;

  // The distinct tokens of the document in sorted order (for the watch index).
  std::vector<std::string_view> DistinctTokens(bool accents) const;

  const std::vector<Token>& tokens(Field field, bool accents) const {
    return (accents ? accent_tokens_ : tokens_)[static_cast<size_t>(field)];
  }
  std::string_view text(Field field) const { return text_[static_cast<size_t>(field)]; }

 private:
  using Tokens = std::array<std::vector<Token>, kFieldCount>;
  static std::vector<Posting> Index(const Tokens& tokens);
  std::string_view TokenAt(const Posting& posting, bool accents) const;

  std::array<std::string, kFieldCount> text_;
  Tokens tokens_;
  Tokens accent_tokens_;
  std::vector<Posting> index_;  // sorted by token text
  std::vector<Posting> accent_index_;
};

}  // namespace feedwatch::filters
