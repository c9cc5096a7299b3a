-- Feeds, their items, and the rendered newsletter issues.

CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,                 -- http(s) URL or absolute file path
    title TEXT,
    etag TEXT,                         -- validators of the last read response, for a
    last_modified TEXT,                -- conditional GET (reset when the URL changes)
    last_pulled_at TEXT,
    last_status TEXT,                  -- ok | not-modified | error
    last_error TEXT
);

-- One row per item and feed; `identity` is the guid/id, else the link, else a content hash.
-- Rows are never deleted by a pull: an item gone from the feed stays stored.
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    identity TEXT NOT NULL,
    title TEXT NOT NULL,
    link TEXT,
    summary_html TEXT NOT NULL DEFAULT '',   -- sanitized
    content_html TEXT NOT NULL DEFAULT '',   -- sanitized
    image_url TEXT,
    image_alt TEXT,
    author TEXT,
    categories TEXT NOT NULL DEFAULT '[]',   -- JSON array of terms as given
    category_keys TEXT NOT NULL DEFAULT '',  -- casefolded terms, each between U+001F marks
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
CREATE INDEX items_by_event ON items (event_start) WHERE event_start IS NOT NULL;

CREATE TABLE issues (
    id INTEGER PRIMARY KEY,
    edition TEXT NOT NULL,
    number INTEGER NOT NULL,
    subject TEXT NOT NULL,
    preheader TEXT NOT NULL DEFAULT '',
    issue_date TEXT NOT NULL,
    period_start TEXT,
    period_end TEXT NOT NULL,
    html TEXT NOT NULL,
    text TEXT NOT NULL,
    meta TEXT NOT NULL,
    -- Members-only editions: the web version opens only with this key (?cle=…), which the
    -- e-mail's "Voir dans le navigateur" link carries.
    access_key TEXT,
    rendered_at TEXT NOT NULL,
    UNIQUE (edition, number)
);
