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

void ConsoleNotifier::Send(const Alert& alert, std::function<void(Status)> done) {
  const std::string line = FormatIso8601(alert.matched_at) + '\t' + OneLine(alert.watch) + '\t' +
                           OneLine(alert.feed) + '\t' + OneLine(alert.title) + '\t' +
                           OneLine(alert.link) + '\t' + OneLine(alert.snippet) + '\n';
  if (std::fputs(line.c_str(), out_) == EOF || std::fflush(out_) == EOF) {
    done(Error::Io(std::string("console: ") + std::strerror(errno)));
    return;
  }
  done(Status::Ok());
}

}  // namespace feedwatch::notify
