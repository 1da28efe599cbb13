// A compiled watch query.
//
// This is the foundation's matcher: a query is one or more alternatives joined by OR; an
// alternative is a bare word or a "quoted phrase"; a word, or any word of a phrase, may end in
// `*` to match as a prefix. Matching is on folded tokens (see tokenize.h), never substrings:
// `Darchiev` does not match "Darchievsky", `Darchiev*` does. Every query of this form keeps its
// meaning in the full query language that replaces it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace feedwatch::filters {

// The searchable text of one item, tokenised once and evaluated against every watch.
class Document {
 public:
  // Fields are tokenised separately: a phrase never spans two fields.
  static Document FromFields(const std::vector<std::string_view>& fields);

 private:
  friend class Query;
  std::vector<std::string> tokens_;  // an empty token marks a field boundary
};

class Query {
 public:
  // On failure the error message reads "1:COLUMN: what was expected", the column counted in
  // characters from 1 within `text`.
  static Result<Query> Parse(std::string_view text);

  bool Matches(const Document& document) const;

 private:
  struct Term {
    std::string text;  // folded
    bool prefix = false;
  };
  using Phrase = std::vector<Term>;

  static bool PhraseAt(const Phrase& phrase, const std::vector<std::string>& tokens, size_t at);

  std::vector<Phrase> alternatives_;
};

}  // namespace feedwatch::filters
