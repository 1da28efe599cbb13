#include "daemon/article_fetcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <utility>

#include "base/text.h"
#include "daemon/fetch_one.h"
#include "daemon/schedule.h"
#include "feeds/article.h"
#include "feeds/canonical.h"

namespace feedwatch::daemon {
namespace {

// A host that failed is left alone for kFirstBackoff, doubling with each failure in a row up to
// kMaxBackoff.
constexpr Seconds kFirstBackoff{60};
constexpr Seconds kMaxBackoff{3600};
// A page that failed may be fetched again for another feed after this long.
constexpr Seconds kRetryFailed{600};
// Links longer than this are not followed: no news site needs them, and each is kept.
constexpr size_t kMaxLinkBytes = 2048;
// A page's body, at most: news pages are well under it, and extraction costs what it reads.
constexpr std::uint64_t kMaxPageBytes = 4ULL << 20;

// Whether `link` may be fetched at all: http(s), not too long, no user name in it.
bool Followable(std::string_view link) {
  if (!link.starts_with("http://") && !link.starts_with("https://")) return false;
  if (link.size() > kMaxLinkBytes) return false;
  const size_t host = link.find("://") + 3;
  const size_t end = link.find_first_of("/?#", host);
  return link.substr(host, end == std::string_view::npos ? end : end - host).find('@') ==
         std::string_view::npos;
}

// What a remembered page costs: its strings (the key twice: in pages_ and finished_).
size_t Cost(const std::string& key, const std::string& url, const std::string& text,
            const std::string& error) {
  return 2 * key.size() + url.size() + text.size() + error.size();
}

std::string_view ResultName(int ArticleCounts::*count) {
  if (count == &ArticleCounts::read) return "read";
  if (count == &ArticleCounts::empty) return "empty";
  if (count == &ArticleCounts::failed) return "failed";
  if (count == &ArticleCounts::skipped) return "skipped";
  return "late";
}

constexpr std::array kCounts = {&ArticleCounts::read, &ArticleCounts::empty, &ArticleCounts::failed,
                                &ArticleCounts::skipped, &ArticleCounts::late};

}  // namespace

std::string ArticleCounts::Summary() const {
  std::string out;
  for (int ArticleCounts::*count : kCounts) {
    if (this->*count == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::to_string(this->*count) + " " + std::string(ResultName(count));
  }
  if (!first_error.empty()) out += " (" + first_error + ")";
  return out;
}

ArticleFetcher::ArticleFetcher(const config::Config& config, net::HttpClient& http,
                               Scheduler& scheduler, const Clock& clock, Metrics* metrics)
    : config_(config), http_(http), scheduler_(scheduler), clock_(clock), metrics_(metrics) {
  // Validated with the configuration.
  Result<net::AddressSet> internal = net::AddressSet::Parse(config_.http.internal_networks);
  assert(internal);
  internal_networks_ = std::make_shared<const net::AddressSet>(std::move(*internal));
}

void ArticleFetcher::Fetch(const std::string& feed, const std::vector<std::string>& links,
                           bool feed_internal, MonoTime deadline, Done done) {
  const std::uint64_t id = next_request_++;
  Request& request = requests_[id];
  request.feed = feed;
  request.articles.texts.resize(links.size());
  request.left = links.size();
  request.deadline = deadline;
  request.done = std::move(done);
  const MonoTime now = clock_.Monotonic();
  std::vector<std::string> known;  // pages with an outcome already: answered below
  for (size_t slot = 0; slot < links.size(); ++slot) {
    const std::string& link = links[slot];
    if (!Followable(link) || BackingOff(feed, Scheduler::HostOf(link))) {
      ++request.articles.counts.skipped;
      --request.left;
      continue;
    }
    // A page read for a feed from the internal networks is not another feed's, and the
    // reverse: the two are kept apart.
    std::string key = (feed_internal ? "internal " : "") + feeds::CanonicalUrl(link);
    auto it = pages_.find(key);
    if (it == pages_.end()) {
      it = pages_.emplace(key, Page()).first;
      it->second.url = link;
      it->second.feed = feed;
      it->second.outside_only = !feed_internal;
      waiting_[Scheduler::HostOf(link)].push_back(key);
    } else if (it->second.state == PageState::kFailed && now - it->second.finished > kRetryFailed) {
      // Tried again, for this feed: what it cost is counted again when it ends.
      Page& page = it->second;
      remembered_bytes_ -= Cost(key, page.url, page.text, page.error);
      page.state = PageState::kQueued;
      page.error.clear();
      page.feed = feed;
      waiting_[Scheduler::HostOf(page.url)].push_back(key);
    }
    it->second.waiters.push_back({id, slot});
    if (it->second.state != PageState::kQueued && it->second.state != PageState::kFetching) {
      known.push_back(std::move(key));
    }
  }
  for (const std::string& key : known) {
    if (const auto it = pages_.find(key); it != pages_.end()) Answer(it->second);
  }
  // Answer ended the request if it answered the last page.
  if (const auto it = requests_.find(id); it != requests_.end() && it->second.left == 0) {
    Finish(id);
  }
  StartWaiting();
  Trim();
}

void ArticleFetcher::Answer(Page& page) {
  std::vector<Waiter> waiters = std::exchange(page.waiters, {});
  for (const Waiter& waiter : waiters) {
    const auto it = requests_.find(waiter.request);
    if (it == requests_.end()) continue;  // ended at its deadline
    Request& request = it->second;
    ArticleCounts& counts = request.articles.counts;
    switch (page.state) {
      case PageState::kRead:
        request.articles.texts[waiter.slot] = page.text;
        ++counts.read;
        break;
      case PageState::kEmpty:
        ++counts.empty;
        break;
      default:
        if (page.error == "skipped") {
          ++counts.skipped;
        } else {
          ++counts.failed;
          if (counts.first_error.empty()) counts.first_error = page.error;
        }
        break;
    }
    if (--request.left == 0) Finish(waiter.request);
  }
}

void ArticleFetcher::Finish(std::uint64_t id) {
  const auto it = requests_.find(id);
  if (it == requests_.end()) return;
  Request request = std::move(it->second);
  requests_.erase(it);
  request.articles.counts.late += static_cast<int>(request.left);
  if (metrics_ != nullptr) {
    for (int ArticleCounts::*count : kCounts) {
      metrics_->Articles(request.feed, ResultName(count), request.articles.counts.*count);
    }
  }
  request.done(std::move(request.articles));
}

void ArticleFetcher::Pump() {
  const MonoTime now = clock_.Monotonic();
  std::vector<std::uint64_t> expired;
  for (const auto& [id, request] : requests_) {
    if (request.deadline <= now) expired.push_back(id);
  }
  for (const std::uint64_t id : expired) {
    const auto it = requests_.find(id);
    if (it == requests_.end()) continue;
    spdlog::info("feed {}: {} not read within article_wait; matching on the feed's text",
                 it->second.feed,
                 Counted(static_cast<std::int64_t>(it->second.left), "article", "articles"));
    Finish(id);
  }
  StartWaiting();
}

void ArticleFetcher::StartWaiting() {
  // Pages take at most half the transfers, so that a feed's hostile links cannot hold up the
  // polls of the others.
  const int most = std::max(1, config_.http.concurrency / 2);
  std::vector<std::string> starting;
  std::vector<std::string> skipped;  // their host failed while they waited: answered below
  // Host by host, each host's pages in the order asked for: a host at its limit costs one
  // look, however many pages wait on it.
  for (auto host = waiting_.begin(); host != waiting_.end() && fetching_ < most;) {
    std::deque<std::string>& keys = host->second;
    while (!keys.empty() && fetching_ < most) {
      const auto page = pages_.find(keys.front());
      if (page == pages_.end() || page->second.state != PageState::kQueued) {
        keys.pop_front();
        continue;
      }
      const bool wanted =
          std::any_of(page->second.waiters.begin(), page->second.waiters.end(),
                      [&](const Waiter& waiter) { return requests_.contains(waiter.request); });
      if (!wanted) {  // every request that asked for it has ended: not fetched after all
        pages_.erase(page);
        keys.pop_front();
        continue;
      }
      if (BackingOff(page->second.feed, host->first)) {
        page->second.state = PageState::kFailed;
        page->second.error = "skipped";
        skipped.push_back(keys.front());
        keys.pop_front();
        continue;
      }
      if (!scheduler_.TakeSlot(page->second.url)) break;
      page->second.state = PageState::kFetching;
      ++fetching_;
      starting.push_back(keys.front());
      keys.pop_front();
    }
    host = keys.empty() ? waiting_.erase(host) : std::next(host);
  }
  // (Outside the walk of the queues: a client may answer at once, and the answer walks them.)
  for (const std::string& key : starting) Start(key, pages_.at(key));
  // A skipped page is not remembered: its host may be read for another feed, or later.
  for (const std::string& key : skipped) {
    const auto it = pages_.find(key);
    if (it == pages_.end()) continue;
    Answer(it->second);
    pages_.erase(it);
  }
}

void ArticleFetcher::Start(const std::string& key, Page& page) {
  net::Request request = FeedRequest(config_.http, internal_networks_, page.url);
  request.allow_file = false;
  request.outside_only = page.outside_only;
  request.max_body = std::min(request.max_body, kMaxPageBytes);
  request.headers = {"Accept: text/html, application/xhtml+xml;q=0.9, */*;q=0.1"};
  spdlog::debug("fetching article {}", page.url);
  http_.Start(request,
              [this, key](Result<net::Response> response) { OnFetched(key, std::move(response)); });
}

void ArticleFetcher::OnFetched(const std::string& key, Result<net::Response> response) {
  const auto it = pages_.find(key);
  assert(it != pages_.end());
  Page& page = it->second;
  scheduler_.ReturnSlot(page.url);
  --fetching_;
  const std::string host = Scheduler::HostOf(page.url);
  page.state = PageState::kFailed;
  if (!response) {
    page.error = response.error().message + ": " + page.url;
    // The host is left alone when it failed, not when the link was refused before it.
    if (response.error().code != Error::Code::kTooLarge &&
        response.error().message.find("internal address") == std::string::npos) {
      HostFailed(page.feed, host, std::nullopt);
    }
  } else if (response->status < 200 || response->status > 299) {
    const long status = response->status;
    page.error = "HTTP " + std::to_string(status) + ": " + page.url;
    // A 404 or a 403 is the page's; a 429 or a 5xx the host's.
    if (status == 429 || status >= 500) {
      HostFailed(page.feed, host,
                 status == 429 || status == 503
                     ? ParseRetryAfter(response->Header("retry-after"), clock_.Now())
                     : std::nullopt);
    }
  } else {
    backoff_.erase(page.feed + '\n' + host);
    Result<feeds::Article> article =
        feeds::ExtractArticle(response->body, response->Header("content-type"));
    if (article) {
      page.state = PageState::kRead;
      page.text = std::move(article->text);
    } else {
      page.state = PageState::kEmpty;
      spdlog::debug("article {}: {}", page.url, article.error().message);
    }
  }
  remembered_bytes_ += Cost(key, page.url, page.text, page.error);
  if (page.state == PageState::kFailed) spdlog::info("article {}", page.error);
  page.finished = clock_.Monotonic();
  finished_.push_back(key);
  Answer(page);
  Trim();
  StartWaiting();
}

bool ArticleFetcher::BackingOff(const std::string& feed, const std::string& host) const {
  const auto it = backoff_.find(feed + '\n' + host);
  return it != backoff_.end() && clock_.Monotonic() < it->second.until;
}

void ArticleFetcher::HostFailed(const std::string& feed, const std::string& host,
                                std::optional<Seconds> retry_after) {
  Backoff& backoff = backoff_[feed + '\n' + host];
  const int shift = std::min(backoff.failures++, 6);
  Seconds delay = std::min(kFirstBackoff * (1 << shift), kMaxBackoff);
  if (retry_after && *retry_after > delay) delay = std::min(*retry_after, kMaxBackoff);
  backoff.until = clock_.Monotonic() + delay;
  spdlog::info("feed {}: articles of {}: failure {}, its pages are skipped for {}", feed, host,
               backoff.failures, FormatDelay(delay));
}

void ArticleFetcher::Trim() {
  // Hosts whose backoff ended forget it once they succeed; those never asked for again are
  // dropped here, so that links to ever new hosts cost nothing.
  if (backoff_.size() > kRememberedPages) {
    const MonoTime now = clock_.Monotonic();
    std::erase_if(backoff_, [&](const auto& entry) { return entry.second.until <= now; });
  }
  while (!finished_.empty() &&
         (pages_.size() > kRememberedPages || remembered_bytes_ > kRememberedBytes)) {
    const auto it = pages_.find(finished_.front());
    finished_.pop_front();
    if (it == pages_.end() || it->second.state == PageState::kQueued ||
        it->second.state == PageState::kFetching) {
      continue;  // forgotten already, or asked for again since
    }
    remembered_bytes_ -= Cost(it->first, it->second.url, it->second.text, it->second.error);
    pages_.erase(it);
  }
}

std::optional<MonoTime> ArticleFetcher::NextDeadline() const {
  std::optional<MonoTime> next;
  for (const auto& [id, request] : requests_) {
    if (!next || request.deadline < *next) next = request.deadline;
  }
  return next;
}

}  // namespace feedwatch::daemon
