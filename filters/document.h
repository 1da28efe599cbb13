// The searchable text of one item: every field tokenised once, then every watch is evaluated
// against it.
//
// Passages (docs/queries.md, "Passages"): the summary and the content are cut into passages at
// their paragraph breaks, the '\n' that feeds::Item keeps between block elements of HTML and
// between paragraphs of plain text. Passage 1 is the lede: the first paragraph of the summary,
// or of the content when there is no summary. The title and the fields that describe the item
// (author, category, feed, link) belong to no passage: they are the context every passage is
// read with. An item with no body has one, empty, passage.
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
constexpr FieldMask kAllFields = (1u << kFieldCount) - 1;
// What a term without a field scope searches.
constexpr FieldMask kDefaultFields =
    Bit(Field::kTitle) | Bit(Field::kSummary) | Bit(Field::kContent);

// Whether `field` is body text, cut into passages (summary, content).
constexpr bool IsBody(Field field) { return field == Field::kSummary || field == Field::kContent; }

// "title", "summary", ...: the names field scopes use (`title:Darchiev`).
std::string_view FieldName(Field field);
std::optional<Field> FieldNamed(std::string_view name);

// The texts of an item; the Document keeps its own copy.
struct DocumentFields {
  std::string_view title;
  std::string_view summary;  // paragraphs separated by '\n'
  std::string_view content;  // paragraphs separated by '\n'
  std::string_view author;
  std::string_view category;  // all categories, one per line
  std::string_view feed;      // the feed's name and title
  std::string_view link;
  // What the content is called where hits are told (Document::Label): "article" when it is
  // the text of the item's web page rather than the feed's; empty: "content".
  std::string_view content_label;
};

// At most this many passages an item; the paragraphs after the last are read as part of it. A
// feed chooses how many paragraphs an item has, and a query's cost grows with the passages.
inline constexpr uint32_t kMaxPassages = 1000;

// The first eight bytes of `text` (zeros past its end) as a big-endian number: in the order of
// the texts (which hold no zero byte), but for texts that share them. Sorted words compare
// these first, and their strings only when they are equal.
uint64_t LeadingBytes(std::string_view text);

class Document {
 public:
  // With `fold_accents`, a second, accent-folded token set is built too, for the watches that
  // ask for it. The title, summary and content are always tokenised: they are the running
  // text and the passages every query is read in, whatever it searches. Of the other fields
  // (author, category, feed, link) only those in `searched` are (WatchSet::fields): the
  // others have no tokens, and no term finds anything in them.
  Document(const DocumentFields& fields, bool fold_accents, FieldMask searched = kAllFields);

  // One occurrence of a token: field and position (token index within the field).
  struct Posting {
    Field field;
    uint32_t position;
  };

  // The postings whose token equals `text` (or starts with it, for a prefix), in token order.
  std::span<const Posting> Find(std::string_view text, bool prefix, bool accents) const;
  // The postings whose token equals `text`, whose std::hash is `hash`: a probe or two of the
  // document's hash table instead of a binary search over its words.
  std::span<const Posting> FindExact(std::string_view text, uint64_t hash, bool accents) const;

  // The distinct tokens of the document in sorted order (for the watch index).
  const std::vector<std::string_view>& DistinctTokens(bool accents) const {
    return (accents ? accent_index_ : index_).distinct;
  }
  // The first distinct token from place `from` on that is not below `prefix` (whose
  // LeadingBytes is `leading`): sorted prefixes merged with the sorted tokens move forward with
  // it, comparing strings only where the first eight bytes are equal.
  size_t SkipBelow(size_t from, std::string_view prefix, uint64_t leading, bool accents) const {
    const Index& index = accents ? accent_index_ : index_;
    while (from < index.distinct.size() &&
           (index.leading[from] < leading ||
            (index.leading[from] == leading && index.distinct[from] < prefix))) {
      ++from;
    }
    return from;
  }
  // LeadingBytes of each distinct token, parallel to DistinctTokens() (ascending).
  const std::vector<uint64_t>& DistinctLeading(bool accents) const {
    return (accents ? accent_index_ : index_).leading;
  }
  // std::hash of each distinct token, parallel to DistinctTokens(): worked out once a document,
  // for queries that look many words up.
  const std::vector<uint64_t>& DistinctHashes(bool accents) const {
    return (accents ? accent_index_ : index_).hashes;
  }
  // The postings of the distinct tokens [first, last) (indexes into DistinctTokens()), which
  // are next to each other.
  std::span<const Posting> PostingsOf(size_t first, size_t last, bool accents) const {
    const Index& index = accents ? accent_index_ : index_;
    return std::span<const Posting>(index.postings)
        .subspan(index.starts[first], index.starts[last] - index.starts[first]);
  }

