#include "filters/query.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <tuple>

#include "filters/tokenize.h"

namespace feedwatch::filters {

struct Query::Node {
  enum class Kind { kTerm, kAnd, kOr, kNot, kNear, kNotNear };
  Kind kind = Kind::kTerm;
  // kTerm: one part per token; several make a phrase. The last part may be a prefix.
  std::vector<Trigger> parts;
  // kTerm written with '=': each part as written, compared with the document's token as
  // written (prefix parts as a prefix).
  std::vector<std::string> written;
  std::string label;  // as written
  FieldMask fields = kDefaultFields;
  // kNear, kNotNear: how far, and which side. kNear: either side (NEAR) or the left operand
  // first (ONEAR). kNotNear: a hit of the left operand goes when a hit of the right stands on
  // either side of it (NOT NEAR), after it (NOT BEFORE) or before it (NOT AFTER).
  enum class Side { kEither, kAfter, kBefore };
  uint32_t distance = 0;
  Side side = Side::kEither;
  std::vector<Node> children;
  // kTerm: how telling a hit of this term is, for choosing the snippet (SetSpecificity).
  int specificity = 0;
  // kTerm: the index of its first part among the query's distinct lookups (Intern), so that a
  // word that several lists share is looked up in a document once.
  uint32_t lookup = 0;
  // A term list's expansion: "name/fields", the same for every use of the list with the same
  // field scope; Intern gives those one `memo` slot, so that the evaluator works one out once
  // per document. Empty, and -1, for anything else.
  std::string expansion;
  int32_t memo = -1;
  // kOr: per child, its `lookup` when it is a term, else kNoLookup. A term list's OR has
  // hundreds of children, most of them absent from a given document: the evaluator skips those
  // by this dense array instead of visiting each child.
  static constexpr uint32_t kNoLookup = UINT32_MAX;
  std::vector<uint32_t> term_lookups;
};

namespace {

using Node = Query::Node;

constexpr int kMaxDepth = 64;  // nesting of parentheses, NOT, field scopes and term lists

// An OR of this many alternatives or more is a context list ("Russia* OR Moscow OR Kremlin OR
// ..."): any of its words says little about what the item is about.
constexpr size_t kContextListSize = 6;

// How telling each term's hit is: a phrase more than a word, a term in a proximity clause more
// than one that may stand anywhere, one of a long list of alternatives less. The snippet is
// cut around the most telling hit, so that a watch on diplomatic property shows the words
// about the property, not the "Russia" every item of the beat contains.
void SetSpecificity(Node& node, int near, int lists) {
  switch (node.kind) {
    case Node::Kind::kTerm:
      node.specificity = 1 + (node.parts.size() > 1 ? 2 : 0) + near - lists;
      return;
    case Node::Kind::kNear:
      for (Node& child : node.children) SetSpecificity(child, 1, lists);
      return;
    case Node::Kind::kNotNear:
      SetSpecificity(node.children[0], near, lists);
      SetSpecificity(node.children[1], near, lists);
      return;
    case Node::Kind::kOr:
      for (Node& child : node.children) {
        SetSpecificity(child, near, lists + (node.children.size() >= kContextListSize ? 1 : 0));
      }
      return;
    case Node::Kind::kAnd:
    case Node::Kind::kNot:
      for (Node& child : node.children) SetSpecificity(child, near, lists);
      return;
  }
}

// Gives every term the index of its first part in `lexicon`, adding the parts not there yet,
// and every term list expansion its memo slot; adds the fields of every term to `fields`.
void Intern(Node& node, Lexicon& lexicon, std::map<std::string, int32_t>& expansions,
            FieldMask& fields) {
  if (!node.expansion.empty()) {
    node.memo = expansions.try_emplace(node.expansion, static_cast<int32_t>(expansions.size()))
                    .first->second;
  }
  if (node.kind == Node::Kind::kTerm) {
    node.lookup = lexicon.Add(node.parts[0]);
    fields |= node.fields;
    return;
  }
  for (Node& child : node.children) Intern(child, lexicon, expansions, fields);
  if (node.kind == Node::Kind::kOr) {
    node.term_lookups.clear();
    for (const Node& child : node.children) {
      node.term_lookups.push_back(child.kind == Node::Kind::kTerm ? child.lookup : Node::kNoLookup);
    }
  }
}

// Line and column (in characters, from 1) of byte `offset` in `text`.
std::pair<int, int> Position(std::string_view text, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return {static_cast<int>(line), static_cast<int>(column)};
}

// "LINE:COLUMN".
std::string PositionText(std::string_view text, size_t offset) {
  const auto [line, column] = Position(text, offset);
  return std::to_string(line) + ":" + std::to_string(column);
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

struct Lexeme {
  enum class Kind {
    kEnd,
    kWord,
    kPhrase,
    kList,
    kOpen,
    kClose,
    kAnd,
    kOr,
    kNot,
    kMinus,
    kNear,
    kField
  };
  Kind kind = Kind::kEnd;
  size_t offset = 0;      // in the query text
  std::string_view text;  // word or phrase content, field or list name
  uint32_t distance = 0;  // kNear
  // kNear: NEAR (either side), ONEAR (the right operand after), BEFORE and AFTER (which only
  // follow NOT: the right operand after the left, before it).
  enum class Proximity { kNear, kOnear, kBefore, kAfter };
  Proximity proximity = Proximity::kNear;
  bool exact = false;  // kWord, kPhrase written with '='
};

// The proximity operator a word starts with ("NEAR/5" is NEAR), if any.
std::optional<Lexeme::Proximity> ProximityOf(std::string_view word) {
  using P = Lexeme::Proximity;
  for (const auto& [name, proximity] : {std::pair<std::string_view, P>("NEAR", P::kNear),
                                        std::pair<std::string_view, P>("ONEAR", P::kOnear),
                                        std::pair<std::string_view, P>("BEFORE", P::kBefore),
                                        std::pair<std::string_view, P>("AFTER", P::kAfter)}) {
    if (word.starts_with(name) && (word.size() == name.size() || word[name.size()] == '/')) {
      return proximity;
    }
  }
  return std::nullopt;
}

std::string_view ProximityName(Lexeme::Proximity proximity) {
  switch (proximity) {
    case Lexeme::Proximity::kNear:
      return "NEAR";
    case Lexeme::Proximity::kOnear:
      return "ONEAR";
    case Lexeme::Proximity::kBefore:
      return "BEFORE";
    case Lexeme::Proximity::kAfter:
      return "AFTER";
  }
  return "";
}

class Parser {
 public:
  // `expanding`: the term lists being expanded around this parse, innermost last.
  Parser(std::string_view text, QueryOptions options, std::vector<std::string_view>* expanding)
      : text_(text), options_(options), expanding_(expanding) {}

  Result<Node> Parse() {
    if (Status s = Lex(); !s) return s.error();
    if (lexemes_.size() == 1) return Fail(0, "empty query");
    Result<Node> root = ParseOr(kDefaultFields, 0);
    if (!root) return root;
    if (Peek().kind == Lexeme::Kind::kClose) return Fail(Peek().offset, "unexpected ')'");
    if (Peek().kind != Lexeme::Kind::kEnd) {
      return Fail(Peek().offset, "expected AND, OR or the end of the query");
    }
    if (!HasPositiveTerm(*root)) {
      return Fail(0, "a query needs at least one term that is not negated");
    }
    return root;
  }

  // Term list `name`, `fields` and `depth` as where it is used: its entries as one OR, or its
  // expression.
  Result<Node> ExpandList(std::string_view name, const TermLists& lists, FieldMask fields,
                          int depth) {
    const std::vector<std::string>& entries = *lists.Find(name);
    if (lists.IsExpression(name)) {
      text_ = entries.front();
      if (Status s = Lex(); !s) return s.error();
      if (lexemes_.size() == 1) return Fail(0, "empty query");
      Result<Node> root = ParseOr(fields, depth);
      if (!root) return root;
      if (Peek().kind == Lexeme::Kind::kClose) return Fail(Peek().offset, "unexpected ')'");
      if (Peek().kind != Lexeme::Kind::kEnd) {
        return Fail(Peek().offset, "expected AND, OR or the end of the query");
      }
      if (!HasPositiveTerm(*root)) {
        return Fail(0, "a query needs at least one term that is not negated");
      }
      return root;
    }
    Node node;
    node.kind = Node::Kind::kOr;
    node.label = "@" + std::string(name);
    for (size_t i = 0; i < entries.size(); ++i) {
      text_ = entries[i];
      Result<Node> entry = Entry(fields, depth);
      if (!entry) {
        Error error = entry.error();
        error.message = "entry " + std::to_string(i + 1) + ": " + error.message;
        error.line = static_cast<int>(i + 1);
        return error;
      }
      node.children.push_back(std::move(*entry));
    }
    if (node.children.empty()) return Fail(0, "the list is empty");
    return node;
  }

 private:
  Error Fail(size_t offset, const std::string& message) const {
    const auto [line, column] = Position(text_, offset);
    Error error =
        Error::InvalidInput(std::to_string(line) + ":" + std::to_string(column) + ": " + message);
    error.line = line;
    error.column = column;
    return error;
  }

  // One entry of a term list: "@other", or a word or phrase, "=" first for one written so.
  Result<Node> Entry(FieldMask fields, int depth) {
    std::string_view entry = text_;
    while (!entry.empty() && IsSpace(entry.front())) entry.remove_prefix(1);
    while (!entry.empty() && IsSpace(entry.back())) entry.remove_suffix(1);
    const auto offset = static_cast<size_t>(entry.data() - text_.data());
    Lexeme lexeme;
    lexeme.offset = offset;
    if (entry.starts_with('@')) {
      lexeme.text = entry.substr(1);
      if (lexeme.text.empty() ||
          std::any_of(lexeme.text.begin(), lexeme.text.end(), [](char c) { return IsSpace(c); })) {
        return Fail(offset, "expected @ and the name of a term list");
      }
      return List(lexeme, fields, depth);
    }
    lexeme.exact = entry.starts_with('=');
    if (lexeme.exact) entry.remove_prefix(1);
    if (entry.find_first_of("\"()") != std::string_view::npos) {
      return Fail(offset + entry.find_first_of("\"()"),
                  "a list entry is a word or words in order, without quotes or parentheses");
    }
    // Labelled as the query would write it: a phrase in quotes.
    const bool phrase = entry.find_first_of(" \t") != std::string_view::npos;
    const std::string written = std::string(lexeme.exact ? "=" : "") + (phrase ? "\"" : "") +
                                std::string(entry) + (phrase ? "\"" : "");
    return Term(lexeme, entry, offset + (lexeme.exact ? 1 : 0), fields, written);
  }

  Status Lex() {
    size_t pos = 0;
    while (true) {
      while (pos < text_.size() && IsSpace(text_[pos])) ++pos;
      Lexeme lexeme;
      lexeme.offset = pos;
      if (pos == text_.size()) {
        lexemes_.push_back(lexeme);
        return {};
      }
      const char c = text_[pos];
      if (c == '(' || c == ')') {
        lexeme.kind = c == '(' ? Lexeme::Kind::kOpen : Lexeme::Kind::kClose;
        ++pos;
      } else if (c == '"' || (c == '=' && pos + 1 < text_.size() && text_[pos + 1] == '"')) {
        lexeme.exact = c == '=';
        const size_t open = pos + (lexeme.exact ? 1 : 0);
        const size_t close = text_.find('"', open + 1);
        if (close == std::string_view::npos) {
          return Fail(open, "unclosed '\"': expected a closing quote");
        }
        lexeme.kind = Lexeme::Kind::kPhrase;
        lexeme.text = text_.substr(open + 1, close - open - 1);
        pos = close + 1;
      } else if (c == '-' && pos + 1 < text_.size() && !IsSpace(text_[pos + 1])) {
        lexeme.kind = Lexeme::Kind::kMinus;
        ++pos;
      } else {
        size_t end = pos;
        while (end < text_.size() && !IsSpace(text_[end]) && text_[end] != '(' &&
               text_[end] != ')' && text_[end] != '"') {
          ++end;
        }
        const std::string_view word = text_.substr(pos, end - pos);
        lexeme.text = word;
        if (Status s = Classify(word, lexeme, end); !s) return s;
        pos = end;
      }
      lexemes_.push_back(lexeme);
    }
  }

  // Decides what a bare word is: operator, NEAR/n, field scope, list or term. May shorten `end`
  // (a field scope ends at its colon).
  Status Classify(std::string_view word, Lexeme& lexeme, size_t& end) {
    if (word == "AND") {
      lexeme.kind = Lexeme::Kind::kAnd;
    } else if (word == "OR") {
      lexeme.kind = Lexeme::Kind::kOr;
    } else if (word == "NOT") {
      lexeme.kind = Lexeme::Kind::kNot;
    } else if (const std::optional<Lexeme::Proximity> proximity = ProximityOf(word)) {
      const std::string_view name = ProximityName(*proximity);
      std::string_view number = word.substr(name.size());
      const bool is_operator = number.empty() || number.starts_with('/');
      if (is_operator) {
        if (!number.starts_with('/') || number.size() < 2 || number.size() > 4 ||
            !std::all_of(number.begin() + 1, number.end(),
                         [](char d) { return d >= '0' && d <= '9'; })) {
          return Fail(lexeme.offset, "expected " + std::string(name) +
                                         "/n with a number of words, e.g. " + std::string(name) +
                                         "/5");
        }
        lexeme.kind = Lexeme::Kind::kNear;
        lexeme.proximity = *proximity;
        lexeme.distance = static_cast<uint32_t>(std::stoi(std::string(number.substr(1))));
      } else {
        lexeme.kind = Lexeme::Kind::kWord;
      }
    } else if (word.starts_with('@')) {
      if (word.size() == 1) return Fail(lexeme.offset, "expected the name of a term list after @");
      lexeme.kind = Lexeme::Kind::kList;
      lexeme.text = word.substr(1);
    } else if (const size_t colon = word.find(':');
               colon != std::string_view::npos && colon > 0 &&
               std::all_of(word.begin(), word.begin() + static_cast<std::ptrdiff_t>(colon),
                           [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)); })) {
      const std::string_view name = word.substr(0, colon);
      if (!FieldNamed(name)) {
        return Fail(lexeme.offset, "unknown field \"" + std::string(name) +
                                       "\"; expected title, summary, content, author, "
                                       "category, feed or link");
      }
      lexeme.kind = Lexeme::Kind::kField;
      lexeme.text = name;
      end = lexeme.offset + colon + 1;  // what follows the colon is lexed on its own
    } else {
      lexeme.kind = Lexeme::Kind::kWord;
      lexeme.exact = word.size() > 1 && word.starts_with('=');
      if (lexeme.exact) lexeme.text = word.substr(1);
    }
    return {};
  }

