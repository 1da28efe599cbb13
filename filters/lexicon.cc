#include "filters/lexicon.h"

#include <algorithm>
#include <functional>

namespace feedwatch::filters {
namespace {

// A word not looked up yet (Resolution::Postings): a span of no postings that no document's
// postings can be.
constexpr Document::Posting kNotLookedUp{};

}  // namespace

uint32_t Lexicon::Add(const SearchWord& word) {
  const auto index = static_cast<uint32_t>(words_.size());
  if (word.prefix) {
    const auto at = std::lower_bound(prefixes_.begin(), prefixes_.end(), word.text,
                                     [](const std::pair<std::string, uint32_t>& entry,
                                        const std::string& text) { return entry.first < text; });
    if (at != prefixes_.end() && at->first == word.text) return at->second;
    prefix_leading_.insert(prefix_leading_.begin() + (at - prefixes_.begin()),
                           LeadingBytes(word.text));
    prefixes_.emplace(at, word.text, index);
    words_.push_back(word);
    hashes_.push_back(std::hash<std::string_view>{}(word.text));
    return index;
  }
  const uint64_t hash = std::hash<std::string_view>{}(word.text);
  const size_t mask = exact_.size() - 1;
  size_t slot = hash & mask;
  for (; exact_[slot].second != 0; slot = (slot + 1) & mask) {
    const auto [other_hash, other] = exact_[slot];
    if (other_hash == hash && words_[other - 1].text == word.text) return other - 1;
  }
  words_.push_back(word);
  hashes_.push_back(hash);
  exact_[slot] = {hash, index + 1};
  if (2 * ++exact_count_ > exact_.size()) Rehash(2 * exact_.size());
  return index;
}

void Lexicon::Rehash(size_t size) {
  exact_.assign(size, {0, 0});
  for (uint32_t i = 0; i < words_.size(); ++i) {
    if (words_[i].prefix) continue;
    size_t slot = hashes_[i] & (size - 1);
    while (exact_[slot].second != 0) slot = (slot + 1) & (size - 1);
    exact_[slot] = {hashes_[i], i + 1};
  }
}

Resolution::Resolution(const Lexicon& lexicon, const Document& document, bool accents,
                       bool all_at_once)
    : lexicon_(lexicon),
      document_(document),
      accents_(accents),
      all_at_once_(all_at_once),
      found_(lexicon.size(), all_at_once ? std::span<const Document::Posting>()
                                         : std::span<const Document::Posting>(&kNotLookedUp, 0)) {
  if (all_at_once) {
    lexicon.ForEachIn(document, accents, [this](uint32_t index, Lexicon::Postings postings) {
      found_[index] = postings;
    });
  }
}

bool Resolution::AllAtOnceIsCheaper(const Lexicon& lexicon, const Document& document,
                                    bool accents) {
  return lexicon.size() > 8 && lexicon.size() * 4 > document.DistinctTokens(accents).size();
}

// The document's distinct tokens against the exact words (a hash each) and the prefixes (both
// sorted, merged).
void Lexicon::ForEachIn(const Document& document, bool accents,
                        const std::function<void(uint32_t, Postings)>& found) const {
  const std::vector<std::string_view>& tokens = document.DistinctTokens(accents);
  const std::vector<uint64_t>& hashes = document.DistinctHashes(accents);
  const size_t mask = exact_.size() - 1;
  for (size_t t = 0; t < tokens.size(); ++t) {
    for (size_t slot = hashes[t] & mask; exact_[slot].second != 0; slot = (slot + 1) & mask) {
      const auto [hash, index] = exact_[slot];
      if (hash == hashes[t] && words_[index - 1].text == tokens[t]) {
        found(index - 1, document.PostingsOf(t, t + 1, accents));
        break;
      }
    }
  }
  // A token starts with a prefix only if its first eight bytes (as many as the prefix has)
  // are the prefix's: the numbers decide, and strings are compared for longer prefixes only.
  const std::vector<uint64_t>& leading = document.DistinctLeading(accents);
  size_t from = 0;
  for (size_t p = 0; p < prefixes_.size(); ++p) {
    const auto& [prefix, index] = prefixes_[p];
    const uint64_t prefix_leading = prefix_leading_[p];
    const uint64_t known =
        prefix.size() >= 8 ? ~uint64_t{0} : ~(~uint64_t{0} >> (8 * prefix.size()));
    from = document.SkipBelow(from, prefix, prefix_leading, accents);
    size_t to = from;
    while (to < tokens.size() && (leading[to] & known) == prefix_leading &&
           (prefix.size() <= 8 || tokens[to].starts_with(prefix))) {
      ++to;
    }
    if (to > from) found(index, document.PostingsOf(from, to, accents));
  }
}

std::span<const Document::Posting> Resolution::Postings(uint32_t index) const {
  std::span<const Document::Posting>& found = found_[index];
  if (!all_at_once_ && found.data() == &kNotLookedUp) {
    const SearchWord& word = lexicon_[index];
    found = word.prefix ? document_.Find(word.text, /*prefix=*/true, accents_)
                        : document_.FindExact(word.text, lexicon_.HashOf(index), accents_);
  }
  return found;
}

}  // namespace feedwatch::filters
