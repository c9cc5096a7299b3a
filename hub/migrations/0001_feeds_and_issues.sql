-- Feeds, their items, and the rendered newsletter issues.

CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    title TEXT,
    etag TEXT,
    last_modified TEXT,
    last_pulled_at TEXT,
    last_status TEXT,
    last_error TEXT
);

CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    identity TEXT NOT NULL,
    title TEXT NOT NULL,
    link TEXT,
    summary_html TEXT NOT NULL DEFAULT '',
    content_html TEXT NOT NULL DEFAULT '',
    image_url TEXT,
    image_alt TEXT,
    author TEXT,
    categories TEXT NOT NULL DEFAULT '[]',
    published_at TEXT,
    event_start TEXT,
    event_end TEXT,
    event_location TEXT,
    content_hash TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (feed_id, identity)
);

CREATE INDEX items_by_date ON items (COALESCE(published_at, first_seen_at));

CREATE TABLE issues (
    id INTEGER PRIMARY KEY,
    edition TEXT NOT NULL,
    number INTEGER NOT NULL,
    subject TEXT NOT NULL,
    preheader TEXT NOT NULL DEFAULT '',
    period_start TEXT,
    period_end TEXT NOT NULL,
    html TEXT NOT NULL,
    text TEXT NOT NULL,
    meta TEXT NOT NULL,
    rendered_at TEXT NOT NULL,
    UNIQUE (edition, number)
);
