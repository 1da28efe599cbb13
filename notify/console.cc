#include <cerrno>
#include <cstring>

#include "notify/notifier.h"

namespace feedwatch::notify {
namespace {

// Tabs and line breaks inside a field would break the one-line, tab-separated format.
std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

void ConsoleNotifier::Send(const Message& message, std::function<void(SendResult)> done) {
  std::string lines;
  for (const Alert& alert : message.alerts) {
    std::string watches;  // "darchiev,moscow-round"
    bool in_article = false;
    for (const WatchMatch& match : MatchesOf(alert)) {
      watches += (watches.empty() ? "" : ",") + match.watch;
      in_article = in_article || (match.snippet == alert.snippet && InArticle(match));
    }
    lines += prefix_ + FormatIso8601(alert.matched_at) + '\t' + OneLine(watches) + '\t' +
             OneLine(alert.feed) + '\t' + OneLine(alert.title) + '\t' + OneLine(alert.link) + '\t' +
             (in_article ? "from the article: " : "") + OneLine(alert.snippet) + '\n';
  }
  if (std::fputs(lines.c_str(), out_) == EOF || std::fflush(out_) == EOF) {
    // A full disk or a closed pipe may pass: try again later.
    done(SendResult::Retry(std::string("console: ") + std::strerror(errno)));
    return;
  }
  done(SendResult::Sent());
}

std::optional<ConsoleSettings> ConsoleSettings::Parse(OptionReader& /*reader*/,
                                                      const ParseContext& /*context*/) {
  return ConsoleSettings{};
}

std::unique_ptr<Notifier> ConsoleSettings::Make(const std::string& /*name*/,
                                                const NotifierServices& services) const {
  return std::make_unique<ConsoleNotifier>(services.console);
}

}  // namespace feedwatch::notify
