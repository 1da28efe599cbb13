#include "daemon/scheduler.h"

#include <cassert>

#include "base/text.h"

namespace feedwatch::daemon {

Scheduler::Scheduler(size_t feeds, int concurrency, int per_host)
    : concurrency_(concurrency), per_host_(per_host), feeds_(feeds) {}

std::string Scheduler::HostOf(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos || AsciiLower(url.substr(0, scheme)) == "file") {
    return "file";
  }
  return AsciiLower(url.substr(0, url.find_first_of("/?#", scheme + 3)));
}

void Scheduler::SetUrl(Feed feed, std::string_view url) {
  FeedSlot& slot = feeds_[feed];
  assert(slot.where != Where::kInFlight);
  const Where where = slot.where;
  const TimePoint due = slot.due;
  Remove(feed);
  std::string host = HostOf(url);
  const auto [it, added] = host_ids_.try_emplace(host, static_cast<std::uint32_t>(hosts_.size()));
  if (added) {
    Host& created = hosts_.emplace_back();
    created.unlimited = host == "file";
    // Pages of the host being fetched go on counting against it.
    if (const auto other = other_hosts_.find(host); other != other_hosts_.end()) {
      created.in_flight = other->second;
      other_hosts_.erase(other);
    }
  }
  slot.host = it->second;
  if (where != Where::kNowhere) Schedule(feed, due);
}

void Scheduler::Remove(Feed feed) {
  FeedSlot& slot = feeds_[feed];
  if (slot.where == Where::kTimeline) {
    timeline_.erase({slot.due, feed});
  } else if (slot.where == Where::kWaiting) {
    hosts_[slot.host].waiting.erase({slot.due, feed});
    --waiting_;
    UpdateReady(slot.host);
  }
  slot.where = Where::kNowhere;
}

void Scheduler::Schedule(Feed feed, TimePoint due) {
  FeedSlot& slot = feeds_[feed];
  assert(slot.where != Where::kInFlight);
  Remove(feed);
  slot.due = due;
  slot.where = Where::kTimeline;
  timeline_.insert({due, feed});
}

void Scheduler::UpdateReady(std::uint32_t id) {
  Host& host = hosts_[id];
  if (host.ready_entry) {
    ready_.erase({*host.ready_entry, id});
    host.ready_entry.reset();
  }
  if (host.waiting.empty() || (!host.unlimited && host.in_flight >= per_host_)) return;
  host.ready_entry = *host.waiting.begin();
  ready_.insert({*host.ready_entry, id});
}

std::vector<Scheduler::Feed> Scheduler::Take(TimePoint due_by, std::optional<TimePoint> now) {
  // Due feeds join their host's queue.
  while (!timeline_.empty() && timeline_.begin()->first <= due_by) {
    const Entry entry = *timeline_.begin();
    timeline_.erase(timeline_.begin());
    FeedSlot& slot = feeds_[entry.second];
    slot.where = Where::kWaiting;
    slot.queued = now.value_or(due_by);
    Host& host = hosts_[slot.host];
    host.waiting.insert(entry);
    ++waiting_;
    if (!host.ready_entry || entry < *host.ready_entry) UpdateReady(slot.host);
  }
  std::vector<Feed> start;
  while (in_flight_ < concurrency_ && !ready_.empty()) {
    const std::uint32_t id = ready_.begin()->second;
    Host& host = hosts_[id];
    const Entry entry = *host.waiting.begin();
    host.waiting.erase(host.waiting.begin());
    --waiting_;
    ++host.in_flight;
    ++in_flight_;
    feeds_[entry.second].where = Where::kInFlight;
    start.push_back(entry.second);
    UpdateReady(id);
  }
  return start;
}

void Scheduler::Finished(Feed feed) {
  FeedSlot& slot = feeds_[feed];
  assert(slot.where == Where::kInFlight);
  slot.where = Where::kNowhere;
  --in_flight_;
  --hosts_[slot.host].in_flight;
  UpdateReady(slot.host);
}

bool Scheduler::TakeSlot(std::string_view url) {
  if (in_flight_ >= concurrency_) return false;
  std::string name = HostOf(url);
  if (const auto known = host_ids_.find(name); known != host_ids_.end()) {
    Host& host = hosts_[known->second];
    if (!host.unlimited && host.in_flight >= per_host_) return false;
    ++host.in_flight;
    UpdateReady(known->second);
  } else {
    int& other = other_hosts_[std::move(name)];
    if (other >= per_host_) return false;
    ++other;
  }
  ++in_flight_;
  return true;
}

void Scheduler::ReturnSlot(std::string_view url) {
  --in_flight_;
  std::string name = HostOf(url);
  if (const auto known = host_ids_.find(name); known != host_ids_.end()) {
    --hosts_[known->second].in_flight;
    UpdateReady(known->second);
    return;
  }
  const auto other = other_hosts_.find(name);
  assert(other != other_hosts_.end());
  if (--other->second == 0) other_hosts_.erase(other);
}

std::optional<TimePoint> Scheduler::NextDue() const {
  if (timeline_.empty()) return std::nullopt;
  return timeline_.begin()->first;
}

}  // namespace feedwatch::daemon
