#include "daemon/engine.h"

#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <csignal>
#include <unordered_map>
#include <utility>

#include "base/hash.h"
#include "base/text.h"
#include "daemon/item_document.h"
#include "daemon/schedule.h"
#include "daemon/systemd.h"
#include "feeds/canonical.h"
#include "feeds/parser.h"
#include "filters/headline.h"
#include "filters/query.h"

namespace feedwatch::daemon {

using config::Duration;
namespace {

// The summary an item keeps for webhooks, at most.
constexpr size_t kSummaryBytes = 600;

// How far back a new match looks for the story it may belong to.
constexpr Seconds kStoryWindow{72 * 3600};

// The longest wait before a feed whose poll the database refused is fetched again.
constexpr Seconds kNotStoredRetry{300};

// The longest the loop sleeps, so that due deliveries (retries, digests) go out without a
// timer of their own.
constexpr std::chrono::milliseconds kMaxSleep{10'000};

// Drains the signalfd: a stop (SIGINT, SIGTERM) wins over a reload (SIGHUP).
LoopExit ReadSignals(int signal_fd) {
  LoopExit exit = LoopExit::kDone;
  signalfd_siginfo info{};
  while (read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo == SIGHUP) {
      if (exit == LoopExit::kDone) exit = LoopExit::kReload;
    } else {
      spdlog::info("{}: stopping", info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
      exit = LoopExit::kStopped;
    }
  }
  return exit;
}

}  // namespace

Engine::Engine(const config::Config& config, store::Store& store, net::HttpClient& http,
               const Clock& clock, std::map<std::string, notify::Notifier*> notifiers,
               Metrics* metrics)
    : config_(config),
      store_(store),
      http_(http),
      clock_(clock),
      metrics_(metrics),
      dispatcher_(config, store, clock, std::move(notifiers), metrics),
      runtime_(config.feeds.size()) {
  for (FeedRuntime& runtime : runtime_) runtime.next_due = clock.Now();
  // Validated with the configuration.
  Result<net::AddressSet> internal = net::AddressSet::Parse(config_.http.internal_networks);
  assert(internal);
  internal_networks_ = std::make_shared<const net::AddressSet>(std::move(*internal));
  for (const config::WatchConfig& watch : config_.watches) watches_.Add(watch.query.get());
}

namespace {

// "https://host:port" in lower case: what the per-host limit counts by.
std::string HostOf(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "file";
  const size_t end = url.find_first_of("/?#", scheme + 3);
  std::string host(url.substr(0, end));
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

std::string FormatDelay(Seconds delay) {
  const int64_t s = delay.count();
  if (s % 3600 == 0 && s >= 3600) return std::to_string(s / 3600) + " h";
  if (s >= 600) return std::to_string(s / 60) + " min";
  return std::to_string(s) + " s";
}

}  // namespace

void Engine::ForgetOldItems() {
  const TimePoint now = clock_.Now();
  last_forget_ = now;
  Result<int> forgotten = store_.ForgetItemsSeenBefore(
      now - std::chrono::duration_cast<Seconds>(config_.daemon.forget_after));
  if (!forgotten) {
    spdlog::error("cannot forget old items: {}", forgotten.error().message);
  } else if (*forgotten > 0) {
    spdlog::info("forgot {} items gone from their feeds for longer than forget_after", *forgotten);
  }
}

Status Engine::LoadSchedule(bool spread_start) {
  ForgetOldItems();
  const TimePoint now = clock_.Now();
  for (size_t i = 0; i < config_.feeds.size(); ++i) {
    const config::FeedConfig& feed = config_.feeds[i];
    Result<store::FeedState> state = store_.GetFeedState(feed.name);
    if (!state) return state.error();
    FeedRuntime& runtime = runtime_[i];
    runtime.state = std::move(*state);
    if (runtime.state.url != feed.url) {
      // A changed URL starts afresh (the store forgets the same on the next write).
      runtime.state.etag.clear();
      runtime.state.last_modified.clear();
      runtime.state.body_hash.clear();
      runtime.state.moved_to.clear();
      runtime.state.gone = false;
    }
    if (runtime.state.gone) {
      spdlog::warn("feed {}: disabled: {} answered 410 Gone; change its url to poll it again",
                   feed.name, feed.url);
    }
    runtime.next_due = runtime.state.next_due_at.value_or(now);
    if (spread_start && runtime.next_due <= now) {
      // Feeds due at start are spread over the first two minutes (or their interval).
      runtime.next_due =
          now + StartOffset(feed.name, std::min<Duration>(feed.interval, std::chrono::minutes(2)));
    }
  }
  return Status::Ok();
}

std::string Engine::FetchUrl(size_t index) const {
  const FeedRuntime& runtime = runtime_[index];
  return runtime.state.moved_to.empty() ? config_.feeds[index].url : runtime.state.moved_to;
}

void Engine::StartFetches(bool once) {
  const TimePoint now = clock_.Now();
  std::vector<size_t> due;
  for (size_t i = 0; i < config_.feeds.size(); ++i) {
    const FeedRuntime& runtime = runtime_[i];
    if (runtime.in_flight || runtime.state.gone) continue;
    if (once ? runtime.polled : runtime.next_due > now) continue;
    due.push_back(i);
  }
  // Longest overdue first.
  std::stable_sort(due.begin(), due.end(),
                   [&](size_t a, size_t b) { return runtime_[a].next_due < runtime_[b].next_due; });
  for (const size_t i : due) {
    if (in_flight_ >= config_.http.concurrency) break;
    const std::string url = FetchUrl(i);
    const std::string host = HostOf(url);
    int& host_in_flight = host_in_flight_[host];
    if (host != "file" && host_in_flight >= config_.http.per_host) continue;
    ++host_in_flight;
    Start(i, url);
  }
}

void Engine::Start(size_t index, const std::string& url) {
  const config::FeedConfig& feed = config_.feeds[index];
  FeedRuntime& runtime = runtime_[index];
  net::Request request;
  request.url = url;
  request.allow_file = url.starts_with("file:");
  request.timeout = config_.http.timeout;
  request.connect_timeout = config_.http.connect_timeout;
  request.low_speed_time = config_.http.low_speed_time;
  request.max_body = config_.http.max_body;
  request.ca_file = config_.http.ca_file;
  request.proxy = config_.http.proxy;
  request.internal = internal_networks_;
  request.headers = {
      "Accept: application/rss+xml, application/atom+xml, application/feed+json, "
      "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"};
  // Conditional GET: a server that knows the validators answers 304 and sends nothing.
  if (!runtime.state.etag.empty())
    request.headers.push_back("If-None-Match: " + runtime.state.etag);
  if (!runtime.state.last_modified.empty()) {
    request.headers.push_back("If-Modified-Since: " + runtime.state.last_modified);
  }
  runtime.in_flight = true;
  runtime.started = std::chrono::steady_clock::now();
  ++in_flight_;
  spdlog::debug("feed {}: fetching {}", feed.name, url);
  http_.Start(request, [this, index, host = HostOf(url)](Result<net::Response> response) {
    --host_in_flight_[host];
    OnFetched(index, std::move(response));
  });
}

void Engine::OnFetched(size_t index, Result<net::Response> response) {
  const config::FeedConfig& feed = config_.feeds[index];
  FeedRuntime& runtime = runtime_[index];
  runtime.in_flight = false;
  runtime.polled = true;
  --in_flight_;
  const TimePoint now = clock_.Now();
  if (!response) {
    const Error& error = response.error();
    const char* status = error.code == Error::Code::kTimeout    ? "timeout"
                         : error.code == Error::Code::kTooLarge ? "too large"
                                                                : "network error";
    Count(index, error.code == Error::Code::kTimeout    ? "timeout"
                 : error.code == Error::Code::kTooLarge ? "too_large"
                                                        : "network_error");
    Fail(index, status, error.message, std::nullopt);
    return;
  }
  const long status = response->status;
  store::PollRecord poll;
  poll.at = now;
  if (response->moved_permanently && response->effective_url != FetchUrl(index)) {
    spdlog::info(
        "feed {}: {} moved permanently to {}; polling the new URL until the "
        "configuration changes",
        feed.name, FetchUrl(index), response->effective_url);
    poll.moved_to = response->effective_url;
    runtime.state.moved_to = response->effective_url;
  }
  if (status == 304) {
    Count(index, "not_modified");
    Unchanged(index, "304 not modified", *response, poll);
    return;
  }
  if (status == 410) {
    spdlog::warn(
        "feed {}: {} answered 410 Gone: disabled until its url changes in the "
        "configuration",
        feed.name, FetchUrl(index));
    Count(index, "gone");
    poll.status = "410 gone";
    poll.error = "410 Gone: the feed was removed; change its url to poll it again";
    poll.gone = true;
    poll.next_due = now;
    runtime.state.gone = true;
    Record(index, poll);
    return;
  }
  if (status < 200 || status > 299) {
    std::optional<Seconds> retry_after;
    if (status == 429 || status == 503) {
      retry_after = ParseRetryAfter(response->Header("retry-after"), now);
    }
    Count(index, "http_error");
    Fail(index, "HTTP " + std::to_string(status), "HTTP " + std::to_string(status), retry_after,
         poll.moved_to);
    return;
  }
  const std::string hash = Sha256Hex(response->body);
  if (hash == runtime.state.body_hash) {
    Count(index, "unchanged");
    Unchanged(index, std::to_string(status) + " unchanged", *response, poll);
    return;
  }
  poll.status = std::to_string(status);
  poll.etag = Validator(index, *response, "etag");
  poll.last_modified = Validator(index, *response, "last-modified");
  poll.body_hash = hash;
  if (Status s = Process(index, *response, poll); !s) {
    if (s.error().code == Error::Code::kIo) {
      NotStored(index, s.error());
      return;
    }
    Count(index, "unreadable");
    Fail(index, "unreadable", s.error().message, std::nullopt, poll.moved_to);
    return;
  }
  Count(index, "ok");
  DeliverDue();
}

void Engine::Count(size_t index, std::string_view result) {
  if (metrics_ == nullptr) return;
  metrics_->FetchDone(result, std::chrono::steady_clock::now() - runtime_[index].started);
}

void Engine::Unchanged(size_t index, std::string status, const net::Response& response,
                       store::PollRecord& poll) {
  const config::FeedConfig& feed = config_.feeds[index];
  poll.status = std::move(status);
  // A 304 may carry fresh validators.
  poll.etag = Validator(index, response, "etag");
  poll.last_modified = Validator(index, response, "last-modified");
  poll.next_due = poll.at + NextSuccessDelay(index, response);
  spdlog::debug("feed {}: {}", feed.name, poll.status);
  Record(index, poll);
}

Seconds Engine::NextSuccessDelay(size_t index, const net::Response& response) const {
  const config::FeedConfig& feed = config_.feeds[index];
  std::optional<Seconds> hint = FreshnessHint(response, clock_.Now());
  if (const auto ttl = runtime_[index].ttl; ttl && (!hint || *ttl > *hint)) hint = *ttl;
  return Jitter(DelayAfterSuccess(feed.interval, hint), feed.name, clock_.Now());
}

std::string Engine::Validator(size_t index, const net::Response& response, std::string_view name) {
  std::string value = response.Header(name);
  if (value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos) return value;
  if (!std::exchange(runtime_[index].told_unsafe_validator, true)) {
    spdlog::warn("feed {}: its {} holds a control character (CR, LF or NUL); not sent back",
                 config_.feeds[index].name, name);
  }
  return "";
}

void Engine::Record(size_t index, const store::PollRecord& poll) {
  const config::FeedConfig& feed = config_.feeds[index];
  FeedRuntime& runtime = runtime_[index];
  runtime.next_due = poll.next_due;
  runtime.state.consecutive_failures = poll.error.empty() ? 0 : runtime.state.consecutive_failures;
  if (!poll.etag.empty()) runtime.state.etag = poll.etag;
  if (!poll.last_modified.empty()) runtime.state.last_modified = poll.last_modified;
  if (!poll.body_hash.empty()) runtime.state.body_hash = poll.body_hash;
  if (Status s = store_.RecordPoll(feed.name, feed.url, poll); !s) {
    spdlog::error("feed {}: cannot record the poll: {}", feed.name, s.error().message);
    WriteFailed(s.error());
  }
}

void Engine::NotStored(size_t index, const Error& error) {
  const config::FeedConfig& feed = config_.feeds[index];
  Count(index, "not_stored");
  // Sooner than the interval when that is long, so that the items are not late once the disk
  // has room again.
  const Seconds delay =
      Jitter(std::min(std::chrono::duration_cast<Seconds>(feed.interval), kNotStoredRetry),
             feed.name, clock_.Now());
  spdlog::error("feed {}: fetched but not stored ({}); fetching it again in {}", feed.name,
                error.message, FormatDelay(delay));
  runtime_[index].next_due = clock_.Now() + delay;
  WriteFailed(error);
}

void Engine::WriteFailed(const Error& error) {
  write_failure_ = error;
  database_writable_ = false;
  if (metrics_ != nullptr) metrics_->SetDatabase(error);
}

Status Engine::Process(size_t index, const net::Response& response, store::PollRecord& poll) {
  const config::FeedConfig& feed = config_.feeds[index];
  const TimePoint now = poll.at;
  feeds::ParseOptions options;
  options.base_url = response.effective_url.empty() ? feed.url : response.effective_url;
  options.content_type = response.Header("content-type");
  options.max_parse_time = config_.http.max_parse_time;
  Result<feeds::Feed> parsed = feeds::ParseFeed(response.body, options);
  if (!parsed) return parsed.error();
  runtime_[index].ttl = parsed->ttl;
  if (metrics_ != nullptr) metrics_->ItemsParsed(static_cast<int>(parsed->items.size()));
  poll.next_due = now + NextSuccessDelay(index, response);
  for (const std::string& warning : parsed->warnings) {
    spdlog::warn("feed {}: {}", feed.name, warning);
  }

  std::vector<std::string> keys;
  keys.reserve(parsed->items.size());
  for (const feeds::Item& item : parsed->items) keys.push_back(feeds::ItemKey(item));
  Result<std::unordered_map<std::string, std::string>> known = store_.KnownItems(feed.name, keys);
  if (!known) return known.error();

  // On a feed's first successful poll, old items are recorded as seen but do not alert:
  // subscribing to a feed must not flood its subscribers with its back catalogue.
  std::optional<TimePoint> cutoff;
  if (!runtime_[index].state.last_success_at && feed.initial_lookback) {
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
    record.canonical_url = feeds::CanonicalUrl(item.link);
    record.published = item.published;
    record.content_hash =
        Sha256Hex(item.title + '\n' + item.summary_text + '\n' + item.content_text);
    const auto seen = known->find(record.key);
    const bool is_new = seen == known->end();
    // An edited item is matched again: a watch it now matches for the first time alerts; one
    // that matched it before does not (the store keeps one match per watch and item). Items
    // recorded before hashes were kept are taken as unchanged.
    const bool edited = !is_new && !seen->second.empty() && seen->second != record.content_hash;
    if (!is_new && !edited) continue;
    if (edited)
      spdlog::debug("feed {}: \"{}\" was edited; matching it again", feed.name, item.title);
    if (cutoff && item.published && *item.published < *cutoff) continue;
    const filters::Document document =
        ItemDocument(item, feed.name + '\n' + parsed->title, watches_.needs_accent_folding());
    for (const size_t watch_index : watches_.Match(document)) {
      const config::WatchConfig& watch = config_.watches[watch_index];
      const std::optional<filters::Explanation> why = watch.query->Explain(document);
      store::MatchRecord& match = record.matches.emplace_back();
      match.watch = watch.name;
      match.notifiers = watch.notify;
      for (const std::string& notifier : watch.notify) {
        if (const TimePoint due = dispatcher_.DueAt(notifier, now); due != now) {
          match.due_at[notifier] = due;
        }
      }
      match.terms = why ? why->Summary(document) : "";
      match.snippet = why ? why->snippet.Marked("**", "**") : "";
      Result<std::optional<std::int64_t>> story = SameStory(watch.name, record, now);
      if (!story) return story.error();
      match.story_of = *story;
      if (metrics_ != nullptr && is_new && !match.story_of) metrics_->Matched(watch.name);
      if (match.story_of && is_new) {
        spdlog::info("feed {}: \"{}\" is a story watch {} alerted on already; linked, not sent",
                     feed.name, item.title, watch.name);
      }
    }
  }
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].matches.empty()) continue;  // only a match's item is ever rendered
    const feeds::Item& item = parsed->items[i];
    records[i].summary = ShortenUtf8(
        item.summary_text.empty() ? item.content_text : item.summary_text, kSummaryBytes);
  }
  Result<std::vector<store::StoryHead>> heads =
      store_.CommitPoll(feed.name, feed.url, poll, records);
  if (!heads) return heads.error();
  if (!heads->empty()) dispatcher_.Wake();
  for (const store::StoryHead& head : *heads) {
    // An index not read yet reads this head from the store when it is.
    if (const auto it = stories_.find(head.watch); it != stories_.end()) it->second.Add(head);
  }
  FeedRuntime& runtime = runtime_[index];
  runtime.next_due = poll.next_due;
  runtime.state.last_success_at = now;
  runtime.state.consecutive_failures = 0;
  runtime.state.etag = poll.etag;
  runtime.state.last_modified = poll.last_modified;
  runtime.state.body_hash = poll.body_hash;
  spdlog::info("feed {}: {} items, {} new, {} new matches", feed.name, records.size(),
               records.size() - known->size(), heads->size());
  return Status::Ok();
}

