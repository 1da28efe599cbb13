// Internal to feeds/: the CPU time one ParseFeed call may use, for the code deep inside it (the
// HTML parse) that has no other way to reach it. ParseFeed installs a budget for the duration of
// the call, on the calling thread; the code below it asks `ParseBudget::Current()`, which is null
// when no budget is installed (HtmlToText called on its own).
#pragma once

#include <chrono>

#include "feeds/feed.h"

namespace feedwatch::feeds::internal {

class ParseBudget {
 public:
  // Installs a budget of `cpu` thread CPU time from now as the current one; zero means none.
  explicit ParseBudget(std::chrono::nanoseconds cpu);
  ~ParseBudget();
  ParseBudget(const ParseBudget&) = delete;
  ParseBudget& operator=(const ParseBudget&) = delete;

  static ParseBudget* Current();

  // Whether the thread has used up the budget. Reads the thread's CPU clock (a system call), so
  // callers ask once per item or per thousands of steps; once true, stays true.
  bool Exceeded();

  // HTML fragments read in part as plain text because they passed a limit (html_text.h).
  int html_limited = 0;

 private:
  friend bool AfterItem(Feed& feed);
  int html_limited_reported_ = 0;
  size_t items_ = 0;
  std::chrono::nanoseconds deadline_{0};  // on the thread's CPU clock; zero: no budget
  bool exceeded_ = false;
  ParseBudget* previous_;
};

// For the readers, after each item (the last of `feed.items`), under the current budget if any:
// warns in `feed` when one of the item's HTML fragments passed a limit; false when the budget
// is spent, and the reader stops. The clock is read every 16 items (the HTML parse reads it
// itself).
bool AfterItem(Feed& feed);

}  // namespace feedwatch::feeds::internal
