#include <algorithm>

#include "base/text.h"
#include "notify/notifier.h"

namespace feedwatch::notify {

std::vector<WatchMatch> MatchesOf(const Alert& alert) {
  if (!alert.matches.empty()) return alert.matches;
  return {{alert.watch, alert.terms, alert.snippet, {}}};
}

std::string WatchNames(const Alert& alert) {
  std::string out;
  for (const WatchMatch& match : MatchesOf(alert)) out += (out.empty() ? "" : ", ") + match.watch;
  return out;
}

std::string Lede(const Alert& alert) {
  return alert.summary_marked.empty() ? alert.summary : alert.summary_marked;
}

bool InArticle(const WatchMatch& match) {
  return std::any_of(match.hits.begin(), match.hits.end(),
                     [](const TermHit& hit) { return hit.field == "article"; });
}

std::string Excerpt(const Alert& alert) {
  std::string lede = Lede(alert);
  if (lede.find("**") == std::string::npos) {
    for (const WatchMatch& match : MatchesOf(alert)) {
      if (InArticle(match) && !match.snippet.empty()) return "From the article: " + match.snippet;
    }
  }
  return lede.empty() ? alert.snippet : lede;
}

std::string ShortenMarked(std::string_view marked, size_t max_bytes) {
  std::string out = ShortenAtWord(marked, max_bytes);
  size_t marks = 0;
  for (size_t at = out.find("**"); at != std::string::npos; at = out.find("**", at + 2)) ++marks;
  if (marks % 2 == 1) {
    // Cut inside a mark: close it before the ellipsis.
    const std::string_view ellipsis = "…";
    const bool cut = out.size() < marked.size() && out.ends_with(ellipsis);
    if (cut) out.resize(out.size() - ellipsis.size());
    out += "**";
    if (cut) out += ellipsis;
  }
  return out;
}

std::string MarkedToHtml(std::string_view snippet, std::string_view element) {
  const std::string escaped = HtmlEscape(snippet);
  std::string out;
  size_t at = 0;
  bool open = false;
  while (true) {
    const size_t mark = escaped.find("**", at);
    if (mark == std::string::npos) break;
    if (!open && escaped.find("**", mark + 2) == std::string::npos) break;
    out.append(escaped, at, mark - at);
    out += open ? "</" : "<";
    out += element;
    out += '>';
    open = !open;
    at = mark + 2;
  }
  out.append(escaped, at);
  return out;
}

}  // namespace feedwatch::notify
