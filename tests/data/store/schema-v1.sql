-- A database as feedwatch schema version 1 left it (feeds, items, matches; no outbox yet),
-- with one feed, two items and one match. The store test migrates it to the current version.
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
INSERT INTO feeds VALUES (1, 'tass-en', 'https://tass.com/rss/v2.xml', 1741700000, 1741700000, 0, NULL);
INSERT INTO items VALUES (1, 1, 'tass-1', 'Darchiev arrives', 'https://tass.com/1', 1741690000, 1741700000, 1741700000);
INSERT INTO items VALUES (2, 1, 'tass-2', 'Weather', 'https://tass.com/2', NULL, 1741700000, 1741700000);
INSERT INTO matches VALUES (1, 'darchiev', 1, 1741700000);
PRAGMA user_version = 1;
