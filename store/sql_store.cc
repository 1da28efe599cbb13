#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "store/sql.h"

namespace feedwatch::store {

std::string_view DeliveryStateName(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kSent:
      return "sent";
    case DeliveryState::kDead:
      return "dead";
  }
  return "pending";
}

namespace {

DeliveryState DeliveryStateFrom(std::string_view name) {
  if (name == DeliveryStateName(DeliveryState::kSent)) return DeliveryState::kSent;
  if (name == DeliveryStateName(DeliveryState::kDead)) return DeliveryState::kDead;
  return DeliveryState::kPending;  // the table's CHECK allows nothing else
}

// What a feed's row learnt about its URL, each with its value when nothing is known: it holds
// while `url` is the configured URL. A new URL in the configuration starts afresh: its
// validators, body hash, permanent redirect, 410 Gone, publishing history and hints were the old
// URL's. The one place of that rule: the row is read (FeedColumns) and written (RecordFeed)
// through AtUrl.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kUrlBound = {
    {{"etag", "''"},
     {"last_modified", "''"},
     {"body_hash", "''"},
     {"moved_to", "''"},
     {"gone", "0"},
     {"history", "''"},
     {"hints", "''"}}};

// `column` of the feed row `row` ("" or an alias and a dot) as it applies to the URL `url`
// (an SQL expression).
std::string AtUrl(std::string_view row, std::string_view column, std::string_view url) {
  std::string value = std::string(row) + std::string(column);
  for (const auto& [bound, unknown] : kUrlBound) {
    if (bound != column) continue;
    return "CASE WHEN " + std::string(row) + "url = " + std::string(url) + " THEN " + value +
           " ELSE " + std::string(unknown) + " END";
  }
  return value;
}

}  // namespace

std::string FeedColumns(std::string_view url) {
  std::string columns =
      "name, url, last_attempt_at, last_success_at, next_due_at, "
      "consecutive_failures, last_status, coalesce(last_error, '')";
  for (const auto& [column, unknown] : kUrlBound) {
    columns += ", " + (url == "url" ? std::string(column) : AtUrl("", column, url));
  }
  return columns + ", coalesce(lease_owner, ''), lease_until, last_articles, slot_wait";
}

FeedState ReadFeedState(const Row& row) {
  FeedState state;
  state.name = row.Text(0);
  state.url = row.Text(1);
  state.last_attempt_at = row.Time(2);
  state.last_success_at = row.Time(3);
  state.next_due_at = row.Time(4);
  state.consecutive_failures = static_cast<int>(row.Int(5));
  state.last_status = row.Text(6);
  state.last_error = row.Text(7);
  state.etag = row.Text(8);
  state.last_modified = row.Text(9);
  state.body_hash = row.Text(10);
  state.moved_to = row.Text(11);
  state.gone = row.Int(12) != 0;
  state.history = DecodeHistory(row.Text(13));
  state.hints = DecodeHints(row.Text(14));
  state.lease_owner = row.Text(15);
  state.lease_until = row.Time(16);
  state.last_articles = row.Text(17);
  state.slot_wait = Seconds(row.Int(18));
  return state;
}

const std::string_view kDeliverySelect =
    "SELECT d.id, d.notifier, d.state, d.attempts, coalesce(d.first_due_at, d.created_at), "
    "d.next_attempt_at, coalesce(d.last_error, ''), coalesce(d.message_id, ''), m.watch, f.name, "
    "i.title, i.link, i.published_at, m.matched_at, i.summary, m.terms, m.snippet, m.id, "
    "m.item_id, i.summary_marked, m.hits "
    "FROM deliveries d JOIN matches m ON m.id = d.match_id "
    "JOIN items i ON i.id = m.item_id JOIN feeds f ON f.id = i.feed_id ";

Delivery ReadDelivery(const Row& row) {
  Delivery d;
  d.id = row.Int(0);
  d.notifier = row.Text(1);
  d.state = DeliveryStateFrom(row.Text(2));
  d.attempts = static_cast<int>(row.Int(3));
  d.first_due_at = row.At(4);
  d.next_attempt_at = row.At(5);
  d.last_error = row.Text(6);
  d.message_id = row.Text(7);
  d.watch = row.Text(8);
  d.feed = row.Text(9);
  d.title = row.Text(10);
  d.link = row.Text(11);
  d.published = row.Time(12);
  d.matched_at = row.At(13);
  d.summary = row.Text(14);
  d.terms = row.Text(15);
  d.snippet = row.Text(16);
  d.story = row.Int(17);
  d.item = row.Int(18);
  d.summary_marked = row.Text(19);
  d.hits = DecodeHits(row.Text(20));
  return d;
}

