-- The federation's news on Discord (issue 12): newsletter issues announced in #annonces.

-- The outbox of issue announcements: one row per issue and server, written in the same
-- transaction as its cause (a campaign of the edition marked sent, or staff announcing the
-- issue by hand), then posted by that server's bot. `claimed_at` is set (and committed) before
-- the bot posts: a row found claimed but without `message_id` after a crash is looked for in the
-- channel before it is posted again, so an issue is announced once per server.
CREATE TABLE discord_issue_posts (
    server TEXT NOT NULL,
    edition TEXT NOT NULL,
    issue_number INTEGER NOT NULL,
    queued_at TEXT NOT NULL,
    claimed_at TEXT,
    channel_id INTEGER,
    message_id INTEGER,
    posted_at TEXT,
    PRIMARY KEY (server, edition, issue_number)
) WITHOUT ROWID;
CREATE INDEX discord_issue_posts_pending ON discord_issue_posts (server, posted_at);
