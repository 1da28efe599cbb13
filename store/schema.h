// Schema migrations. kMigrations[i] takes a database from user_version i to i + 1; a
// migration, once released, never changes: new columns and tables come as a new entry.
#pragma once

#include <array>
#include <string_view>

namespace feedwatch::store {

inline constexpr std::array<std::string_view, 8> kMigrations = {
    // 1: feeds, the items seen in them, and matches.
    R"sql(
CREATE TABLE feeds (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  url TEXT NOT NULL,
  last_attempt_at INTEGER,
  last_success_at INTEGER,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
  item_key TEXT NOT NULL,
  title TEXT NOT NULL,
  link TEXT NOT NULL,
  published_at INTEGER,
  first_seen_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  UNIQUE (feed_id, item_key)
);
CREATE TABLE matches (
  id INTEGER PRIMARY KEY,
  watch TEXT NOT NULL,
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  matched_at INTEGER NOT NULL,
  UNIQUE (watch, item_id)
);
)sql",
    // 2: the delivery outbox, one row per (match, notifier).
    R"sql(
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY,
  match_id INTEGER NOT NULL REFERENCES matches(id) ON DELETE CASCADE,
  notifier TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  sent_at INTEGER,
  last_error TEXT,
  UNIQUE (match_id, notifier)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
)sql",
    // 3: why a watch matched: the terms that hit where, and a snippet with the hits marked.
    R"sql(
ALTER TABLE matches ADD COLUMN terms TEXT NOT NULL DEFAULT '';
ALTER TABLE matches ADD COLUMN snippet TEXT NOT NULL DEFAULT '';
)sql",
    // 4: polling state. Validators, the body hash, a permanent redirect and 410 Gone belong to
    // the configured URL (`url`) and are forgotten when it changes.
    R"sql(
ALTER TABLE feeds ADD COLUMN next_due_at INTEGER;
ALTER TABLE feeds ADD COLUMN last_status TEXT NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN etag TEXT NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN last_modified TEXT NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN body_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN moved_to TEXT NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;
)sql",
    // 5: stories. A match whose item tells a story the watch already alerted on links to that
    // first match (story_of) and sends nothing.
    R"sql(
ALTER TABLE items ADD COLUMN canonical_url TEXT NOT NULL DEFAULT '';
ALTER TABLE matches ADD COLUMN story_of INTEGER REFERENCES matches(id) ON DELETE SET NULL;
CREATE INDEX matches_by_watch ON matches (watch, matched_at);
)sql",
    // 6: what an item said when last seen, to tell an edited item from an unchanged one; when
    // a feed's items were last read (a 304 reads none, so it is not an item's absence); an
    // index for forgetting items gone from their feed.
    R"sql(
ALTER TABLE items ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN last_read_at INTEGER;
CREATE INDEX items_last_seen ON items (last_seen_at);
)sql",
    // 7: the outbox grows up. An item keeps its summary for webhooks. A delivery remembers when
    // it first fell due (its age decides when it is given up) and the message it went out in:
    // an alert of its own or a digest, whose id is stable across retries. `meta` holds this
    // database's random instance id, which makes message ids unique across databases.
    R"sql(
ALTER TABLE items ADD COLUMN summary TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN first_due_at INTEGER;
ALTER TABLE deliveries ADD COLUMN message_id TEXT;
UPDATE deliveries SET first_due_at = next_attempt_at;
CREATE INDEX deliveries_sent ON deliveries (notifier, sent_at);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta (key, value) VALUES ('instance', lower(hex(randomblob(8))));
)sql",
    // 8: what a subscriber reads. A match keeps its hits as data (a JSON array of field, query
    // term and matched text) beside the one-line `terms`; an item keeps its summary with every
    // hit in it marked.
    R"sql(
ALTER TABLE matches ADD COLUMN hits TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN summary_marked TEXT NOT NULL DEFAULT '';
)sql",
};

}  // namespace feedwatch::store
