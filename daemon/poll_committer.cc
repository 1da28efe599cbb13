#include "daemon/poll_committer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <set>
#include <string>
#include <utility>

#include "base/text.h"
#include "daemon/publishing_rate.h"

namespace feedwatch::daemon {
namespace {

// The CPU time the calling thread has used.
std::chrono::nanoseconds ThreadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

// The longest a poll waits for its pages in all, however many turns of its hosts' slots they
// need: a new feed's first poll with many pages matches the late ones on the feed's text.
constexpr std::chrono::minutes kMostArticleWait{5};

}  // namespace

PollCommitter::PollCommitter(const config::Config& config, store::Store& store,
                             ArticleFetcher* articles, const Clock& clock, Metrics* metrics,
                             StoriesRecorded recorded)
    : config_(config),
      store_(store),
      articles_(articles),
      clock_(clock),
      metrics_(metrics),
      recorded_(std::move(recorded)),
      pipeline_(config),
      stories_([&store](const std::string& watch, TimePoint since, std::int64_t after_seq) {
        return store.RecentStories(watch, since, after_seq);
      }) {}

Result<feeds::Feed> PollCommitter::Parse(const config::FeedConfig& feed,
                                         const net::Response& response) const {
  feeds::ParseOptions options;
  options.base_url = response.effective_url.empty() ? feed.url : response.effective_url;
  options.content_type = response.Header("content-type");
  options.max_parse_time = config_.http.max_parse_time;
  options.max_items = static_cast<size_t>(feed.max_items);
  Result<feeds::Feed> parsed = feeds::ParseFeed(response.body, options);
  if (!parsed) return parsed;
  if (metrics_ != nullptr) metrics_->ItemsParsed(static_cast<int>(parsed->items.size()));
  for (const std::string& warning : parsed->warnings) {
    spdlog::warn("feed {}: {}", feed.name, warning);
  }
  return parsed;
}

void PollCommitter::Commit(const config::FeedConfig& feed, feeds::Feed parsed,
                           store::PollRecord poll, bool first_success, bool feed_internal,
                           NextDue next_due, Committed done) {
  std::vector<std::string> keys = ItemPipeline::Keys(parsed);
  Result<KnownItems> known = store_.KnownItems(feed.name, keys);
  if (!known) return done(known.error(), poll);
  const std::vector<size_t> wanted =
      feed.fetch_articles && articles_ != nullptr
          ? ArticlesWanted(feed, parsed, *known, keys, first_success, poll.at)
          : std::vector<size_t>();
  if (wanted.empty()) {
    const Status written = Write(feed, parsed, keys, *known, {}, poll, first_success, next_due);
    return done(written, poll);
  }
  std::vector<std::string> links;
  links.reserve(wanted.size());
  for (const size_t i : wanted) links.push_back(parsed.items[i].link);
  // What the poll holds while its pages are read.
  struct Held {
    feeds::Feed parsed;
    std::vector<std::string> keys;
    KnownItems known;
    store::PollRecord poll;
  };
  auto held = std::make_shared<Held>(
      Held{std::move(parsed), std::move(keys), std::move(*known), std::move(poll)});
  // A page may take article_wait, and the pages of one host are read per_host at a time: a new
  // feed's first poll, with many pages, waits for each turn of its host's slots.
  const auto turns =
      static_cast<int>((links.size() + static_cast<size_t>(config_.http.per_host) - 1) /
                       static_cast<size_t>(config_.http.per_host));
  const MonoTime deadline =
      clock_.Monotonic() +
      std::min<std::chrono::milliseconds>(
          std::chrono::duration_cast<std::chrono::milliseconds>(feed.article_wait) * turns,
          kMostArticleWait);
  articles_->Fetch(feed.name, links, feed_internal, deadline,
                   [this, &feed, held, wanted, first_success, next_due = std::move(next_due),
                    done = std::move(done)](ArticleFetcher::Articles articles) {
                     std::vector<std::string> texts(held->parsed.items.size());
                     for (size_t k = 0; k < wanted.size(); ++k)
                       texts[wanted[k]] = std::move(articles.texts[k]);
                     held->poll.articles = articles.counts.Summary();
                     spdlog::debug("feed {}: articles: {}", feed.name, held->poll.articles);
                     const Status written = Write(feed, held->parsed, held->keys, held->known,
                                                  texts, held->poll, first_success, next_due);
                     done(written, held->poll);
                   });
}

std::vector<size_t> PollCommitter::ArticlesWanted(const config::FeedConfig& feed,
                                                  const feeds::Feed& parsed,
                                                  const KnownItems& known,
                                                  const std::vector<std::string>& keys,
                                                  bool first_success, TimePoint now) const {
  // The pipeline's rule for what is new (ItemPipeline::Run): an edited item is matched again,
  // on the feed's text.
  std::optional<TimePoint> cutoff;
  if (first_success && feed.initial_lookback) {
    cutoff = now - std::chrono::duration_cast<Seconds>(*feed.initial_lookback);
  }
  std::vector<size_t> wanted;
  for (size_t i = 0; i < parsed.items.size(); ++i) {
    const feeds::Item& item = parsed.items[i];
    if (item.link.empty() || known.contains(keys[i])) continue;
    if (cutoff && item.published && *item.published < *cutoff) continue;
    if (wanted.size() == static_cast<size_t>(feed.max_articles)) {
      spdlog::info(
          "feed {}: more new items than max_articles ({}); the rest are matched on the "
          "feed's text",
          feed.name, feed.max_articles);
      break;
    }
    wanted.push_back(i);
  }
  return wanted;
}

Status PollCommitter::Write(const config::FeedConfig& feed, const feeds::Feed& parsed,
                            const std::vector<std::string>& keys, const KnownItems& known,
                            std::span<const std::string> articles, store::PollRecord& poll,
                            bool first_success, const NextDue& next_due) {
  const TimePoint now = poll.at;
  // The matching gets a CPU budget of its own, as long as the parse's: past it the items left
  // are read at the next poll, and the loop turns meanwhile.
  const std::chrono::nanoseconds match_deadline =
      config_.http.max_parse_time.count() > 0 ? ThreadCpuTime() + config_.http.max_parse_time
                                              : std::chrono::nanoseconds::max();
  // Another instance may record a story of the same watch between the pipeline and the commit:
  // the commit then fails with Conflict. The second try holds the other instances' new stories
  // of the watches that matched back (Coordination::LockStories), reads those recorded since,
  // decides the items' stories again and commits: it cannot lose again.
  const auto run = [&] {
    return pipeline_.Run({.feed_config = feed,
                          .feed = parsed,
                          .keys = keys,
                          .known = known,
                          .first_success = first_success,
                          .now = now,
                          .out_of_time = [&] { return ThreadCpuTime() > match_deadline; },
                          .articles = articles},
                         stories_);
  };
  Result<PipelineResult> piped = run();
  if (!piped) return piped.error();
  // The publishing rate: the new items' dates, or every item's on the history's first read.
  std::vector<std::optional<TimePoint>> dates;
  const bool first_read = !poll.history || !poll.history->since;
  for (size_t i = 0; i < piped->items; ++i) {
    const ItemFate fate = piped->fates[i];
    if (first_read || fate == ItemFate::kNew || fate == ItemFate::kBeforeLookback) {
      dates.push_back(piped->records[i].published);
    }
  }
  poll.history = Observe(poll.history.value_or(store::PublishingHistory{}), dates, now);
  poll.next_due = next_due(*poll.history);
  Result<std::vector<store::StoryHead>> heads =
      store_.CommitPoll(feed.name, feed.url, poll, piped->records, stories_.LastSeqs());
  if (!heads && heads.error().code == Error::Code::kConflict) {
    spdlog::info("feed {}: {}; reading its stories and deciding again", feed.name,
                 heads.error().message);
    std::set<std::string> watches;
    for (const store::ItemRecord& record : piped->records) {
      for (const store::MatchRecord& match : record.matches) watches.insert(match.watch);
    }
    Status locked = store_.coordination().LockStories(watches);
    if (locked) locked = stories_.Refresh(now);
    if (locked) {
      piped = run();
      if (piped) {
        heads = store_.CommitPoll(feed.name, feed.url, poll, piped->records, stories_.LastSeqs());
      }
    }
    if (Status s = store_.coordination().UnlockStories(); !s) {
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
  for (const store::StoryHead& head : *heads) stories_.Add(head);
  if (!heads->empty()) recorded_(*heads);
  if (metrics_ != nullptr) {
    for (size_t i = 0; i < result.records.size(); ++i) {
      if (result.fates[i] != ItemFate::kNew) continue;
      for (const store::MatchRecord& match : result.records[i].matches) {
        if (!match.story_of) metrics_->Matched(match.watch);
      }
    }
  }
  spdlog::info("feed {}: {}, {} new, {}", feed.name,
               Counted(static_cast<std::int64_t>(result.records.size()), "item", "items"),
               result.new_items,
               Counted(static_cast<std::int64_t>(heads->size()), "new match", "new matches"));
  return Status::Ok();
}

}  // namespace feedwatch::daemon
