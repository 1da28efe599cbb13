#include "filters/query.h"

#include <algorithm>
#include <cctype>

#include "filters/tokenize.h"

namespace feedwatch::filters {

struct Query::Node {
  enum class Kind { kTerm, kAnd, kOr, kNot, kNear };
  Kind kind = Kind::kTerm;
  // kTerm: one part per token; several make a phrase. The last part may be a prefix.
  std::vector<Trigger> parts;
  std::string label;  // as written
  FieldMask fields = kDefaultFields;
  // kNear
  uint32_t distance = 0;
  bool ordered = false;
  std::vector<Node> children;
  // kTerm: how telling a hit of this term is, for choosing the snippet (SetSpecificity).
  int specificity = 0;
};

namespace {

using Node = Query::Node;

constexpr int kMaxDepth = 64;  // nesting of parentheses, NOT and field scopes

// A stretch of tokens that matched, for NEAR and for explanations.
struct Span {
  Field field;
  uint32_t first;
  uint32_t last;
  const std::string* label;
  int specificity;  // the term's
};

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
  enum class Kind { kEnd, kWord, kPhrase, kOpen, kClose, kAnd, kOr, kNot, kMinus, kNear, kField };
  Kind kind = Kind::kEnd;
  size_t offset = 0;      // in the query text
  std::string_view text;  // word or phrase content, field name
  uint32_t distance = 0;  // kNear
  bool ordered = false;   // kNear: ONEAR
};

class Parser {
 public:
  Parser(std::string_view text, QueryOptions options) : text_(text), options_(options) {}

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

 private:
  Error Fail(size_t offset, const std::string& message) const {
    const auto [line, column] = Position(text_, offset);
    Error error =
        Error::InvalidInput(std::to_string(line) + ":" + std::to_string(column) + ": " + message);
    error.line = line;
    error.column = column;
    return error;
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
      } else if (c == '"') {
        const size_t close = text_.find('"', pos + 1);
        if (close == std::string_view::npos) {
          return Fail(pos, "unclosed '\"': expected a closing quote");
        }
        lexeme.kind = Lexeme::Kind::kPhrase;
        lexeme.text = text_.substr(pos + 1, close - pos - 1);
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

  // Decides what a bare word is: operator, NEAR/n, field scope or term. May shorten `end` (a
  // field scope ends at its colon).
  Status Classify(std::string_view word, Lexeme& lexeme, size_t& end) {
    if (word == "AND") {
      lexeme.kind = Lexeme::Kind::kAnd;
    } else if (word == "OR") {
      lexeme.kind = Lexeme::Kind::kOr;
    } else if (word == "NOT") {
      lexeme.kind = Lexeme::Kind::kNot;
    } else if (word.starts_with("NEAR") || word.starts_with("ONEAR")) {
      const bool ordered = word.starts_with("O");
      std::string_view number = word.substr(ordered ? 5 : 4);
      const bool is_operator = number.empty() || number.starts_with('/');
      if (is_operator) {
        if (!number.starts_with('/') || number.size() < 2 || number.size() > 4 ||
            !std::all_of(number.begin() + 1, number.end(),
                         [](char d) { return d >= '0' && d <= '9'; })) {
          return Fail(lexeme.offset, std::string("expected ") + (ordered ? "ONEAR" : "NEAR") +
                                         "/n with a number of words, e.g. " +
                                         (ordered ? "ONEAR" : "NEAR") + "/5");
        }
        lexeme.kind = Lexeme::Kind::kNear;
        lexeme.ordered = ordered;
        lexeme.distance = static_cast<uint32_t>(std::stoi(std::string(number.substr(1))));
      } else {
        lexeme.kind = Lexeme::Kind::kWord;
      }
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
    }
    return {};
  }

  const Lexeme& Peek() const { return lexemes_[next_]; }
  const Lexeme& Take() { return lexemes_[next_ < lexemes_.size() - 1 ? next_++ : next_]; }

  static bool StartsOperand(Lexeme::Kind kind) {
    using K = Lexeme::Kind;
    return kind == K::kWord || kind == K::kPhrase || kind == K::kOpen || kind == K::kNot ||
           kind == K::kMinus || kind == K::kField;
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
      const Lexeme& op = Take();
      if (!StartsOperand(Peek().kind)) {
        return Fail(Peek().offset,
                    "expected a term, phrase or '(' after OR, found " + Describe(Peek()));
      }
      (void)op;
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
    while (Peek().kind == Lexeme::Kind::kNear) {
      const Lexeme op = Take();
      if (HasNot(*left)) {
        return Fail(left_offset, "NOT cannot be an operand of " + Describe(op));
      }
      const size_t right_offset = Peek().offset;
      if (Peek().kind == Lexeme::Kind::kNot || Peek().kind == Lexeme::Kind::kMinus) {
        return Fail(right_offset, "NOT cannot be an operand of " + Describe(op));
      }
      if (!StartsOperand(Peek().kind)) {
        return Fail(right_offset, "expected a term, phrase or '(' after " + Describe(op) +
                                      ", found " + Describe(Peek()));
      }
      Result<Node> right = ParsePrimary(fields, depth);
      if (!right) return right;
      if (HasNot(*right)) return Fail(right_offset, "NOT cannot be an operand of " + Describe(op));
      Node node;
      node.kind = Node::Kind::kNear;
      node.distance = op.distance;
      node.ordered = op.ordered;
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
        if (Peek().kind != K::kClose) {
          return Fail(Peek().offset,
                      "expected ')' to close '(' opened at " + PositionText(text_, lexeme.offset));
        }
        Take();
        return inner;
      }
      case K::kPhrase:
        return Term(lexeme, lexeme.text, lexeme.offset + 1, fields, /*quoted=*/true);
      case K::kWord:
        return Term(lexeme, lexeme.text, lexeme.offset, fields, /*quoted=*/false);
      case K::kClose:
        return Fail(lexeme.offset, "unexpected ')'");
      case K::kEnd:
        return Fail(lexeme.offset, "expected a term, phrase or '(' at the end of the query");
      default:
        return Fail(lexeme.offset, "expected a term, phrase or '(' before " + Describe(lexeme));
    }
  }