const std::string_view kStorySelect =
    "SELECT m.id, m.watch, f.name, i.title, i.link, m.matched_at, i.published_at, m.snippet, "
    "i.summary, i.summary_marked FROM matches m JOIN items i ON i.id = m.item_id JOIN feeds f ON "
    "f.id = i.feed_id ";

StoryMatch ReadStory(const Row& row) {
  StoryMatch story;
  story.id = row.Int(0);
  story.watch = row.Text(1);
  story.feed = row.Text(2);
  story.title = row.Text(3);
  story.link = row.Text(4);
  story.matched_at = row.At(5);
  story.published = row.Time(6);
  story.snippet = row.Text(7);
  story.lede = row.Text(9).empty() ? row.Text(8) : row.Text(9);
  return story;
}

std::string EncodeHits(const std::vector<Hit>& hits) {
  nlohmann::json array = nlohmann::json::array();
  for (const Hit& hit : hits) {
    array.push_back({{"field", hit.field}, {"term", hit.term}, {"text", hit.text}});
  }
  // An item's text may hold bytes that are not UTF-8: they become U+FFFD.
  return array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<Hit> DecodeHits(std::string_view json) {
  std::vector<Hit> hits;
  const nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return hits;  // "": a match recorded before hits were kept
  for (const nlohmann::json& hit : parsed) {
    if (!hit.is_object()) continue;
    hits.push_back({hit.value("field", ""), hit.value("term", ""), hit.value("text", "")});
  }
  return hits;
}

std::string EncodeHistory(const PublishingHistory& history) {
  if (!history.since) return "";
  std::string text = std::to_string(ToUnix(*history.since));
  for (const PublishingHistory::Hour& hour : history.hours) {
    text += ' ' + std::to_string(hour.hour) + ':' + std::to_string(hour.items);
  }
  return text;
}

std::string EncodeHints(const ScheduleHints& hints) {
  return (hints.fresh_for ? std::to_string(hints.fresh_for->count()) : std::string("-")) + ' ' +
         std::to_string(hints.skip_hours) + ' ' + std::to_string(hints.skip_days);
}

ScheduleHints DecodeHints(std::string_view text) {
  ScheduleHints hints;
  const auto number = [&text](std::int64_t& value) {
    while (text.starts_with(' ')) text.remove_prefix(1);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc()) return false;
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    return true;
  };
  std::int64_t fresh_for = -1;
  if (text.starts_with('-')) {
    text.remove_prefix(1);
  } else if (!number(fresh_for)) {
    return hints;  // "": none known
  }
  std::int64_t hours = 0;
  std::int64_t days = 0;
  // Written by EncodeHints: 24 hour bits, 7 day bits; anything else is no hint.
  if (!number(hours) || !number(days) || hours < 0 || hours >= (1 << 24) || days < 0 ||
      days >= (1 << 7) || fresh_for > INT32_MAX) {
    return hints;
  }
  if (fresh_for >= 0) hints.fresh_for = Seconds(fresh_for);
  hints.skip_hours = static_cast<std::uint32_t>(hours);
  hints.skip_days = static_cast<std::uint8_t>(days);
  return hints;
}

PublishingHistory DecodeHistory(std::string_view text) {
  PublishingHistory history;
  const auto number = [&text](std::int64_t& value) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc()) return false;
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    return true;
  };
  std::int64_t since = 0;
  if (!number(since)) return history;  // "": never read
  // A time EncodeHistory could not have written starts the history afresh.
  if (since < 0 || since / 3600 > INT32_MAX) return history;
  history.since = FromUnix(since);
  while (text.starts_with(' ')) {
    text.remove_prefix(1);
    std::int64_t hour = 0;
    std::int64_t items = 0;
    if (!number(hour) || !text.starts_with(':')) break;
    text.remove_prefix(1);
    if (!number(items)) break;
    // Written by EncodeHistory: oldest first, counts that fit.
    if (items <= 0 || items > INT32_MAX || hour < 0 || hour > INT32_MAX) break;
    if (!history.hours.empty() && history.hours.back().hour >= hour) break;
    history.hours.push_back({static_cast<std::int32_t>(hour), static_cast<std::int32_t>(items)});
  }
  return history;
}