  const Lexeme& Peek(size_t ahead = 0) const {
    return lexemes_[std::min(next_ + ahead, lexemes_.size() - 1)];
  }
  const Lexeme& Take() { return lexemes_[next_ < lexemes_.size() - 1 ? next_++ : next_]; }

  static bool StartsOperand(Lexeme::Kind kind) {
    using K = Lexeme::Kind;
    return kind == K::kWord || kind == K::kPhrase || kind == K::kList || kind == K::kOpen ||
           kind == K::kNot || kind == K::kMinus || kind == K::kField;
  }

  // "after OR", "before NEAR/5": names the lexeme for error messages.
  std::string Describe(const Lexeme& lexeme) const {
    using K = Lexeme::Kind;
    switch (lexeme.kind) {
      case K::kEnd:
        return "the end of the query";
      case K::kClose:
        return "')'";
      case K::kAnd:
        return "AND";
      case K::kOr:
        return "OR";
      case K::kNear:
        return std::string(text_.substr(
            lexeme.offset, text_.find_first_of(" \t\r\n()\"", lexeme.offset) - lexeme.offset));
      case K::kList:
        return "'@" + std::string(lexeme.text) + "'";
      default:
        return "'" + std::string(lexeme.text) + "'";
    }
  }

  Result<Node> ParseOr(FieldMask fields, int depth) {
    Result<Node> left = ParseAnd(fields, depth);
    if (!left) return left;
    if (Peek().kind != Lexeme::Kind::kOr) return left;
    Node node;
    node.kind = Node::Kind::kOr;
    node.children.push_back(std::move(*left));
    while (Peek().kind == Lexeme::Kind::kOr) {
      Take();
      if (!StartsOperand(Peek().kind)) {
        return Fail(Peek().offset,
                    "expected a term, phrase or '(' after OR, found " + Describe(Peek()));
      }
      Result<Node> right = ParseAnd(fields, depth);
      if (!right) return right;
      node.children.push_back(std::move(*right));
    }
    return node;
  }

