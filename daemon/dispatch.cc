#include "daemon/dispatch.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/text.h"
#include "daemon/schedule.h"
#include "notify/notifier_settings.h"
#include "notify/policy.h"

namespace feedwatch::daemon {
namespace {

// Units (a message tried before, whole, or a new delivery) read per pass, fairly across feeds
// (Store::DueDeliveries); more wait for the next.
constexpr int kBatch = 500;
// How often the outbox is read when nothing woke the Dispatcher: while it has work, and while
// it has none.
constexpr std::chrono::seconds kReadEvery{1};
constexpr std::chrono::seconds kIdleReadEvery{5};
// Alerts in one digest message at most; more make more messages.
constexpr size_t kDigestSize = 100;
constexpr Seconds kRateWindow{3600};

std::vector<std::int64_t> Ids(const std::vector<store::Delivery>& deliveries) {
  std::vector<std::int64_t> ids;
  ids.reserve(deliveries.size());
  for (const store::Delivery& d : deliveries) ids.push_back(d.id);
  return ids;
}

std::vector<notify::TermHit> Hits(const std::vector<store::Hit>& stored) {
  std::vector<notify::TermHit> hits;
  hits.reserve(stored.size());
  for (const store::Hit& hit : stored) hits.push_back({hit.field, hit.term, hit.text});
  return hits;
}

// `deliveries` grouped by the item they are about, in the order of each item's first one.
std::vector<std::vector<store::Delivery>> ByItem(std::vector<store::Delivery> deliveries) {
  std::vector<std::vector<store::Delivery>> groups;
  std::map<std::int64_t, size_t> group_of;  // item -> index in groups
  for (store::Delivery& d : deliveries) {
    const auto [it, added] = group_of.try_emplace(d.item, groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(std::move(d));
  }
  return groups;
}

// One alert per item: the watches of its deliveries (to one notifier) named together.
std::vector<notify::Alert> ToAlerts(const std::vector<store::Delivery>& deliveries) {
  std::vector<notify::Alert> alerts;
  for (const std::vector<store::Delivery>& group : ByItem(deliveries)) {
    const store::Delivery& d = group.front();
    notify::Alert& alert = alerts.emplace_back();
    alert.delivery = d.id;
    alert.watch = d.watch;
    alert.feed = d.feed;
    alert.title = d.title;
    alert.link = d.link;
    alert.published = d.published;
    alert.matched_at = d.matched_at;
    alert.summary = d.summary;
    alert.summary_marked = d.summary_marked;
    alert.terms = d.terms;
    alert.snippet = d.snippet;
    alert.story = d.story;
    alert.also_reported_by = d.also_reported_by;
    for (const store::Delivery& each : group) {
      alert.matches.push_back({each.watch, each.terms, each.snippet, Hits(each.hits)});
      for (const std::string& feed : each.also_reported_by) {
        if (std::find(alert.also_reported_by.begin(), alert.also_reported_by.end(), feed) ==
            alert.also_reported_by.end()) {
          alert.also_reported_by.push_back(feed);
        }
      }
    }
  }
  return alerts;
}

std::vector<store::Delivery> Flatten(std::vector<std::vector<store::Delivery>>::iterator begin,
                                     std::vector<std::vector<store::Delivery>>::iterator end) {
  std::vector<store::Delivery> out;
  for (auto it = begin; it != end; ++it) {
    for (store::Delivery& d : *it) out.push_back(std::move(d));
  }
  return out;
}

std::string Hours(config::Duration d) {
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(d).count();
  return minutes % 60 == 0 ? std::to_string(minutes / 60) + " h" : std::to_string(minutes) + " min";
}

void Check(const Status& status) {
  if (!status) spdlog::error("outbox: {}", status.error().message);
}

}  // namespace

std::map<std::string, std::unique_ptr<notify::Notifier>> MakeNotifiers(const config::Config& config,
                                                                       net::HttpClient& http,
                                                                       const Clock& clock,
                                                                       std::FILE* console,
                                                                       bool dry_run) {
  std::map<std::string, std::unique_ptr<notify::Notifier>> notifiers;
  const notify::NotifierServices services{.http = http,
                                          .clock = clock,
                                          .console = console,
                                          .smtp = config.smtp ? &*config.smtp : nullptr};
  for (const config::NotifierConfig& notifier : config.notifiers) {
    std::unique_ptr<notify::Notifier>& made = notifiers[notifier.name];
    if (dry_run) {
      made = std::make_unique<notify::ConsoleNotifier>(console,
                                                       "would send to " + notifier.name + "\t");
      continue;
    }
    made = notify::MakeNotifier(notifier.name, notifier.settings, services);
  }
  return notifiers;
}

std::string MessageIdFor(std::string_view instance, MessageKind kind, std::int64_t first_delivery) {
  return std::string(instance) + (kind == MessageKind::kDigest ? "-g" : "-a") +
         std::to_string(first_delivery);
}

MessageKind KindOfMessageId(std::string_view id) {
  const size_t dash = id.rfind('-');
  return dash != std::string_view::npos && id.substr(dash).starts_with("-g") ? MessageKind::kDigest
                                                                             : MessageKind::kAlert;
}

Dispatcher::Dispatcher(const config::Config& config, store::Store& store, const Clock& clock,
                       Random& random, std::map<std::string, notify::Notifier*> notifiers,
                       Metrics* metrics)
    : config_(config),
      store_(store),
      clock_(clock),
      random_(random),
      notifiers_(std::move(notifiers)),
      metrics_(metrics) {}

void Dispatcher::ForgotRetries() {
  for (const auto& [name, notifier] : notifiers_) unknown_retries_.insert(name);
}

void Dispatcher::OutboxCounted(int pending) {
  if (woken_) return;
  const MonoTime now = clock_.Monotonic();
  if (pending > 0) {
    if (last_read_empty_) last_read_ = now - kIdleReadEvery;
    return;
  }
  // Put off past the next count: an idle read due at the same moment (both every 5 s) would
  // otherwise come first and be a statement at the server every round.
  last_read_ = now + kIdleReadEvery;
  last_read_empty_ = true;
}

void Dispatcher::DeliverDue() {
  const MonoTime steady = clock_.Monotonic();
  if (!woken_ && steady - last_read_ < (last_read_empty_ ? kIdleReadEvery : kReadEvery)) return;
  woken_ = false;
  last_read_ = steady;
  const TimePoint now = clock_.Now();
  // On a shared store the deliveries read are this instance's until the lease ends: long
  // enough to send them, however slow the slowest notifier's server is before it times out.
  const auto lease = std::chrono::duration_cast<Seconds>(config_.store.lease);
  Seconds send_time = lease;
  for (const config::NotifierConfig& notifier : config_.notifiers) {
    send_time =
        std::max(send_time, std::chrono::ceil<Seconds>(notify::TimeoutOf(notifier.settings)));
  }
  if (config_.smtp)
    send_time = std::max(send_time, std::chrono::ceil<Seconds>(config_.smtp->timeout));
  Result<std::vector<store::Delivery>> due =
      store_.DueDeliveries(now, kBatch, now + lease + send_time);
  if (!due) {
    spdlog::error("outbox: {}", due.error().message);
    return;
  }
  last_read_empty_ = due->empty();
  std::map<std::string, std::vector<store::Delivery>> by_notifier;
  for (store::Delivery& d : *due) {
    if (!in_flight_.contains(d.id)) by_notifier[d.notifier].push_back(std::move(d));
  }
  for (auto& [notifier_name, deliveries] : by_notifier) {
    const std::string& name = notifier_name;  // a lambda may not capture a structured binding
    const auto config =
        std::find_if(config_.notifiers.begin(), config_.notifiers.end(),
                     [&](const config::NotifierConfig& n) { return n.name == name; });
    const auto sender = notifiers_.find(name);
    if (config == config_.notifiers.end() || sender == notifiers_.end()) {
      const std::string error = "notifier \"" + name + "\" is not in the configuration";
      spdlog::error("outbox: {} given up: {}",
                    Counted(static_cast<std::int64_t>(deliveries.size()), "delivery", "deliveries"),
                    error);
      Check(store_.MarkDead(Ids(deliveries), error));
      Count(name, DeliveryResult::kDead, deliveries.size());
      continue;
    }
    DeliverFor(*config, *sender->second, std::move(deliveries), now);
  }
}

void Dispatcher::DeliverFor(const config::NotifierConfig& notifier, notify::Notifier& sender,
                            std::vector<store::Delivery> due, TimePoint now) {
  // Messages tried before go out again as they were; the rest are new.
  std::map<std::string, Plan> retries;
  std::vector<store::Delivery> fresh;
  for (store::Delivery& d : due) {
    if (d.message_id.empty()) {
      fresh.push_back(std::move(d));
    } else {
      Plan& plan = retries[d.message_id];
      plan.message_id = d.message_id;
      plan.kind = KindOfMessageId(d.message_id);
      plan.deliveries.push_back(std::move(d));
    }
  }
  std::vector<Plan> plans;
  plans.reserve(retries.size() + fresh.size());
  for (auto& [id, plan] : retries) plans.push_back(std::move(plan));
  // Oldest first: after an outage, subscribers read the alerts in the order they fell due.
  const auto first_due = [](const Plan& plan) {
    TimePoint first = TimePoint::max();
    for (const store::Delivery& d : plan.deliveries) first = std::min(first, d.first_due_at);
    return first;
  };
  std::stable_sort(plans.begin(), plans.end(),
                   [&](const Plan& a, const Plan& b) { return first_due(a) < first_due(b); });

  // One alert per item: the deliveries of several watches that matched it go out together.
  std::vector<std::vector<store::Delivery>> items = ByItem(std::move(fresh));
  // How many new messages the rate limit allows now.
  size_t budget = items.size() + (items.size() + kDigestSize - 1) / kDigestSize;
  std::optional<TimePoint> window_opens;
  if (notifier.max_per_hour > 0 && !items.empty()) {
    Result<store::SentMessages> sent = store_.SentMessagesSince(notifier.name, now - kRateWindow);
    if (!sent) {
      spdlog::error("outbox: {}", sent.error().message);
      return;
    }
    const int used = sent->count + notifier_busy_[notifier.name] + static_cast<int>(plans.size());
    budget = static_cast<size_t>(std::max(0, notifier.max_per_hour - used));
    // The window counts a message sent at its first second: the oldest leaves it a second
    // after it is an hour old.
    window_opens = sent->oldest ? *sent->oldest + kRateWindow + Seconds(1) : now + Seconds(60);
  }

  // New alerts: each on its own, or in digests when the notifier has a digest schedule (its
  // deliveries fall due at digest time) or when more are due than the rate limit allows.
  const bool digest = !notifier.digest.off();
  size_t next = 0;
  const auto at = [&](size_t i) { return items.begin() + static_cast<std::ptrdiff_t>(i); };
  if (!digest) {
    const size_t singles = items.size() <= budget ? items.size() : (budget > 0 ? budget - 1 : 0);
    for (; next < singles; ++next, --budget) {
      plans.push_back({std::move(items[next]), "", MessageKind::kAlert});
    }
  }
  while (next < items.size() && budget > 0) {
    const size_t end = std::min(items.size(), next + kDigestSize);
    plans.push_back({Flatten(at(next), at(end)), "", MessageKind::kDigest});
    next = end;
    --budget;
  }
  if (next < items.size()) {
    const size_t held_items = items.size() - next;
    const std::vector<store::Delivery> held = Flatten(at(next), items.end());
    spdlog::warn("notifier {}: max_per_hour {} reached; {} go out as one digest at {}",
                 notifier.name, notifier.max_per_hour,
                 Counted(static_cast<std::int64_t>(held_items), "alert", "alerts"),
                 FormatIso8601(window_opens.value_or(now)));
    Check(store_.Defer(Ids(held), window_opens.value_or(now)));
  }

  for (Plan& plan : plans) {
    if (plan.message_id.empty()) {
      plan.message_id = MessageId(plan);
      if (plan.message_id.empty()) return;  // the instance id could not be read: logged
      if (Status s = store_.AssignMessage(Ids(plan.deliveries), plan.message_id); !s) {
        Check(s);
        return;
      }
    }
    Send(notifier, sender, std::move(plan));
  }
}

std::string Dispatcher::MessageId(const Plan& plan) {
  if (instance_.empty()) {
    Result<std::string> instance = store_.InstanceId();
    if (!instance) {
      spdlog::error("outbox: {}", instance.error().message);
      return "";
    }
    instance_ = *instance;
  }
  // Digests and single alerts have ids of their own kinds, named after their first delivery.
  return MessageIdFor(instance_, plan.kind, plan.deliveries.front().id);
}

void Dispatcher::Send(const config::NotifierConfig& notifier, notify::Notifier& sender, Plan plan) {
  notify::Message message;
  message.id = plan.message_id;
  message.digest = plan.kind == MessageKind::kDigest;
  message.alerts = ToAlerts(plan.deliveries);
  for (const store::Delivery& d : plan.deliveries) in_flight_.insert(d.id);
  ++notifier_busy_[notifier.name];
  ++in_flight_messages_;
  auto shared = std::make_shared<Plan>(std::move(plan));
  sender.Send(message, [this, &notifier, shared](const notify::SendResult& result) {
    --notifier_busy_[notifier.name];
    --in_flight_messages_;
    for (const store::Delivery& d : shared->deliveries) in_flight_.erase(d.id);
    Finished(notifier, *shared, result);
  });
}

void Dispatcher::Finished(const config::NotifierConfig& notifier, const Plan& plan,
                          const notify::SendResult& result) {
  const TimePoint now = clock_.Now();
  const std::vector<std::int64_t> ids = Ids(plan.deliveries);
  const std::string what =
      plan.kind == MessageKind::kDigest
          ? "digest " + plan.message_id + " (" +
                Counted(static_cast<std::int64_t>(ids.size()), "alert", "alerts") + ")"
          : "alert " + plan.message_id;
  switch (result.kind) {
    case notify::SendResult::Kind::kSent:
      spdlog::info("notifier {}: sent {}", notifier.name, what);
      Check(store_.MarkSent(ids, now));
      Count(notifier.name, DeliveryResult::kSent, ids.size());
      for (const store::Delivery& d : plan.deliveries) {
        if (metrics_ == nullptr) continue;  // else each alert's latency from its publication
        metrics_->AlertSent(d.feed, notifier.name,
                            std::max(now - store::AlertOrigin(d.published, d.matched_at),
                                     Seconds(0)));  // another instance's clock may be ahead
      }
      for (const std::int64_t id : ids) brought_forward_.erase(id);
      BringForward(notifier.name, now);
      return;
    case notify::SendResult::Kind::kPermanent:
      spdlog::error("notifier {}: {} given up: {}", notifier.name, what, result.error);
      Check(store_.MarkDead(ids, result.error));
      Count(notifier.name, DeliveryResult::kDead, ids.size());
      for (const std::int64_t id : ids) brought_forward_.erase(id);
      return;
    case notify::SendResult::Kind::kRetry:
      break;
  }
  int attempts = 0;
  TimePoint first_due = now;
  for (const store::Delivery& d : plan.deliveries) {
    attempts = std::max(attempts, d.attempts + 1);
    first_due = std::min(first_due, d.first_due_at);
  }
  const TimePoint deadline = first_due + std::chrono::duration_cast<Seconds>(notifier.max_age);
  if (now >= deadline) {
    const std::string error = "gave up after " + std::to_string(attempts) + " attempts in " +
                              Hours(notifier.max_age) + " (max_age): " + result.error;
    spdlog::error("notifier {}: {} {}", notifier.name, what, error);
    Check(store_.MarkDead(ids, error));
    Count(notifier.name, DeliveryResult::kDead, ids.size());
    return;
  }
  // -1.0 .. 1.0 in steps of 0.001.
  const double jitter = static_cast<double>(random_.Below(2001)) / 1000.0 - 1.0;
  const Seconds delay =
      notify::RetryDelay(attempts, ParseRetryAfter(result.retry_after, now), jitter);
  const TimePoint next = std::min(now + delay, deadline);
  spdlog::warn("notifier {}: {} failed (attempt {}): {}; next attempt at {}", notifier.name, what,
               attempts, result.error, FormatIso8601(next));
  Check(store_.MarkFailed(ids, next, result.error));
  Count(notifier.name, DeliveryResult::kFailed, ids.size());
  // The next success on this notifier brings these forward: the server was down, not the
  // message wrong. Not those the server asked to wait for (Retry-After), nor those brought
  // forward once already and failing again: they fail on their own and keep their backoff.
  if (result.retry_after.empty()) {
    std::set<std::int64_t>& waiting = failed_since_success_[notifier.name];
    for (const std::int64_t id : ids) {
      if (!brought_forward_.contains(id)) waiting.insert(id);  // once, however often it fails
    }
  }
}

void Dispatcher::BringForward(const std::string& notifier, TimePoint now) {
  const auto failed = failed_since_success_.find(notifier);
  std::vector<std::int64_t> ids;
  if (failed != failed_since_success_.end()) {
    ids.assign(failed->second.begin(), failed->second.end());
    failed_since_success_.erase(failed);
  }
  std::vector<std::int64_t> brought;
  const auto bring = [&](const std::vector<std::int64_t>& which) {
    Result<std::vector<std::int64_t>> moved = store_.BringForward(notifier, which, now);
    if (!moved) {
      spdlog::error("outbox: {}", moved.error().message);
      return;
    }
    brought.insert(brought.end(), moved->begin(), moved->end());
  };
  if (unknown_retries_.erase(notifier) > 0) {
    bring({});  // every one waiting: a start forgot which failed before it
  } else if (!ids.empty()) {
    bring(ids);
  }
  if (brought.empty()) return;
  brought_forward_.insert(brought.begin(), brought.end());
  spdlog::info(
      "notifier {}: answering again; bringing forward {} waiting on a retry, oldest "
      "first",
      notifier, Counted(static_cast<std::int64_t>(brought.size()), "delivery", "deliveries"));
  Wake();
}

void Dispatcher::Count(const std::string& notifier, DeliveryResult result, size_t deliveries) {
  if (metrics_ != nullptr) metrics_->Delivered(notifier, result, static_cast<int>(deliveries));
}

}  // namespace feedwatch::daemon
