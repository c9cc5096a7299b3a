-- Events, registrations (the same people as subscribers), the waiting list with its timed
-- offers, and the durable queue of the e-mails they cause.

-- An event as staff created it. Times are UTC; the `.ics` UID is made once and never again,
-- and the SEQUENCE grows with every change of time or place (RFC 5545 §3.8.7.4).
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,                  -- a key of [event_kinds] in the configuration
    description TEXT NOT NULL DEFAULT '',
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('online', 'in-person')),
    video_url TEXT NOT NULL DEFAULT '',  -- online: given only to confirmed registrants
    venue TEXT NOT NULL DEFAULT '',      -- in person
    address TEXT NOT NULL DEFAULT '',
    audience TEXT NOT NULL
        CHECK (audience IN ('public', 'members', 'salaries', 'elus', 'salaries+elus',
                            'coordinateurs')),
    capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0),   -- NULL: no limit
    waitlist TEXT NOT NULL CHECK (waitlist IN ('auto', 'offer', 'none')),
    offer_hours INTEGER NOT NULL DEFAULT 48 CHECK (offer_hours > 0),
    opens_at TEXT,                       -- registration window (NULL: open now / until start)
    closes_at TEXT,
    questions TEXT NOT NULL DEFAULT '[]',   -- JSON: [{key, label, kind, choices, required}]
    reminders TEXT NOT NULL DEFAULT '[]',   -- JSON: minutes before the start, e.g. [1440, 60]
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'cancelled')),
    ics_uid TEXT NOT NULL UNIQUE,
    ics_sequence INTEGER NOT NULL DEFAULT 0,
    -- Once the registrations' personal data is erased (months after the event), only these
    -- anonymous counts remain, as JSON.
    purged_at TEXT,
    final_counts TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX events_by_start ON events (status, starts_at);

-- One registration per person and event, whatever the channel: confirmed (has a seat),
-- offered (a seat held until offer_expires_at), waitlisted (in line, by queue_number),
-- cancelled. Registering again after cancelling reuses the row, at the end of the line.
CREATE TABLE registrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'offered', 'waitlisted', 'cancelled')),
    source TEXT NOT NULL CHECK (source IN ('web', 'cli', 'discord')),
    answers TEXT NOT NULL DEFAULT '{}',  -- JSON: question key → answer
    consent_text TEXT NOT NULL DEFAULT '',
    consent_version TEXT NOT NULL DEFAULT '',
    ip TEXT,
    waitlisted_at TEXT,
    queue_number INTEGER,                -- place in line: the event's highest so far, plus one
    offer_expires_at TEXT,
    confirmed_at TEXT,
    cancelled_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (event_id, subscriber_id)
);

CREATE INDEX registrations_by_event ON registrations (event_id, status, queue_number);
CREATE INDEX registrations_queue ON registrations (event_id, queue_number)
    WHERE queue_number IS NOT NULL;
CREATE INDEX registrations_by_subscriber ON registrations (subscriber_id);
CREATE INDEX registrations_offers ON registrations (status, offer_expires_at);

-- The e-mails registrations cause, written in the same transaction as the change that causes
-- them, then delivered: pending → sending → sent | failed; skipped when there was no point any
-- more (a reminder whose moment passed while the hub was down). A row left `sending` by a crash
-- is never resent (a reminder or an invitation twice is worse than one reported missing).
-- `kind` is confirmed, waitlisted, offered, promoted, offer_expired, cancelled, updated,
-- event_cancelled, or reminder:<minutes>; a reminder exists at most once per registration.
CREATE TABLE event_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    registration_id INTEGER NOT NULL REFERENCES registrations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);

CREATE INDEX event_messages_pending ON event_messages (status, id);
CREATE UNIQUE INDEX event_messages_one_reminder ON event_messages (registration_id, kind)
    WHERE kind LIKE 'reminder:%';
