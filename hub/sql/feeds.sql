-- Content feeds and their items (newsletters/store.py).

-- name: feed_states
SELECT name, url, etag, last_modified FROM feeds;

-- name: upsert_feed
-- A new URL for a known name makes its validators meaningless: they are dropped.
INSERT INTO feeds (name, url) VALUES (:name, :url)
ON CONFLICT (name) DO UPDATE SET
    url = excluded.url,
    etag = CASE WHEN feeds.url = excluded.url THEN feeds.etag END,
    last_modified = CASE WHEN feeds.url = excluded.url THEN feeds.last_modified END
RETURNING id;

-- name: record_feed_read
UPDATE feeds SET
    title = COALESCE(:title, title),
    etag = :etag,
    last_modified = :last_modified,
    last_pulled_at = :pulled_at,
    last_status = :status,
    last_error = NULL
WHERE id = :feed_id;

-- name: record_feed_error
UPDATE feeds SET last_pulled_at = :pulled_at, last_status = 'error', last_error = :error
WHERE id = :feed_id;

-- name: item_hashes
SELECT identity, content_hash FROM items WHERE feed_id = :feed_id;

-- name: insert_item
INSERT INTO items (feed_id, identity, title, link, summary_html, content_html, image_url,
                   image_alt, author, categories, category_keys, published_at, event_start,
                   event_end, event_location, content_hash, first_seen_at, updated_at)
VALUES (:feed_id, :identity, :title, :link, :summary_html, :content_html, :image_url,
        :image_alt, :author, :categories, :category_keys, :published_at, :event_start,
        :event_end, :event_location, :content_hash, :now, :now);

-- name: update_item
UPDATE items SET
    title = :title,
    link = :link,
    summary_html = :summary_html,
    content_html = :content_html,
    image_url = :image_url,
    image_alt = :image_alt,
    author = :author,
    categories = :categories,
    category_keys = :category_keys,
    published_at = :published_at,
    event_start = :event_start,
    event_end = :event_end,
    event_location = :event_location,
    content_hash = :content_hash,
    updated_at = :now
WHERE feed_id = :feed_id AND identity = :identity;

-- name: list_items
-- Newest first by publication date (first-seen date for items without one).
SELECT items.*, feeds.name AS feed_name
FROM items JOIN feeds ON feeds.id = items.feed_id
WHERE (:since IS NULL OR COALESCE(published_at, first_seen_at) >= :since)
  AND (:category_key IS NULL OR instr(category_keys, :category_key) > 0)
ORDER BY COALESCE(published_at, first_seen_at) DESC, items.id DESC
LIMIT :limit;

-- name: items_published_between
SELECT items.*, feeds.name AS feed_name
FROM items JOIN feeds ON feeds.id = items.feed_id
WHERE COALESCE(published_at, first_seen_at) <= :end
  AND (:start IS NULL OR COALESCE(published_at, first_seen_at) > :start)
ORDER BY COALESCE(published_at, first_seen_at) DESC, items.id DESC;