Result<std::optional<std::int64_t>> Engine::SameStory(const std::string& watch,
                                                      const store::ItemRecord& item,
                                                      TimePoint now) {
  auto it = stories_.find(watch);
  if (it == stories_.end()) {
    Result<std::vector<store::StoryHead>> heads = store_.RecentStories(watch, now - kStoryWindow);
    if (!heads) return heads.error();
    it = stories_.emplace(watch, StoryIndex(kStoryWindow)).first;
    for (const store::StoryHead& head : *heads) it->second.Add(head);
  }
  return it->second.Find(item.canonical_url, filters::HeadlineWords(item.title), now);
}

void Engine::Fail(size_t index, std::string status, const std::string& error,
                  std::optional<Seconds> retry_after, std::string moved_to) {
  const config::FeedConfig& feed = config_.feeds[index];
  FeedRuntime& runtime = runtime_[index];
  const int failures = ++runtime.state.consecutive_failures;
  const TimePoint now = clock_.Now();
  Seconds delay =
      Jitter(DelayAfterFailure(feed.interval, failures, config_.schedule.max_backoff, std::nullopt),
             feed.name, now);
  // Jitter may lengthen what Retry-After asks for, never shorten it.
  if (retry_after) {
    delay = std::max(delay, DelayAfterFailure(feed.interval, failures, config_.schedule.max_backoff,
                                              retry_after));
  }
  spdlog::warn("feed {}: {} ({}); failure {}, next attempt in {}", feed.name, error,
               FetchUrl(index), failures, FormatDelay(delay));
  store::PollRecord poll;
  poll.at = now;
  poll.next_due = now + delay;
  poll.status = std::move(status);
  poll.error = error;
  poll.moved_to = std::move(moved_to);
  runtime.next_due = poll.next_due;
  if (Status s = store_.RecordPoll(feed.name, feed.url, poll); !s) {
    spdlog::error("feed {}: cannot record the failure: {}", feed.name, s.error().message);
    WriteFailed(s.error());
  }
}

