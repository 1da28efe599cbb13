#include "notify/notifier.h"

namespace feedwatch::notify {

std::vector<WatchMatch> MatchesOf(const Alert& alert) {
  if (!alert.matches.empty()) return alert.matches;
  return {{alert.watch, alert.terms, alert.snippet}};
}

std::string WatchNames(const Alert& alert) {
  std::string out;
  for (const WatchMatch& match : MatchesOf(alert)) out += (out.empty() ? "" : ", ") + match.watch;
  return out;
}

}  // namespace feedwatch::notify
