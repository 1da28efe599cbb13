#include "filters/headline.h"

#include <algorithm>
#include <set>

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
  return Tokenize(title);
}

double HeadlineSimilarity(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const auto units = [](const std::vector<std::string>& words, bool pairs) {
    std::set<std::string> out;
    if (!pairs) return std::set<std::string>(words.begin(), words.end());
    for (size_t i = 0; i + 1 < words.size(); ++i) out.insert(words[i] + ' ' + words[i + 1]);
    return out;
  };
  const bool pairs = a.size() >= 2 && b.size() >= 2;
  const std::set<std::string> x = units(a, pairs);
  const std::set<std::string> y = units(b, pairs);
  if (x.empty() || y.empty()) return 0;
  std::vector<std::string> common;
  std::set_intersection(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(common));
  return static_cast<double>(common.size()) /
         static_cast<double>(x.size() + y.size() - common.size());
}

}  // namespace feedwatch::filters