std::optional<TimePoint> Engine::NextDue() const {
  std::optional<TimePoint> next;
  for (const FeedRuntime& runtime : runtime_) {
    if (runtime.in_flight || runtime.state.gone) continue;
    if (!next || runtime.next_due < *next) next = runtime.next_due;
  }
  return next;
}

std::string Engine::Summary() const {
  int ok = 0, failing = 0, disabled = 0;
  for (const FeedRuntime& runtime : runtime_) {
    if (runtime.state.gone) {
      ++disabled;
    } else if (runtime.state.consecutive_failures > 0) {
      ++failing;
    } else if (runtime.state.last_success_at) {
      ++ok;
    }
  }
  std::string summary = std::to_string(runtime_.size()) + " feeds: " + std::to_string(ok) +
                        " ok, " + std::to_string(failing) + " failing";
  if (disabled > 0) summary += ", " + std::to_string(disabled) + " disabled";
  const TimePoint now = clock_.Now();
  const TimePoint midnight = std::chrono::floor<std::chrono::days>(now);
  if (Result<int> matches = store_.CountMatchesSince(midnight)) {
    summary += "; " + std::to_string(*matches) + " matches today";
  }
  if (Result<store::Store::OutboxCounts> outbox = store_.CountDeliveries()) {
    summary += "; outbox " + std::to_string(outbox->pending);
    if (outbox->dead > 0) summary += " (" + std::to_string(outbox->dead) + " dead)";
  }
  return summary;
}

