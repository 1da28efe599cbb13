#include "daemon/poll_records.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace feedwatch::daemon {

void PollRecords::Add(std::string feed, std::string url, store::PollRecord poll) {
  if (held_.empty()) oldest_ = clock_.Monotonic();
  feeds_.insert(feed);
  held_.push_back({std::move(feed), std::move(url), std::move(poll)});
}

void PollRecords::Write() {
  if (held_.empty()) return;
  if (Status s = store_.RecordPolls(held_); !s) Lost(s.error());
  Clear();
}

Status PollRecords::WriteWithHeartbeat(TimePoint now) {
  Status beat = store_.Heartbeat(now, held_);
  // After an error the polls may be unwritten (in the heartbeat's statement, on a connection the
  // server had closed): once more on their own, which opens it again. Written already, the same
  // rows are written again.
  if (!beat && !held_.empty()) {
    if (Status s = store_.RecordPolls(held_); !s) Lost(s.error());
  }
  Clear();
  return beat;
}

void PollRecords::Lost(const Error& error) {
  // As a poll's commit that failed: the Engine keeps the feeds' state and schedule; the store
  // has the last poll it took.
  spdlog::error("cannot record the polls of {} (feed {}{}): {}",
                held_.size() == 1 ? "1 feed" : std::to_string(held_.size()) + " feeds",
                held_.front().feed, held_.size() > 1 ? ", ..." : "", error.message);
  health_.WriteFailed(error);
}

void PollRecords::Clear() {
  held_.clear();
  feeds_.clear();
}

void PollRecords::WriteIfDue() {
  if (const std::optional<MonoTime> due = Deadline(); due && clock_.Monotonic() >= *due) Write();
}

void PollRecords::WriteBefore(const std::vector<store::FeedRef>& feeds) {
  if (std::ranges::any_of(feeds,
                          [&](const store::FeedRef& feed) { return feeds_.contains(feed.name); })) {
    Write();
  }
}

std::optional<MonoTime> PollRecords::Deadline() const {
  if (held_.empty()) return std::nullopt;
  return oldest_ + kPollRecordsEvery;
}

}  // namespace feedwatch::daemon