  Result<Node> ParseAnd(FieldMask fields, int depth) {
    Result<Node> left = ParseUnary(fields, depth);
    if (!left) return left;
    if (Peek().kind != Lexeme::Kind::kAnd && !StartsOperand(Peek().kind)) return left;
    Node node;
    node.kind = Node::Kind::kAnd;
    node.children.push_back(std::move(*left));
    while (Peek().kind == Lexeme::Kind::kAnd || StartsOperand(Peek().kind)) {
      if (Peek().kind == Lexeme::Kind::kAnd) {
        Take();
        if (!StartsOperand(Peek().kind)) {
          return Fail(Peek().offset,
                      "expected a term, phrase or '(' after AND, found " + Describe(Peek()));
        }
      }
      Result<Node> right = ParseUnary(fields, depth);
      if (!right) return right;
      node.children.push_back(std::move(*right));
    }
    return node;
  }

  Result<Node> ParseUnary(FieldMask fields, int depth) {
    if (depth > kMaxDepth) return Fail(Peek().offset, "the query nests too deeply");
    if (Peek().kind == Lexeme::Kind::kNot || Peek().kind == Lexeme::Kind::kMinus) {
      const Lexeme op = Take();
      if (!StartsOperand(Peek().kind)) {
        return Fail(Peek().offset, std::string("expected a term, phrase or '(' after ") +
                                       (op.kind == Lexeme::Kind::kNot ? "NOT" : "'-'") +
                                       ", found " + Describe(Peek()));
      }
      Result<Node> operand = ParseUnary(fields, depth + 1);
      if (!operand) return operand;
      Node node;
      node.kind = Node::Kind::kNot;
      node.children.push_back(std::move(*operand));
      return node;
    }
    return ParseNear(fields, depth);
  }

  Result<Node> ParseNear(FieldMask fields, int depth) {
    const size_t left_offset = Peek().offset;
    Result<Node> left = ParsePrimary(fields, depth);
    if (!left) return left;
    while (Peek().kind == Lexeme::Kind::kNear ||
           (Peek().kind == Lexeme::Kind::kNot && Peek(1).kind == Lexeme::Kind::kNear)) {
      const bool negated = Peek().kind == Lexeme::Kind::kNot;
      const size_t op_offset = Peek().offset;
      if (negated) Take();
      const Lexeme op = Take();
      const std::string name = (negated ? "NOT " : "") + Describe(op);
      using P = Lexeme::Proximity;
      if (!negated && (op.proximity == P::kBefore || op.proximity == P::kAfter)) {
        return Fail(op.offset, Describe(op) + " only follows NOT: a NOT " + Describe(op) +
                                   " b drops the hits of a that b " +
                                   (op.proximity == P::kBefore ? "follows" : "precedes"));
      }
      if (negated && op.proximity == P::kOnear) {
        return Fail(op_offset,
                    "expected NOT NEAR/n, NOT BEFORE/n (drops the hits of a that b follows) or "
                    "NOT AFTER/n (those that b precedes)");
      }
      if (HasNot(*left)) return Fail(left_offset, "NOT cannot be an operand of " + name);
      if (negated && !OnlyTerms(*left)) {
        return Fail(op_offset, name +
                                   " removes hits of terms: what comes before it must be terms "
                                   "or phrases, or an OR of them");
      }
      const size_t right_offset = Peek().offset;
      if (Peek().kind == Lexeme::Kind::kNot || Peek().kind == Lexeme::Kind::kMinus) {
        return Fail(right_offset, "NOT cannot be an operand of " + name);
      }
      if (!StartsOperand(Peek().kind)) {
        return Fail(right_offset,
                    "expected a term, phrase or '(' after " + name + ", found " + Describe(Peek()));
      }
      Result<Node> right = ParsePrimary(fields, depth);
      if (!right) return right;
      if (HasNot(*right)) return Fail(right_offset, "NOT cannot be an operand of " + name);
      Node node;
      node.kind = negated ? Node::Kind::kNotNear : Node::Kind::kNear;
      node.distance = op.distance;
      node.side = op.proximity == P::kOnear || op.proximity == P::kBefore ? Node::Side::kAfter
                  : op.proximity == P::kAfter                             ? Node::Side::kBefore
                                                                          : Node::Side::kEither;
      node.children.push_back(std::move(*left));
      node.children.push_back(std::move(*right));
      left = std::move(node);
    }
    return left;
  }