Result<FeedState> SqlStore::GetFeedState(std::string_view feed, std::string_view url) {
  std::optional<FeedState> state;
  Params params;
  params.Add(feed);
  if (!url.empty()) params.Add(url);
  Result<std::int64_t> read = session_.Run(
      "SELECT " + FeedColumns(url.empty() ? "url" : "?2") + " FROM feeds WHERE name = ?1", params,
      "reading feed state", [&](const Row& row) { state = ReadFeedState(row); });
  if (!read) return read.error();
  if (state) return *state;
  FeedState unknown;
  unknown.name = std::string(feed);
  return unknown;
}

Result<std::vector<FeedState>> SqlStore::GetFeedStates(const std::vector<FeedRef>& feeds) {
  Result<std::vector<FeedState>> known = ListFeeds();
  if (!known) return known.error();
  std::unordered_map<std::string_view, FeedState*> by_name;
  by_name.reserve(known->size());
  for (FeedState& state : *known) by_name.emplace(state.name, &state);
  std::vector<FeedState> states;
  states.reserve(feeds.size());
  for (const FeedRef& feed : feeds) {
    const auto row = by_name.find(feed.name);
    if (row != by_name.end() && row->second->url == feed.url) {
      states.push_back(std::move(*row->second));
      continue;
    }
    Result<FeedState> state = GetFeedState(feed.name, feed.url);  // new, or at another URL
    if (!state) return state.error();
    states.push_back(std::move(*state));
  }
  return states;
}

Result<std::vector<FeedState>> SqlStore::ListFeeds() {
  std::vector<FeedState> feeds;
  Result<std::int64_t> read =
      session_.Run("SELECT " + FeedColumns("url") + " FROM feeds ORDER BY name", Params(),
                   "listing feeds", [&](const Row& row) { feeds.push_back(ReadFeedState(row)); });
  if (!read) return read.error();
  return feeds;
}

namespace {

// The values of one feed row the upsert (SqlStore::PollsUpsert) writes, in its column order.
constexpr std::string_view kFeedRowColumns =
    "name, url, last_attempt_at, next_due_at, last_status, last_error, last_success_at, "
    "consecutive_failures, etag, last_modified, body_hash, moved_to, gone, last_read_at, "
    "last_articles, history, slot_wait, hints";

void AddFeedRow(Params& params, std::string_view name, std::string_view url, const PollRecord& poll,
                bool items_read) {
  const bool ok = poll.error.empty();
  params.Add(name).Add(url).Add(poll.at).Add(poll.next_due).Add(poll.status);
  if (ok) {
    params.Null().Add(poll.at).Add(std::int64_t{0});
  } else {
    params.Add(poll.error).Null().Add(std::int64_t{1});
  }
  params.Add(poll.etag)
      .Add(poll.last_modified)
      .Add(poll.body_hash)
      .Add(poll.moved_to)
      .Add(std::int64_t{poll.gone})
      .Add(items_read ? std::optional(poll.at) : std::nullopt)
      .Add(poll.articles)
      .Add(poll.history ? EncodeHistory(*poll.history) : std::string())
      .Add(std::int64_t{poll.slot_wait.count()})
      .Add(poll.hints ? EncodeHints(*poll.hints) : std::string());
}

// The VALUES of `rows` rows of kFeedRowValues parameters each (AddFeedRow), from ?2.
std::string FeedRowValues(int rows) {
  std::string sql = "VALUES ";
  for (int r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (int v = 0; v < SqlStore::kFeedRowValues; ++v) {
      sql += (v == 0 ? "?" : ", ?") + std::to_string(2 + r * SqlStore::kFeedRowValues + v);
    }
    sql += ")";
  }
  return sql;
}

// Polls recorded in one statement at most (the statement's parameters stay under SQLite's
// oldest limit of 999).
constexpr size_t kPollsPerStatement = 50;

}  // namespace

std::string SqlStore::PollsUpsert(std::string_view rows) {
  const auto kept = [](std::string_view column) {
    const std::string given = "excluded." + std::string(column);
    return std::string(column) + " = CASE WHEN " + given + " <> '' THEN " + given + " ELSE " +
           AtUrl("f.", column, "excluded.url") + " END, ";
  };
  return "INSERT INTO feeds AS f (" + std::string(kFeedRowColumns) + ") " + std::string(rows) +
         " ON CONFLICT (name) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, "
         "next_due_at = excluded.next_due_at, last_status = excluded.last_status, "
         "last_error = excluded.last_error, "
         "last_success_at = coalesce(excluded.last_success_at, f.last_success_at), "
         "consecutive_failures = CASE WHEN excluded.consecutive_failures = 0 THEN 0 "
         "ELSE f.consecutive_failures + 1 END, " +
         kept("etag") + kept("last_modified") + kept("body_hash") + kept("moved_to") +
         kept("history") + kept("hints") +
         "gone = excluded.gone, slot_wait = excluded.slot_wait, "
         "last_read_at = coalesce(excluded.last_read_at, f.last_read_at), "
         "lease_until = CASE WHEN f.lease_owner = ?1 THEN NULL ELSE f.lease_until END, "
         "lease_owner = CASE WHEN f.lease_owner = ?1 THEN NULL ELSE f.lease_owner END, "
         "last_articles = CASE WHEN excluded.last_articles <> '' THEN excluded.last_articles "
         "ELSE f.last_articles END, "
         "url = excluded.url";
}

