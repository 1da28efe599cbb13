#include "daemon/item_pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/hash.h"
#include "base/text.h"
#include "daemon/item_document.h"
#include "feeds/canonical.h"
#include "filters/headline.h"
#include "filters/query.h"

namespace feedwatch::daemon {

void StoryIndexes::Add(const store::StoryHead& head) {
  const auto it = by_watch_.find(head.watch);
  if (it == by_watch_.end()) return;  // the store has it when the watch's index is read
  it->second.index.Add(head);
  it->second.last_seq = std::max(it->second.last_seq, head.seq);
}

Status StoryIndexes::Load(const std::string& name, Watch& watch, TimePoint now) {
  if (load_ == nullptr) return Status::Ok();
  Result<store::StoryHeads> heads = load_(name, now - kStoryWindow, watch.last_seq);
  if (!heads) return heads.error();
  for (const store::StoryHead& head : heads->heads) watch.index.Add(head);
  watch.last_seq = std::max(watch.last_seq, heads->last_seq);
  return Status::Ok();
}

Result<std::optional<std::int64_t>> StoryIndexes::Find(const std::string& watch,
                                                       const std::string& canonical_url,
                                                       const std::string& title, TimePoint now) {
  auto it = by_watch_.find(watch);
  if (it == by_watch_.end()) {
    it = by_watch_.try_emplace(watch).first;
    if (Status s = Load(watch, it->second, now); !s) {
      by_watch_.erase(it);
      return s.error();
    }
  }
  return it->second.index.Find(canonical_url, filters::HeadlineWords(title), now);
}

Status StoryIndexes::Refresh(TimePoint now) {
  for (auto& [name, watch] : by_watch_) {
    if (Status s = Load(name, watch, now); !s) return s;
  }
  return Status::Ok();
}

std::map<std::string, std::int64_t> StoryIndexes::LastSeqs() const {
  std::map<std::string, std::int64_t> out;
  for (const auto& [name, watch] : by_watch_) out[name] = watch.last_seq;
  return out;
}

ItemPipeline::ItemPipeline(const config::Config& config) : config_(config) {
  for (const config::WatchConfig& watch : config_.watches) watches_.Add(watch.query.get());
}

std::vector<std::string> ItemPipeline::Keys(const feeds::Feed& feed) {
  std::vector<std::string> keys;
  keys.reserve(feed.items.size());
  for (const feeds::Item& item : feed.items) keys.push_back(feeds::ItemKey(item));
  return keys;
}

namespace {

// When a delivery to `notifier` of a match made at `now` falls due: now, or its next digest.
TimePoint DueAt(const config::Config& config, const std::string& notifier, TimePoint now) {
  for (const config::NotifierConfig& n : config.notifiers) {
    if (n.name == notifier) return n.digest.Next(now);
  }
  return now;
}

// A match's hits as data: {title, Дарчиев*, Дарчиевым}..., the first
// filters::Explanation::kSummaryHits of them, as the `terms` line lists.
std::vector<store::Hit> Hits(const filters::Explanation& why, const filters::Document& document) {
  std::vector<store::Hit> hits;
  for (const filters::Hit& hit : why.hits) {
    if (hits.size() == filters::Explanation::kSummaryHits) break;
    hits.push_back({std::string(document.Label(hit.field)), hit.term,
                    std::string(document.text(hit.field).substr(hit.begin, hit.end - hit.begin))});
  }
  return hits;
}

// `summary` (a prefix of `field`'s text) with the hits in `field` that lie inside it marked
// **like this**; overlapping hits are marked as one.
std::string MarkSummary(const std::string& summary, filters::Field field,
                        std::vector<filters::Hit> hits) {
  std::erase_if(hits, [&](const filters::Hit& hit) {
    return hit.field != field || hit.end > summary.size() || hit.begin >= hit.end;
  });
  std::sort(hits.begin(), hits.end(),
            [](const filters::Hit& a, const filters::Hit& b) { return a.begin < b.begin; });
  std::string out;
  size_t copied = 0;
  for (size_t i = 0; i < hits.size();) {
    const size_t begin = hits[i].begin;
    size_t end = hits[i].end;
    for (++i; i < hits.size() && hits[i].begin <= end; ++i)
      end = std::max<size_t>(end, hits[i].end);
    out.append(summary, copied, begin - copied);
    out += "**";
    out.append(summary, begin, end - begin);
    out += "**";
    copied = end;
  }
  out.append(summary, copied);
  return out;
}

}  // namespace

Result<PipelineResult> ItemPipeline::Run(const Input& input, StoryIndexes& stories) const {
  const feeds::Feed& feed = input.feed;
  const std::string& feed_name = input.feed_config.name;
  PipelineResult result;
  result.records.reserve(feed.items.size());
  result.fates.reserve(feed.items.size());

  // On a feed's first successful poll, old items are recorded as seen but do not alert:
  // subscribing to a feed must not flood its subscribers with its back catalogue.
  std::optional<TimePoint> cutoff;
  if (input.first_success && input.feed_config.initial_lookback) {
    cutoff = input.now - std::chrono::duration_cast<Seconds>(*input.feed_config.initial_lookback);
  }
  const std::string feed_names = feed_name + '\n' + feed.title;

  for (size_t i = 0; i < feed.items.size(); ++i) {
    if (i > 0 && input.out_of_time && input.out_of_time()) {
      result.unread = static_cast<int>(feed.items.size() - i);
      break;
    }
    const feeds::Item& item = feed.items[i];
    store::ItemRecord& record = result.records.emplace_back();
    ItemFate& fate = result.fates.emplace_back(ItemFate::kSeen);
    record.key = input.keys[i];
    record.title = item.title;
    record.link = item.link;
    record.canonical_url = feeds::CanonicalUrl(item.link);
    record.published = item.published;
    // Over the text as one line: an item read before feedwatch kept paragraphs is not edited.
    record.content_hash = Sha256()
                              .Add(item.title)
                              .Add("\n")
                              .AddAsLine(item.summary_text)
                              .Add("\n")
                              .AddAsLine(item.content_text)
                              .Hex();
    const auto seen = input.known.find(record.key);
    if (seen == input.known.end()) {
      fate = ItemFate::kNew;
      ++result.new_items;
      if (cutoff && item.published && *item.published < *cutoff) {
        fate = ItemFate::kBeforeLookback;
        continue;
      }
    } else if (!seen->second.empty() && seen->second != record.content_hash) {
      // An edited item is matched again: a watch it now matches for the first time alerts; one
      // that matched it before does not (the store keeps one match per watch and item).
      fate = ItemFate::kEdited;
      spdlog::debug("feed {}: \"{}\" was edited; matching it again", feed_name, item.title);
    } else {
      continue;
    }

    const filters::Document document = ItemDocument(
        item, feed_names, watches_.needs_accent_folding(),
        i < input.articles.size() ? std::string_view(input.articles[i]) : "", watches_.fields());
    std::vector<filters::Hit> hits;  // of every watch that matches, for the marked summary
    for (const size_t watch_index : watches_.Match(document)) {
      const config::WatchConfig& watch = config_.watches[watch_index];
      const std::optional<filters::Explanation> why = watch.query->Explain(document);
      store::MatchRecord& match = record.matches.emplace_back();
      match.watch = watch.name;
      match.notifiers = watch.notify;
      for (const std::string& notifier : watch.notify) {
        if (const TimePoint due = DueAt(config_, notifier, input.now); due != input.now) {
          match.due_at[notifier] = due;
        }
      }
      match.terms = why ? why->Summary(document) : "";
      if (why) match.hits = Hits(*why, document);
      if (why) hits.insert(hits.end(), why->hits.begin(), why->hits.end());
      match.snippet = why ? why->snippet.Marked("**", "**") : "";
      Result<std::optional<std::int64_t>> story =
          stories.Find(watch.name, record.canonical_url, item.title, input.now);
      if (!story) return story.error();
      match.story_of = *story;
      if (fate != ItemFate::kNew) continue;
      if (match.story_of) {
        spdlog::info("feed {}: \"{}\" is a story watch {} alerted on already; linked, not sent",
                     feed_name, item.title, watch.name);
      } else {
        ++result.new_alerts;
      }
    }
    if (!record.matches.empty()) {  // only a match's item is ever rendered
      const bool from_content = item.summary_text.empty();
      record.summary = ShortenAtWord(
          ParagraphsAsLine(from_content ? item.content_text : item.summary_text), kSummaryBytes);
      // The summary text is a prefix of the field the document read: hit offsets hold, unless
      // the document read the article's text in place of the feed's content.
      const bool content_read = document.Label(filters::Field::kContent) == "content";
      record.summary_marked =
          from_content && !content_read
              ? record.summary
              : MarkSummary(record.summary,
                            from_content ? filters::Field::kContent : filters::Field::kSummary,
                            std::move(hits));
    }
  }
  result.items = result.records.size();
  HoldPastMaxAlerts(input, result);
  return result;
}

std::string SummaryKey(const std::string& watch, TimePoint now) {
  return "feedwatch:held:" + watch + ":" + std::to_string(now.time_since_epoch().count());
}

// Past the feed's max_alerts, a poll's further new stories are recorded without deliveries
// (`feedwatch matches` lists them, later copies link to them) and each watch that had some gets
// one summary alert instead: a feed that floods (a CMS republishing its archive, an attacker)
// costs a subscriber one message, and other feeds' alerts do not queue behind it.
void ItemPipeline::HoldPastMaxAlerts(const Input& input, PipelineResult& result) const {
  const config::FeedConfig& feed = input.feed_config;
  int alerts = 0;
  std::map<std::string, int> held;  // by watch
  for (size_t i = 0; i < result.records.size(); ++i) {
    if (result.fates[i] != ItemFate::kNew && result.fates[i] != ItemFate::kEdited) continue;
    for (store::MatchRecord& match : result.records[i].matches) {
      if (match.story_of || match.notifiers.empty() || ++alerts <= feed.max_alerts) continue;
      match.notifiers.clear();
      match.due_at.clear();
      ++held[match.watch];
      if (result.fates[i] == ItemFate::kNew) --result.new_alerts;
    }
  }
  for (const auto& [watch_name, count] : held) {
    const auto watch =
        std::find_if(config_.watches.begin(), config_.watches.end(),
                     [&name = watch_name](const config::WatchConfig& w) { return w.name == name; });
    if (watch == config_.watches.end()) continue;
    result.held_alerts += count;
    store::ItemRecord& record = result.records.emplace_back();
    result.fates.push_back(ItemFate::kNew);
    ++result.new_alerts;
    record.key = SummaryKey(watch_name, input.now);
    record.title = feed.name + ": " + std::to_string(count) + " more new items matched " +
                   watch_name + " in one poll";
    if (feed.url.starts_with("http://") || feed.url.starts_with("https://")) {
      record.link = feed.url;
    }
    record.published = input.now;
    record.summary = "The feed " + feed.name + " brought more new items that matched " +
                     watch_name + " at once than its max_alerts (" +
                     std::to_string(feed.max_alerts) + "): those past it were recorded, not " +
                     "sent one by one. feedwatch matches lists every one.";
    record.summary_marked = record.summary;
    store::MatchRecord& match = record.matches.emplace_back();
    match.watch = watch_name;
    match.notifiers = watch->notify;
    for (const std::string& notifier : watch->notify) {
      if (const TimePoint due = DueAt(config_, notifier, input.now); due != input.now) {
        match.due_at[notifier] = due;
      }
    }
    match.snippet = record.summary;
  }
}

}  // namespace feedwatch::daemon
