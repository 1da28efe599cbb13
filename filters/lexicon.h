// The words queries look documents up by, and where a document has them.
//
// A Lexicon holds distinct words (exact, or prefixes): those of one query, or those of every
// query of a WatchSet. The watches share their term lists ("@us", "@russia": hundreds of words
// each), so a document's words are looked up in the watches' Lexicon once (a Resolution), and
// each watch reads its words' postings from there instead of looking the same words up again.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "filters/document.h"

namespace feedwatch::filters {

// A word a document is searched for: the token itself or, with `prefix`, every token that
// starts with it. Folded like a document's tokens.
struct SearchWord {
  std::string text;
  bool prefix = false;
};

class Lexicon {
 public:
  // The index of `word`, added when it is not there yet. Indexes are dense, from 0.
  uint32_t Add(const SearchWord& word);
  size_t size() const { return words_.size(); }
  const SearchWord& operator[](uint32_t index) const { return words_[index]; }
  // std::hash of the word's text, as Document::FindExact takes it.
  uint64_t HashOf(uint32_t index) const { return hashes_[index]; }

  using Postings = std::span<const Document::Posting>;
  // Calls `found` with the index and postings of each word `document` has, in one pass over
  // the document's distinct words: a probe per word for the exact words, whatever their number;
  // the sorted prefixes are merged with the sorted words, a step per prefix and per word that
  // starts with it. Cheaper than a search per word when the lexicon holds many.
  void ForEachIn(const Document& document, bool accents,
                 const std::function<void(uint32_t, Postings)>& found) const;

 private:
  void Rehash(size_t size);

  std::vector<SearchWord> words_;  // by index
  std::vector<uint64_t> hashes_;   // std::hash of each one's text, parallel to words_
  // The exact words in an open-addressing table of (std::hash of the text, index + 1; 0 for
  // none), a power of two at least twice their number: a document's tokens, hashed once
  // (Document::DistinctHashes), are found here in a probe or two.
  std::vector<std::pair<uint64_t, uint32_t>> exact_ = std::vector<std::pair<uint64_t, uint32_t>>(4);
  size_t exact_count_ = 0;
  std::vector<std::pair<std::string, uint32_t>> prefixes_;  // sorted by text
  std::vector<uint64_t> prefix_leading_;  // LeadingBytes of each prefix, parallel to prefixes_
};

// Where each word of a Lexicon is in one document: looked up all at once, or each when first
// asked. Holds references to both: they must outlive it.
class Resolution {
 public:
  Resolution(const Lexicon& lexicon, const Document& document, bool accents, bool all_at_once);

  // Whether all at once is the cheaper way for `lexicon` and `document`: for many words (term
  // lists), the document's distinct words against the lexicon's cost the words of the document,
  // not a thousand searches; a few words, or a document of many more words than the lexicon
  // has, are looked up one by one.
  static bool AllAtOnceIsCheaper(const Lexicon& lexicon, const Document& document, bool accents);

  // The postings of word `index` of the lexicon, in the order Document::Find gives them.
  std::span<const Document::Posting> Postings(uint32_t index) const;
  const Document& document() const { return document_; }
  bool accents() const { return accents_; }

 private:
  const Lexicon& lexicon_;
  const Document& document_;
  bool accents_;
  bool all_at_once_;
  mutable std::vector<std::span<const Document::Posting>> found_;  // by index
};

}  // namespace feedwatch::filters
