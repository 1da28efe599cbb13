#include "filters/document.h"

#include <utf8proc.h>

#include <algorithm>
#include <bit>
#include <cstring>

namespace feedwatch::filters {
namespace {

constexpr std::array<std::string_view, kFieldCount> kFieldNames{
    "title", "summary", "content", "author", "category", "feed", "link"};

size_t BodyIndex(Field field) { return field == Field::kSummary ? 0 : 1; }

// Words that end in a full stop without ending a sentence, folded.
constexpr std::array<std::string_view, 38> kAbbreviations{
    "mr",  "mrs", "ms",  "dr",  "st",  "gen", "sen",  "rep", "gov", "lt",  "col", "jan",  "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "inc", "corp", "ltd",
    "jr",  "vs",  "no",  "г",   "гг",  "им",  "ул",   "см",  "стр", "тыс", "млн", "млрд"};

// Whether the text between two words ends a sentence: a paragraph break, or '.', '!', '?' or
// '…' with a space after it ("12.5" and "example.org" are one sentence).
bool EndsSentence(std::string_view gap) {
  if (gap.find('\n') != std::string_view::npos) return true;
  for (size_t i = 0; i < gap.size(); ++i) {
    const char c = gap[i];
    if (c == '.' || c == '!' || c == '?' || gap.substr(i).starts_with("\u2026")) {
      const std::string_view after = gap.substr(i + 1);
      return after.find_first_of(" \t") != std::string_view::npos ||
             after.find("\u00A0") != std::string_view::npos;
    }
  }
  return false;
}

size_t CodepointCount(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// The first code point of `word`, or -1.
utf8proc_int32_t FirstCodepoint(std::string_view word) {
  utf8proc_int32_t cp = -1;
  if (word.empty() || utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(word.data()),
                                       static_cast<utf8proc_ssize_t>(word.size()), &cp) <= 0) {
    return -1;
  }
  return cp;
}

// Whether `word` is one letter: an initial ("A. Darchiev"), not a number ("on May 5.").
bool IsInitial(std::string_view word) {
  if (CodepointCount(word) != 1) return false;
  const utf8proc_int32_t cp = FirstCodepoint(word);
  if (cp < 0) return false;
  const utf8proc_category_t category = utf8proc_category(cp);
  return category >= UTF8PROC_CATEGORY_LU && category <= UTF8PROC_CATEGORY_LO;
}

// Whether `word` (as written) starts with a capital letter or a digit.
bool StartsSentence(std::string_view word) {
  if (word.empty()) return false;
  utf8proc_int32_t cp = 0;
  if (utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(word.data()),
                       static_cast<utf8proc_ssize_t>(word.size()), &cp) <= 0) {
    return false;
  }
  const utf8proc_category_t category = utf8proc_category(cp);
  return category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LT ||
         category == UTF8PROC_CATEGORY_ND;
}

// Whether a Document asked for the fields `searched` tokenises `field`: the running text
// (title, summary, content) always, as the passages and every reading are made of it.
bool Tokenised(FieldMask searched, Field field) {
  return ((searched | kDefaultFields) & Bit(field)) != 0;
}

}  // namespace

std::string_view FieldName(Field field) { return kFieldNames[static_cast<size_t>(field)]; }

std::optional<Field> FieldNamed(std::string_view name) {
  for (size_t i = 0; i < kFieldNames.size(); ++i) {
    if (kFieldNames[i] == name) return static_cast<Field>(i);
  }
  return std::nullopt;
}

