#include "daemon/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <map>
#include <utility>

#include "base/hash.h"
#include "daemon/fetch_one.h"
#include "daemon/publishing_rate.h"

namespace feedwatch::daemon {

namespace {

// The longest wait before a feed whose poll the database refused is fetched again.
constexpr Seconds kNotStoredRetry{300};
// How soon a feed is asked for again when the store could not be asked, or when another
// instance is committing its poll right now.
constexpr Seconds kClaimRetry{10};

}  // namespace

Engine::Engine(const config::Config& config, store::Store& store, net::HttpClient& http,
               const Clock& clock, Scheduler& scheduler, PollCommitter& committer,
               DatabaseHealth& health, Metrics* metrics)
    : config_(config),
      store_(store),
      http_(http),
      clock_(clock),
      committer_(committer),
      health_(health),
      metrics_(metrics),
      scheduler_(scheduler),
      runtime_(config.feeds.size()),
      leases_(store.coordination(), clock, std::chrono::duration_cast<Seconds>(config.store.lease)),
      hosts_(config.feeds.size()),
      records_(store, clock, health) {
  // Validated with the configuration.
  Result<net::AddressSet> internal = net::AddressSet::Parse(config_.http.internal_networks);
  assert(internal);
  internal_networks_ = std::make_shared<const net::AddressSet>(std::move(*internal));
}

Status Engine::Load(Mode mode) {
  mode_ = mode;
  const TimePoint now = clock_.Now();
  std::vector<store::FeedRef> refs;
  for (const config::FeedConfig& feed : config_.feeds) refs.push_back({feed.name, feed.url});
  Result<std::vector<store::FeedState>> states = store_.GetFeedStates(refs);
  if (!states) return states.error();
  for (size_t i = 0; i < config_.feeds.size(); ++i) {
    const config::FeedConfig& feed = config_.feeds[i];
    FeedRuntime& runtime = runtime_[i];
    runtime.state = std::move((*states)[i]);  // as it applies to the configured URL
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
      due = now + StartOffset(feed.name,
                              std::min<config::Duration>(feed.interval, std::chrono::minutes(2)));
    }
    scheduler_.SetUrl(i, FetchUrl(i));
    scheduler_.Schedule(i, due);
  }
  return Status::Ok();
}

void Engine::StartFetches() {
  const TimePoint now = once() ? TimePoint::max() : clock_.Now();
  if (!once() && !leases_.asked()) HoldHosts();
  while (true) {
    std::vector<size_t> ready = scheduler_.Take(now, clock_.Now());
    const size_t taken = ready.size();
    if (taken > 0 && !once()) ready = Claim(std::move(ready));
    for (const size_t feed : ready) Start(feed);
    // A feed another instance polls gave its slot back, and no transfer's end will wake the
    // loop for the feeds waiting behind it: take again. Each pass starts a fetch or moves a
    // feed past `now`, so this ends.
    if (ready.size() == taken) return;
  }
}

std::vector<size_t> Engine::Claim(std::vector<size_t> ready) {
  const TimePoint now = clock_.Now();
  std::erase_if(ready, [&](size_t i) {  // another instance polls its host: it waits for it
    if (leases_.Admit(i, HostOf(i))) return false;
    scheduler_.Finished(i);
    return true;
  });
  std::vector<size_t> mine;
  std::erase_if(ready, [&](size_t i) {  // claimed since its host was taken here: polled as is
    if (!leases_.Owns(i)) return false;
    leases_.Took(i, config_.feeds[i].name, HostOf(i));
    mine.push_back(i);
    return true;
  });
  if (ready.empty()) return mine;
  std::vector<store::FeedRef> refs;
  refs.reserve(ready.size());
  for (const size_t i : ready) refs.push_back({config_.feeds[i].name, config_.feeds[i].url});
  const auto lease = std::chrono::duration_cast<Seconds>(config_.store.lease);
  records_.WriteBefore(refs);  // a claim reads the feed's state back
  Result<std::vector<store::FeedClaim>> claims =
      store_.coordination().ClaimFeeds(refs, now, now + lease);
  if (!claims) {
    spdlog::error("cannot claim feeds to poll ({}); asking again in {}", claims.error().message,
                  FormatDelay(kClaimRetry));
    health_.WriteFailed(claims.error());
    for (const size_t i : ready) {
      scheduler_.Finished(i);
      scheduler_.Schedule(i, now + kClaimRetry);
    }
    return mine;
  }
  for (size_t k = 0; k < ready.size(); ++k) {
    const size_t i = ready[k];
    store::FeedClaim& claim = (*claims)[k];
    if (claim.claimed) {
      if (claim.state) runtime_[i].state = std::move(*claim.state);
      if (runtime_[i].state.gone) {  // another instance found it gone
        scheduler_.Finished(i);
        continue;
      }
      leases_.Took(i, config_.feeds[i].name, HostOf(i));
      mine.push_back(i);
      continue;
    }
    // Polled by another instance, or being polled: due again when the store says, or soon
    // when its commit is under way.
    spdlog::debug("feed {}: another instance polls it", config_.feeds[i].name);
    scheduler_.Finished(i);
    Reschedule(i, claim.retry_at > now ? claim.retry_at : now + kClaimRetry);
  }
  return mine;
}

