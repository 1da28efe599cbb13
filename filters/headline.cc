#include "filters/headline.h"

#include <algorithm>

#include "filters/tokenize.h"

namespace feedwatch::filters {
namespace {

size_t WordCount(std::string_view text) { return Tokenize(text).size(); }

}  // namespace

std::vector<std::string> HeadlineWords(std::string_view title) {
  while (!title.empty() && title.back() == ' ') title.remove_suffix(1);
  // "(UPDATED)", "[Video]": a short bracketed tag at the end.
  if (!title.empty() && (title.back() == ')' || title.back() == ']')) {
    const size_t open = title.find_last_of(title.back() == ')' ? '(' : '[');
    if (open != std::string_view::npos && open > 0 && WordCount(title.substr(open)) <= 3) {
      title = title.substr(0, open);
    }
  }
  // " - Outlet", " | Outlet", " — Outlet", " – Outlet".
  for (const std::string_view separator : {" - ", " | ", " \u2014 ", " \u2013 "}) {
    const size_t at = title.rfind(separator);
    if (at == std::string_view::npos || at == 0) continue;
    const std::string_view suffix = title.substr(at + separator.size());
    if (WordCount(suffix) <= 4 && WordCount(title.substr(0, at)) >= 3) {
      title = title.substr(0, at);
      break;
    }
  }
  std::vector<std::string> words = Tokenize(title);
  if (words.size() > kHeadlineWords) words.resize(kHeadlineWords);
  return words;
}

std::vector<std::string> HeadlinePairs(const std::vector<std::string>& words) {
  std::vector<std::string> pairs;
  for (size_t i = 0; i + 1 < words.size(); ++i) pairs.push_back(words[i] + ' ' + words[i + 1]);
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  return pairs;
}

double Jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.empty() || b.empty()) return 0;
  size_t common = 0;
  for (auto x = a.begin(), y = b.begin(); x != a.end() && y != b.end();) {
    if (*x < *y) {
      ++x;
    } else if (*y < *x) {
      ++y;
    } else {
      ++common;
      ++x;
      ++y;
    }
  }
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

double HeadlineSimilarity(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() >= 2 && b.size() >= 2) return Jaccard(HeadlinePairs(a), HeadlinePairs(b));
  const auto unique = [](std::vector<std::string> words) {
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    return words;
  };
  return Jaccard(unique(a), unique(b));
}

}  // namespace feedwatch::filters
