-- A person's id is never given to anyone else, and every person has a random `token_nonce`
-- that their signed links carry: a link made for someone erased opens nothing, even if their
-- id were ever given again.
--
-- `subscribers` had a plain INTEGER PRIMARY KEY, whose next id is the highest in the table
-- plus one: once the newest person was erased (forget, stale sign-ups, events purge), the next
-- person got their id, and with it their links. AUTOINCREMENT takes ids from sqlite_sequence,
-- which only ever grows. SQLite cannot add it to a table: the table is rebuilt (SQLite's
-- "12-step" procedure; the runner turns foreign keys off around migrations and runs
-- `PRAGMA foreign_key_check` before committing, so the rows that reference people stay, and
-- keep pointing at the new table, which has the same name).

CREATE TABLE subscribers_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,          -- normalised (email-validator, domain lower-cased)
    email_hash TEXT NOT NULL,            -- keyed hash of `email`, matched against suppressions
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    organisation TEXT NOT NULL DEFAULT '',  -- the CPTS, or the partner's organisation
    role TEXT NOT NULL DEFAULT 'autre'
        CHECK (role IN ('salarie', 'elu', 'coordinateur', 'partenaire', 'autre')),
    member INTEGER NOT NULL DEFAULT 0 CHECK (member IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- Carried by every signed link (hub.tokens) and checked against this row: random, made
    -- with the row, never changed, so it dies with the person. 4 bytes, unsigned.
    token_nonce INTEGER NOT NULL DEFAULT (random() & 4294967295)
        CHECK (token_nonce BETWEEN 0 AND 4294967295)
);

INSERT INTO subscribers_rebuilt (id, email, email_hash, first_name, last_name, organisation,
                                 role, member, created_at, updated_at, token_nonce)
SELECT id, email, email_hash, first_name, last_name, organisation, role, member, created_at,
       updated_at, random() & 4294967295
FROM subscribers ORDER BY id;

-- The view reads `subscribers`: dropped while the table is replaced, then made again as it was.
DROP VIEW list_audience;

DROP TABLE subscribers;

ALTER TABLE subscribers_rebuilt RENAME TO subscribers;

CREATE VIEW list_audience AS
SELECT sub.list AS list, s.id AS subscriber_id, s.email AS email
FROM subscriptions AS sub
JOIN subscribers AS s ON s.id = sub.subscriber_id
WHERE sub.status = 'confirmed'
  AND NOT EXISTS (SELECT 1 FROM suppressions AS x WHERE x.email_hash = s.email_hash);

-- The next id comes after every id still found anywhere: the people, and whatever keeps a
-- person's id (an id kept by a row whose person is gone was issued too). The ids of people
-- erased before this migration who were the newest left no trace; their links, like every link
-- made before it, carry no nonce and open nothing any more (hub.tokens).
DELETE FROM sqlite_sequence WHERE name = 'subscribers';

INSERT INTO sqlite_sequence (name, seq)
SELECT 'subscribers', MAX(
    COALESCE((SELECT MAX(id) FROM subscribers), 0),
    COALESCE((SELECT MAX(subscriber_id) FROM subscriptions), 0),
    COALESCE((SELECT MAX(subscriber_id) FROM consents), 0),
    COALESCE((SELECT MAX(subscriber_id) FROM send_log), 0),
    COALESCE((SELECT MAX(subscriber_id) FROM delivery_events), 0),
    COALESCE((SELECT MAX(subscriber_id) FROM registrations), 0),
    COALESCE((SELECT MAX(subscriber_id) FROM membership_changes), 0)
);