void Engine::Housekeeping() {
  Status writable = store_.Heartbeat(clock_.Now());
  // A heartbeat may fit where a poll's commit did not (a full disk): a write that failed since
  // the last Housekeeping counts too.
  if (writable && write_failure_) writable = *write_failure_;
  write_failure_.reset();
  if (writable.ok() != database_writable_) {
    if (writable) {
      spdlog::info("the database takes writes again");
    } else {
      spdlog::error("{}", writable.error().message);
    }
    database_writable_ = writable.ok();
  }
  if (metrics_ == nullptr) return;
  metrics_->SetDatabase(writable);
  Metrics::Gauges gauges;
  gauges.feeds = static_cast<int>(runtime_.size());
  for (const FeedRuntime& runtime : runtime_) {
    if (runtime.state.consecutive_failures > 0) ++gauges.feeds_failing;
    if (runtime.state.last_success_at &&
        (!gauges.last_successful_poll ||
         *runtime.state.last_success_at > *gauges.last_successful_poll)) {
      gauges.last_successful_poll = runtime.state.last_success_at;
    }
  }
  if (Result<store::Store::OutboxCounts> outbox = store_.CountDeliveries()) {
    gauges.outbox_pending = outbox->pending;
    gauges.outbox_dead = outbox->dead;
  }
  metrics_->SetGauges(gauges);
}

