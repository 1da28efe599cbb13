#include "daemon/leases.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "base/text.h"
#include "daemon/schedule.h"
#include "daemon/scheduler.h"

namespace feedwatch::daemon {

const std::string& FeedHosts::Set(size_t feed, const std::string& url, bool gone) {
  Feed& known = feeds_[feed];
  if (known.url != url) {
    known.url = url;
    known.host = Scheduler::HostOf(url);
    stale_ = true;
  }
  if (known.gone != gone) {
    known.gone = gone;
    stale_ = true;
  }
  return known.host;
}

const std::map<std::string, std::vector<size_t>>& FeedHosts::ByHost() {
  if (!std::exchange(stale_, false)) return by_host_;
  by_host_.clear();
  for (size_t i = 0; i < feeds_.size(); ++i) {
    if (!feeds_[i].url.empty() && !feeds_[i].gone) by_host_[feeds_[i].host].push_back(i);
  }
  return by_host_;
}

bool Leases::Admit(size_t feed, const std::string& host) {
  if (held_.contains(host)) return true;
  waiting_[host].push_back(feed);
  return false;
}

bool Leases::Owns(size_t feed) const {
  return owned_.contains(feed) && clock_.Now() - held_at_ <= kHeldTrusted;
}

void Leases::Took(size_t feed, std::string name, std::string host) {
  fetching_[feed] = {std::move(name), std::move(host), clock_.Now()};
  owned_.insert(feed);
}

std::vector<size_t> Leases::Hold(const std::map<std::string, std::vector<size_t>>& feeds) {
  std::vector<std::string> hosts;
  hosts.reserve(feeds.size());
  for (const auto& [host, of_host] : feeds) hosts.push_back(host);
  std::set<std::string> busy;
  for (const auto& [feed, fetching] : fetching_) busy.insert(fetching.host);
  const TimePoint now = clock_.Now();
  Result<std::set<std::string>> held = coordination_.HoldHosts(hosts, busy, now, lease_);
  if (!held) {
    spdlog::error("cannot lease the hosts this instance polls ({}); keeping the {} it holds",
                  held.error().message, held_.size());
    return {};
  }
  std::set<size_t> due;
  for (const std::string& host : *held) {
    if (held_.contains(host)) continue;
    if (const auto it = waiting_.find(host); it != waiting_.end()) {
      due.insert(it->second.begin(), it->second.end());
      waiting_.erase(it);
    }
    // Held by another instance when last asked, not new here (a feed that moved to it).
    if (const auto it = feeds.find(host); asked_about_.contains(host) && it != feeds.end()) {
      due.insert(it->second.begin(), it->second.end());
    }
  }
  std::erase_if(due, [&](size_t feed) { return fetching_.contains(feed); });
  for (const std::string& host : held_) {  // lost: another instance may poll its feeds now
    const auto it = feeds.find(host);
    if (it == feeds.end() || held->contains(host)) continue;
    for (const size_t feed : it->second) owned_.erase(feed);
  }
  held_at_ = now;
  asked_ = true;
  asked_about_ = {hosts.begin(), hosts.end()};
  held_ = std::move(*held);
  return {due.begin(), due.end()};
}

void Leases::Renew() {
  // Those past half their lease, or that could end before the next two calls (every 5 s, the
  // Daemon's housekeeping): most fetches end long before, and a renewal is a row written.
  constexpr Seconds kCalledEvery{5};
  const Seconds renew_after = std::min(lease_ / 2, lease_ - 2 * kCalledEvery);
  const TimePoint now = clock_.Now();
  std::vector<std::string> names;
  for (auto& [feed, fetching] : fetching_) {
    if (now - fetching.renewed_at < renew_after) continue;
    names.push_back(fetching.name);
    fetching.renewed_at = now;
  }
  if (names.empty()) return;
  if (Status s = coordination_.RenewLeases(names, now + lease_); !s) {
    spdlog::error("cannot renew the leases of {} being fetched: {}",
                  Counted(static_cast<std::int64_t>(names.size()), "feed", "feeds"),
                  s.error().message);
  }
}

void Leases::Release() {
  if (Status s = coordination_.ReleaseLeases(); !s) {
    spdlog::warn("cannot release this instance's leases ({}); they end in {}", s.error().message,
                 FormatDelay(lease_));
  }
}

}  // namespace feedwatch::daemon