Document::Document(const DocumentFields& fields, bool fold_accents, FieldMask searched)
    : text_{std::string(fields.title),  std::string(fields.summary),  std::string(fields.content),
            std::string(fields.author), std::string(fields.category), std::string(fields.feed),
            std::string(fields.link)},
      content_label_(fields.content_label),
      folded_([&] {
        size_t bytes = 0;
        for (size_t f = 0; f < kFieldCount; ++f) {
          if (Tokenised(searched, static_cast<Field>(f))) bytes += text_[f].size();
        }
        return fold_accents ? 2 * bytes : bytes;
      }()) {
  for (size_t f = 0; f < kFieldCount; ++f) {
    if (!Tokenised(searched, static_cast<Field>(f))) continue;
    // About a word in seven bytes of news text, either script: growing the vector copies them.
    tokens_[f].reserve(text_[f].size() / 7 + 1);
    AppendTokens(text_[f], /*fold_accents=*/false, folded_, tokens_[f]);
    if (fold_accents) AppendTokens(text_[f], /*fold_accents=*/true, folded_, accent_tokens_[f]);
  }
  index_ = MakeIndex(tokens_);
  if (fold_accents) accent_index_ = MakeIndex(accent_tokens_);
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
    if (next > kMaxPassages) {  // the summary took every passage: this joins its last
      const Passages& summary = passages_[BodyIndex(Field::kSummary)];
      if (!summary.starts.empty()) {
        passages.carried =
            static_cast<uint32_t>(tokens_[static_cast<size_t>(Field::kSummary)].size()) -
            summary.starts.back();
      }
      continue;
    }
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

std::vector<uint32_t> Document::CutSentences(Field field) const {
  const std::vector<Token>& tokens = tokens_[static_cast<size_t>(field)];
  const std::string_view text = text_[static_cast<size_t>(field)];
  std::vector<uint32_t> starts;
  for (size_t t = 1; t < tokens.size(); ++t) {
    const Token& before = tokens[t - 1];
    const std::string_view gap = text.substr(before.end, tokens[t].begin - before.end);
    if (!EndsSentence(gap)) continue;
    if (gap.find('\n') == std::string_view::npos) {
      if (!StartsSentence(text.substr(tokens[t].begin, tokens[t].end - tokens[t].begin))) continue;
      // An initial ("A.", "U.S.") or an abbreviation ends in a full stop, not a sentence.
      const bool full_stop = gap.find_first_of("!?") == std::string_view::npos &&
                             gap.find("\u2026") == std::string_view::npos;
      const bool initial = IsInitial(text.substr(before.begin, before.end - before.begin));
      if (full_stop && (initial || std::find(kAbbreviations.begin(), kAbbreviations.end(),
                                             before.text) != kAbbreviations.end())) {
        continue;
      }
    }
    starts.push_back(static_cast<uint32_t>(t));
  }
  return starts;
}

uint32_t Document::SentenceOf(Field field, uint32_t position) const {
  std::optional<std::vector<uint32_t>>& cut = sentences_[static_cast<size_t>(field)];
  if (!cut) cut = CutSentences(field);
  const std::vector<uint32_t>& starts = *cut;
  return static_cast<uint32_t>(std::upper_bound(starts.begin(), starts.end(), position) -
                               starts.begin());
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
  return {passages.first + index, position - begin + (index == 0 ? passages.carried : 0), begin,
          end};
}

bool Document::CrossesLine(Field field, uint32_t position, uint32_t length) const {
  if (length < 2) return false;
  const std::vector<Token>& tokens = tokens_[static_cast<size_t>(field)];
  const size_t begin = tokens[position].end;
  const size_t end = tokens[position + length - 1].begin;
  return text(field).substr(begin, end - begin).find('\n') != std::string_view::npos;
}

namespace {

// Each token's distinct number as MakeIndex's table gives it (in order of first use), by sorting
// every token by its text: for a document whose words defeat the hash table.
void NumberBySorting(const std::array<std::vector<Token>, kFieldCount>& tokens,
                     std::vector<std::string_view>& distinct, std::vector<uint64_t>& hashes,
                     std::vector<uint32_t>& id_of) {
  std::vector<std::string_view> all;
  for (const std::vector<Token>& field : tokens) {
    for (const Token& token : field) all.push_back(token.text);
  }
  std::vector<uint32_t> order(all.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return all[a] < all[b]; });
  // Runs of one text share the number of its first use: its run's first (stable) entry.
  std::vector<uint32_t> first_use(all.size());
  for (size_t k = 0; k < order.size(); ++k) {
    first_use[order[k]] =
        k > 0 && all[order[k - 1]] == all[order[k]] ? first_use[order[k - 1]] : order[k];
  }
  distinct.clear();
  hashes.clear();
  id_of.assign(all.size(), 0);
  std::vector<uint32_t> number(all.size(), UINT32_MAX);
  for (uint32_t i = 0; i < all.size(); ++i) {
    uint32_t& id = number[first_use[i]];
    if (id == UINT32_MAX) {
      id = static_cast<uint32_t>(distinct.size());
      distinct.push_back(all[i]);
      hashes.push_back(std::hash<std::string_view>{}(all[i]));
    }
    id_of[i] = id;
  }
}

}  // namespace

uint64_t LeadingBytes(std::string_view text) {
  if (std::endian::native == std::endian::little && text.size() >= 8) {
    uint64_t word = 0;
    std::memcpy(&word, text.data(), sizeof word);
    return __builtin_bswap64(word);
  }
  uint64_t key = 0;
  for (size_t i = 0; i < 8; ++i) {
    key = key << 8 | (i < text.size() ? static_cast<unsigned char>(text[i]) : 0u);
  }
  return key;
}