namespace {

// Shutting down: no new work, but transfers in flight may finish and be recorded until the
// deadline; a second SIGINT or SIGTERM cuts the wait short. (`once` is stopped at once: it is
// run by hand.)
void FinishInFlight(Engine& engine, net::HttpClient& http, int signal_fd, bool forever) {
  if (!forever || !engine.busy()) return;
  const auto deadline = std::chrono::steady_clock::now() + engine.shutdown_deadline();
  spdlog::info("waiting up to {} s for {} transfers in flight",
               std::chrono::duration_cast<std::chrono::seconds>(engine.shutdown_deadline()).count(),
               engine.in_flight());
  while (engine.busy()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      spdlog::warn("shutdown deadline passed; abandoning {} transfers", engine.in_flight());
      return;
    }
    if (http.Poll(left, signal_fd) && ReadSignals(signal_fd) == LoopExit::kStopped) {
      spdlog::info("second stop signal: abandoning {} transfers", engine.in_flight());
      return;
    }
  }
}

}  // namespace

LoopExit RunLoop(Engine& engine, net::HttpClient& http, const Clock& clock, int signal_fd,
                 bool forever, Systemd* systemd) {
  const bool once = !forever;
  constexpr auto kStatusEvery = std::chrono::seconds(5);
  auto last_status = std::chrono::steady_clock::now();
  engine.DeliverDue();  // whatever a previous run left in the outbox
  if (forever) engine.Housekeeping();
  engine.StartFetches(once);
  while (forever || engine.busy() || !engine.polled_all()) {
    std::chrono::milliseconds sleep = kMaxSleep;
    if (const std::optional<TimePoint> next = engine.NextDue(); forever && next) {
      sleep = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(*next - clock.Now()),
                         std::chrono::milliseconds(0), kMaxSleep);
      // A due feed that waits for a free transfer slot starts when one finishes: wait for the
      // network rather than spin.
      if (sleep.count() == 0 && engine.fetching()) sleep = kMaxSleep;
    }
    if (systemd != nullptr) sleep = std::min(sleep, systemd->KeepAlive());
    if (http.Poll(sleep, signal_fd)) {
      const LoopExit exit = ReadSignals(signal_fd);
      if (exit == LoopExit::kStopped) {
        if (systemd != nullptr) systemd->Stopping();
        FinishInFlight(engine, http, signal_fd, forever);
        http.CancelAll();
        return exit;
      }
      if (exit == LoopExit::kReload) {
        if (forever) return exit;  // the caller loads the configuration again
        spdlog::info("SIGHUP: feedwatch once does not reload");
      }
    }
    engine.StartFetches(once);
    engine.DeliverDue();
    if (forever) {
      engine.LoopTurned();
      if (std::chrono::steady_clock::now() - last_status >= kStatusEvery) {
        engine.Housekeeping();
        if (systemd != nullptr) systemd->Status(engine.Summary());
        last_status = std::chrono::steady_clock::now();
      }
      if (clock.Now() - engine.last_forget() >= std::chrono::hours(24)) engine.ForgetOldItems();
    }
  }
  return LoopExit::kDone;
}

}  // namespace feedwatch::daemon
