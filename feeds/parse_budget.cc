#include "feeds/internal/parse_budget.h"

#include <time.h>

#include <string>

namespace feedwatch::feeds::internal {
namespace {

thread_local ParseBudget* current = nullptr;

std::chrono::nanoseconds ThreadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

}  // namespace

ParseBudget::ParseBudget(std::chrono::nanoseconds cpu) : previous_(current) {
  if (cpu.count() > 0) deadline_ = ThreadCpuTime() + cpu;
  current = this;
}

ParseBudget::~ParseBudget() { current = previous_; }

ParseBudget* ParseBudget::Current() { return current; }

bool ParseBudget::Exceeded() {
  if (!exceeded_ && deadline_.count() > 0) exceeded_ = ThreadCpuTime() > deadline_;
  return exceeded_;
}

bool AfterItem(Feed& feed) {
  ParseBudget* budget = ParseBudget::Current();
  if (budget == nullptr) return true;
  if (budget->html_limited != budget->html_limited_reported_) {
    budget->html_limited_reported_ = budget->html_limited;
    const Item& item = feed.items.back();
    feed.warnings.push_back("item " + std::to_string(feed.items.size()) + " (\"" +
                            item.title.substr(0, 60) +
                            "\"): HTML past a limit (docs/reliability.md) read as plain text");
  }
  return ++budget->items_ % 16 != 0 || !budget->Exceeded();
}

}  // namespace feedwatch::feeds::internal