void Engine::Start(size_t index) {
  FeedRuntime& runtime = runtime_[index];
  const std::string url = FetchUrl(index);
  const net::Request request = FeedRequest(config_.http, internal_networks_, url,
                                           runtime.state.etag, runtime.state.last_modified);
  runtime.started = clock_.Monotonic();
  runtime.slot_wait = scheduler_.Waited(index, clock_.Now());
  spdlog::debug("feed {}: fetching {}", config_.feeds[index].name, url);
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
  if (!std::exchange(runtime.polled, true)) --unpolled_;
  runtime.failed = false;
  const TimePoint now = clock_.Now();
  if (!response) {
    const FetchResult result = FetchResultOf(response.error());
    Count(index, result);
    Fail(index, result, 0, response.error().message, std::nullopt);
    return;
  }
  const long status = response->status;
  store::PollRecord poll;
  poll.at = now;
  poll.slot_wait = runtime.slot_wait;
  if (response->moved_permanently && response->effective_url != FetchUrl(index)) {
    spdlog::info(
        "feed {}: {} moved permanently to {}; polling the new URL until the config "
        "changes",
        feed.name, FetchUrl(index), response->effective_url);
    poll.moved_to = response->effective_url;
    runtime.state.moved_to = response->effective_url;
    scheduler_.SetUrl(index, runtime.state.moved_to);
  }
  if (status == 304 && runtime.state.etag.empty() && runtime.state.last_modified.empty()) {
    // Nothing asked could be answered "not modified": a broken server or cache; not read.
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
    spdlog::warn("feed {}: {} answered 410 Gone: disabled until its url changes in the config",
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
    const std::optional<Seconds> retry_after =
        status == 429 || status == 503 ? ParseRetryAfter(response->Header("retry-after"), now)
                                       : std::nullopt;
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
  Process(index, *response, std::move(poll));
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
  poll.next_due =
      NextSuccessDue(index, FreshFor(runtime_[index].state.hints, response, clock_.Now()),
                     runtime_[index].state.history);
  spdlog::debug("feed {}: {}", config_.feeds[index].name, poll.status);
  Record(index, poll);
}

TimePoint Engine::NextSuccessDue(size_t index, std::optional<Seconds> hint,
                                 const store::PublishingHistory& history) const {
  const config::FeedConfig& feed = config_.feeds[index];
  const TimePoint now = clock_.Now();
  const double rate = PollingRate(history, now, feed.interval);
  return NextDueAfterSuccess({feed.interval, feed.min_interval}, rate, hint,
                             runtime_[index].state.hints, feed.name, now);
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
  leases_.Ended(index);  // recording the poll ends the lease
  if (!poll.gone) Reschedule(index, poll.next_due);
  runtime.state.consecutive_failures = poll.error.empty() ? 0 : runtime.state.consecutive_failures;
  if (!poll.etag.empty()) runtime.state.etag = poll.etag;
  if (!poll.last_modified.empty()) runtime.state.last_modified = poll.last_modified;
  if (!poll.body_hash.empty()) runtime.state.body_hash = poll.body_hash;
  records_.Add(feed.name, feed.url, poll);
}

void Engine::NotStored(size_t index, const Error& error) {
  const config::FeedConfig& feed = config_.feeds[index];
  leases_.Ended(index);  // it runs out: nothing could be recorded
  runtime_[index].failed = true;
  Count(index, FetchResult::kNotStored);
  // Sooner than a long interval: the items are not late once the disk has room again.
  const Seconds delay =
      Jitter(std::min(std::chrono::duration_cast<Seconds>(feed.interval), kNotStoredRetry),
             feed.name, clock_.Now());
  spdlog::error("feed {}: fetched but not stored ({}); fetching it again in {}", feed.name,
                error.message, FormatDelay(delay));
  Reschedule(index, clock_.Now() + delay);
  health_.WriteFailed(error);
}

void Engine::Process(size_t index, const net::Response& response, store::PollRecord poll) {
  const config::FeedConfig& feed = config_.feeds[index];
  FeedRuntime& runtime = runtime_[index];
  Result<feeds::Feed> parsed = committer_.Parse(feed, response);
  if (!parsed) return Committed(index, response.status, poll, parsed.error());
  records_.WriteBefore({{feed.name, feed.url}});  // the commit writes the feed's row after them
  runtime.state.hints = HintsOf(*parsed);
  poll.hints = runtime.state.hints;
  poll.history = runtime.state.history;
  const bool internal = response.from_internal || FetchUrl(index).starts_with("file:");
  committer_.Commit(
      feed, std::move(*parsed), std::move(poll), !runtime.state.last_success_at, internal,
      [this, index, hint = FreshFor(runtime.state.hints, response, clock_.Now())](
          const store::PublishingHistory& history) { return NextSuccessDue(index, hint, history); },
      [this, index, status = response.status](const Status& committed,
                                              const store::PollRecord& recorded) {
        Committed(index, status, recorded, committed);
      });
}

void Engine::Committed(size_t index, long http_status, const store::PollRecord& poll,
                       const Status& committed) {
  if (!committed) {
    if (committed.error().code == Error::Code::kIo) return NotStored(index, committed.error());
    Count(index, FetchResult::kUnreadable);
    return Fail(index, FetchResult::kUnreadable, http_status, committed.error().message,
                std::nullopt, poll.moved_to);
  }
  leases_.Ended(index);  // renewed while the poll waited for its articles; the commit ended it
  Count(index, FetchResult::kOk);
  Reschedule(index, poll.next_due);
  FeedRuntime& runtime = runtime_[index];
  runtime.state.last_success_at = poll.at;
  runtime.state.consecutive_failures = 0;
  runtime.state.etag = poll.etag;
  runtime.state.last_modified = poll.last_modified;
  runtime.state.body_hash = poll.body_hash;
  if (poll.history) runtime.state.history = *poll.history;
}

void Engine::Fail(size_t index, FetchResult result, long http_status, const std::string& error,
                  std::optional<Seconds> retry_after, std::string moved_to) {
  const config::FeedConfig& feed = config_.feeds[index];
  FeedRuntime& runtime = runtime_[index];
  runtime.failed = true;
  const int failures = ++runtime.state.consecutive_failures;
  const TimePoint now = clock_.Now();
  const Seconds delay = JitteredDelayAfterFailure(
      feed.interval, failures, config_.schedule.max_backoff, retry_after, feed.name, now);
  spdlog::warn("feed {}: {} ({}); failure {}, next attempt in {}", feed.name, error,
               FetchUrl(index), failures, FormatDelay(delay));
  store::PollRecord poll;
  poll.at = now;
  poll.slot_wait = runtime.slot_wait;
  poll.next_due = now + delay;
  poll.status = StatusText(result, http_status);
  poll.error = error;
  poll.moved_to = std::move(moved_to);
  Record(index, poll);
}

Engine::Polls Engine::CountPolls() const {
  Polls polls;
  for (const FeedRuntime& runtime : runtime_) {
    polls.polled += runtime.polled ? 1 : 0;
    polls.failed += runtime.polled && runtime.failed ? 1 : 0;
  }
  return polls;
}

FeedCounts Engine::Counts() const {
  FeedCounts counts;
  for (const FeedRuntime& runtime : runtime_) counts.Add(runtime.state);
  return counts;
}

void Engine::HoldHosts() {
  for (size_t i = 0; i < config_.feeds.size(); ++i) HostOf(i);  // a moved or gone feed regroups
  const TimePoint now = clock_.Now();
  records_.Write();  // a host given up is read from the store by the instance that takes it
  for (const size_t i : leases_.Hold(hosts_.ByHost())) Reschedule(i, now);
}

}  // namespace feedwatch::daemon