  Result<Node> ParsePrimary(FieldMask fields, int depth) {
    if (depth > kMaxDepth) return Fail(Peek().offset, "the query nests too deeply");
    const Lexeme lexeme = Take();
    using K = Lexeme::Kind;
    switch (lexeme.kind) {
      case K::kField: {
        const FieldMask scope = Bit(*FieldNamed(lexeme.text));
        if (!StartsOperand(Peek().kind) || Peek().kind == K::kNot || Peek().kind == K::kMinus ||
            Peek().offset != lexeme.offset + lexeme.text.size() + 1) {
          return Fail(
              lexeme.offset + lexeme.text.size() + 1,
              "expected a term, phrase or '(' right after \"" + std::string(lexeme.text) + ":\"");
        }
        return ParsePrimary(scope, depth + 1);
      }
      case K::kOpen: {
        if (Peek().kind == K::kClose) return Fail(Peek().offset, "empty parentheses");
        Result<Node> inner = ParseOr(fields, depth + 1);
        if (!inner) return inner;
        if (Peek().kind == K::kEnd) {
          // Said where the '(' is: the end of a long query is no help in finding it.
          return Fail(lexeme.offset, "'(' is never closed: expected ')' before the end");
        }
        if (Peek().kind != K::kClose) {
          return Fail(Peek().offset,
                      "expected ')' to close '(' opened at " + PositionText(text_, lexeme.offset));
        }
        Take();
        return inner;
      }
      case K::kPhrase: {
        const size_t open = lexeme.offset + (lexeme.exact ? 1 : 0);
        return Term(lexeme, lexeme.text, open + 1, fields,
                    text_.substr(lexeme.offset, open + lexeme.text.size() + 2 - lexeme.offset));
      }
      case K::kWord:
        return Term(lexeme, lexeme.text, lexeme.offset + (lexeme.exact ? 1 : 0), fields,
                    text_.substr(lexeme.offset, lexeme.text.size() + (lexeme.exact ? 1 : 0)));
      case K::kList:
        return List(lexeme, fields, depth + 1);
      case K::kClose:
        return Fail(lexeme.offset, "unexpected ')'");
      case K::kEnd:
        return Fail(lexeme.offset, "expected a term, phrase or '(' at the end of the query");
      default:
        return Fail(lexeme.offset, "expected a term, phrase or '(' before " + Describe(lexeme));
    }
  }

  // @name: the list's entries, parsed with this query's options.
  Result<Node> List(const Lexeme& lexeme, FieldMask fields, int depth) {
    if (depth > kMaxDepth) return Fail(lexeme.offset, "the query nests too deeply");
    if (options_.lists == nullptr || !options_.lists->Has(lexeme.text)) {
      std::string known;
      if (options_.lists != nullptr) {
        for (const std::string& name : options_.lists->Names()) {
          known += (known.empty() ? "" : ", ") + ("@" + name);
        }
      }
      return Fail(lexeme.offset,
                  "unknown term list @" + std::string(lexeme.text) + "; " +
                      (known.empty() ? "no [terms] are defined" : "defined term lists: " + known));
    }
    if (std::find(expanding_->begin(), expanding_->end(), lexeme.text) != expanding_->end()) {
      return Fail(lexeme.offset, "term list @" + std::string(lexeme.text) + " refers to itself");
    }
    expanding_->push_back(lexeme.text);
    Parser inner({}, options_, expanding_);
    Result<Node> node = inner.ExpandList(lexeme.text, *options_.lists, fields, depth);
    expanding_->pop_back();
    if (node) node->expansion = std::string(lexeme.text) + "/" + std::to_string(fields);
    if (!node && text_.data() != nullptr && !text_.empty()) {
      // An entry's error, said where the query names the list.
      return Fail(lexeme.offset, "@" + std::string(lexeme.text) + " " + node.error().message);
    }
    return node;
  }

  // A word, or the words of a phrase: each may end in '*'; each folds to one or more tokens.
  // `written` is how the query wrote it (the term's label).
  Result<Node> Term(const Lexeme& lexeme, std::string_view words, size_t words_offset,
                    FieldMask fields, std::string_view written) {
    Node node;
    node.kind = Node::Kind::kTerm;
    node.fields = fields;
    node.label = std::string(written);
    size_t start = 0;
    while (start <= words.size()) {
      size_t end = start;
      while (end < words.size() && !IsSpace(words[end])) ++end;
      std::string_view word = words.substr(start, end - start);
      const size_t offset = words_offset + start;
      if (!word.empty()) {
        const bool prefix = word.back() == '*';
        if (prefix) word.remove_suffix(1);
        if (word.find('*') != std::string_view::npos) {
          return Fail(offset + word.find('*'), "'*' may only end a word");
        }
        TokenTexts texts(word.size());
        std::vector<Token> tokens;
        AppendTokens(word, options_.fold_accents, texts, tokens);
        if (tokens.empty()) {
          return Fail(offset, "expected a word with at least one letter or digit");
        }
        for (size_t i = 0; i < tokens.size(); ++i) {
          const bool last = i + 1 == tokens.size();
          node.parts.push_back({std::string(tokens[i].text), prefix && last});
          if (lexeme.exact) {
            node.written.emplace_back(
                word.substr(tokens[i].begin, tokens[i].end - tokens[i].begin));
          }
        }
      }
      start = end + 1;
    }
    if (node.parts.empty()) return Fail(lexeme.offset, "empty phrase");
    return node;
  }

  static bool HasNot(const Node& node) {
    if (node.kind == Node::Kind::kNot) return true;
    return std::any_of(node.children.begin(), node.children.end(), HasNot);
  }

  // Terms, an OR of them, or what another NOT NEAR left of them: hits that each stand on their
  // own, which NOT NEAR can take away one by one.
  static bool OnlyTerms(const Node& node) {
    if (node.kind == Node::Kind::kTerm) return true;
    if (node.kind == Node::Kind::kNotNear) return OnlyTerms(node.children[0]);
    if (node.kind != Node::Kind::kOr) return false;
    return std::all_of(node.children.begin(), node.children.end(), OnlyTerms);
  }

  static bool HasPositiveTerm(const Node& node) {
    if (node.kind == Node::Kind::kTerm) return true;
    if (node.kind == Node::Kind::kNot) return false;
    if (node.kind == Node::Kind::kNotNear) return HasPositiveTerm(node.children[0]);
    return std::any_of(node.children.begin(), node.children.end(), HasPositiveTerm);
  }

  std::string_view text_;
  QueryOptions options_;
  std::vector<std::string_view>* expanding_;
  std::vector<Lexeme> lexemes_;
  size_t next_ = 0;
};

bool PartMatches(const Query::Trigger& part, std::string_view token) {
  return part.prefix ? token.starts_with(part.text) : token == part.text;
}

// Which passages (1..count) something holds in.
class PassageSet {
 public:
  PassageSet(uint32_t count, bool all) : count_(count) {
    if (Words() > kInline) overflow_.assign(Words(), 0);
    if (all) SetAll();
  }
  void Set(uint32_t passage) { word(passage - 1) |= uint64_t{1} << ((passage - 1) % 64); }
  void SetAll() {
    for (size_t i = 0; i < Words(); ++i) at(i) = ~uint64_t{0};
    Trim();
  }
  bool Has(uint32_t passage) const {
    return (at((passage - 1) / 64) >> ((passage - 1) % 64) & 1) != 0;
  }
  bool Any() const {
    for (size_t i = 0; i < Words(); ++i) {
      if (at(i) != 0) return true;
    }
    return false;
  }
  bool All() const {
    for (size_t i = 0; i + 1 < Words(); ++i) {
      if (at(i) != ~uint64_t{0}) return false;
    }
    return at(Words() - 1) == LastWordFull();
  }
  void Intersect(const PassageSet& other) {
    for (size_t i = 0; i < Words(); ++i) at(i) &= other.at(i);
  }
  void Unite(const PassageSet& other) {
    for (size_t i = 0; i < Words(); ++i) at(i) |= other.at(i);
  }
  void Invert() {
    for (size_t i = 0; i < Words(); ++i) at(i) = ~at(i);
    Trim();
  }