void SqlStore::AddPollRows(Params& params, const std::vector<FeedPoll>& polls) {
  for (const FeedPoll& poll : polls) {
    AddFeedRow(params, poll.feed, poll.url, poll.poll, /*items_read=*/false);
  }
}

Result<std::int64_t> SqlStore::RecordFeed(std::string_view name, std::string_view url,
                                          const PollRecord& poll, bool items_read) {
  static const std::string sql = PollsUpsert(FeedRowValues(1)) + " RETURNING id";
  Params params;
  params.Add(instance_.id);
  AddFeedRow(params, name, url, poll, items_read);
  std::int64_t id = 0;
  Result<std::int64_t> recorded =
      session_.Run(sql, params, "recording poll", [&](const Row& row) { id = row.Int(0); });
  if (!recorded) return recorded.error();
  return id;
}

namespace {

// Where each statement's polls end: one statement for many feeds, and a feed's second poll goes
// into the next statement, as a row is written once per statement.
std::vector<size_t> StatementEnds(const std::vector<Store::FeedPoll>& polls) {
  std::vector<size_t> ends;
  for (size_t begin = 0; begin < polls.size(); begin = ends.back()) {
    std::set<std::string_view> feeds;
    size_t end = begin;
    while (end < polls.size() && end - begin < kPollsPerStatement &&
           feeds.insert(polls[end].feed).second) {
      ++end;
    }
    ends.push_back(end);
  }
  return ends;
}

}  // namespace

Status SqlStore::RecordPolls(const std::vector<FeedPoll>& polls) {
  const std::vector<size_t> ends = StatementEnds(polls);
  const auto run = [&](size_t begin, size_t end) -> Status {
    Params params;
    params.Add(instance_.id);
    for (size_t i = begin; i < end; ++i) {
      AddFeedRow(params, polls[i].feed, polls[i].url, polls[i].poll, /*items_read=*/false);
    }
    Result<std::int64_t> ran = session_.Run(
        PollsUpsert(FeedRowValues(static_cast<int>(end - begin))), params, "recording polls");
    return ran ? Status::Ok() : Status(ran.error());
  };
  // One statement is a transaction of its own: no BEGIN and COMMIT around it (on PostgreSQL,
  // two round trips of the three).
  if (ends.size() <= 1) return ends.empty() ? Status::Ok() : run(0, ends[0]);
  Transaction transaction(session_, Sync::kRelaxed);
  if (!transaction.begun()) return transaction.begun().error();
  for (size_t k = 0; k < ends.size(); ++k) {
    if (Status s = run(k == 0 ? 0 : ends[k - 1], ends[k]); !s) return s;
  }
  return transaction.Commit();
}

