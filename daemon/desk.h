// The desk page: what broke on each watch, which outlets carried it and when, and which feeds
// need a look, as server-rendered HTML for editors (docs/operations.md, "The desk page").
//
// The loop thread reads the store at housekeeping (ReadDesk), renders the pages (RenderDesk)
// and publishes them here; the listener's thread serves GET / (every watch without a token) and
// GET /watch/NAME[?token=T] (one watch) from the published copies, with conditional GET, and
// never touches the database. The pages carry no script and load nothing: a strict
// Content-Security-Policy forbids every resource but their own inline style.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
#include "daemon/published_page.h"
#include "net/http_listener.h"
#include "store/store.h"

namespace feedwatch::daemon {

// Days in a watch's bar chart, and the stories a watch's own page lists at most.
inline constexpr int kDeskDays = 14;
inline constexpr int kDeskWatchStories = 100;
// The front page lists a watch's stories of the last kDeskFrontDays, at most
// kDeskFrontStories of them.
inline constexpr int kDeskFrontDays = 3;
inline constexpr int kDeskFrontStories = 50;
// Outlets named per story, and feeds named under "Feeds to look at", at most: a page stays
// bounded whatever the feeds send (titles and ledes are cut as in the Atom feeds).
inline constexpr size_t kDeskOutlets = 20;
inline constexpr size_t kDeskFeedsListed = 50;

// One outlet's report of a story: its first.
struct DeskReport {
  std::string feed;
  TimePoint at;  // store::AlertOrigin: published, or first seen
};

struct DeskStory {
  store::StoryMatch story;
  std::vector<DeskReport> reports;  // the story's own feed's and the others', by time
};

struct DeskWatch {
  std::string name;
  bool listed = true;                    // false: it has a token, and shows only with it
  std::vector<DeskStory> stories;        // newest first, of the last kDeskDays
  std::array<int, kDeskDays> per_day{};  // stories a day, the oldest day first, today last
};

// A feed an editor should know about: failing, given up on, or silent longer than usual.
struct DeskFeed {
  std::string name;
  std::string state;   // "failing", "gone", "silent"
  std::string detail;  // "HTTP 500, 4 polls in a row; last read 5 Dec 14:02"
};

struct Desk {
  TimePoint today;                 // midnight UTC of the day the desk was read
  std::vector<DeskWatch> watches;  // in the configuration's order
  std::vector<DeskFeed> feeds;     // failing first, then silent; by name
  int feeds_total = 0;
};

// The desk as of `now`: each of `config`'s watches with its stories and counts, and the feeds'
// health.
Result<Desk> ReadDesk(store::Store& store, const config::Config& config, TimePoint now);

// The pages of `desk`: "/" (the watches without a token) and "/watch/NAME" for each watch.
struct DeskPagesText {
  std::string front;
  std::map<std::string, std::string> watches;
};
DeskPagesText RenderDesk(const Desk& desk);

// The headers every desk page goes out with: the Content-Security-Policy, no referrer (a
// watch's page URL may carry its token), no framing, no sniffing.
std::vector<std::string> DeskHeaders();

class DeskPages {
 public:
  // The token each watch's page asks for in `?token=` ("" for none).
  void Configure(std::map<std::string, std::string> tokens);
  // The pages rendered anew (RenderDesk), as of `updated`.
  void Publish(DeskPagesText pages, TimePoint updated);

  // GET / and GET /watch/NAME[?token=T]: 200 with the page, 304 when the client has it, 404
  // for an unknown watch or a wrong token (the two look alike), 503 before the first render
  // (and after a reload that changed which watches are listed, until the next).
  net::HttpListener::Reply Serve(const net::HttpListener::Request& request) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> tokens_;
  std::optional<PublishedPage> front_;
  std::map<std::string, PublishedPage> watches_;
};

}  // namespace feedwatch::daemon
