// The web pages behind new feed items, for the feeds with fetch_articles (docs/configuration.md,
// "Reading the article"): each item's link fetched under the feeds' limits and rules, its main
// text extracted (feeds::ExtractArticle), and handed back for the poll's items to be matched on.
//
// - The same HttpClient, User-Agent, timeouts, body limit, proxy and redirect rules as feeds.
//   A link may not lead to an address of [http] internal_networks unless its feed was itself
//   read from one: an item's link is written by whoever writes the feed.
// - Slots: a page takes one of the global `concurrency` and one of its host's `per_host`,
//   shared with the feeds there (Scheduler::TakeSlot). A host's pages wait in the order asked
//   for; a host at its limit holds back only its own.
// - Pages take at most half of `concurrency`, so that one feed's links cannot hold up the
//   others' polls. Links are http(s), at most 2 KiB, without a user name; a body at most
//   4 MiB (or max_body, when less).
// - Each canonical URL (feeds::CanonicalUrl: tracking parameters removed) is fetched once:
//   a second feed carrying the same article, in the same cycle or later, is given the text
//   read the first time while it is remembered (kRememberedPages, kRememberedBytes). Feeds
//   read from the internal networks and the others do not share pages.
// - A host that fails for a feed (a network error, a timeout, 429 or 5xx) is left alone by
//   that feed for a while, doubling with each failure (Retry-After when longer): its pages
//   are skipped, and their items are matched on what the feed carried. Another feed's links
//   to the host are not: one feed's links cannot switch off an outlet for the others.
// - A poll's request ends when every page is read, failed or skipped, or at its deadline,
//   whichever is first; pages still in flight then finish for the cache.
//
// Everything runs on the loop thread; callbacks come from HttpClient::Poll or from Pump.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "daemon/metrics.h"
#include "daemon/scheduler.h"
#include "net/http_client.h"

namespace feedwatch::daemon {

// What became of one poll's pages.
struct ArticleCounts {
  int read = 0;             // a text was extracted
  int empty = 0;            // fetched, but the page held no article text
  int failed = 0;           // the fetch failed or the server said no
  int skipped = 0;          // not fetched: its host backs off, or the link is not http(s)
  int late = 0;             // still unread when the poll's wait ended
  std::string first_error;  // "HTTP 404: https://..." for the first failure

  // "4 read, 1 failed (HTTP 404: https://...)"; "" when no page was asked for.
  std::string Summary() const;
};

class ArticleFetcher {
 public:
  // At most this many canonical URLs are remembered as fetched, and at most this many bytes of
  // their texts, URLs and errors are kept for other feeds carrying the same article.
  static constexpr size_t kRememberedPages = 20'000;
  static constexpr size_t kRememberedBytes = 32U << 20;

  struct Articles {
    std::vector<std::string> texts;  // parallel to the links asked for; "" when none
    ArticleCounts counts;
  };
  using Done = std::function<void(Articles)>;

  // Every argument must outlive the fetcher; `metrics` may be null.
  ArticleFetcher(const config::Config& config, net::HttpClient& http, Scheduler& scheduler,
                 const Clock& clock, Metrics* metrics);
  ArticleFetcher(const ArticleFetcher&) = delete;
  ArticleFetcher& operator=(const ArticleFetcher&) = delete;

  // The texts of the pages at `links` (items' links, as the feed wrote them) for `feed`. `done`
  // is called once: when every page is read, failed or skipped, or at `deadline`, whichever
  // is first; before Fetch returns when none needs the network. `feed_internal`: the feed was
  // read from an internal address, so its links may lead to one too.
  void Fetch(const std::string& feed, const std::vector<std::string>& links, bool feed_internal,
             MonoTime deadline, Done done);

  // Ends the requests past their deadline and starts waiting pages that now have a slot.
  // Called on every turn of the loop, before the feeds' fetches start.
  void Pump();

  // The earliest deadline of a request still waiting; nullopt when there is none.
  std::optional<MonoTime> NextDeadline() const;
  // Requests waiting for their pages.
  size_t pending() const { return requests_.size(); }

 private:
  enum class PageState : std::uint8_t { kQueued, kFetching, kRead, kEmpty, kFailed };
  struct Waiter {
    std::uint64_t request;
    size_t slot;
  };
  struct Page {
    std::string url;   // as the first link to it was written
    std::string feed;  // which asked for it first: its failures back off that feed
    PageState state = PageState::kQueued;
    bool outside_only = true;
    std::string text;
    std::string error;
    MonoTime finished;
    std::vector<Waiter> waiters;
  };
  struct Request {
    std::string feed;
    Articles articles;
    size_t left = 0;
    MonoTime deadline;
    Done done;
  };
  struct Backoff {
    int failures = 0;
    MonoTime until;
  };

  // Gives `page`'s outcome to the requests waiting on it, and ends those it completes.
  void Answer(Page& page);
  // Starts the waiting pages that have a slot now.
  void StartWaiting();
  void Finish(std::uint64_t id);
  void Start(const std::string& key, Page& page);
  void OnFetched(const std::string& key, Result<net::Response> response);
  // Forgets the oldest finished pages past the limits.
  void Trim();
  // Whether `feed`'s pages of `host` are skipped now.
  bool BackingOff(const std::string& feed, const std::string& host) const;
  void HostFailed(const std::string& feed, const std::string& host,
                  std::optional<Seconds> retry_after);

  const config::Config& config_;
  net::HttpClient& http_;
  Scheduler& scheduler_;
  const Clock& clock_;
  Metrics* metrics_;
  std::shared_ptr<const net::AddressSet> internal_networks_;
  std::unordered_map<std::string, Page> pages_;  // by canonical URL
  // Pages waiting for a slot, by host (Scheduler::HostOf), each host's in the order asked.
  std::unordered_map<std::string, std::deque<std::string>> waiting_;
  std::deque<std::string> finished_;  // pages finished, oldest first
  size_t remembered_bytes_ = 0;       // of the finished pages' strings
  int fetching_ = 0;                  // pages in flight
  std::map<std::uint64_t, Request> requests_;
  std::uint64_t next_request_ = 1;
  std::unordered_map<std::string, Backoff> backoff_;  // by feed and host
};

}  // namespace feedwatch::daemon