Result<std::vector<StoryHead>> SqlStore::CommitPoll(
    std::string_view feed, std::string_view url, const PollRecord& poll,
    const std::vector<ItemRecord>& items, const std::map<std::string, std::int64_t>& last_seq) {
  const TimePoint now = poll.at;
  const bool matched = std::any_of(items.begin(), items.end(),
                                   [](const ItemRecord& item) { return !item.matches.empty(); });
  Transaction transaction(session_, matched ? Sync::kDurable : Sync::kRelaxed);
  if (!transaction.begun()) return transaction.begun().error();
  // The watches this poll starts stories of, locked before any row is written: a writer
  // holding them (LockStories) may wait for a row this one writes (two `once` committing one
  // feed), and this one must then not be waiting for them.
  std::set<std::string> starting;
  for (const ItemRecord& item : items) {
    for (const MatchRecord& match : item.matches) {
      if (!match.story_of) starting.insert(match.watch);
    }
  }
  if (!starting.empty()) {
    if (Status s = LockStoriesForCommit(starting); !s) return s.error();
  }
  Result<std::int64_t> feed_id = RecordFeed(feed, url, poll, /*items_read=*/true);
  if (!feed_id) return feed_id.error();
  Result<std::unordered_map<std::string, std::int64_t>> item_ids =
      RecordItems(*feed_id, items, now);
  if (!item_ids) return item_ids.error();

  // Each new head of a watch takes the watch's next story number: UNIQUE (watch, story_seq)
  // lets one writer have it. DO NOTHING on either key (the item matched the watch before, or
  // another writer took the number; told apart below): an error would abort the transaction.
  std::map<std::string, std::int64_t> seq(last_seq.begin(), last_seq.end());
  std::vector<StoryHead> heads;
  for (const ItemRecord& item : items) {
    const std::int64_t item_id = (*item_ids)[item.key];
    for (const MatchRecord& match : item.matches) {
      Params params;
      params.Add(match.watch).Add(item_id).Add(now).Add(match.terms).Add(match.snippet);
      std::int64_t story_seq = 0;
      if (match.story_of) {
        params.Add(*match.story_of).Null();
      } else {
        story_seq = seq[match.watch] + 1;
        params.Null().Add(story_seq);
      }
      params.Add(EncodeHits(match.hits));
      std::optional<std::int64_t> match_id;
      Result<std::int64_t> inserted = session_.Run(
          "INSERT INTO matches (watch, item_id, matched_at, terms, snippet, story_of, story_seq, "
          "hits) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING RETURNING id",
          params, "recording match", [&](const Row& row) { match_id = row.Int(0); });
      if (!inserted) return inserted.error();
      if (!match_id) {
        bool before = false;
        Result<std::int64_t> read =
            session_.Run("SELECT 1 FROM matches WHERE watch = ?1 AND item_id = ?2",
                         Params().Add(match.watch).Add(item_id), "recording match",
                         [&](const Row&) { before = true; });
        if (!read) return read.error();
        if (before) continue;
        return Error::Conflict("watch " + match.watch + ": story " + std::to_string(story_seq) +
                               " was recorded by another instance");
      }
      if (match.story_of) continue;  // the story alerted already: linked, not sent
      seq[match.watch] = story_seq;
      heads.push_back({*match_id, story_seq, match.watch, item.title, item.canonical_url, now});
      for (const std::string& notifier : match.notifiers) {
        const auto due = match.due_at.find(notifier);
        Result<std::int64_t> enqueued = session_.Run(
            "INSERT INTO deliveries (match_id, notifier, created_at, next_attempt_at, "
            "first_due_at) VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (match_id, notifier) DO NOTHING",
            Params().Add(*match_id).Add(notifier).Add(now).Add(
                due != match.due_at.end() ? due->second : now),
            "enqueuing delivery");
        if (!enqueued) return enqueued.error();
      }
    }
  }
  if (Status s = transaction.Commit(); !s) return s.error();
  return heads;
}

Result<int> SqlStore::ForgetItemsSeenBefore(TimePoint cutoff) {
  // Gone: not in the feed when its items were last read, and not for that long. An item in a
  // feed that has answered 304 since is still there.
  Result<std::int64_t> forgotten = session_.Run(
      "DELETE FROM items WHERE last_seen_at < ?1 AND last_seen_at < "
      "(SELECT coalesce(last_read_at, 0) FROM feeds WHERE feeds.id = items.feed_id)",
      Params().Add(cutoff), "forgetting old items");
  if (!forgotten) return forgotten.error();
  return static_cast<int>(*forgotten);
}

Result<int> SqlStore::CountMatchesSince(TimePoint since) {
  int count = 0;
  Result<std::int64_t> read =
      session_.Run("SELECT count(*) FROM matches WHERE matched_at >= ?1 AND story_of IS NULL",
                   Params().Add(since), "counting matches",
                   [&](const Row& row) { count = static_cast<int>(row.Int(0)); });
  if (!read) return read.error();
  return count;
}

const std::string_view kCountDeliveries =
    "SELECT count(*) FILTER (WHERE state = 'pending') AS pending, "
    "count(*) FILTER (WHERE state = 'dead') AS dead "
    "FROM deliveries WHERE state IN ('pending', 'dead')";

Result<Store::OutboxCounts> SqlStore::CountDeliveries() {
  OutboxCounts counts;
  Result<std::int64_t> read = session_.Run(
      std::string(kCountDeliveries), Params(), "counting deliveries", [&](const Row& row) {
        counts = {static_cast<int>(row.Int(0)), static_cast<int>(row.Int(1))};
      });
  if (!read) return read.error();
  return counts;
}

