// Notifiers turn an alert into a message somewhere: the console now; email and webhooks later.
//
// Send() may finish before it returns (console) or later on the event loop thread (network
// notifiers); either way `done` is called exactly once, on the loop thread.
#pragma once

#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/result.h"

namespace feedwatch::notify {

struct Alert {
  std::string delivery_id;  // stable across retries
  std::string watch;
  std::string feed;
  std::string title;
  std::string link;
  std::optional<TimePoint> published;
  TimePoint matched_at;
  std::string terms;    // which query terms hit in which field
  std::string snippet;  // words around the first hit, each hit marked **like this**
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void Send(const Alert& alert, std::function<void(Status)> done) = 0;
};

// One line per alert on `out`, tab-separated so that it can be cut or grepped:
//   MATCHED_AT <TAB> WATCH <TAB> FEED <TAB> TITLE <TAB> LINK <TAB> SNIPPET
// `out` must outlive the notifier.
class ConsoleNotifier final : public Notifier {
 public:
  explicit ConsoleNotifier(std::FILE* out) : out_(out) {}
  void Send(const Alert& alert, std::function<void(Status)> done) override;

 private:
  std::FILE* out_;
};

}  // namespace feedwatch::notify
