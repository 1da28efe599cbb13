// What a fetched body becomes: the feed parsed, its items through the ItemPipeline (new or
// edited, matches, stories), and one Store::CommitPoll that records the poll, the items, their
// matches and the outbox's deliveries together. It keeps each watch's recent stories
// (StoryIndexes) between polls, and decides again when another instance recorded a story of
// the same watch first.
#pragma once

#include <functional>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
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

  // Every argument must outlive the PollCommitter; `metrics` may be null.
  PollCommitter(const config::Config& config, store::Store& store, Metrics* metrics,
                StoriesRecorded recorded);

  // The feed a response carries, within the configured limits; its warnings logged.
  Result<feeds::Feed> Parse(const config::FeedConfig& feed, const net::Response& response) const;

  // Matches `parsed`'s items and commits them with `poll`. `first_success`: the feed was never
  // read before (its old items do not alert). Errors: Io (the database refused the commit), or
  // what the pipeline or the store said.
  Status Commit(const config::FeedConfig& feed, const feeds::Feed& parsed,
                const store::PollRecord& poll, bool first_success);

 private:
  const config::Config& config_;
  store::Store& store_;
  Metrics* metrics_;
  StoriesRecorded recorded_;
  ItemPipeline pipeline_;
  StoryIndexes stories_;
};

}  // namespace feedwatch::daemon
