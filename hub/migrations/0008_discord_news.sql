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

-- The feed in #actualites. A server's first drain records a silent baseline (every stored item
-- as `baseline`, nothing posted); afterwards each new item matching the server's categories is
-- queued once, by its identity (the newsletters' rule: guid, else link, else content hash), so
-- an item edited at the source or moved to another feed is never posted again. A turn posts at
-- most a few items (`post`), the rest go in one summary message (`summary`) sharing its turn;
-- an item of no category of the server is recorded `skipped` (never looked at again).
CREATE TABLE discord_feed_baselines (
    server TEXT PRIMARY KEY,
    baseline_at TEXT NOT NULL
);

CREATE TABLE discord_feed_posts (
    server TEXT NOT NULL,
    identity TEXT NOT NULL,
    item_id INTEGER REFERENCES items (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('baseline', 'skipped', 'post', 'summary')),
    turn INTEGER NOT NULL DEFAULT 0,
    position INTEGER NOT NULL DEFAULT 0,
    queued_at TEXT NOT NULL,
    claimed_at TEXT,
    message_id INTEGER,
    posted_at TEXT,
    PRIMARY KEY (server, identity)
) WITHOUT ROWID;
CREATE INDEX discord_feed_posts_pending ON discord_feed_posts (server, posted_at, turn, position);

-- Staff announcements (`/annonce`, `hub discord announce`): queued per server, posted by that
-- server's bot in #annonces like the issues (claimed before the post, checked after a crash).
-- `notify`: the post mentions the members' role (staff chose it); otherwise it pings nobody.
CREATE TABLE discord_staff_posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    server TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    notify INTEGER NOT NULL DEFAULT 0,
    author TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    claimed_at TEXT,
    message_id INTEGER,
    posted_at TEXT
);
CREATE INDEX discord_staff_posts_pending ON discord_staff_posts (server, posted_at);

-- Questions to the staff (`/question`): the text stays in Discord (its private thread); the hub
-- keeps the ids, the category, the status and the dates, enough to list, count and recall them.
-- A question goes with the person's erasure: by the person (cascade) or by their Discord
-- accounts (a question asked before identifying, see `discord_questions_forget`).
CREATE TABLE discord_questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    server TEXT NOT NULL,
    discord_user_id INTEGER NOT NULL,
    subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'taken', 'resolved')),
    thread_id INTEGER,
    notice_message_id INTEGER,
    taken_by INTEGER,             -- the staff member's Discord id
    created_at TEXT NOT NULL,
    taken_at TEXT,
    resolved_at TEXT,
    recalled_at TEXT              -- the one recall in #staff of a question left unanswered
);
CREATE INDEX discord_questions_thread ON discord_questions (thread_id);
CREATE INDEX discord_questions_open ON discord_questions (server, status, created_at);
CREATE INDEX discord_questions_subscriber ON discord_questions (subscriber_id);
CREATE INDEX discord_questions_user ON discord_questions (server, discord_user_id);

-- A member who asked before identifying: once their account is linked, their questions belong
-- to the person too (shown with them, erased with them by the cascade above).
CREATE TRIGGER discord_questions_owner_on_link AFTER INSERT ON discord_links
BEGIN
    UPDATE discord_questions SET subscriber_id = NEW.subscriber_id
    WHERE server = NEW.server AND discord_user_id = NEW.discord_user_id
      AND subscriber_id IS NULL;
END;

CREATE TRIGGER discord_questions_owner_on_relink AFTER UPDATE OF subscriber_id ON discord_links
BEGIN
    UPDATE discord_questions SET subscriber_id = NEW.subscriber_id
    WHERE server = NEW.server AND discord_user_id = NEW.discord_user_id
      AND (subscriber_id IS NULL OR subscriber_id = OLD.subscriber_id);
END;