Result<std::vector<Store::NotifierOutbox>> SqlStore::NotifierOutboxes() {
  std::vector<NotifierOutbox> out;
  Result<std::int64_t> read = session_.Run(
      "SELECT notifier, count(*) FILTER (WHERE state = 'pending'), "
      "count(*) FILTER (WHERE state = 'dead'), "
      "min(coalesce(first_due_at, created_at)) FILTER (WHERE state = 'pending'), max(sent_at) "
      "FROM deliveries GROUP BY notifier ORDER BY notifier",
      Params(), "reading the outbox by notifier", [&](const Row& row) {
        out.push_back({row.Text(0), static_cast<int>(row.Int(1)), static_cast<int>(row.Int(2)),
                       row.Time(3), row.Time(4)});
      });
  if (!read) return read.error();
  return out;
}

Result<std::vector<Store::AlertLatency>> SqlStore::AlertLatencies(TimePoint since) {
  std::vector<AlertLatency> out;
  Result<std::int64_t> read = session_.Run(
      "SELECT f.name, d.notifier, d.sent_at, i.published_at, m.matched_at "
      "FROM deliveries d JOIN matches m ON m.id = d.match_id JOIN items i ON i.id = m.item_id "
      "JOIN feeds f ON f.id = i.feed_id WHERE d.state = 'sent' AND d.sent_at >= ?1",
      Params().Add(since), "reading the alerts' latencies", [&](const Row& row) {
        const Seconds latency = row.At(2) - AlertOrigin(row.Time(3), row.At(4));
        out.push_back({row.Text(0), row.Text(1), std::max(latency, Seconds(0))});
      });
  if (!read) return read.error();
  return out;
}

Result<std::map<std::int64_t, std::vector<StoryReport>>> SqlStore::OthersOf(
    const std::vector<std::int64_t>& stories) {
  std::map<std::int64_t, std::vector<StoryReport>> others;
  if (stories.empty()) return others;
  std::set<std::pair<std::int64_t, std::string>> named;  // (story, feed) already reported
  // Every linked match, in the order they were made: a feed's first one is its report.
  Result<std::int64_t> read = session_.Run(
      "SELECT om.story_of, ofd.name, om.matched_at, oi.published_at FROM matches om "
      "JOIN items oi ON oi.id = om.item_id JOIN feeds ofd ON ofd.id = oi.feed_id "
      "JOIN matches hm ON hm.id = om.story_of JOIN items hi ON hi.id = hm.item_id WHERE " +
          session_.IdsIn("om.story_of", 1) +
          " AND ofd.id <> hi.feed_id ORDER BY om.story_of, om.id",
      Params().Add(session_.IdsParam(stories)), "reading stories",
      [&](const Row& row) {
        if (!named.emplace(row.Int(0), row.Text(1)).second) return;
        others[row.Int(0)].push_back({row.Text(1), AlertOrigin(row.Time(3), row.At(2))});
      },
      Plan::kEachTime);
  if (!read) return read.error();
  return others;
}

Result<std::vector<StoryMatch>> SqlStore::Stories(const std::string& sql, const Params& params) {
  std::vector<StoryMatch> stories;
  Result<std::int64_t> read = session_.Run(
      sql, params, "reading stories", [&](const Row& row) { stories.push_back(ReadStory(row)); },
      Plan::kEachTime);
  if (!read) return read.error();
  std::vector<std::int64_t> ids;
  ids.reserve(stories.size());
  for (const StoryMatch& story : stories) ids.push_back(story.id);
  Result<std::map<std::int64_t, std::vector<StoryReport>>> others = OthersOf(ids);
  if (!others) return others.error();
  for (StoryMatch& story : stories) story.also_reported_by = std::move((*others)[story.id]);
  return stories;
}

Result<std::vector<StoryMatch>> SqlStore::StoriesSince(TimePoint since) {
  return Stories(std::string(kStorySelect) +
                     "WHERE m.matched_at >= ?1 AND m.story_of IS NULL "
                     "ORDER BY m.matched_at DESC, m.id DESC",
                 Params().Add(since));
}

Result<std::vector<DayCount>> SqlStore::CountStoriesByDay(TimePoint since) {
  std::vector<DayCount> counts;
  Result<std::int64_t> read = session_.Run(
      "SELECT watch, matched_at / 86400 AS day, count(*) FROM matches "
      "WHERE matched_at >= ?1 AND story_of IS NULL GROUP BY watch, day ORDER BY watch, day",
      Params().Add(since), "counting stories", [&](const Row& row) {
        counts.push_back({row.Text(0), FromUnix(row.Int(1) * 86400), static_cast<int>(row.Int(2))});
      });
  if (!read) return read.error();
  return counts;
}