 private:
  // Most items have a few dozen passages: their sets live inline.
  static constexpr size_t kInline = 2;
  size_t Words() const { return (count_ + 63) / 64; }
  uint64_t& at(size_t i) { return Words() > kInline ? overflow_[i] : inline_[i]; }
  uint64_t at(size_t i) const { return Words() > kInline ? overflow_[i] : inline_[i]; }
  uint64_t& word(uint32_t bit) { return at(bit / 64); }
  uint64_t LastWordFull() const {
    return count_ % 64 == 0 ? ~uint64_t{0} : (uint64_t{1} << (count_ % 64)) - 1;
  }
  void Trim() { at(Words() - 1) &= LastWordFull(); }
  uint32_t count_;
  std::array<uint64_t, kInline> inline_{};
  std::vector<uint64_t> overflow_;
};

// The title and the lede read as one text make the lede's reading.
constexpr uint32_t kLede = 1;
// Proximity is measured within a reading: the title with the lede (or, in item scope, title,
// summary and content), one passage, or one of the other fields.
constexpr uint32_t kFieldReadings = kMaxPassages + 1;  // + the field's number

constexpr uint32_t kUnknownSentence = UINT32_MAX;

// A stretch of tokens that matched, for NEAR and for explanations.
struct Span {
  Field field;
  uint32_t first;  // token positions in the field
  uint32_t last;
  const Node* term;
  uint32_t passage;  // 0: in the title or another context field, so in every passage
  uint32_t reading;  // spans are near only within one reading
  // And excluded only within one sentence: its field and number in it (Evaluator::SentenceKey),
  // worked out where an exclusion needs it; kUnknownSentence until then.
  uint32_t sentence;
  uint64_t at_first;  // token positions in the reading
  uint64_t at_last;
};

// What a node makes of a document: the passages it holds in and, when asked for, where its
// positive terms hit in them.
struct Outcome {
  PassageSet holds;
  std::vector<Span> spans;
};

// Spans sorted for "the nearest one before or after a point in a reading", and "one that
// overlaps a stretch", in O(log n). With `within_sentences`, only a span of the same sentence
// counts: exclusions describe what one sentence says ("the former ambassador"), and must not
// reach into the next one.
class SpanIndex {
 public:
  template <typename Keep>
  SpanIndex(const std::vector<Span>& spans, Keep keep, bool within_sentences = false)
      : within_sentences_(within_sentences) {
    // A few spans (the usual case) are scanned; many are sorted for binary searches.
    size_t kept = 0;
    for (const Span& span : spans) {
      if (!keep(span)) continue;
      if (kept < few_.size()) few_[kept] = {Group(span), span.at_first, span.at_last};
      ++kept;
    }
    if (kept <= few_.size()) {
      few_count_ = kept;
      return;
    }
    few_count_ = kNotFew;
    for (const Span& span : spans) {
      if (!keep(span)) continue;
      by_first_.push_back({Group(span), span.at_first, span.at_last});
      by_last_.emplace_back(Group(span), span.at_last);
    }
    std::sort(by_first_.begin(), by_first_.end());
    std::sort(by_last_.begin(), by_last_.end());
    // The furthest end of the spans starting at or before each, within its group.
    reach_.reserve(by_first_.size());
    for (size_t i = 0; i < by_first_.size(); ++i) {
      const bool same = i > 0 && by_first_[i - 1].group == by_first_[i].group;
      reach_.push_back(same ? std::max(reach_.back(), by_first_[i].last) : by_first_[i].last);
    }
  }

  // Whether a span starts after `span` ends, with at most `distance` tokens between.
  bool After(const Span& span, uint32_t distance) const {
    if (few_count_ != kNotFew) {
      return std::any_of(few_.begin(), few_.begin() + static_cast<std::ptrdiff_t>(few_count_),
                         [&](const Stretch& s) {
                           return s.group == Group(span) && s.first > span.at_last &&
                                  s.first - span.at_last - 1 <= distance;
                         });
    }
    const auto it = std::lower_bound(by_first_.begin(), by_first_.end(),
                                     Stretch{Group(span), span.at_last + 1, 0});
    return it != by_first_.end() && it->group == Group(span) &&
           it->first - span.at_last - 1 <= distance;
  }
  // Whether a span ends before `span` starts, with at most `distance` tokens between.
  bool Before(const Span& span, uint32_t distance) const {
    if (few_count_ != kNotFew) {
      return std::any_of(few_.begin(), few_.begin() + static_cast<std::ptrdiff_t>(few_count_),
                         [&](const Stretch& s) {
                           return s.group == Group(span) && s.last < span.at_first &&
                                  span.at_first - s.last - 1 <= distance;
                         });
    }
    auto it = std::lower_bound(by_last_.begin(), by_last_.end(), Key(Group(span), span.at_first));
    if (it == by_last_.begin()) return false;
    --it;
    return it->first == Group(span) && it->second < span.at_first &&
           span.at_first - it->second - 1 <= distance;
  }
  // Whether a span shares a token with `span` ("round" in "Moscow round").
  bool Overlaps(const Span& span) const {
    if (few_count_ != kNotFew) {
      return std::any_of(few_.begin(), few_.begin() + static_cast<std::ptrdiff_t>(few_count_),
                         [&](const Stretch& s) {
                           return s.group == Group(span) && s.first <= span.at_last &&
                                  s.last >= span.at_first;
                         });
    }
    const auto it = std::upper_bound(by_first_.begin(), by_first_.end(),
                                     Stretch{Group(span), span.at_last, UINT64_MAX});
    if (it == by_first_.begin()) return false;
    const size_t last = static_cast<size_t>(it - by_first_.begin()) - 1;
    return by_first_[last].group == Group(span) && reach_[last] >= span.at_first;
  }
  // A span within `distance` on `side` of `span`: after it, before it, or either (overlapping
  // counts then).
  bool Near(const Span& span, uint32_t distance, Query::Node::Side side) const {
    switch (side) {
      case Query::Node::Side::kAfter:
        return After(span, distance);
      case Query::Node::Side::kBefore:
        return Before(span, distance);
      case Query::Node::Side::kEither:
        return After(span, distance) || Before(span, distance) || Overlaps(span);
    }
    return false;
  }

 private:
  // Spans compare positions only within one group: a reading, or a sentence of one.
  uint64_t Group(const Span& span) const {
    return within_sentences_ ? uint64_t{span.reading} << 32 | span.sentence : span.reading;
  }
  struct Stretch {
    uint64_t group;
    uint64_t first;
    uint64_t last;
    bool operator<(const Stretch& other) const {
      return std::tie(group, first, last) < std::tie(other.group, other.first, other.last);
    }
  };
  using Key = std::pair<uint64_t, uint64_t>;
  static constexpr size_t kNotFew = SIZE_MAX;
  bool within_sentences_;
  std::array<Stretch, 16> few_{};
  size_t few_count_ = 0;  // how many of few_ hold spans; kNotFew when the vectors do
  std::vector<Stretch> by_first_;
  std::vector<uint64_t> reach_;  // parallel to by_first_
  std::vector<Key> by_last_;
};

class Evaluator {
 public:
  // Reads the postings of the query's word i from `resolution`, at places[i] (at i when
  // `places` is empty).
  Evaluator(const Resolution& resolution, std::span<const uint32_t> places, Scope scope,
            size_t memos)
      : resolution_(resolution),
        places_(places),
        memo_{std::vector<std::optional<Outcome>>(memos),
              std::vector<std::optional<Outcome>>(memos)},
        possible_(memos, -1),
        document_(resolution.document()),
        accents_(resolution.accents()),
        scope_(scope),
        passages_(scope == Scope::kPassage ? document_.passage_count() : 1),
        title_tokens_(document_.tokens(Field::kTitle, accents_).size()),
        summary_tokens_(document_.tokens(Field::kSummary, accents_).size()),
        lede_field_(summary_tokens_ > 0 ? Field::kSummary : Field::kContent) {}

