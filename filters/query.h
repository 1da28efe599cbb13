// A compiled watch query, and why it matched.
//
// The language (docs/queries.md has the full reference):
//   Darchiev              a term: matches the token, never a substring ("Darchievsky" does not)
//   Дарчиев*  consult*    a prefix term
//   "Moscow round"        a phrase: consecutive tokens in one field
//   a b   a AND b         both (adjacent terms are ANDed)
//   a OR b                either
//   NOT a   -a            not
//   ( ... )               grouping
//   a NEAR/5 b            both, at most 5 tokens apart, either order, in one field;
//   a ONEAR/5 b           the same with a before b. Operands: terms, phrases or groups.
//   title:a  title:(a OR "b c")   field scopes: title, summary, content, author, category,
//                         feed, link; unscoped terms search title, summary and content.
// Precedence, tightest first: field scope, NEAR/ONEAR, NOT/-, AND (explicit or implicit), OR.
// Operators are upper case; "and", "or", "not" and "near" in lower case are terms. Terms are
// tokenised and folded like documents (tokenize.h), so "Russia-US" is the phrase "russia us".
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "filters/document.h"

namespace feedwatch::filters {

struct QueryOptions {
  bool fold_accents = false;  // match "Lavrov" and "Lávrov" alike (documents must fold too)
};

// Where a term hit: the field, the tokens [first, last] and their bytes in the field's text.
struct Hit {
  Field field;
  uint32_t first = 0;
  uint32_t last = 0;
  uint32_t begin = 0;
  uint32_t end = 0;
  std::string term;     // the query term as written, e.g. "Дарчиев*" or "\"Moscow round\""
  int specificity = 0;  // how telling: phrases and proximity clauses high, context lists low
};

// A few words of one field around the most telling hit (a phrase, a term of a proximity
// clause; a word from a long list of alternatives last), with the hits in it marked.
struct Snippet {
  Field field = Field::kTitle;
  std::string text;
  std::vector<std::pair<size_t, size_t>> marks;  // byte ranges in `text`, in order

  // `text` with each mark wrapped in `open` and `close`, e.g. "**" and "**".
  std::string Marked(std::string_view open, std::string_view close) const;
};

struct Explanation {
  std::vector<Hit> hits;  // in field order, then position
  Snippet snippet;

  // "title: Дарчиев* (Дарчиевым); summary: "Moscow round" (Moscow round)": the first
  // kSummaryHits hits, then "; and N more" (an item may repeat a word ten thousand times).
  static constexpr size_t kSummaryHits = 20;
  std::string Summary(const Document& document) const;
};

class Query {
 public:
  // Errors read "LINE:COLUMN: what was expected", counted in characters from 1:1.
  static Result<Query> Parse(std::string_view text, QueryOptions options = {});

  Query(Query&&) noexcept;
  Query& operator=(Query&&) noexcept;
  ~Query();

  bool fold_accents() const { return options_.fold_accents; }

  bool Matches(const Document& document) const;

  // Which terms hit where, and a snippet; nullopt when the query does not match.
  std::optional<Explanation> Explain(const Document& document) const;

  // Terms at least one of which every matching document contains (in any field): what the
  // watch index looks up. nullopt when there is no such set (a query that can match through
  // NOT alone is not indexable, e.g. `a OR NOT b`).
  struct Trigger {
    std::string text;
    bool prefix = false;
  };
  std::optional<std::vector<Trigger>> Triggers() const;

  struct Node;

 private:
  Query();
  QueryOptions options_;
  std::unique_ptr<Node> root_;
};

}  // namespace feedwatch::filters
