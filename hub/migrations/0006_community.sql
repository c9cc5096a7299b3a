-- The Discord community (issue 11): who is who on the federation's servers, the codes that
-- prove it, and what each bot remembers between restarts.

-- A Discord account linked to a person, per server (`server` is the key of [discord.<key>]).
-- `roles` are the role keys the bot gave there (JSON list): the ones it takes back when the
-- membership is withdrawn, never a role staff gave by hand. Erasing the person removes the link.
CREATE TABLE discord_links (
    server TEXT NOT NULL,
    discord_user_id INTEGER NOT NULL,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    roles TEXT NOT NULL DEFAULT '[]',
    linked_at TEXT NOT NULL,
    linked_by TEXT NOT NULL DEFAULT 'code',  -- 'code' or the staff member who linked by hand
    PRIMARY KEY (server, discord_user_id)
) WITHOUT ROWID;
CREATE INDEX discord_links_subscriber ON discord_links (subscriber_id);

-- The one pending code of a Discord account (a new request replaces it). Only a keyed hash of
-- the code is kept; the address is kept for the 15 minutes the code lives, to link the person
-- the code proves. A known person's pending code goes with their erasure.
CREATE TABLE discord_codes (
    discord_user_id INTEGER PRIMARY KEY,
    server TEXT NOT NULL,
    email TEXT NOT NULL,
    subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    tries_left INTEGER NOT NULL CHECK (tries_left >= 0)
);
CREATE INDEX discord_codes_email ON discord_codes (email);

-- Code requests per key ('user:<id>' or 'email:<keyed hash>') and hour: the rate limits.
CREATE TABLE discord_code_requests (
    key TEXT NOT NULL,
    hour TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key, hour)
) WITHOUT ROWID;

-- What each bot of the running hub remembers: its last connection (read by the status
-- command of another process), the hash of the slash commands it last registered (registered
-- again only when they change), and its « Je m'identifie » message in #accueil (posted once).
CREATE TABLE discord_bots (
    server TEXT PRIMARY KEY,
    connected_at TEXT,
    commands_hash TEXT NOT NULL DEFAULT '',
    welcome_channel_id INTEGER,
    welcome_message_id INTEGER
);

-- Roles the bots must take back, queued in the same transaction as their cause, whatever the
-- process (the command line, the web) that caused it; the running hub's bot drains the queue.
-- A link that goes (unlink, or the person erased: the cascade fires the trigger too) queues the
-- roles it had given.
CREATE TABLE discord_role_removals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    server TEXT NOT NULL,
    discord_user_id INTEGER NOT NULL,
    roles TEXT NOT NULL
);
CREATE TRIGGER discord_link_removed AFTER DELETE ON discord_links
WHEN old.roles <> '[]'
BEGIN
    INSERT INTO discord_role_removals (server, discord_user_id, roles)
    VALUES (old.server, old.discord_user_id, old.roles);
END;

-- A linked person whose membership or role changed: the bot of each server they are linked in
-- compares the roles it gave with the ones the record now carries.
CREATE TABLE discord_role_checks (
    server TEXT NOT NULL,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    PRIMARY KEY (server, subscriber_id)
) WITHOUT ROWID;
CREATE TRIGGER discord_person_changed AFTER UPDATE OF member, role ON subscribers
WHEN old.member <> new.member OR old.role <> new.role
BEGIN
    INSERT OR IGNORE INTO discord_role_checks (server, subscriber_id)
    SELECT server, new.id FROM discord_links WHERE subscriber_id = new.id;
END;
