// Each watch's recent stories as an Atom 1.0 feed, for people who follow alerts in a feed
// reader (as Google Alerts' "deliver to RSS" does): one entry per story with a stable id, its
// title, link, dates, the marked snippet and the other feeds that reported it.
//
// The loop thread renders a watch's feed when its stories change and publishes it here; the
// metrics listener's thread serves /feeds/WATCH.atom from the published copies, with ETag and
// Last-Modified for conditional GET, and never touches the database.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "daemon/published_page.h"
#include "net/http_listener.h"
#include "store/store.h"

namespace feedwatch::daemon {

// Entries in a watch's feed, at most, and what one entry holds at most: a page stays under
// 50 x 4 KB however long the titles a feed sends (docs/reliability.md).
inline constexpr int kAlertFeedEntries = 50;
inline constexpr size_t kEntryTitleBytes = 500;
inline constexpr size_t kEntrySnippetBytes = 1000;
inline constexpr size_t kEntryLinkBytes = 2000;  // a longer link is left out
inline constexpr size_t kEntryOtherFeeds = 10;

// The Atom document of `watch`'s `stories` (newest first). `instance` (the database's id) makes
// the ids unique across databases; `now` is the feed's <updated> when it has no entry.
// `base_url` is where readers reach the listener ("https://desk.example.org/feedwatch", no
// trailing '/'): the feed links to itself at BASE/feeds/WATCH.atom and to BASE/ as its
// alternate; "" leaves both links out. The self link never carries a watch's token: the
// document is shown, stored and passed on by readers and aggregators, and the token stays in
// the URL the subscriber was given.
std::string RenderAlertFeed(const std::string& watch, const std::vector<store::StoryMatch>& stories,
                            const std::string& instance, TimePoint now,
                            const std::string& base_url);

// The base of the links in each watch's feed: `public_url` when the configuration sets one,
// else "http://" + `listen_address` (HOST:PORT, "[::1]:9464"), else "".
std::string AlertFeedBaseUrl(const std::string& public_url, const std::string& listen_address);

class AlertFeeds {
 public:
  // The watches that may be served, the token each asks for in `?token=` ("" for none), and
  // the base of the feeds' links (AlertFeedBaseUrl).
  void Configure(std::map<std::string, std::string> tokens, std::string base_url);
  // What Configure was given; read on the loop thread, which alone calls Configure.
  const std::string& base_url() const { return base_url_; }
  // A watch's feed, rendered anew.
  void Publish(const std::string& watch, std::string atom, TimePoint updated);

  // GET /feeds/WATCH.atom[?token=T]: 200 with the feed, 304 when the request's If-None-Match
  // or If-Modified-Since says the client has it, 404 for an unknown watch or a wrong token.
  net::HttpListener::Reply Serve(const net::HttpListener::Request& request) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> tokens_;
  std::map<std::string, PublishedPage> feeds_;
  std::string base_url_;  // the loop thread's alone
};

}  // namespace feedwatch::daemon