Document::Index Document::MakeIndex(const Tokens& tokens) {
  // Each token's distinct number by hashing (an open-addressing table, each token hashed once,
  // the hash kept for the queries that look many words up), the distinct tokens sorted, then the
  // postings placed by counting: linear but for sorting the distinct tokens, where sorting every
  // posting by its text compared strings n log n times.
  //
  // std::hash is not seeded: a feed can be written so that its words share slots (or whole
  // hashes), which made the table quadratic (200,000 such words: 10 s). Past a linear number of
  // probes the numbering is done again by sorting the tokens, n log n whatever the words.
  size_t count = 0;
  for (const std::vector<Token>& field : tokens) count += field.size();
  size_t size = 16;
  while (size < 2 * count) size *= 2;
  std::vector<uint32_t> table(size, 0);  // distinct number + 1; 0 for none
  std::vector<std::string_view> distinct;
  std::vector<uint64_t> hashes;
  std::vector<uint32_t> id_of;  // per token, in field and position order
  id_of.reserve(count);
  distinct.reserve(count);
  hashes.reserve(count);
  size_t probes_left = 8 * count + 1024;
  size_t max_probe = 0;
  for (const std::vector<Token>& field : tokens) {
    for (const Token& token : field) {
      const uint64_t hash = std::hash<std::string_view>{}(token.text);
      size_t slot = hash & (size - 1);
      size_t probe = 0;
      while (table[slot] != 0 &&
             (hashes[table[slot] - 1] != hash || distinct[table[slot] - 1] != token.text)) {
        slot = (slot + 1) & (size - 1);
        ++probe;
        if (--probes_left == 0) break;
      }
      if (probes_left == 0) break;
      if (table[slot] == 0) {
        distinct.push_back(token.text);
        hashes.push_back(hash);
        table[slot] = static_cast<uint32_t>(distinct.size());
        max_probe = std::max(max_probe, probe);
      }
      id_of.push_back(table[slot] - 1);
    }
    if (probes_left == 0) break;
  }
  if (probes_left == 0) {
    NumberBySorting(tokens, distinct, hashes, id_of);
    table.clear();
  }
  // Sorted by their first eight bytes as a number first: most pairs differ there, and the
  // strings are compared only when they do not.
  std::vector<std::pair<uint64_t, uint32_t>> keyed(distinct.size());
  for (uint32_t i = 0; i < keyed.size(); ++i) keyed[i] = {LeadingBytes(distinct[i]), i};
  std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return distinct[a.second] < distinct[b.second];
  });
  std::vector<uint32_t> rank(distinct.size());
  Index index;
  index.distinct.reserve(distinct.size());
  index.hashes.reserve(distinct.size());
  index.leading.reserve(distinct.size());
  for (uint32_t r = 0; r < keyed.size(); ++r) {
    const auto [leading, id] = keyed[r];
    rank[id] = r;
    index.distinct.push_back(distinct[id]);
    index.hashes.push_back(hashes[id]);
    index.leading.push_back(leading);
  }
  // The table now gives each token's place in the sorted words.
  for (uint32_t& entry : table) {
    if (entry != 0) entry = rank[entry - 1] + 1;
  }
  index.table = std::move(table);
  index.max_probe = max_probe;
  index.starts.assign(distinct.size() + 1, 0);
  for (const uint32_t id : id_of) ++index.starts[rank[id] + 1];
  for (size_t r = 1; r < index.starts.size(); ++r) index.starts[r] += index.starts[r - 1];
  index.postings.resize(count);
  std::vector<uint32_t> next(index.starts.begin(), index.starts.end() - 1);
  size_t i = 0;
  for (size_t f = 0; f < kFieldCount; ++f) {
    for (uint32_t p = 0; p < tokens[f].size(); ++p) {
      index.postings[next[rank[id_of[i++]]]++] = {static_cast<Field>(f), p};
    }
  }
  return index;
}

std::span<const Document::Posting> Document::Find(std::string_view text, bool prefix,
                                                  bool accents) const {
  const Index& index = accents ? accent_index_ : index_;
  if (index.distinct.empty()) return {};
  // The words whose first eight bytes are below the text's come before it, those above after
  // it: the strings are compared among the words that share them only.
  const auto [low, high] =
      std::equal_range(index.leading.begin(), index.leading.end(), LeadingBytes(text));
  const auto first =
      std::lower_bound(index.distinct.begin() + (low - index.leading.begin()),
                       index.distinct.begin() + (high - index.leading.begin()), text);
  auto last = first;
  if (prefix) {
    while (last != index.distinct.end() && last->starts_with(text)) ++last;
  } else if (last != index.distinct.end() && *last == text) {
    ++last;
  }
  return PostingsOf(static_cast<size_t>(first - index.distinct.begin()),
                    static_cast<size_t>(last - index.distinct.begin()), accents);
}

std::span<const Document::Posting> Document::FindExact(std::string_view text, uint64_t hash,
                                                       bool accents) const {
  const Index& index = accents ? accent_index_ : index_;
  if (index.table.empty()) return Find(text, /*prefix=*/false, accents);
  const size_t mask = index.table.size() - 1;
  size_t slot = hash & mask;
  for (size_t probe = 0; probe <= index.max_probe && index.table[slot] != 0; ++probe) {
    const uint32_t place = index.table[slot] - 1;
    if (index.hashes[place] == hash && index.distinct[place] == text) {
      return PostingsOf(place, place + 1, accents);
    }
    slot = (slot + 1) & mask;
  }
  return {};
}

}  // namespace feedwatch::filters