  // A word, or the words of a phrase: each may end in '*'; each folds to one or more tokens.
  Result<Node> Term(const Lexeme& lexeme, std::string_view words, size_t words_offset,
                    FieldMask fields, bool quoted) {
    Node node;
    node.kind = Node::Kind::kTerm;
    node.fields = fields;
    node.label = quoted ? "\"" + std::string(words) + "\"" : std::string(words);
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
        const std::vector<std::string> tokens = Tokenize(word, options_.fold_accents);
        if (tokens.empty()) {
          return Fail(offset, "expected a word with at least one letter or digit");
        }
        for (size_t i = 0; i < tokens.size(); ++i) {
          node.parts.push_back({tokens[i], prefix && i + 1 == tokens.size()});
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

  static bool HasPositiveTerm(const Node& node) {
    if (node.kind == Node::Kind::kTerm) return true;
    if (node.kind == Node::Kind::kNot) return false;
    return std::any_of(node.children.begin(), node.children.end(), HasPositiveTerm);
  }

  std::string_view text_;
  QueryOptions options_;
  std::vector<Lexeme> lexemes_;
  size_t next_ = 0;
};

bool PartMatches(const Query::Trigger& part, std::string_view token) {
  return part.prefix ? token.starts_with(part.text) : token == part.text;
}

class Evaluator {
 public:
  Evaluator(const Document& document, bool accents) : document_(document), accents_(accents) {}

  // Whether `node` matches; if `spans` is given and it does, appends where its positive terms
  // hit (all of them, not just the first).
  bool Eval(const Node& node, std::vector<Span>* spans) const {
    switch (node.kind) {
      case Node::Kind::kTerm:
        return Term(node, spans);
      case Node::Kind::kAnd: {
        std::vector<Span> local;
        for (const Node& child : node.children) {
          if (!Eval(child, spans != nullptr ? &local : nullptr)) return false;
        }
        if (spans != nullptr) spans->insert(spans->end(), local.begin(), local.end());
        return true;
      }
      case Node::Kind::kOr: {
        bool any = false;
        for (const Node& child : node.children) {
          if (Eval(child, spans)) {
            any = true;
            if (spans == nullptr) return true;
          }
        }
        return any;
      }
      case Node::Kind::kNot:
        return !Eval(node.children[0], nullptr);
      case Node::Kind::kNear:
        return Near(node, spans);
    }
    return false;
  }

 private:
  bool Term(const Node& node, std::vector<Span>* spans) const {
    const Query::Trigger& first = node.parts[0];
    bool found = false;
    for (const Document::Posting& posting : document_.Find(first.text, first.prefix, accents_)) {
      if ((node.fields & Bit(posting.field)) == 0) continue;
      const std::vector<Token>& tokens = document_.tokens(posting.field, accents_);
      if (posting.position + node.parts.size() > tokens.size()) continue;
      bool phrase = true;
      for (size_t i = 1; i < node.parts.size() && phrase; ++i) {
        phrase = PartMatches(node.parts[i], tokens[posting.position + i].text);
      }
      if (!phrase) continue;
      found = true;
      if (spans == nullptr) return true;
      spans->push_back({posting.field, posting.position,
                        static_cast<uint32_t>(posting.position + node.parts.size() - 1),
                        &node.label, node.specificity});
    }
    return found;
  }

  bool Near(const Node& node, std::vector<Span>* spans) const {
    std::vector<Span> left, right;
    if (!Eval(node.children[0], &left) || !Eval(node.children[1], &right)) return false;
    bool found = false;
    std::vector<bool> left_used(left.size()), right_used(right.size());
    for (size_t i = 0; i < left.size(); ++i) {
      for (size_t j = 0; j < right.size(); ++j) {
        const Span& a = left[i];
        const Span& b = right[j];
        // Title, summary and content are one running text, read in that order; other fields
        // are each a text of their own.
        const bool running = IsRunningText(a.field) && IsRunningText(b.field);
        if (!running && a.field != b.field) continue;
        const uint64_t a_first = RunningPosition(a.field, a.first);
        const uint64_t a_last = RunningPosition(a.field, a.last);
        const uint64_t b_first = RunningPosition(b.field, b.first);
        const uint64_t b_last = RunningPosition(b.field, b.last);
        bool close = false;
        if (a_last < b_first) close = b_first - a_last - 1 <= node.distance;
        if (!node.ordered && b_last < a_first) close = a_first - b_last - 1 <= node.distance;
        if (!close) continue;
        found = true;
        if (spans == nullptr) return true;
        left_used[i] = right_used[j] = true;
      }
    }
    if (spans != nullptr) {
      for (size_t i = 0; i < left.size(); ++i) {
        if (left_used[i]) spans->push_back(left[i]);
      }
      for (size_t j = 0; j < right.size(); ++j) {
        if (right_used[j]) spans->push_back(right[j]);
      }
    }
    return found;
  }

  static bool IsRunningText(Field field) {
    return field == Field::kTitle || field == Field::kSummary || field == Field::kContent;
  }

  // A token's place in the running text title + summary + content; other fields' positions
  // are their own.
  uint64_t RunningPosition(Field field, uint32_t position) const {
    uint64_t before = 0;
    if (field == Field::kSummary || field == Field::kContent) {
      before += document_.tokens(Field::kTitle, accents_).size();
    }
    if (field == Field::kContent) before += document_.tokens(Field::kSummary, accents_).size();
    return before + position;
  }

  const Document& document_;
  bool accents_;
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

Snippet MakeSnippet(const Document& document, const std::vector<Hit>& hits, bool accents) {
  Snippet snippet;
  if (hits.empty()) return snippet;
  // Around the most telling hit; of equals, the first as read (title, summary, content, ...).
  const Hit& first = *std::max_element(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return a.specificity < b.specificity;
  });
  const std::vector<Token>& tokens = document.tokens(first.field, accents);
  const std::string_view text = document.text(first.field);
  constexpr uint32_t kBefore = 8, kAfter = 16;
  const uint32_t from = first.first > kBefore ? first.first - kBefore : 0;
  const uint32_t to =
      std::min<uint32_t>(static_cast<uint32_t>(tokens.size()) - 1, first.last + kAfter);
  // The whole field when it is short (a title), else the window, cut at token boundaries.
  const size_t begin = from == 0 ? 0 : tokens[from].begin;
  const size_t end = to + 1 == tokens.size() ? text.size() : tokens[to].end;
  snippet.field = first.field;
  std::string prefix = from == 0 ? "" : "…";
  snippet.text =
      prefix + std::string(text.substr(begin, end - begin)) + (to + 1 == tokens.size() ? "" : "…");
  for (const Hit& hit : hits) {
    if (hit.field != first.field || hit.begin < begin || hit.end > end) continue;
    const size_t mark_begin = prefix.size() + hit.begin - begin;
    const size_t mark_end = prefix.size() + hit.end - begin;
    if (!snippet.marks.empty() && mark_begin < snippet.marks.back().second) continue;
    snippet.marks.emplace_back(mark_begin, mark_end);
  }
  return snippet;
}

}  // namespace

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
    out += std::string(FieldName(hit.field)) + ": " + hit.term + " (" +
           std::string(document.text(hit.field).substr(hit.begin, hit.end - hit.begin)) + ")";
  }
  return out;
}