  const std::vector<Token>& tokens(Field field, bool accents) const {
    return (accents ? accent_tokens_ : tokens_)[static_cast<size_t>(field)];
  }
  std::string_view text(Field field) const { return text_[static_cast<size_t>(field)]; }
  // The name a hit in `field` is told with: FieldName, or the content's label.
  std::string_view Label(Field field) const {
    return field == Field::kContent && !content_label_.empty() ? content_label_ : FieldName(field);
  }

  // The token as written in the item (not folded).
  std::string_view Written(Field field, const Token& token) const {
    return text(field).substr(token.begin, token.end - token.begin);
  }

  // How many passages the body has, at least 1.
  uint32_t passage_count() const { return passage_count_; }

  // Where the token at `position` of `field` stands among the passages.
  struct Place {
    uint32_t passage = 0;  // 1..passage_count(); 0 for the title and the other context fields
    uint32_t offset = 0;   // tokens before it in its passage (in its field, for context)
    uint32_t begin = 0;    // the field's tokens [begin, end) that make its passage
    uint32_t end = 0;
  };
  Place PlaceOf(Field field, uint32_t position) const;
  // Whether tokens [position, position + length) of `field` run over a line break: a paragraph's
  // end, or the end of one category and the start of the next. A phrase never does.
  bool CrossesLine(Field field, uint32_t position, uint32_t length) const;

  // The sentence of `field` the token at `position` stands in, numbered from 0 in the field. A
  // sentence ends at a paragraph break, or at '.', '!', '?' or '…' followed by a space and a
  // word that starts with a capital letter or a digit, unless what ends with the full stop is
  // an initial, one letter ("A. Darchiev", "U.S."), or a common abbreviation ("Mr.", "Sept.",
  // "г."). A guess, and one that errs towards one long sentence.
  uint32_t SentenceOf(Field field, uint32_t position) const;

 private:
  using Tokens = std::array<std::vector<Token>, kFieldCount>;
  // Every posting sorted by token, and the distinct tokens with where each one's postings start:
  // a lookup is a binary search over a compact array of strings.
  struct Index {
    std::vector<Posting> postings;
    std::vector<std::string_view> distinct;  // sorted
    std::vector<uint64_t> hashes;            // parallel to distinct
    std::vector<uint64_t> leading;           // parallel to distinct: LeadingBytes, ascending
    std::vector<uint32_t> starts;            // distinct.size() + 1 offsets into postings
    // Open addressing on the hashes: the place of a token in `distinct`, + 1; 0 for none. A
    // token sits at most `max_probe` slots after its hash's; empty when the words defeated the
    // table (MakeIndex), and Find searches `distinct` instead.
    std::vector<uint32_t> table;
    size_t max_probe = 0;
  };
  static Index MakeIndex(const Tokens& tokens);
  // The body field's passages: where each starts (a token index) and the number of the first.
  struct Passages {
    std::vector<uint32_t> starts;
    uint32_t first = 1;
    // Tokens of the summary before this field's first passage when the field joins the
    // summary's last one (past kMaxPassages): its offsets go on after them.
    uint32_t carried = 0;
  };
  void CutPassages();
  std::vector<uint32_t> CutSentences(Field field) const;

  std::array<std::string, kFieldCount> text_;
  std::string content_label_;
  TokenTexts folded_;  // the tokens' texts
  Tokens tokens_;
  Tokens accent_tokens_;
  Index index_;
  Index accent_index_;
  std::array<Passages, 2> passages_;  // summary, content
  // Per field, the token where each sentence after the first starts: cut when first asked for
  // (only exclusions ask), so the documents no watch could match never pay for it.
  mutable std::array<std::optional<std::vector<uint32_t>>, kFieldCount> sentences_;
  uint32_t passage_count_ = 1;
};

}  // namespace feedwatch::filters
