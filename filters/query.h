// A compiled watch query, and why it matched.
//
// The language (docs/queries.md has the full reference):
//   Darchiev              a term: matches the token, never a substring ("Darchievsky" does not)
//   Дарчиев*  consult*    a prefix term
//   "Moscow round"        a phrase: consecutive tokens in one paragraph of one field
//   =US  ="U.S."          only as written, case included ("US", not "us")
//   @property             any entry of the named term list, or its expression (TermLists)
//   a b   a AND b         both (adjacent terms are ANDed)
//   a OR b                either
//   NOT a   -a            not
//   ( ... )               grouping
//   a NEAR/5 b            both, at most 5 tokens apart, either order;
//   a ONEAR/5 b           the same with a before b. Operands: terms, phrases or groups.
//   a NOT NEAR/3 b        the hits of a that have no b within 3 tokens (a: terms and phrases,
//   a NOT ONEAR/3 b       or an OR of them); ONEAR: no b right after them
//   title:a  title:(a OR "b c")   field scopes: title, summary, content, author, category,
//                         feed, link; unscoped terms search title, summary and content.
// Precedence, tightest first: field scope, NEAR/ONEAR/NOT NEAR, NOT/-, AND (explicit or
// implicit), OR. Operators are upper case; "and", "or", "not" and "near" in lower case are
// terms. Terms are tokenised and folded like documents (tokenize.h), so "Russia-US" is the
// phrase "russia us".
//
// Scope. With Scope::kPassage (the default) a query is read one passage at a time
// (document.h): it matches when it holds in some passage, read with the item's title and other
// context fields. So AND and NOT combine what one passage says (and the title), NEAR measures
// within the title and the lede read as one text, or within one passage, and NOT excludes a
// passage, not the item. With Scope::kItem the whole item is one passage: title, summary and
// content are one running text.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "filters/document.h"
#include "filters/lexicon.h"

namespace feedwatch::filters {

enum class Scope : uint8_t {
  kPassage,  // evidence in one passage (with the title as context)
  kItem,     // evidence anywhere in the item
};

// "passage" or "item".
std::string_view ScopeName(Scope scope);
std::optional<Scope> ScopeNamed(std::string_view name);

// Named lists of words and phrases that queries share: `@name` in a query stands for any one
// of the list's entries, so the vocabulary of a concept lives in one place. An entry is a word
// or a phrase (its words in order), each word may end in '*'; "=US" matches only as written;
// "@other" stands for every entry of another list. A name may also stand for an expression in
// the query language: a part of a query that several queries, or one query twice, use.
class TermLists {
 public:
  // Adds (or replaces) a list; Check() says whether its entries are good.
  void Add(std::string name, std::vector<std::string> entries);
  // Adds (or replaces) a named expression.
  void AddExpression(std::string name, std::string query);
  bool Has(std::string_view name) const { return lists_.contains(name); }
  // The entries; an expression's one entry is its text.
  const std::vector<std::string>* Find(std::string_view name) const;
  bool IsExpression(std::string_view name) const;
  // The names, sorted.
  std::vector<std::string> Names() const;

  // The first problem of list `name`, as InvalidInput: for a list of entries, `line` set to the
  // entry's index (from 1) and the message "entry N: ..." (a bad word, an unknown list, a list
  // that refers back to itself); for an expression, "LINE:COLUMN: ..." within it, as a query's.
  Status Check(std::string_view name) const;

 private:
  struct List {
    std::vector<std::string> entries;
    bool expression = false;
  };
  std::map<std::string, List, std::less<>> lists_;
};

struct QueryOptions {
  bool fold_accents = false;  // match "Lavrov" and "Lávrov" alike (documents must fold too)
  Scope scope = Scope::kPassage;
  const TermLists* lists = nullptr;  // what @name refers to; only read by Parse
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

// A few words around the most telling hit (a phrase, a term of a proximity clause; a word from
// a long list of alternatives last), never across a paragraph, with the hits in it marked. A
// title is shown whole unless it is very long.
struct Snippet {
  Field field = Field::kTitle;
  std::string text;
  std::vector<std::pair<size_t, size_t>> marks;  // byte ranges in `text`, in order

  // `text` with each mark wrapped in `open` and `close`, e.g. "**" and "**".
  std::string Marked(std::string_view open, std::string_view close) const;
};

struct Explanation {
  // The hits in the passages where the query holds (and in the title and other context
  // fields), in field order, then position.
  std::vector<Hit> hits;
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

  bool fold_accents() const { return fold_accents_; }
  Scope scope() const { return scope_; }
  // The fields its terms search: a Document needs no others tokenised for it.
  FieldMask fields() const { return fields_; }

  // Time and memory: O(h log h + q * p/64) for h hits of the query's terms, q query nodes and
  // p passages; never quadratic in the hits.
  bool Matches(const Document& document) const;
  // The same, reading the postings of this query's words from `resolution`, where word i of
  // lexicon() has index places[i] (a WatchSet's Lexicon of every watch's words).
  bool Matches(const Resolution& resolution, std::span<const uint32_t> places) const;

  // Which terms hit where, and a snippet; nullopt when the query does not match.
  std::optional<Explanation> Explain(const Document& document) const;

  // Terms at least one of which every matching document contains (in any field): what the
  // watch index looks up. nullopt when there is no such set (a query that can match through
  // NOT alone is not indexable, e.g. `a OR NOT b`).
  using Trigger = SearchWord;
  std::optional<std::vector<Trigger>> Triggers() const;

  struct Node;
  // The first part of every distinct term (Node::lookup): what a document's tokens are looked
  // up in, once per evaluation.
  const Lexicon& lexicon() const { return lexicon_; }

 private:
  Query();
  bool fold_accents_ = false;
  Scope scope_ = Scope::kPassage;
  FieldMask fields_ = 0;
  std::unique_ptr<Node> root_;
  Lexicon lexicon_;
  size_t memos_ = 0;  // distinct term list expansions (Node::memo)
};

}  // namespace feedwatch::filters