Query::Query() = default;
Query::Query(Query&&) noexcept = default;
Query& Query::operator=(Query&&) noexcept = default;
Query::~Query() = default;

Result<Query> Query::Parse(std::string_view text, QueryOptions options) {
  Result<Node> root = Parser(text, options).Parse();
  if (!root) return root.error();
  Query query;
  query.options_ = options;
  query.root_ = std::make_unique<Node>(std::move(*root));
  SetSpecificity(*query.root_, /*near=*/0, /*lists=*/0);
  return query;
}

bool Query::Matches(const Document& document) const {
  return Evaluator(document, options_.fold_accents).Eval(*root_, nullptr);
}

std::optional<Explanation> Query::Explain(const Document& document) const {
  std::vector<Span> spans;
  if (!Evaluator(document, options_.fold_accents).Eval(*root_, &spans)) return std::nullopt;
  const auto order = [](Field field) {
    return std::find(kFieldOrder.begin(), kFieldOrder.end(), field) - kFieldOrder.begin();
  };
  std::sort(spans.begin(), spans.end(), [&](const Span& a, const Span& b) {
    if (a.field != b.field) return order(a.field) < order(b.field);
    if (a.first != b.first) return a.first < b.first;
    return a.last > b.last;
  });
  Explanation explanation;
  for (const Span& span : spans) {
    if (!explanation.hits.empty() && explanation.hits.back().field == span.field &&
        explanation.hits.back().first == span.first && explanation.hits.back().last == span.last) {
      continue;  // the same tokens through two branches
    }
    const std::vector<Token>& tokens = document.tokens(span.field, options_.fold_accents);
    explanation.hits.push_back({span.field, span.first, span.last, tokens[span.first].begin,
                                tokens[span.last].end, *span.label, span.specificity});
  }
  explanation.snippet = MakeSnippet(document, explanation.hits, options_.fold_accents);
  return explanation;
}

std::optional<std::vector<Query::Trigger>> Query::Triggers() const { return TriggersOf(*root_); }

}  // namespace feedwatch::filters