  // What `node` holds in; with `want_spans`, where its positive terms hit (all of them, in the
  // passages where it holds and in the context fields).
  Outcome Eval(const Node& node, bool want_spans) const {
    if (node.memo >= 0) {
      // A list used more than once: worked out once, with its spans, in each mode.
      std::optional<Outcome>& memo = memo_[in_sentence_ > 0 ? 1 : 0][node.memo];
      if (!memo) memo = Evaluate(node, /*want_spans=*/true);
      return *memo;
    }
    return Evaluate(node, want_spans);
  }

 private:
  Outcome Evaluate(const Node& node, bool want_spans) const {
    switch (node.kind) {
      case Node::Kind::kTerm:
        return Term(node, want_spans);
      case Node::Kind::kAnd: {
        Outcome out{PassageSet(passages_, true), {}};
        for (const Node& child : node.children) {
          Outcome part = Eval(child, want_spans);
          out.holds.Intersect(part.holds);
          if (!out.holds.Any()) return None();
          if (want_spans) out.spans.insert(out.spans.end(), part.spans.begin(), part.spans.end());
        }
        if (want_spans) {
          std::erase_if(out.spans,
                        [&](const Span& s) { return s.passage != 0 && !out.holds.Has(s.passage); });
        }
        return out;
      }
      case Node::Kind::kOr: {
        Outcome out = None();
        for (size_t i = 0; i < node.children.size(); ++i) {
          // A list's words are mostly absent: skip them without building an outcome.
          const uint32_t lookup = node.term_lookups[i];
          if (lookup != Node::kNoLookup && Postings(lookup).empty()) continue;
          Outcome part = Eval(node.children[i], want_spans);
          out.holds.Unite(part.holds);
          if (want_spans) {
            out.spans.insert(out.spans.end(), part.spans.begin(), part.spans.end());
          } else if (out.holds.All()) {
            break;
          }
        }
        return out;
      }
      case Node::Kind::kNot: {
        Outcome out{Eval(node.children[0], false).holds, {}};
        out.holds.Invert();
        return out;
      }
      case Node::Kind::kNear:
        return Near(node, want_spans);
      case Node::Kind::kNotNear:
        return NotNear(node, want_spans);
    }
    return None();
  }

  Outcome None() const { return {PassageSet(passages_, false), {}}; }

  // Where a hit of `length` tokens at `position` of `field` stands; nullopt when it runs over
  // the end of a paragraph (a phrase is never read across one).
  std::optional<Span> Locate(Field field, uint32_t position, uint32_t length,
                             const Node& term) const {
    Span span{field,
              position,
              position + length - 1,
              &term,
              0,
              0,
              kUnknownSentence,
              position,
              position + length - 1};
    if (document_.CrossesLine(field, position, length)) return std::nullopt;
    if (IsBody(field)) {
      const Document::Place place = document_.PlaceOf(field, position);
      if (position + length > place.end) return std::nullopt;
      if (scope_ == Scope::kPassage) {
        span.passage = place.passage;
        span.reading = place.passage;
        span.at_first = place.offset + (place.passage == kLede ? title_tokens_ : 0);
        span.at_last = span.at_first + length - 1;
        return span;
      }
    }
    if (field == Field::kTitle || IsBody(field)) {
      // Title, summary and content are one running text, read in that order.
      uint64_t before = 0;
      if (IsBody(field)) before += title_tokens_;
      if (field == Field::kContent) before += summary_tokens_;
      span.reading = kLede;
      span.at_first += before;
      span.at_last += before;
    } else {
      span.reading = kFieldReadings + static_cast<uint32_t>(field);
    }
    return span;
  }

 public:
  // Whether `node` can hold at all: every term it needs has a posting. Cheaper than Eval: no
  // positions, no passages.
  bool Possible(const Node& node) const {
    if (node.memo >= 0) {
      int8_t& known = possible_[node.memo];
      if (known < 0) known = PossibleHere(node) ? 1 : 0;
      return known != 0;
    }
    return PossibleHere(node);
  }

 private:
  bool PossibleHere(const Node& node) const {
    switch (node.kind) {
      case Node::Kind::kTerm:
        return !Postings(node.lookup).empty();
      case Node::Kind::kOr:
        for (size_t i = 0; i < node.children.size(); ++i) {
          const uint32_t lookup = node.term_lookups[i];
          if (lookup != Node::kNoLookup ? !Postings(lookup).empty() : Possible(node.children[i])) {
            return true;
          }
        }
        return false;
      case Node::Kind::kAnd:
        return std::all_of(node.children.begin(), node.children.end(), [&](const Node& child) {
          return child.kind == Node::Kind::kNot || Possible(child);
        });
      case Node::Kind::kNear:
        return Possible(node.children[0]) && Possible(node.children[1]);
      case Node::Kind::kNotNear:
        return Possible(node.children[0]);
      case Node::Kind::kNot:
        return true;
    }
    return true;
  }

  // The postings of the query's word `index`.
  std::span<const Document::Posting> Postings(uint32_t index) const {
    return resolution_.Postings(places_.empty() ? index : places_[index]);
  }

  // Gives `spans` their sentences, for an exclusion.
  void SetSentences(std::vector<Span>& spans) const {
    for (Span& span : spans) {
      if (span.sentence == kUnknownSentence) span.sentence = SentenceKey(span.field, span.first);
    }
  }

  // A key for the sentence a token stands in. The title reads as one sentence with the lede's
  // first: the headline and the lede tell one thing, and what the headline excludes ("Wrestler
  // Darchiev ...") holds in the lede's first words.
  uint32_t SentenceKey(Field field, uint32_t position) const {
    if (field == Field::kTitle) return static_cast<uint32_t>(lede_field_) << 24;
    return static_cast<uint32_t>(field) << 24 | document_.SentenceOf(field, position);
  }

  Outcome Term(const Node& node, bool want_spans) const {
    Outcome out = None();
    const auto length = static_cast<uint32_t>(node.parts.size());
    for (const Document::Posting& posting : Postings(node.lookup)) {
      if ((node.fields & Bit(posting.field)) == 0) continue;
      const std::vector<Token>& tokens = document_.tokens(posting.field, accents_);
      if (posting.position + length > tokens.size()) continue;
      bool match = true;
      for (size_t i = 1; i < length && match; ++i) {
        match = PartMatches(node.parts[i], tokens[posting.position + i].text);
      }
      for (size_t i = 0; i < node.written.size() && match; ++i) {
        const std::string_view written =
            document_.Written(posting.field, tokens[posting.position + i]);
        match = node.parts[i].prefix ? written.starts_with(node.written[i])
                                     : written == node.written[i];
      }
      if (!match) continue;
      const std::optional<Span> span = Locate(posting.field, posting.position, length, node);
      if (!span) continue;
      if (span->passage == 0) {
        out.holds.SetAll();
      } else {
        out.holds.Set(span->passage);
      }
      if (want_spans) {
        out.spans.push_back(*span);
      } else if (out.holds.All()) {
        break;
      }
    }
    return out;
  }