Result<std::vector<StoryMatch>> SqlStore::LatestStories(std::string_view watch, int limit) {
  return Stories(std::string(kStorySelect) +
                     "WHERE m.watch = ?1 AND m.story_of IS NULL "
                     "ORDER BY m.matched_at DESC, m.id DESC LIMIT ?2",
                 Params().Add(watch).Add(std::int64_t{limit}));
}

Result<StoryHeads> SqlStore::RecentStories(std::string_view watch, TimePoint since,
                                           std::int64_t after_seq) {
  // One statement, so one snapshot: the heads and the last number agree. Read apart, a story
  // another writer commits between the two reads would be counted in `last_seq` yet missing
  // from the heads, and this writer's commit would start it a second time unopposed.
  StoryHeads out;
  Result<std::int64_t> read = session_.Run(
      "SELECT l.seq, h.id, h.title, h.canonical_url, h.matched_at, h.story_seq "
      "FROM (SELECT coalesce(max(story_seq), 0) AS seq FROM matches WHERE watch = ?1) l "
      "LEFT JOIN (SELECT m.id, i.title, i.canonical_url, m.matched_at, "
      "coalesce(m.story_seq, 0) AS story_seq FROM matches m JOIN items i ON i.id = m.item_id "
      "WHERE m.watch = ?1 AND m.matched_at >= ?2 AND m.story_of IS NULL "
      "AND (?3 = 0 OR m.story_seq > ?3)) h ON true ORDER BY h.matched_at, h.id",
      Params().Add(watch).Add(since).Add(after_seq), "reading recent stories", [&](const Row& row) {
        out.last_seq = row.Int(0);
        if (row.Null(1)) return;  // no head: the one row holds the last number only
        out.heads.push_back(
            {row.Int(1), row.Int(5), std::string(watch), row.Text(2), row.Text(3), row.At(4)});
      });
  if (!read) return read.error();
  return out;
}

Result<std::string> SqlStore::InstanceId() {
  std::optional<std::string> id;
  Result<std::int64_t> read =
      session_.Run("SELECT value FROM meta WHERE key = 'instance'", Params(),
                   "reading the instance id", [&](const Row& row) { id = row.Text(0); });
  if (!read) return read.error();
  if (!id) return Error::Io("database: no instance id");
  return *id;
}

Result<std::vector<Delivery>> SqlStore::Deliveries(const std::string& sql, const Params& params) {
  std::vector<Delivery> out;
  Result<std::int64_t> read = session_.Run(
      sql, params, "reading the outbox", [&](const Row& row) { out.push_back(ReadDelivery(row)); },
      Plan::kEachTime);
  if (!read) return read.error();
  std::vector<std::int64_t> stories;
  stories.reserve(out.size());
  for (const Delivery& d : out) stories.push_back(d.story);
  std::sort(stories.begin(), stories.end());
  stories.erase(std::unique(stories.begin(), stories.end()), stories.end());
  Result<std::map<std::int64_t, std::vector<StoryReport>>> others = OthersOf(stories);
  if (!others) return others.error();
  for (Delivery& d : out) {
    const auto it = others->find(d.story);
    if (it == others->end()) continue;
    for (const StoryReport& report : it->second) d.also_reported_by.push_back(report.feed);
  }
  return out;
}

Result<std::vector<Delivery>> SqlStore::ListDeliveries(bool all) {
  return Deliveries(
      std::string(kDeliverySelect) + (all ? "" : "WHERE d.state <> 'sent' ") + "ORDER BY d.id",
      Params());
}

Status SqlStore::Durably(const std::string& sql, const Params& params, std::string_view what) {
  Transaction transaction(session_, Sync::kDurable);
  if (!transaction.begun()) return transaction.begun();
  if (Result<std::int64_t> changed = session_.Run(sql, params, what); !changed) {
    return changed.error();
  }
  return transaction.Commit();
}

// Each change of a delivery's state ends its lease.
Status SqlStore::AssignMessage(const std::vector<std::int64_t>& ids, std::string_view message_id) {
  return Durably("UPDATE deliveries SET message_id = ?2 WHERE " + session_.IdsIn("id", 1),
                 Params().Add(session_.IdsParam(ids)).Add(message_id), "naming a message");
}

