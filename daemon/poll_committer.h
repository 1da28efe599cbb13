// What a fetched body becomes: the feed parsed, the pages of its new items read when it has
// fetch_articles (ArticleFetcher), its items through the ItemPipeline (new or edited, matches,
// stories), and one Store::CommitPoll that records the poll, the items, their
// matches and the outbox's deliveries together. It keeps each watch's recent stories
// (StoryIndexes) between polls, and decides again when another instance recorded a story of
// the same watch first.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
#include "daemon/article_fetcher.h"
#include "daemon/item_pipeline.h"
#include "daemon/metrics.h"
#include "feeds/parser.h"
#include "net/http_client.h"
#include "store/store.h"

namespace feedwatch::daemon {

class PollCommitter {
 public:
  // Told of the stories a commit recorded (their alerts are in the outbox).
  using StoriesRecorded = std::function<void(const std::vector<store::StoryHead>&)>;
  // Told how a commit ended (Io: the database refused it; else what the pipeline or the store
  // said), with the poll as recorded.
  using Committed = std::function<void(const Status&, const store::PollRecord&)>;
  // When the feed is due next, at the publishing rate its history shows.
  using NextDue = std::function<TimePoint(const store::PublishingHistory&)>;

  // Every argument must outlive the PollCommitter; `metrics` may be null; without `articles`
  // no page is fetched.
  PollCommitter(const config::Config& config, store::Store& store, ArticleFetcher* articles,
                const Clock& clock, Metrics* metrics, StoriesRecorded recorded);

  // The feed a response carries, within the configured limits; its warnings logged.
  Result<feeds::Feed> Parse(const config::FeedConfig& feed, const net::Response& response) const;

  // Matches `parsed`'s items and commits them with `poll`, whose history (the feed's until now)
  // counts the new items' dates and whose next due time `next_due` decides from it.
  // `first_success`: the feed was never read before (its old items do not alert). For a feed with
  // fetch_articles the pages of its new items are read first, for at most its article_wait
  // (`feed_internal`: the feed came from an internal address, so its links may lead to one). `done`
  // is called once, before Commit returns unless pages are being read.
  void Commit(const config::FeedConfig& feed, feeds::Feed parsed, store::PollRecord poll,
              bool first_success, bool feed_internal, NextDue next_due, Committed done);

 private:
  // The new items whose pages to read: not known, within the look-back, at most max_articles.
  std::vector<size_t> ArticlesWanted(const config::FeedConfig& feed, const feeds::Feed& parsed,
                                     const KnownItems& known, const std::vector<std::string>& keys,
                                     bool first_success, TimePoint now) const;
  // Commit's work once the articles are in: the pipeline, `poll`'s history and next due time,
  // and one Store::CommitPoll.
  Status Write(const config::FeedConfig& feed, const feeds::Feed& parsed,
               const std::vector<std::string>& keys, const KnownItems& known,
               std::span<const std::string> articles, store::PollRecord& poll, bool first_success,
               const NextDue& next_due);

  const config::Config& config_;
  store::Store& store_;
  ArticleFetcher* articles_;
  const Clock& clock_;
  Metrics* metrics_;
  StoriesRecorded recorded_;
  ItemPipeline pipeline_;
  StoryIndexes stories_;
};

}  // namespace feedwatch::daemon