  // Both operands' hits, paired within a reading: the pair holds in its passage, or in every
  // passage when both stand in the title (or another context field). A title hit that pairs
  // only with the lede's comes out as the lede's: what uses it next must not take it for a hit
  // that holds in every passage.
  Outcome Near(const Node& node, bool want_spans) const {
    // The operands are often large (lists, exclusions): find out first whether both can hold.
    if (!Possible(node.children[1]) || !Possible(node.children[0])) return None();
    Outcome left = Eval(node.children[0], /*want_spans=*/true);
    if (!left.holds.Any()) return None();
    Outcome right = Eval(node.children[1], /*want_spans=*/true);
    if (!right.holds.Any()) return None();
    if (in_sentence_ > 0) {
      SetSentences(left.spans);
      SetSentences(right.spans);
    }
    Outcome out = None();
    // The right operand on `node.side` of each left hit; then the left on the other side of
    // each right hit, for the spans only.
    const Node::Side mirrored = node.side == Node::Side::kAfter ? Node::Side::kBefore : node.side;
    Pair(left.spans, right.spans, node.distance, node.side, in_sentence_ > 0, &out.holds,
         want_spans ? &out.spans : nullptr);
    // A title span of an operand that holds in some passages only (an AND with the rest of its
    // evidence in one paragraph) says "every passage": the pair holds only where both
    // operands do.
    out.holds.Intersect(left.holds);
    out.holds.Intersect(right.holds);
    if (!want_spans || !out.holds.Any()) return out;
    Pair(right.spans, left.spans, node.distance, mirrored, in_sentence_ > 0, nullptr, &out.spans);
    return out;
  }

  // For each of `spans` with one of `others` within `distance` on `side`: adds the passages
  // where the pair holds to `holds`, and the span (a title's localised to the lede when it
  // pairs with the lede only) to `kept`.
  static void Pair(const std::vector<Span>& spans, const std::vector<Span>& others,
                   uint32_t distance, Node::Side side, bool within_sentences, PassageSet* holds,
                   std::vector<Span>* kept) {
    const SpanIndex context(
        others, [](const Span& s) { return s.passage == 0; }, within_sentences);
    const SpanIndex body(
        others, [](const Span& s) { return s.passage != 0; }, within_sentences);
    for (const Span& span : spans) {
      const bool near_context = context.Near(span, distance, side);
      const bool near_body = body.Near(span, distance, side);
      if (!near_context && !near_body) continue;
      if (holds != nullptr) {
        if (span.passage != 0) {
          holds->Set(span.passage);
        } else {
          if (near_context) holds->SetAll();
          // Only the title's reading holds both context and body: it is the lede's.
          if (near_body) holds->Set(kLede);
        }
      }
      if (kept == nullptr) continue;
      kept->push_back(span);
      if (span.passage == 0 && !near_context) kept->back().passage = kLede;
    }
  }

  // The left operand's hits that have no hit of the right operand near them.
  Outcome NotNear(const Node& node, bool want_spans) const {
    Outcome left = Eval(node.children[0], /*want_spans=*/true);
    if (!left.holds.Any()) return None();
    // What the exclusion describes is said in one sentence: so is all of it.
    ++in_sentence_;
    Outcome right = Eval(node.children[1], /*want_spans=*/true);
    --in_sentence_;
    SetSentences(left.spans);
    SetSentences(right.spans);
    // A right span in the title (or another context field) excludes only in the passages where
    // the right operand holds: "Spartak" in the title with "match" in another paragraph does
    // not exclude a paragraph that has no "match".
    const SpanIndex near_context(
        right.spans, [](const Span& s) { return s.passage == 0; }, /*within_sentences=*/true);
    const SpanIndex near_body(
        right.spans, [](const Span& s) { return s.passage != 0; }, /*within_sentences=*/true);
    PassageSet unexcluded = right.holds;
    unexcluded.Invert();
    Outcome out = None();
    for (const Span& span : left.spans) {
      const bool by_context = near_context.Near(span, node.distance, node.side);
      const bool by_body = near_body.Near(span, node.distance, node.side);
      if (span.passage != 0) {
        if ((by_context || by_body) && right.holds.Has(span.passage)) continue;
        out.holds.Set(span.passage);
      } else if (by_body) {
        // A title hit excluded by the lede: the headline and the lede's first sentence are one
        // sentence, and the word has one sense in every passage.
        continue;
      } else if (by_context) {
        if (!unexcluded.Any()) continue;
        out.holds.Unite(unexcluded);
      } else {
        out.holds.SetAll();
      }
      if (want_spans) out.spans.push_back(span);
    }
    return out;
  }

  const Resolution& resolution_;
  std::span<const uint32_t> places_;
  // The outcomes of list expansions (Node::memo), outside and inside an exclusion's right side.
  mutable std::array<std::vector<std::optional<Outcome>>, 2> memo_;
  mutable std::vector<int8_t> possible_;  // Possible() of list expansions: -1 not known yet
  const Document& document_;
  bool accents_;
  Scope scope_;
  uint32_t passages_;
  uint64_t title_tokens_;
  uint64_t summary_tokens_;
  Field lede_field_;
  // Above 0 while the right operand of an exclusion is evaluated: its proximity, too, stays
  // within one sentence.
  mutable int in_sentence_ = 0;
};

// The trigger set of `node` (see Query::Triggers), or nullopt.
std::optional<std::vector<Query::Trigger>> TriggersOf(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kTerm: {
      // One token of a phrase is enough: the longest exact one, else the longest prefix.
      const Query::Trigger* best = nullptr;
      for (const Query::Trigger& part : node.parts) {
        if (best == nullptr || (best->prefix && !part.prefix) ||
            (best->prefix == part.prefix && part.text.size() > best->text.size())) {
          best = &part;
        }
      }
      if (best == nullptr) return std::nullopt;  // the parser never makes an empty term
      return std::vector<Query::Trigger>{*best};
    }
    case Node::Kind::kNotNear:
      return TriggersOf(node.children[0]);
    case Node::Kind::kAnd:
    case Node::Kind::kNear: {
      // Any one child's set will do: the smallest.
      std::optional<std::vector<Query::Trigger>> best;
      for (const Node& child : node.children) {
        std::optional<std::vector<Query::Trigger>> set = TriggersOf(child);
        if (set && (!best || set->size() < best->size())) best = std::move(set);
      }
      return best;
    }
    case Node::Kind::kOr: {
      std::vector<Query::Trigger> all;
      for (const Node& child : node.children) {
        std::optional<std::vector<Query::Trigger>> set = TriggersOf(child);
        if (!set) return std::nullopt;
        all.insert(all.end(), set->begin(), set->end());
      }
      return all;
    }
    case Node::Kind::kNot:
      return std::nullopt;
  }
  return std::nullopt;
}

constexpr std::array<Field, kFieldCount> kFieldOrder{
    Field::kTitle,    Field::kSummary, Field::kContent, Field::kAuthor,
    Field::kCategory, Field::kFeed,    Field::kLink};

// A title of at most this many words is shown whole in a snippet.
constexpr uint32_t kWholeTitleWords = 48;

