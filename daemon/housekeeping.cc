#include "daemon/housekeeping.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "base/text.h"

namespace feedwatch::daemon {

void DatabaseHealth::WriteFailed(const Error& error) {
  write_failure_ = error;
  writable_ = false;
  if (metrics_ != nullptr) metrics_->SetDatabase(error);
}

void DatabaseHealth::Checked(Status heartbeat) {
  // A heartbeat may fit where a poll's commit did not (a full disk): a write that failed since
  // the last check counts too.
  if (heartbeat && write_failure_) heartbeat = *write_failure_;
  write_failure_.reset();
  if (heartbeat.ok() != writable_) {
    if (heartbeat) {
      spdlog::info("the database takes writes again");
    } else {
      spdlog::error("{}", heartbeat.error().message);
    }
    writable_ = heartbeat.ok();
  }
  if (metrics_ != nullptr) metrics_->SetDatabase(heartbeat);
}

Housekeeping::Housekeeping(const config::Config& config, store::Store& store, const Clock& clock,
                           DatabaseHealth& health, Metrics* metrics, AlertFeeds* feeds,
                           DeskPages* desk)
    : config_(config),
      store_(store),
      clock_(clock),
      health_(health),
      metrics_(metrics),
      feeds_(feeds),
      desk_(desk) {}

void Housekeeping::Start() {
  ForgetOldItems();
  for (const config::WatchConfig& watch : config_.watches) PublishFeed(watch.name);
  PublishDesk();
}

void Housekeeping::StoriesRecorded(const std::vector<store::StoryHead>& heads) {
  stale_desk_ = stale_desk_ || !heads.empty();
  stale_matches_ = stale_matches_ || !heads.empty();
  if (feeds_ == nullptr) return;
  for (const store::StoryHead& head : heads) stale_feeds_.insert(head.watch);
}

void Housekeeping::ForgetIfDue() {
  if (clock_.Now() - last_forget_ >= std::chrono::hours(24)) ForgetOldItems();
}

void Housekeeping::ForgetOldItems() {
  const TimePoint now = clock_.Now();
  last_forget_ = now;
  Result<int> forgotten = store_.ForgetItemsSeenBefore(
      now - std::chrono::duration_cast<Seconds>(config_.daemon.forget_after));
  if (!forgotten) {
    spdlog::error("cannot forget old items: {}", forgotten.error().message);
  } else if (*forgotten > 0) {
    spdlog::info("forgot {} gone from their feeds for longer than forget_after",
                 Counted(*forgotten, "item", "items"));
  }
}

void Housekeeping::PublishFeed(const std::string& watch) {
  if (feeds_ == nullptr) return;
  Result<std::string> instance = store_.InstanceId();
  Result<std::vector<store::StoryMatch>> stories = store_.LatestStories(watch, kAlertFeedEntries);
  if (!instance || !stories) {
    spdlog::error("watch {}: cannot render its Atom feed: {}", watch,
                  (!instance ? instance.error() : stories.error()).message);
    return;
  }
  const TimePoint now = clock_.Now();
  feeds_->Publish(watch, RenderAlertFeed(watch, *stories, *instance, now, feeds_->base_url()),
                  stories->empty() ? now : stories->front().matched_at);
}

void Housekeeping::PublishDesk() {
  if (desk_ == nullptr) return;
  const TimePoint now = clock_.Now();
  stale_desk_ = false;
  desk_rendered_ = now;
  Result<Desk> desk = ReadDesk(store_, config_, now);
  if (!desk) {
    spdlog::error("cannot render the desk page: {}", desk.error().message);
    return;
  }
  desk_->Publish(RenderDesk(*desk), now);
}

void Housekeeping::Run(const FeedCounts& feeds, Status heartbeat) {
  health_.Checked(std::move(heartbeat));
  // What the heartbeat read back (the outbox's counts, the live instances) first, while it
  // answers for them; the pages after.
  Result<store::Store::OutboxCounts> outbox = store_.CountDeliveries();
  outbox_ = outbox ? std::optional(*outbox) : std::nullopt;
  if (metrics_ != nullptr) {
    Metrics::Gauges gauges;
    gauges.feeds = feeds.feeds;
    gauges.feeds_failing = feeds.failing;
    gauges.last_successful_poll = feeds.last_success;
    if (outbox_) {
      gauges.outbox_pending = outbox_->pending;
      gauges.outbox_dead = outbox_->dead;
    }
    CheckDrift(gauges);
    metrics_->SetGauges(gauges);
  }
  for (const std::string& watch : stale_feeds_) PublishFeed(watch);
  stale_feeds_.clear();
  const auto since_desk = clock_.Now() - desk_rendered_;
  if (since_desk >= kDeskEvery || (stale_desk_ && since_desk >= kDeskStoriesEvery)) PublishDesk();
}

void Housekeeping::CheckDrift(Metrics::Gauges& gauges) {
  const TimePoint now = clock_.Now();
  Result<std::vector<store::InstanceInfo>> instances =
      store_.coordination().Instances(now - store::kInstanceLive);
  if (!instances) {
    spdlog::warn("cannot read the other instances' heartbeats: {}", instances.error().message);
    return;
  }
  gauges.instances = std::max<int>(1, static_cast<int>(instances->size()));
  std::string mine;
  for (const store::InstanceInfo& instance : *instances) {
    if (instance.id == store_.instance()) mine = instance.config_hash;
  }
  for (const store::InstanceInfo& other : *instances) {
    if (other.id == store_.instance() || other.config_hash == mine) continue;
    ++gauges.config_drift;
    if (told_drift_.insert({other.id, other.config_hash}).second) {
      spdlog::error(
          "instance {} runs different watches or notifiers than this one ({}): configuration "
          "{} there, {} here. Which alerts go out now depends on which instance polls a feed; "
          "give every instance the same configuration",
          other.id, store_.instance(), other.config_hash, mine);
    }
  }
}

std::string Housekeeping::Summary(const FeedCounts& feeds) {
  std::string summary = Counted(feeds.feeds, "feed", "feeds") + ": " + std::to_string(feeds.ok) +
                        " ok, " + std::to_string(feeds.failing) + " failing";
  if (feeds.disabled > 0) summary += ", " + std::to_string(feeds.disabled) + " disabled";
  // Counting reads every match of the day: again when this instance recorded stories, else
  // once a minute (other instances' stories), not every few seconds.
  const TimePoint now = clock_.Now();
  const TimePoint midnight = std::chrono::floor<std::chrono::days>(now);
  if (!matches_today_ || stale_matches_ || matches_counted_ < midnight ||
      now - matches_counted_ >= kDeskEvery) {
    Result<int> matches = store_.CountMatchesSince(midnight);
    matches_today_ = matches ? std::optional(*matches) : std::nullopt;
    matches_counted_ = now;
    stale_matches_ = false;
  }
  if (matches_today_) summary += "; " + Counted(*matches_today_, "match", "matches") + " today";
  if (!outbox_) {
    Result<store::Store::OutboxCounts> outbox = store_.CountDeliveries();
    outbox_ = outbox ? std::optional(*outbox) : std::nullopt;
  }
  if (outbox_) {
    summary += "; outbox " + std::to_string(outbox_->pending);
    if (outbox_->dead > 0) summary += " (" + std::to_string(outbox_->dead) + " dead)";
  }
  return summary;
}

}  // namespace feedwatch::daemon
