#include "daemon/engine.h"

#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <unordered_set>

#include "feeds/parser.h"
#include "filters/query.h"

namespace feedwatch::daemon {
namespace {

// A failed delivery is tried again after this long. (The outbox's backoff policy replaces it.)
constexpr Seconds kDeliveryRetry{30};
constexpr int kDeliveryBatch = 100;

// The longest the loop sleeps, so that failed deliveries are retried without a timer of their
// own.
constexpr std::chrono::milliseconds kMaxSleep{10'000};

// Drains the signalfd; true when a signal asks the process to stop.
bool StopRequested(int signal_fd) {
  bool stop = false;
  signalfd_siginfo info{};
  while (read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo == SIGHUP) {
      spdlog::warn("SIGHUP: reloading the configuration is not supported yet; restart to apply it");
    } else {
      spdlog::info("{}: stopping", info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
      stop = true;
    }
  }
  return stop;
}

}  // namespace

Engine::Engine(const config::Config& config, store::Store& store, net::HttpClient& http,
               const Clock& clock, std::map<std::string, notify::Notifier*> notifiers)
    : config_(config),
      store_(store),
      http_(http),
      clock_(clock),
      notifiers_(std::move(notifiers)),
      runtime_(config.feeds.size(), FeedRuntime{clock.Now()}) {
  for (const config::WatchConfig& watch : config_.watches) watches_.Add(watch.query.get());
}

Status Engine::LoadSchedule() {
  for (size_t i = 0; i < config_.feeds.size(); ++i) {
    const config::FeedConfig& feed = config_.feeds[i];
    Result<store::FeedState> state = store_.GetFeedState(feed.name);
    if (!state) return state.error();
    if (state->last_attempt_at) {
      runtime_[i].next_due =
          std::max(clock_.Now(),
                   *state->last_attempt_at + std::chrono::duration_cast<Seconds>(feed.interval));
    }
  }
  return Status::Ok();
}

void Engine::StartFetches(bool all) {
  const TimePoint now = clock_.Now();
  for (size_t i = 0; i < config_.feeds.size(); ++i) {
    FeedRuntime& runtime = runtime_[i];
    if (runtime.in_flight || (!all && runtime.next_due > now)) continue;
    const config::FeedConfig& feed = config_.feeds[i];
    net::Request request;
    request.url = feed.url;
    request.allow_file = feed.url.starts_with("file:");
    request.timeout = config_.http.timeout;
    request.connect_timeout = config_.http.connect_timeout;
    request.max_body = config_.http.max_body;
    request.headers = {
        "Accept: application/rss+xml, application/atom+xml, application/xml;q=0.9, "
        "text/xml;q=0.9, */*;q=0.1"};
    runtime.in_flight = true;
    ++in_flight_;
    spdlog::debug("feed {}: fetching {}", feed.name, feed.url);
    http_.Start(request,
                [this, i](Result<net::Response> response) { OnFetched(i, std::move(response)); });
  }
}

void Engine::OnFetched(size_t index, Result<net::Response> response) {
  const config::FeedConfig& feed = config_.feeds[index];
  FeedRuntime& runtime = runtime_[index];
  runtime.in_flight = false;
  --in_flight_;
  runtime.next_due = clock_.Now() + std::chrono::duration_cast<Seconds>(feed.interval);
  if (!response) {
    Fail(feed, response.error());
    return;
  }
  if (response->status < 200 || response->status > 299) {
    Fail(feed, Error::HttpStatus("HTTP " + std::to_string(response->status)));
    return;
  }
  if (Status s = Process(feed, *response); !s) {
    Fail(feed, s.error());
    return;
  }
  DeliverDue();
}

Status Engine::Process(const config::FeedConfig& feed, const net::Response& response) {
  const TimePoint now = clock_.Now();
  feeds::ParseOptions options;
  options.base_url = response.effective_url.empty() ? feed.url : response.effective_url;
  options.content_type = response.Header("content-type");
  Result<feeds::Feed> parsed = feeds::ParseFeed(response.body, options);
  if (!parsed) return parsed.error();
  for (const std::string& warning : parsed->warnings) {
    spdlog::warn("feed {}: {}", feed.name, warning);
  }

  std::vector<std::string> keys;
  keys.reserve(parsed->items.size());
  for (const feeds::Item& item : parsed->items) keys.push_back(feeds::ItemKey(item));
  Result<std::vector<std::string>> unseen = store_.UnseenKeys(feed.name, keys);
  if (!unseen) return unseen.error();
  const std::unordered_set<std::string> is_new(unseen->begin(), unseen->end());

  Result<store::FeedState> state = store_.GetFeedState(feed.name);
  if (!state) return state.error();
  // On a feed's first successful poll, old items are recorded as seen but do not alert:
  // subscribing to a feed must not flood its subscribers with its back catalogue.
  std::optional<TimePoint> cutoff;
  if (!state->last_success_at && feed.initial_lookback) {
    cutoff = now - std::chrono::duration_cast<Seconds>(*feed.initial_lookback);
  }

  std::vector<store::ItemRecord> records;
  records.reserve(parsed->items.size());
  for (size_t i = 0; i < parsed->items.size(); ++i) {
    const feeds::Item& item = parsed->items[i];
    store::ItemRecord& record = records.emplace_back();
    record.key = keys[i];
    record.title = item.title;
    record.link = item.link;
    record.published = item.published;
    if (!is_new.contains(record.key)) continue;
    if (cutoff && item.published && *item.published < *cutoff) continue;
    std::string categories;
    for (const std::string& category : item.categories) categories += category + '\n';
    const std::string feed_names = feed.name + '\n' + parsed->title;
    const filters::Document document({.title = item.title,
                                      .summary = item.summary_text,
                                      .content = item.content_text,
                                      .author = item.author,
                                      .category = categories,
                                      .feed = feed_names,
                                      .link = item.link},
                                     watches_.needs_accent_folding());
    for (const size_t index : watches_.Match(document)) {
      const config::WatchConfig& watch = config_.watches[index];
      const std::optional<filters::Explanation> why = watch.query->Explain(document);
      record.matches.push_back({watch.name, watch.notify, why ? why->Summary(document) : "",
                                why ? why->snippet.Marked("**", "**") : ""});
    }
  }
  Result<int> new_matches = store_.CommitPoll(feed.name, feed.url, now, records);
  if (!new_matches) return new_matches.error();
  spdlog::info("feed {}: {} items, {} new, {} new matches", feed.name, records.size(),
               is_new.size(), *new_matches);
  return Status::Ok();
}

void Engine::Fail(const config::FeedConfig& feed, const Error& error) {
  spdlog::warn("feed {}: {} ({})", feed.name, error.message, feed.url);
  if (Status s = store_.RecordFailure(feed.name, feed.url, clock_.Now(), error.message); !s) {
    spdlog::error("feed {}: cannot record the failure: {}", feed.name, s.error().message);
  }
}

void Engine::DeliverDue() {
  Result<std::vector<store::Delivery>> due = store_.DueDeliveries(clock_.Now(), kDeliveryBatch);
  if (!due) {
    spdlog::error("outbox: {}", due.error().message);
    return;
  }
  for (const store::Delivery& delivery : *due) {
    const auto record_result = [this, delivery](const Status& status) {
      const TimePoint now = clock_.Now();
      Status recorded;
      if (status.ok()) {
        recorded = store_.MarkSent(delivery.id, now);
      } else {
        spdlog::warn("notifier {}: delivery {} failed: {}", delivery.notifier, delivery.id,
                     status.error().message);
        recorded = store_.MarkFailed(delivery.id, now + kDeliveryRetry, status.error().message);
      }
      if (!recorded) spdlog::error("outbox: {}", recorded.error().message);
    };
    const auto it = notifiers_.find(delivery.notifier);
    if (it == notifiers_.end()) {
      record_result(
          Error::NotFound("notifier \"" + delivery.notifier + "\" is not in the configuration"));
      continue;
    }
    notify::Alert alert;
    alert.delivery_id = std::to_string(delivery.id);
    alert.watch = delivery.watch;
    alert.feed = delivery.feed;
    alert.title = delivery.title;
    alert.link = delivery.link;
    alert.published = delivery.published;
    alert.matched_at = delivery.matched_at;
    alert.terms = delivery.terms;
    alert.snippet = delivery.snippet;
    it->second->Send(alert, record_result);
  }
}

std::optional<TimePoint> Engine::NextDue() const {
  std::optional<TimePoint> next;
  for (const FeedRuntime& runtime : runtime_) {
    if (runtime.in_flight) continue;
    if (!next || runtime.next_due < *next) next = runtime.next_due;
  }
  return next;
}

void RunLoop(Engine& engine, net::HttpClient& http, const Clock& clock, int signal_fd,
             bool forever) {
  engine.DeliverDue();  // whatever a previous run left in the outbox
  engine.StartFetches(/*all=*/!forever);
  while (forever || engine.fetching()) {
    std::chrono::milliseconds sleep = kMaxSleep;
    if (const std::optional<TimePoint> next = engine.NextDue(); forever && next) {
      sleep = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(*next - clock.Now()),
                         std::chrono::milliseconds(0), kMaxSleep);
    }
    if (http.Poll(sleep, signal_fd) && StopRequested(signal_fd)) {
      http.CancelAll();
      break;
    }
    if (forever) {
      engine.StartFetches(/*all=*/false);
      engine.DeliverDue();
    }
  }
  engine.DeliverDue();
}

}  // namespace feedwatch::daemon
