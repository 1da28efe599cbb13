#include "daemon/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <ctime>
#include <utility>

#include "base/hash.h"
#include "base/text.h"
#include "daemon/feed_health.h"
#include "daemon/fetch_one.h"
#include "daemon/schedule.h"
#include "feeds/parser.h"

namespace feedwatch::daemon {

using config::Duration;
namespace {

// The longest wait before a feed whose poll the database refused is fetched again.
constexpr Seconds kNotStoredRetry{300};
// How soon a feed is asked for again when the store could not be asked, or when another
// instance is committing its poll right now.
constexpr Seconds kClaimRetry{10};
// Instances are live while their heartbeat (every few seconds) is this recent.
constexpr Seconds kInstanceLive{60};
// On a shared store a feed falls due locally up to this much after the store says.
constexpr std::uint64_t kShareSpreadSeconds = 5;

// The CPU time the calling thread has used.
std::chrono::nanoseconds ThreadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

std::string FormatDelay(Seconds delay) {
  const int64_t s = delay.count();
  if (s % 3600 == 0 && s >= 3600) return std::to_string(s / 3600) + " h";
  if (s >= 600) return std::to_string(s / 60) + " min";
  return std::to_string(s) + " s";
}

FetchResult ResultOf(const Error& error) {
  switch (error.code) {
    case Error::Code::kTimeout:
      return FetchResult::kTimeout;
    case Error::Code::kTooLarge:
      return FetchResult::kTooLarge;
    default:
      return FetchResult::kNetworkError;
  }
}

}  // namespace

Engine::Engine(const config::Config& config, store::Store& store, net::HttpClient& http,
               const Clock& clock, Random& random,
               std::map<std::string, notify::Notifier*> notifiers, Metrics* metrics,
               AlertFeeds* feeds)
    : config_(config),
      store_(store),
      http_(http),
      clock_(clock),
      random_(random),
      metrics_(metrics),
      feeds_(feeds),
      dispatcher_(config, store, clock, random, std::move(notifiers), metrics),
      pipeline_(config),
      scheduler_(config.feeds.size(), config.http.concurrency, config.http.per_host),
      runtime_(config.feeds.size()),
      stories_([&store](const std::string& watch, TimePoint since, std::int64_t after_seq) {
        return store.RecentStories(watch, since, after_seq);
      }) {
  // Validated with the configuration.
  Result<net::AddressSet> internal = net::AddressSet::Parse(config_.http.internal_networks);
  assert(internal);
  internal_networks_ = std::make_shared<const net::AddressSet>(std::move(*internal));
}

void Engine::ForgetOldItems() {
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

Status Engine::Load(Mode mode) {
  mode_ = mode;
  if (mode != Mode::kOnce) dispatcher_.ForgotRetries();
  ForgetOldItems();
  const TimePoint now = clock_.Now();
  for (const config::WatchConfig& watch : config_.watches) PublishFeed(watch.name);
  for (size_t i = 0; i < config_.feeds.size(); ++i) {
    const config::FeedConfig& feed = config_.feeds[i];
    Result<store::FeedState> state = store_.GetFeedState(feed.name);
    if (!state) return state.error();
    FeedRuntime& runtime = runtime_[i];
    Adopt(i, std::move(*state));
    if (runtime.state.gone) {
      spdlog::warn("feed {}: disabled: {} answered 410 Gone; change its url to poll it again",
                   feed.name, feed.url);
      continue;
    }
    ++unpolled_;
    TimePoint due = runtime.state.next_due_at.value_or(now);
    if (mode == Mode::kStart && due <= now && !feed.url.starts_with("file:")) {
      // Network feeds due at start are spread over the first two minutes (or their interval),
      // so that thousands of them do not hit their hosts at once. A file costs no one anything:
      // it is read at once (the bundled sample alerts within a second of the first start).
      due =
          now + StartOffset(feed.name, std::min<Duration>(feed.interval, std::chrono::minutes(2)));
    }
    scheduler_.SetUrl(i, FetchUrl(i));
    scheduler_.Schedule(i, due);
  }
  return Status::Ok();
}

void Engine::Adopt(size_t index, store::FeedState state) {
  FeedRuntime& runtime = runtime_[index];
  runtime.state = std::move(state);
  if (runtime.state.url != config_.feeds[index].url) {
    // A changed URL starts afresh (the store forgets the same on the next write).
    runtime.state.etag.clear();
    runtime.state.last_modified.clear();
    runtime.state.body_hash.clear();
    runtime.state.moved_to.clear();
    runtime.state.gone = false;
  }
}

std::string Engine::FetchUrl(size_t index) const {
  const FeedRuntime& runtime = runtime_[index];
  return runtime.state.moved_to.empty() ? config_.feeds[index].url : runtime.state.moved_to;
}

void Engine::StartFetches() {
  const TimePoint now = once() ? TimePoint::max() : clock_.Now();
  while (true) {
    std::vector<size_t> ready = scheduler_.Take(now);
    const size_t taken = ready.size();
    if (taken > 0 && !once() && store_.shared()) ready = Claim(std::move(ready));
    for (const size_t feed : ready) Start(feed);
    // A feed another instance polls gave its slot back, and no transfer's end will wake the
    // loop for the feeds waiting behind it: take again. Each pass starts a fetch or moves a
    // feed past `now`, so this ends.
    if (ready.size() == taken) return;
  }
}

std::vector<size_t> Engine::Claim(std::vector<size_t> ready) {
  const TimePoint now = clock_.Now();
  std::vector<store::FeedRef> refs;
  refs.reserve(ready.size());
  for (const size_t i : ready) refs.push_back({config_.feeds[i].name, config_.feeds[i].url});
  const auto lease = std::chrono::duration_cast<Seconds>(config_.store.lease);
  Result<std::vector<store::FeedClaim>> claims = store_.ClaimFeeds(refs, now, now + lease);
  if (!claims) {
    spdlog::error("cannot claim feeds to poll ({}); asking again in {}", claims.error().message,
                  FormatDelay(kClaimRetry));
    WriteFailed(claims.error());
    for (const size_t i : ready) {
      scheduler_.Finished(i);
      scheduler_.Schedule(i, now + kClaimRetry);
    }
    return {};
  }
  std::vector<size_t> mine;
  for (size_t k = 0; k < ready.size(); ++k) {
    const size_t i = ready[k];
    store::FeedClaim& claim = (*claims)[k];
    if (claim.claimed) {
      if (claim.state) Adopt(i, std::move(*claim.state));
      if (runtime_[i].state.gone) {  // another instance found it gone
        scheduler_.Finished(i);
        continue;
      }
      leased_.insert(i);
      mine.push_back(i);
      continue;
    }
    // Polled by another instance, or being polled: due again when the store says, or soon
    // when its commit is under way.
    spdlog::debug("feed {}: another instance polls it; next due {}", config_.feeds[i].name,
                  FormatDelay(std::chrono::duration_cast<Seconds>(
                      std::max(claim.retry_at, now + Seconds(1)) - now)));
    scheduler_.Finished(i);
    Reschedule(i, claim.retry_at > now ? claim.retry_at : now + kClaimRetry);
  }
  return mine;
}

void Engine::PublishFeed(const std::string& watch) {
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

void Engine::Reschedule(size_t feed, TimePoint due) {
  if (once()) return;
  if (store_.shared()) due += Seconds(random_.Below(kShareSpreadSeconds));
  scheduler_.Schedule(feed, due);
}

void Engine::Start(size_t index) {
  const config::FeedConfig& feed = config_.feeds[index];
  FeedRuntime& runtime = runtime_[index];
  const std::string url = FetchUrl(index);
  const net::Request request = FeedRequest(config_.http, internal_networks_, url,
                                           runtime.state.etag, runtime.state.last_modified);
  runtime.started = clock_.Monotonic();
  spdlog::debug("feed {}: fetching {}", feed.name, url);
  http_.Start(request, [this, index](Result<net::Response> response) {
    OnFetched(index, std::move(response));
  });
}

void Engine::OnFetched(size_t index, Result<net::Response> response) {
  const bool was_failing = HealthOf(runtime_[index].state) == FeedHealth::kFailing;
  Handle(index, std::move(response));
  const bool failing = HealthOf(runtime_[index].state) == FeedHealth::kFailing;
  // The gauge follows at once: a scrape between housekeepings sees the failure.
  if (metrics_ != nullptr && failing != was_failing) metrics_->FeedFailing(failing ? 1 : -1);
}

void Engine::Handle(size_t index, Result<net::Response> response) {
  const config::FeedConfig& feed = config_.feeds[index];
  FeedRuntime& runtime = runtime_[index];
  scheduler_.Finished(index);
  leased_.erase(index);  // the poll is recorded below, which ends the lease
  if (!std::exchange(runtime.polled, true)) --unpolled_;
  runtime.failed = false;
  const TimePoint now = clock_.Now();
  if (!response) {
    const FetchResult result = ResultOf(response.error());
    Count(index, result);
    Fail(index, result, 0, response.error().message, std::nullopt);
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
    scheduler_.SetUrl(index, runtime.state.moved_to);
  }
  if (status == 304 && runtime.state.etag.empty() && runtime.state.last_modified.empty()) {
    // Nothing was asked that "not modified" could answer: a broken server or cache, and the
    // feed is not being read.
    Count(index, FetchResult::kHttpError);
    Fail(index, FetchResult::kHttpError, status,
         "HTTP 304 Not Modified to a request without validators (no If-None-Match or "
         "If-Modified-Since): the feed was not read",
         std::nullopt, poll.moved_to);
    return;
  }
  if (status == 304) {
    Count(index, FetchResult::kNotModified);
    Unchanged(index, FetchResult::kNotModified, *response, poll);
    return;
  }
  if (status == 410) {
    spdlog::warn(
        "feed {}: {} answered 410 Gone: disabled until its url changes in the "
        "configuration",
        feed.name, FetchUrl(index));
    Count(index, FetchResult::kGone);
    poll.status = StatusText(FetchResult::kGone, status);
    poll.error = "410 Gone: the feed was removed; change its url to poll it again";
    poll.gone = true;
    poll.next_due = now;
    runtime.state.gone = true;
    runtime.failed = true;
    Record(index, poll);  // not scheduled again
    return;
  }
  if (status < 200 || status > 299) {
    std::optional<Seconds> retry_after;
    if (status == 429 || status == 503) {
      retry_after = ParseRetryAfter(response->Header("retry-after"), now);
    }
    Count(index, FetchResult::kHttpError);
    Fail(index, FetchResult::kHttpError, status, "HTTP " + std::to_string(status), retry_after,
         poll.moved_to);
    return;
  }
  const std::string hash = Sha256Hex(response->body);
  if (hash == runtime.state.body_hash) {
    Count(index, FetchResult::kUnchanged);
    poll.status = StatusText(FetchResult::kUnchanged, status);
    Unchanged(index, FetchResult::kUnchanged, *response, poll);
    return;
  }
  poll.status = StatusText(FetchResult::kOk, status);
  poll.etag = Validator(index, *response, "etag");
  poll.last_modified = Validator(index, *response, "last-modified");
  poll.body_hash = hash;
  if (Status s = Process(index, *response, poll); !s) {
    if (s.error().code == Error::Code::kIo) {
      NotStored(index, s.error());
      return;
    }
    Count(index, FetchResult::kUnreadable);
    Fail(index, FetchResult::kUnreadable, status, s.error().message, std::nullopt, poll.moved_to);
    return;
  }
  Count(index, FetchResult::kOk);
  DeliverDue();
}

void Engine::Count(size_t index, FetchResult result) {
  if (metrics_ == nullptr) return;
  metrics_->FetchDone(result, clock_.Monotonic() - runtime_[index].started);
}

void Engine::Unchanged(size_t index, FetchResult result, const net::Response& response,
                       store::PollRecord& poll) {
  if (poll.status.empty()) poll.status = StatusText(result, response.status);
  // A 304 may carry fresh validators.
  poll.etag = Validator(index, response, "etag");
  poll.last_modified = Validator(index, response, "last-modified");
  poll.next_due = NextSuccessDue(index, response);
  spdlog::debug("feed {}: {}", config_.feeds[index].name, poll.status);
  Record(index, poll);
}

TimePoint Engine::NextSuccessDue(size_t index, const net::Response& response) const {
  const config::FeedConfig& feed = config_.feeds[index];
  const FeedRuntime& runtime = runtime_[index];
  const TimePoint now = clock_.Now();
  std::optional<Seconds> hint = FreshnessHint(response, now);
  if (runtime.hint && (!hint || *runtime.hint > *hint)) hint = runtime.hint;
  const TimePoint due = now + Jitter(DelayAfterSuccess(feed.interval, hint), feed.name, now);
  const TimePoint latest = now + DelayAfterSuccess(feed.interval, Seconds::max());
  return OutsideSkipped(due, runtime.skip_hours, runtime.skip_days, std::max(due, latest));
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
  if (!poll.gone) Reschedule(index, poll.next_due);
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
  runtime_[index].failed = true;
  Count(index, FetchResult::kNotStored);
  // Sooner than the interval when that is long, so that the items are not late once the disk
  // has room again.
  const Seconds delay =
      Jitter(std::min(std::chrono::duration_cast<Seconds>(feed.interval), kNotStoredRetry),
             feed.name, clock_.Now());
  spdlog::error("feed {}: fetched but not stored ({}); fetching it again in {}", feed.name,
                error.message, FormatDelay(delay));
  Reschedule(index, clock_.Now() + delay);
  WriteFailed(error);
}

void Engine::WriteFailed(const Error& error) {
  write_failure_ = error;
  database_writable_ = false;
  if (metrics_ != nullptr) metrics_->SetDatabase(error);
}

Status Engine::Process(size_t index, const net::Response& response, store::PollRecord& poll) {
  const config::FeedConfig& feed = config_.feeds[index];
  FeedRuntime& runtime = runtime_[index];
  const TimePoint now = poll.at;
  feeds::ParseOptions options;
  options.base_url = response.effective_url.empty() ? feed.url : response.effective_url;
  options.content_type = response.Header("content-type");
  options.max_parse_time = config_.http.max_parse_time;
  options.max_items = static_cast<size_t>(feed.max_items);
  Result<feeds::Feed> parsed = feeds::ParseFeed(response.body, options);
  if (!parsed) return parsed.error();
  runtime.hint = parsed->ttl ? std::optional<Seconds>(*parsed->ttl) : std::nullopt;
  if (parsed->update_period && (!runtime.hint || *parsed->update_period > *runtime.hint)) {
    runtime.hint = parsed->update_period;
  }
  runtime.skip_hours = parsed->skip_hours;
  runtime.skip_days = parsed->skip_days;
  if (metrics_ != nullptr) metrics_->ItemsParsed(static_cast<int>(parsed->items.size()));
  poll.next_due = NextSuccessDue(index, response);
  for (const std::string& warning : parsed->warnings) {
    spdlog::warn("feed {}: {}", feed.name, warning);
  }

  // The matching gets a CPU budget of its own, as long as the parse's: past it the items left
  // are read at the next poll, and the loop turns meanwhile.
  const std::chrono::nanoseconds match_deadline =
      config_.http.max_parse_time.count() > 0 ? ThreadCpuTime() + config_.http.max_parse_time
                                              : std::chrono::nanoseconds::max();
  const std::vector<std::string> keys = ItemPipeline::Keys(*parsed);
  Result<KnownItems> known = store_.KnownItems(feed.name, keys);
  if (!known) return known.error();
  // Another instance may record a story of the same watch between the pipeline and the commit:
  // the commit then fails with Conflict. The second try holds the other instances' new stories
  // of the watches that matched back (Store::LockStories), reads those recorded since, decides
  // the items' stories again and commits: it cannot lose again.
  const auto run = [&] {
    return pipeline_.Run({.feed_config = feed,
                          .feed = *parsed,
                          .keys = keys,
                          .known = *known,
                          .first_success = !runtime.state.last_success_at,
                          .now = now,
                          .out_of_time = [&] { return ThreadCpuTime() > match_deadline; }},
                         stories_);
  };
  Result<PipelineResult> piped = run();
  if (!piped) return piped.error();
  Result<std::vector<store::StoryHead>> heads =
      store_.CommitPoll(feed.name, feed.url, poll, piped->records, stories_.LastSeqs());
  if (!heads && heads.error().code == Error::Code::kConflict) {
    spdlog::info("feed {}: {}; reading its stories and deciding again", feed.name,
                 heads.error().message);
    std::set<std::string> watches;
    for (const store::ItemRecord& record : piped->records) {
      for (const store::MatchRecord& match : record.matches) watches.insert(match.watch);
    }
    Status locked = store_.LockStories(watches);
    if (locked) locked = stories_.Refresh(now);
    if (locked) {
      piped = run();
      if (piped) {
        heads = store_.CommitPoll(feed.name, feed.url, poll, piped->records, stories_.LastSeqs());
      }
    }
    if (Status s = store_.UnlockStories(); !s) {
      spdlog::warn("feed {}: cannot unlock stories: {}", feed.name, s.error().message);
    }
    if (!locked) return locked.error();
    if (!piped) return piped.error();
    // Only a writer not holding the locks could lose: say so, and let the poll be done again.
    if (!heads && heads.error().code == Error::Code::kConflict) {
      return Error::Io(heads.error().message + ", under the stories' locks");
    }
  }
  if (!heads) return heads.error();
  const PipelineResult& result = *piped;
  if (result.held_alerts > 0) {
    spdlog::warn(
        "feed {}: {} past max_alerts ({}) recorded without alerts; each watch that had some "
        "gets one summary alert",
        feed.name, Counted(result.held_alerts, "new match", "new matches"), feed.max_alerts);
    if (metrics_ != nullptr) metrics_->AlertsHeld(result.held_alerts);
  }
  if (result.unread > 0) {
    spdlog::warn(
        "feed {}: the matching budget ({} ms of CPU) was spent; {} left for the next "
        "poll",
        feed.name,
        std::chrono::duration_cast<std::chrono::milliseconds>(config_.http.max_parse_time).count(),
        Counted(result.unread, "item", "items"));
  }
  if (!heads->empty()) dispatcher_.Wake();
  for (const store::StoryHead& head : *heads) {
    stories_.Add(head);
    // Rendered at the next Housekeeping: a cold cycle of thousands of polls renders each
    // watch's feed once every few seconds, not once per poll.
    if (feeds_ != nullptr) stale_feeds_.insert(head.watch);
  }
  if (metrics_ != nullptr) {
    for (size_t i = 0; i < result.records.size(); ++i) {
      if (result.fates[i] != ItemFate::kNew) continue;
      for (const store::MatchRecord& match : result.records[i].matches) {
        if (!match.story_of) metrics_->Matched(match.watch);
      }
    }
  }
  Reschedule(index, poll.next_due);
  runtime.state.last_success_at = now;
  runtime.state.consecutive_failures = 0;
  runtime.state.etag = poll.etag;
  runtime.state.last_modified = poll.last_modified;
  runtime.state.body_hash = poll.body_hash;
  spdlog::info("feed {}: {}, {} new, {}", feed.name,
               Counted(static_cast<std::int64_t>(result.records.size()), "item", "items"),
               result.new_items,
               Counted(static_cast<std::int64_t>(heads->size()), "new match", "new matches"));
  return Status::Ok();
}

void Engine::Fail(size_t index, FetchResult result, long http_status, const std::string& error,
                  std::optional<Seconds> retry_after, std::string moved_to) {
  const config::FeedConfig& feed = config_.feeds[index];
  FeedRuntime& runtime = runtime_[index];
  runtime.failed = true;
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
  poll.status = StatusText(result, http_status);
  poll.error = error;
  poll.moved_to = std::move(moved_to);
  Reschedule(index, poll.next_due);
  if (Status s = store_.RecordPoll(feed.name, feed.url, poll); !s) {
    spdlog::error("feed {}: cannot record the failure: {}", feed.name, s.error().message);
    WriteFailed(s.error());
  }
}

Engine::Polls Engine::CountPolls() const {
  Polls polls;
  for (const FeedRuntime& runtime : runtime_) {
    polls.polled += runtime.polled ? 1 : 0;
    polls.failed += runtime.polled && runtime.failed ? 1 : 0;
  }
  return polls;
}

std::string Engine::Summary() const {
  int ok = 0, failing = 0, disabled = 0;
  for (const FeedRuntime& runtime : runtime_) {
    switch (HealthOf(runtime.state)) {
      case FeedHealth::kOk:
        ++ok;
        break;
      case FeedHealth::kFailing:
        ++failing;
        break;
      case FeedHealth::kDisabled:
        ++disabled;
        break;
      case FeedHealth::kNew:
        break;
    }
  }
  std::string summary = Counted(static_cast<std::int64_t>(runtime_.size()), "feed", "feeds") +
                        ": " + std::to_string(ok) + " ok, " + std::to_string(failing) + " failing";
  if (disabled > 0) summary += ", " + std::to_string(disabled) + " disabled";
  const TimePoint now = clock_.Now();
  const TimePoint midnight = std::chrono::floor<std::chrono::days>(now);
  if (Result<int> matches = store_.CountMatchesSince(midnight)) {
    summary += "; " + Counted(*matches, "match", "matches") + " today";
  }
  if (Result<store::Store::OutboxCounts> outbox = store_.CountDeliveries()) {
    summary += "; outbox " + std::to_string(outbox->pending);
    if (outbox->dead > 0) summary += " (" + std::to_string(outbox->dead) + " dead)";
  }
  return summary;
}

void Engine::ReleaseLeases() {
  if (!store_.shared()) return;
  if (Status s = store_.ReleaseLeases(); !s) {
    spdlog::warn("cannot release this instance's leases ({}); they end in {}", s.error().message,
                 FormatDelay(std::chrono::duration_cast<Seconds>(config_.store.lease)));
  }
}

void Engine::CheckDrift(Metrics::Gauges& gauges) {
  const TimePoint now = clock_.Now();
  Result<std::vector<store::InstanceInfo>> instances = store_.Instances(now - kInstanceLive);
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

void Engine::Housekeeping() {
  for (const std::string& watch : stale_feeds_) PublishFeed(watch);
  stale_feeds_.clear();
  if (store_.shared() && !leased_.empty()) {
    std::vector<std::string> names;
    for (const size_t i : leased_) names.push_back(config_.feeds[i].name);
    const auto lease = std::chrono::duration_cast<Seconds>(config_.store.lease);
    if (Status s = store_.RenewLeases(names, clock_.Now() + lease); !s) {
      spdlog::error("cannot renew the leases of {} being fetched: {}",
                    Counted(static_cast<std::int64_t>(names.size()), "feed", "feeds"),
                    s.error().message);
    }
  }
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
    if (HealthOf(runtime.state) == FeedHealth::kFailing) ++gauges.feeds_failing;
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
  if (store_.shared()) CheckDrift(gauges);
  metrics_->SetGauges(gauges);
}

}  // namespace feedwatch::daemon
