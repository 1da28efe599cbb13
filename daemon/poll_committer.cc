#include "daemon/poll_committer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <set>
#include <string>
#include <utility>

#include "base/text.h"

namespace feedwatch::daemon {
namespace {

// The CPU time the calling thread has used.
std::chrono::nanoseconds ThreadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

}  // namespace

PollCommitter::PollCommitter(const config::Config& config, store::Store& store, Metrics* metrics,
                             StoriesRecorded recorded)
    : config_(config),
      store_(store),
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

Status PollCommitter::Commit(const config::FeedConfig& feed, const feeds::Feed& parsed,
                             const store::PollRecord& poll, bool first_success) {
  const TimePoint now = poll.at;
  // The matching gets a CPU budget of its own, as long as the parse's: past it the items left
  // are read at the next poll, and the loop turns meanwhile.
  const std::chrono::nanoseconds match_deadline =
      config_.http.max_parse_time.count() > 0 ? ThreadCpuTime() + config_.http.max_parse_time
                                              : std::chrono::nanoseconds::max();
  const std::vector<std::string> keys = ItemPipeline::Keys(parsed);
  Result<KnownItems> known = store_.KnownItems(feed.name, keys);
  if (!known) return known.error();
  // Another instance may record a story of the same watch between the pipeline and the commit:
  // the commit then fails with Conflict. The second try holds the other instances' new stories
  // of the watches that matched back (Coordination::LockStories), reads those recorded since,
  // decides the items' stories again and commits: it cannot lose again.
  const auto run = [&] {
    return pipeline_.Run({.feed_config = feed,
                          .feed = parsed,
                          .keys = keys,
                          .known = *known,
                          .first_success = first_success,
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
