-- The agenda in Discord (issue 11 §3): each event's post per server, and the direct messages
-- the bots owe (a seat offered, a reminder), queued in the same transaction as their cause.

-- One post per (server, event): found again after a restart, so an event is posted once per
-- server. `content_hash` is a hash of what the post shows apart from the seats; `seats_shown`
-- the seats it shows (refreshed at most once per 10 s); `edited_at` the last write.
CREATE TABLE discord_posts (
    server TEXT NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    scheduled_event_id INTEGER,
    content_hash TEXT NOT NULL,
    seats_shown TEXT NOT NULL DEFAULT '',
    edited_at TEXT NOT NULL,
    PRIMARY KEY (server, event_id)
) WITHOUT ROWID;

-- People who asked the bots to stop reminding them by DM (e-mail reminders go on).
CREATE TABLE discord_reminders_off (
    subscriber_id INTEGER PRIMARY KEY REFERENCES subscribers (id) ON DELETE CASCADE
);

-- The DM outbox: a row per identified Discord account for each offer or reminder e-mail the
-- events service queues (a trigger: the same transaction as the e-mail row, whatever process
-- wrote it). A person linked in both servers gets one DM, from the first server's bot.
-- status: pending → sent | closed (DMs closed, 50007: e-mail only, never retried) | dropped.
CREATE TABLE discord_dms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    server TEXT NOT NULL,
    discord_user_id INTEGER NOT NULL,
    registration_id INTEGER NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'closed', 'dropped')),
    created_at TEXT NOT NULL,
    UNIQUE (registration_id, kind, discord_user_id)
);
CREATE INDEX discord_dms_pending ON discord_dms (server, status, id);

CREATE TRIGGER discord_dm_queued AFTER INSERT ON event_messages
WHEN new.status = 'pending' AND (new.kind = 'offered' OR new.kind LIKE 'reminder%')
BEGIN
    INSERT OR IGNORE INTO discord_dms (server, discord_user_id, registration_id, kind, created_at)
    SELECT MIN(l.server), l.discord_user_id, new.registration_id, new.kind, new.created_at
    FROM registrations r JOIN discord_links l ON l.subscriber_id = r.subscriber_id
    WHERE r.id = new.registration_id
      AND (new.kind = 'offered'
           OR r.subscriber_id NOT IN (SELECT subscriber_id FROM discord_reminders_off))
    GROUP BY l.discord_user_id;
END;
