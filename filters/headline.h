// Whether two headlines tell the same story: outlets and aggregators dress one headline up
// differently (" - Outlet", "(UPDATED)", other quote marks, a word changed).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace feedwatch::filters {

// The words of `title` that identify its story: folded tokens (tokenize.h), without an
// aggregator's trailing " - Outlet" / " | Outlet" / " — Outlet" (up to four words) or a short
// trailing "(UPDATED)" / "[Video]" tag; the first kHeadlineWords of them. A headline has a few
// dozen words; a "title" of thousands (a feed's whole text, an attacker's 150 KB) would cost
// the story index a pair for each.
std::vector<std::string> HeadlineWords(std::string_view title);
inline constexpr size_t kHeadlineWords = 48;

// The adjacent word pairs of a headline's words ("a b"), sorted, without repeats: what
// HeadlineSimilarity compares when both headlines have two words or more.
std::vector<std::string> HeadlinePairs(const std::vector<std::string>& words);

// Jaccard similarity, 0 to 1, of two sorted sets without repeats.
double Jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b);

// Jaccard similarity, 0 to 1, of the sets of adjacent word pairs of two headlines (of their
// words, when either has fewer than two). Word pairs keep order, so "Moscow round" and "round
// in Moscow" differ, and one changed word costs two pairs, not the match.
double HeadlineSimilarity(const std::vector<std::string>& a, const std::vector<std::string>& b);

// At or above this similarity two headlines are one story. tests/filters/headline_test.cc
// holds the pairs it is chosen on: the same headline with an outlet suffix, other quotes or an
// "(UPDATED)" tag scores 1.0, with one word edited 0.67; different stories on the same talks
// score 0.33 to 0.5 (a seven-word Russian headline with the place and the verb changed).
inline constexpr double kSameStory = 0.6;

}  // namespace feedwatch::filters