Status SqlStore::MarkSent(const std::vector<std::int64_t>& ids, TimePoint now) {
  return Durably(
      "UPDATE deliveries SET state = 'sent', sent_at = ?2, attempts = attempts + 1, "
      "last_error = NULL, lease_owner = NULL, lease_until = NULL WHERE " +
          session_.IdsIn("id", 1),
      Params().Add(session_.IdsParam(ids)).Add(now), "marking delivery sent");
}

Status SqlStore::MarkFailed(const std::vector<std::int64_t>& ids, TimePoint next_attempt,
                            std::string_view error) {
  return Durably(
      "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3, "
      "lease_owner = NULL, lease_until = NULL WHERE " +
          session_.IdsIn("id", 1),
      Params().Add(session_.IdsParam(ids)).Add(next_attempt).Add(error),
      "recording delivery failure");
}

Status SqlStore::MarkDead(const std::vector<std::int64_t>& ids, std::string_view error) {
  return Durably(
      "UPDATE deliveries SET state = 'dead', attempts = attempts + 1, last_error = ?2, "
      "lease_owner = NULL, lease_until = NULL WHERE " +
          session_.IdsIn("id", 1),
      Params().Add(session_.IdsParam(ids)).Add(error), "giving up a delivery");
}

Status SqlStore::Defer(const std::vector<std::int64_t>& ids, TimePoint next_attempt) {
  return Durably(
      "UPDATE deliveries SET next_attempt_at = ?2, lease_owner = NULL, lease_until = NULL "
      "WHERE " +
          session_.IdsIn("id", 1),
      Params().Add(session_.IdsParam(ids)).Add(next_attempt), "deferring a delivery");
}

Status SqlStore::Retry(std::int64_t id, TimePoint now) {
  std::optional<std::string> state;
  Result<std::int64_t> read =
      session_.Run("SELECT state FROM deliveries WHERE id = ?1", Params().Add(id),
                   "reading the outbox", [&](const Row& row) { state = row.Text(0); });
  if (!read) return read.error();
  if (!state) return Error::NotFound("no delivery " + std::to_string(id));
  if (DeliveryStateFrom(*state) == DeliveryState::kSent) {
    return Error::InvalidInput("delivery " + std::to_string(id) + " was sent already");
  }
  Result<std::int64_t> changed = session_.Run(
      "UPDATE deliveries SET state = 'pending', attempts = 0, first_due_at = ?2, "
      "next_attempt_at = ?2, lease_owner = NULL, lease_until = NULL WHERE id = ?1",
      Params().Add(id).Add(now), "requeueing a delivery");
  if (!changed) return changed.error();
  return Status::Ok();
}

Result<int> SqlStore::RetryDead(TimePoint now) {
  Result<std::int64_t> changed = session_.Run(
      "UPDATE deliveries SET state = 'pending', attempts = 0, first_due_at = ?1, "
      "next_attempt_at = ?1, lease_owner = NULL, lease_until = NULL WHERE state = 'dead'",
      Params().Add(now), "requeueing deliveries");
  if (!changed) return changed.error();
  return static_cast<int>(*changed);
}

Result<std::vector<std::int64_t>> SqlStore::BringForward(std::string_view notifier,
                                                         const std::vector<std::int64_t>& ids,
                                                         TimePoint now) {
  Params params;
  params.Add(notifier).Add(now);
  if (!ids.empty()) params.Add(session_.IdsParam(ids));
  std::vector<std::int64_t> brought;
  Result<std::int64_t> changed = session_.Run(
      "UPDATE deliveries SET next_attempt_at = coalesce(first_due_at, created_at) "
      "WHERE notifier = ?1 AND state = 'pending' AND attempts > 0 AND next_attempt_at > ?2 "
      "AND coalesce(first_due_at, created_at) <= ?2" +
          (ids.empty() ? std::string() : " AND " + session_.IdsIn("id", 3)) + " RETURNING id",
      params, "bringing deliveries forward",
      [&](const Row& row) { brought.push_back(row.Int(0)); });
  if (!changed) return changed.error();
  return brought;
}

Result<SentMessages> SqlStore::SentMessagesSince(std::string_view notifier, TimePoint since) {
  SentMessages sent;
  Result<std::int64_t> read = session_.Run(
      "SELECT count(DISTINCT coalesce(message_id, CAST(id AS TEXT))), min(sent_at) "
      "FROM deliveries WHERE notifier = ?1 AND state = 'sent' AND sent_at >= ?2",
      Params().Add(notifier).Add(since), "counting sent messages", [&](const Row& row) {
        sent = {static_cast<int>(row.Int(0)), row.Time(1)};
      });
  if (!read) return read.error();
  return sent;
}

}  // namespace feedwatch::store