Snippet MakeSnippet(const Document& document, const std::vector<Hit>& hits, bool accents) {
  Snippet snippet;
  if (hits.empty()) return snippet;
  // Around the most telling hit; of equals, the first as read (title, summary, content, ...).
  const Hit& best = *std::max_element(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return a.specificity < b.specificity;
  });
  const std::vector<Token>& tokens = document.tokens(best.field, accents);
  const std::string_view text = document.text(best.field);
  const Document::Place place = document.PlaceOf(best.field, best.first);
  // The hit's paragraph, whole when short (a title), else a window of it, cut at token
  // boundaries.
  constexpr uint32_t kBefore = 8, kAfter = 16;
  uint32_t from = std::max(place.begin, best.first > kBefore ? best.first - kBefore : 0);
  uint32_t to = std::min(place.end - 1, best.last + kAfter);
  if (best.field == Field::kTitle && tokens.size() <= kWholeTitleWords) {
    from = 0;
    to = static_cast<uint32_t>(tokens.size()) - 1;
  }
  const bool whole_start = from == 0 || (from == place.begin && IsBody(best.field));
  const bool whole_end = to + 1 == place.end;
  // A whole paragraph keeps the punctuation around its words (quotes, a full stop).
  size_t begin = tokens[from].begin;
  if (whole_start) {
    const size_t newline = from == 0 ? std::string_view::npos : text.rfind('\n', begin);
    begin = newline == std::string_view::npos ? 0 : newline + 1;
  }
  size_t end = tokens[to].end;
  if (whole_end) end = std::min(text.size(), text.find('\n', end));
  const std::string prefix = whole_start ? "" : "…";
  snippet.field = best.field;
  snippet.text = prefix + std::string(text.substr(begin, end - begin)) + (whole_end ? "" : "…");
  std::replace(snippet.text.begin(), snippet.text.end(), '\n', ' ');  // categories, one a line
  for (const Hit& hit : hits) {
    if (hit.field != best.field || hit.begin < begin || hit.end > end) continue;
    const size_t mark_begin = prefix.size() + hit.begin - begin;
    const size_t mark_end = prefix.size() + hit.end - begin;
    if (!snippet.marks.empty() && mark_begin < snippet.marks.back().second) continue;
    snippet.marks.emplace_back(mark_begin, mark_end);
  }
  return snippet;
}

}  // namespace

std::string_view ScopeName(Scope scope) { return scope == Scope::kItem ? "item" : "passage"; }

std::optional<Scope> ScopeNamed(std::string_view name) {
  if (name == "passage") return Scope::kPassage;
  if (name == "item") return Scope::kItem;
  return std::nullopt;
}

void TermLists::Add(std::string name, std::vector<std::string> entries) {
  lists_[std::move(name)] = {std::move(entries), /*expression=*/false};
}

void TermLists::AddExpression(std::string name, std::string query) {
  lists_[std::move(name)] = {{std::move(query)}, /*expression=*/true};
}

const std::vector<std::string>* TermLists::Find(std::string_view name) const {
  const auto it = lists_.find(name);
  return it == lists_.end() ? nullptr : &it->second.entries;
}

bool TermLists::IsExpression(std::string_view name) const {
  const auto it = lists_.find(name);
  return it != lists_.end() && it->second.expression;
}

std::vector<std::string> TermLists::Names() const {
  std::vector<std::string> names;
  names.reserve(lists_.size());
  for (const auto& [name, entries] : lists_) names.push_back(name);
  return names;
}

Status TermLists::Check(std::string_view name) const {
  if (!Has(name)) return Error::NotFound("no term list @" + std::string(name));
  std::vector<std::string_view> expanding{name};
  Parser parser({}, {.lists = this}, &expanding);
  Result<Node> node = parser.ExpandList(name, *this, kDefaultFields, 0);
  if (!node) return node.error();
  return Status::Ok();
}

std::string Snippet::Marked(std::string_view open, std::string_view close) const {
  std::string out;
  size_t copied = 0;
  for (const auto& [begin, end] : marks) {
    out.append(text, copied, begin - copied);
    out.append(open);
    out.append(text, begin, end - begin);
    out.append(close);
    copied = end;
  }
  out.append(text, copied);
  return out;
}

std::string Explanation::Summary(const Document& document) const {
  std::string out;
  for (size_t i = 0; i < hits.size(); ++i) {
    if (i == kSummaryHits) {
      out += "; and " + std::to_string(hits.size() - i) + " more";
      break;
    }
    const Hit& hit = hits[i];
    if (!out.empty()) out += "; ";
    out += std::string(document.Label(hit.field)) + ": " + hit.term + " (" +
           std::string(document.text(hit.field).substr(hit.begin, hit.end - hit.begin)) + ")";
  }
  return out;
}

Query::Query() = default;
Query::Query(Query&&) noexcept = default;
Query& Query::operator=(Query&&) noexcept = default;
Query::~Query() = default;

Result<Query> Query::Parse(std::string_view text, QueryOptions options) {
  std::vector<std::string_view> expanding;
  Result<Node> root = Parser(text, options, &expanding).Parse();
  if (!root) return root.error();
  Query query;
  query.fold_accents_ = options.fold_accents;
  query.scope_ = options.scope;
  query.root_ = std::make_unique<Node>(std::move(*root));
  SetSpecificity(*query.root_, /*near=*/0, /*lists=*/0);
  std::map<std::string, int32_t> expansions;
  Intern(*query.root_, query.lexicon_, expansions, query.fields_);
  query.memos_ = expansions.size();
  return query;
}

bool Query::Matches(const Document& document) const {
  const Resolution resolution(lexicon_, document, fold_accents_,
                              Resolution::AllAtOnceIsCheaper(lexicon_, document, fold_accents_));
  return Matches(resolution, {});
}

bool Query::Matches(const Resolution& resolution, std::span<const uint32_t> places) const {
  const Evaluator evaluator(resolution, places, scope_, memos_);
  if (!evaluator.Possible(*root_)) return false;
  return evaluator.Eval(*root_, false).holds.Any();
}

std::optional<Explanation> Query::Explain(const Document& document) const {
  const Resolution resolution(lexicon_, document, fold_accents_,
                              Resolution::AllAtOnceIsCheaper(lexicon_, document, fold_accents_));
  const Evaluator evaluator(resolution, {}, scope_, memos_);
  if (!evaluator.Possible(*root_)) return std::nullopt;
  Outcome outcome = evaluator.Eval(*root_, true);
  if (!outcome.holds.Any()) return std::nullopt;
  std::vector<Span>& spans = outcome.spans;
  const auto order = [](Field field) {
    return std::find(kFieldOrder.begin(), kFieldOrder.end(), field) - kFieldOrder.begin();
  };
  std::sort(spans.begin(), spans.end(), [&](const Span& a, const Span& b) {
    if (a.field != b.field) return order(a.field) < order(b.field);
    if (a.first != b.first) return a.first < b.first;
    if (a.last != b.last) return a.last > b.last;
    // The same tokens through two branches: the more telling copy first, the one kept.
    return a.term->specificity > b.term->specificity;
  });
  Explanation explanation;
  for (const Span& span : spans) {
    if (!explanation.hits.empty() && explanation.hits.back().field == span.field &&
        explanation.hits.back().first == span.first && explanation.hits.back().last == span.last) {
      continue;  // the same tokens through two branches
    }
    const std::vector<Token>& tokens = document.tokens(span.field, fold_accents_);
    explanation.hits.push_back({span.field, span.first, span.last, tokens[span.first].begin,
                                tokens[span.last].end, span.term->label, span.term->specificity});
  }
  explanation.snippet = MakeSnippet(document, explanation.hits, fold_accents_);
  return explanation;
}

std::optional<std::vector<Query::Trigger>> Query::Triggers() const { return TriggersOf(*root_); }

}  // namespace feedwatch::filters
