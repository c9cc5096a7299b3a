-- The fingerprint of the keys the stored data depends on, the per-address pace of sign-up
-- e-mails, and the record of membership changes.

-- The suppression list holds keyed hashes: under another key no blocked address would be
-- recognised. The key's fingerprint (an HMAC of a constant, which reveals nothing of the key)
-- is recorded at first use, and a different key is refused.
CREATE TABLE key_fingerprints (
    purpose TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    recorded_at TEXT NOT NULL
) WITHOUT ROWID;

-- When the last sign-up e-mail went to an address (by its keyed hash, not the address), so
-- the public form cannot be used to flood a mailbox. Kept only for the cooldown.
CREATE TABLE signup_notices (
    email_hash TEXT PRIMARY KEY,
    sent_at TEXT NOT NULL
) WITHOUT ROWID;

-- Membership granted or withdrawn by staff, with who said so and why (members-only lists
-- depend on it).
CREATE TABLE membership_changes (
    id INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    member INTEGER NOT NULL CHECK (member IN (0, 1)),
    source TEXT NOT NULL CHECK (source IN ('web', 'import', 'cli', 'discord', 'email')),
    note TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL
);

CREATE INDEX membership_changes_by_subscriber ON membership_changes (subscriber_id);
