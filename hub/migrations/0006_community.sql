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
