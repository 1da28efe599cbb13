// ItemPipeline on plain values: parsed feeds, what the store would know, story heads as a commit
// would add them. No HTTP, no SQLite, no clock.
#include "daemon/item_pipeline.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace feedwatch::daemon {
namespace {

constexpr TimePoint kNow{Seconds(1'750'000'000)};  // 2025-06-15T15:06:40Z

config::Config LoadConfig(const std::string& extra = "") {
  Result<config::Config> config = config::LoadConfigText(
      "[[notify]]\nname = \"mail\"\ntype = \"console\"\n"
      "[[notify]]\nname = \"daily\"\ntype = \"console\"\ndigest = \"daily 08:00\"\n"
      "[[feed]]\nname = \"wire\"\nurl = \"https://wire.test/rss\"\ninitial_lookback = \"48h\"\n"
      "[[watch]]\nname = \"darchiev\"\nquery = 'Darchiev OR Дарчиев*'\nnotify = [\"mail\"]\n"
      "[[watch]]\nname = \"property\"\nquery = '\"diplomatic propert*\"'\n"
      "notify = [\"mail\", \"daily\"]\n" +
          extra,
      "/etc/feedwatch/feedwatch.toml");
  EXPECT_TRUE(config.ok()) << config.error().message;
  return std::move(*config);
}

feeds::Item Item(std::string id, std::string title, std::string link = "",
                 std::optional<TimePoint> published = std::nullopt) {
  feeds::Item item;
  item.id = std::move(id);
  item.title = std::move(title);
  item.link = std::move(link);
  item.published = published;
  return item;
}

class ItemPipelineTest : public ::testing::Test {
 protected:
  // The pipeline on `items` of feed `feed_name`, with `known` from the store.
  PipelineResult Run(std::vector<feeds::Item> items, const KnownItems& known = {},
                     bool first_success = false, const std::string& feed_name = "wire") {
    feed_.title = "Wire";
    feed_.items = std::move(items);
    keys_ = ItemPipeline::Keys(feed_);
    feed_config_ = config_.feeds.front();
    feed_config_.name = feed_name;
    Result<PipelineResult> result = pipeline_.Run({.feed_config = feed_config_,
                                                   .feed = feed_,
                                                   .keys = keys_,
                                                   .known = known,
                                                   .first_success = first_success,
                                                   .now = kNow},
                                                  stories_);
    EXPECT_TRUE(result.ok()) << result.error().message;
    return result ? std::move(*result) : PipelineResult{};
  }

  // What the store would know after committing `result`: each item's key and content hash.
  static KnownItems Known(const PipelineResult& result) {
    KnownItems known;
    for (const store::ItemRecord& record : result.records) {
      known[record.key] = record.content_hash;
    }
    return known;
  }

  // What a commit of `result` does to the stories: the store records a head for each match
  // that starts a story (match ids from 100) and the engine adds it to the indexes.
  void Commit(const PipelineResult& result) {
    for (const store::ItemRecord& record : result.records) {
      for (const store::MatchRecord& match : record.matches) {
        if (match.story_of) continue;
        const std::int64_t id = next_id_++;
        const store::StoryHead head{id, id, match.watch, record.title, record.canonical_url, kNow};
        stored_heads_.push_back(head);
        stories_.Add(head);
      }
    }
  }

  static std::vector<std::string> Watches(const store::ItemRecord& record) {
    std::vector<std::string> watches;
    for (const store::MatchRecord& match : record.matches) watches.push_back(match.watch);
    return watches;
  }

  config::Config config_ = LoadConfig();
  ItemPipeline pipeline_{config_};
  // The store's story heads, as the engine's loader reads them.
  std::vector<store::StoryHead> stored_heads_;
  StoryIndexes stories_{[this](const std::string& watch, TimePoint since, std::int64_t after) {
    store::StoryHeads heads;
    for (const store::StoryHead& head : stored_heads_) {
      if (head.watch != watch) continue;
      heads.last_seq = std::max(heads.last_seq, head.seq);
      if (head.matched_at >= since && head.seq > after) heads.heads.push_back(head);
    }
    return Result<store::StoryHeads>(std::move(heads));
  }};
  std::int64_t next_id_ = 100;
  feeds::Feed feed_;
  std::vector<std::string> keys_;
  config::FeedConfig feed_config_;
};

TEST_F(ItemPipelineTest, NewItemsAreMatchedWithTheirHitsAndDeliveryTimes) {
  const PipelineResult result =
      Run({Item("1", "Darchiev demands the return of diplomatic property", "https://wire.test/1"),
           Item("2", "Weather: rain in Moscow", "https://wire.test/2")});
  ASSERT_EQ(result.records.size(), 2u);
  EXPECT_EQ(result.fates, (std::vector{ItemFate::kNew, ItemFate::kNew}));
  EXPECT_EQ(result.new_items, 2);
  EXPECT_EQ(result.new_alerts, 2);
  const store::ItemRecord& hit = result.records[0];
  EXPECT_EQ(hit.key, "1");
  EXPECT_EQ(hit.canonical_url, "https://wire.test/1");
  EXPECT_EQ(Watches(hit), (std::vector<std::string>{"darchiev", "property"}));
  EXPECT_EQ(hit.matches[0].snippet, "**Darchiev** demands the return of diplomatic property");
  EXPECT_EQ(hit.matches[0].notifiers, (std::vector<std::string>{"mail"}));
  EXPECT_TRUE(hit.matches[0].due_at.empty());  // now
  // The digest notifier's delivery waits for 08:00 UTC the next morning.
  EXPECT_EQ(hit.matches[1].due_at.at("daily"), TimePoint(Seconds(1'750'060'800)));
  EXPECT_FALSE(hit.matches[1].due_at.contains("mail"));
  EXPECT_TRUE(result.records[1].matches.empty());
  EXPECT_EQ(result.records[1].summary, "");  // only a match's item keeps its summary
}

TEST_F(ItemPipelineTest, SeenItemsAreRecordedButNotMatchedAgain) {
  const std::vector<feeds::Item> items = {Item("1", "Darchiev arrives", "https://wire.test/1")};
  const PipelineResult first = Run(items);
  const PipelineResult second = Run(items, Known(first));
  ASSERT_EQ(second.records.size(), 1u);  // still recorded: it is in the feed
  EXPECT_EQ(second.fates, std::vector{ItemFate::kSeen});
  EXPECT_TRUE(second.records[0].matches.empty());
  EXPECT_EQ(second.new_items, 0);
  EXPECT_EQ(second.new_alerts, 0);
}

TEST_F(ItemPipelineTest, ItemsRecordedBeforeHashesWereKeptCountAsUnchanged) {
  const PipelineResult result =
      Run({Item("1", "Darchiev arrives", "https://wire.test/1")}, {{"1", ""}});
  EXPECT_EQ(result.fates, std::vector{ItemFate::kSeen});
}

TEST_F(ItemPipelineTest, AnEditedItemIsMatchedAgainForEveryWatch) {
  // Matched "darchiev" when new; its edit now also names the diplomatic property. The store
  // keeps one match per (watch, item), so only "property" alerts: the pipeline offers both.
  const PipelineResult first = Run({Item("1", "Darchiev arrives", "https://wire.test/1")});
  Commit(first);
  const PipelineResult edited =
      Run({Item("1", "Darchiev arrives to discuss diplomatic property", "https://wire.test/1")},
          Known(first));
  EXPECT_EQ(edited.fates, std::vector{ItemFate::kEdited});
  EXPECT_EQ(Watches(edited.records[0]), (std::vector<std::string>{"darchiev", "property"}));
  EXPECT_EQ(edited.new_items, 0);
  EXPECT_EQ(edited.new_alerts, 0);  // edits are counted by the store, not as new alerts
  EXPECT_NE(edited.records[0].content_hash, first.records[0].content_hash);
}

TEST_F(ItemPipelineTest, AnEditThatNoLongerMatchesOffersNothing) {
  const PipelineResult first = Run({Item("1", "Darchiev arrives", "https://wire.test/1")});
  const PipelineResult edited =
      Run({Item("1", "The ambassador arrives", "https://wire.test/1")}, Known(first));
  EXPECT_EQ(edited.fates, std::vector{ItemFate::kEdited});
  EXPECT_TRUE(edited.records[0].matches.empty());
}

TEST_F(ItemPipelineTest, AChangedGuidWithTheSameLinkIsTheSameStory) {
  // A CMS republishes the item under a new guid: a new key, so a new item, but the story it
  // tells was alerted on; the match is recorded and linked, not sent.
  const PipelineResult first = Run({Item("guid-1", "Darchiev arrives", "https://wire.test/1")});
  Commit(first);
  const PipelineResult second =
      Run({Item("guid-2", "Darchiev arrives in Washington", "https://wire.test/1?utm_source=rss")},
          Known(first));
  ASSERT_EQ(second.fates, std::vector{ItemFate::kNew});
  ASSERT_EQ(second.records[0].matches.size(), 1u);
  EXPECT_EQ(second.records[0].matches[0].story_of, 100);
  EXPECT_EQ(second.new_alerts, 0);
}

TEST_F(ItemPipelineTest, OneStoryFromTwoFeedsAlertsOnce) {
  Commit(Run({Item("a-1", "Russia and US to hold third round of talks on diplomatic property",
                   "https://a.test/world/1")}));
  const PipelineResult other = Run({Item("b-9",
                                         "Russia and US to hold third round of talks on "
                                         "diplomatic property - Agency B",
                                         "https://b.test/9")},
                                   {}, false, "agency-b");
  ASSERT_EQ(other.records[0].matches.size(), 1u);
  EXPECT_EQ(other.records[0].matches[0].watch, "property");
  EXPECT_EQ(other.records[0].matches[0].story_of, 100);
  // A different story with a similar subject alerts on its own.
  const PipelineResult different =
      Run({Item("b-10", "Diplomatic property talks collapse", "https://b.test/10")}, {}, false,
          "agency-b");
  EXPECT_EQ(different.records[0].matches[0].story_of, std::nullopt);
  EXPECT_EQ(different.new_alerts, 1);
}

TEST_F(ItemPipelineTest, TheFirstPollAlertsOnlyWithinTheLookBack) {
  // initial_lookback = 48h: an item of three days ago is recorded as seen, not matched; one of
  // yesterday and an undated one may alert. On later polls the look-back no longer applies.
  const std::vector<feeds::Item> items = {
      Item("old", "Darchiev arrives", "https://wire.test/old", kNow - Seconds(72 * 3600)),
      Item("recent", "Darchiev leaves", "https://wire.test/recent", kNow - Seconds(24 * 3600)),
      Item("undated", "Darchiev speaks", "https://wire.test/undated")};
  const PipelineResult first = Run(items, {}, /*first_success=*/true);
  EXPECT_EQ(first.fates, (std::vector{ItemFate::kBeforeLookback, ItemFate::kNew, ItemFate::kNew}));
  EXPECT_TRUE(first.records[0].matches.empty());
  EXPECT_EQ(first.new_items, 3);
  EXPECT_EQ(first.new_alerts, 2);
  const PipelineResult later = Run(items, {}, /*first_success=*/false);
  EXPECT_EQ(later.fates, (std::vector{ItemFate::kNew, ItemFate::kNew, ItemFate::kNew}));
}

TEST_F(ItemPipelineTest, TheFeedsNameAndTitleAreSearchableAsFeed) {
  config_ = LoadConfig(
      "[[watch]]\nname = \"from-wire\"\nquery = 'feed:wire AND Darchiev'\n"
      "notify = [\"mail\"]\n");
  const ItemPipeline pipeline(config_);
  feed_.title = "Agency";
  feed_.items = {Item("1", "Darchiev arrives")};
  keys_ = ItemPipeline::Keys(feed_);
  feed_config_ = config_.feeds.front();
  const KnownItems known;
  const Result<PipelineResult> result = pipeline.Run(
      {.feed_config = feed_config_, .feed = feed_, .keys = keys_, .known = known, .now = kNow},
      stories_);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(Watches(result->records[0]), (std::vector<std::string>{"darchiev", "from-wire"}));
}

TEST_F(ItemPipelineTest, ProximityRunsFromTheHeadlineIntoTheLede) {
  // The topic split between headline and lede, as agencies write it.
  config_ = LoadConfig(
      "[[watch]]\nname = \"round\"\nquery = 'Moscow NEAR/10 (round OR consultations)'\n"
      "notify = [\"mail\"]\n");
  const ItemPipeline pipeline(config_);
  feeds::Item item = Item("tass-1", "US delegation arrives in Moscow", "https://tass.test/1");
  item.summary_text = "The sides will hold a round of consultations on the irritants.";
  feed_.items = {item};
  keys_ = ItemPipeline::Keys(feed_);
  feed_config_ = config_.feeds.front();
  const KnownItems known;
  const Result<PipelineResult> result = pipeline.Run(
      {.feed_config = feed_config_, .feed = feed_, .keys = keys_, .known = known, .now = kNow},
      stories_);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(Watches(result->records[0]), std::vector<std::string>{"round"});
}

// A feed that floods: 30 new items, each matching both watches, under max_alerts = 5.
TEST(ItemPipelineFlood, PastMaxAlertsTheRestAreRecordedAndEachWatchGetsOneSummary) {
  const config::Config config = LoadConfig("[defaults]\nmax_alerts = 5\n");
  const ItemPipeline pipeline(config);
  feeds::Feed feed;
  for (int i = 0; i < 30; ++i) {
    feed.items.push_back(Item(std::to_string(i),
                              "Darchiev on diplomatic property, part " + std::to_string(i),
                              "https://wire.test/" + std::to_string(i)));
  }
  const std::vector<std::string> keys = ItemPipeline::Keys(feed);
  StoryIndexes stories;
  Result<PipelineResult> result = pipeline.Run(
      {.feed_config = config.feeds.front(), .feed = feed, .keys = keys, .known = {}, .now = kNow},
      stories);
  ASSERT_TRUE(result.ok());
  // The 30 items and a summary for each watch; every match recorded.
  ASSERT_EQ(result->records.size(), 32u);
  int alerting = 0;
  int recorded = 0;
  for (size_t i = 0; i < 30; ++i) {
    for (const store::MatchRecord& match : result->records[i].matches) {
      ++recorded;
      if (!match.notifiers.empty()) ++alerting;
    }
  }
  EXPECT_EQ(recorded, 60);
  EXPECT_EQ(alerting, 5);  // the first five, in feed order
  EXPECT_FALSE(result->records[2].matches[0].notifiers.empty());
  EXPECT_TRUE(result->records[3].matches[1].notifiers.empty());
  EXPECT_EQ(result->held_alerts, 55);
  EXPECT_EQ(result->new_alerts, 5 + 2);
  const store::ItemRecord& darchiev = result->records[30];
  EXPECT_EQ(darchiev.key, SummaryKey("darchiev", kNow));
  EXPECT_EQ(darchiev.title, "wire: 27 more new items matched darchiev in one poll");
  EXPECT_EQ(darchiev.link, "https://wire.test/rss");
  ASSERT_EQ(darchiev.matches.size(), 1u);
  EXPECT_EQ(darchiev.matches[0].notifiers, std::vector<std::string>{"mail"});
  const store::ItemRecord& property = result->records[31];
  EXPECT_EQ(property.title, "wire: 28 more new items matched property in one poll");
  EXPECT_EQ(property.matches[0].notifiers, (std::vector<std::string>{"mail", "daily"}));
  EXPECT_TRUE(property.matches[0].due_at.contains("daily"));  // the digest's time, as any alert
}

TEST(ItemPipelineFlood, ASpentBudgetLeavesTheRestOfTheItemsForTheNextPoll) {
  const config::Config config = LoadConfig();
  const ItemPipeline pipeline(config);
  feeds::Feed feed;
  for (int i = 0; i < 10; ++i) {
    feed.items.push_back(Item(std::to_string(i), "Darchiev, part " + std::to_string(i)));
  }
  const std::vector<std::string> keys = ItemPipeline::Keys(feed);
  StoryIndexes stories;
  int asked = 0;
  Result<PipelineResult> result = pipeline.Run({.feed_config = config.feeds.front(),
                                                .feed = feed,
                                                .keys = keys,
                                                .known = {},
                                                .now = kNow,
                                                .out_of_time = [&] { return ++asked > 3; }},
                                               stories);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->records.size(), 4u);  // the budget was asked after items 1, 2, 3 and 4
  EXPECT_EQ(result->unread, 6);
  EXPECT_EQ(result->records.back().key, "3");
}

}  // namespace
}  // namespace feedwatch::daemon
