-- People and their subscriptions (with consent), the suppression list, campaigns and their
-- exactly-once send log, and the delivery events reported by the provider.

-- One identity per e-mail address; events' registrations will reuse it.
CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,          -- normalised (email-validator, domain lower-cased)
    email_hash TEXT NOT NULL,            -- keyed hash of `email`, matched against suppressions
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    organisation TEXT NOT NULL DEFAULT '',  -- the CPTS, or the partner's organisation
    role TEXT NOT NULL DEFAULT 'autre'
        CHECK (role IN ('salarie', 'elu', 'coordinateur', 'partenaire', 'autre')),
    member INTEGER NOT NULL DEFAULT 0 CHECK (member IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- One row per person and list: pending → confirmed → unsubscribed; bounced and complained are
-- set by delivery events.
CREATE TABLE subscriptions (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    list TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'bounced', 'complained')),
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (subscriber_id, list)
) WITHOUT ROWID;

CREATE INDEX subscriptions_by_list ON subscriptions (list, status, subscriber_id);

-- The proof of consent (GDPR art. 7): every subscription, confirmation and unsubscription,
-- how and when it was given, the exact text shown and its version, the IP for the web.
CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    list TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('subscribe', 'confirm', 'unsubscribe')),
    source TEXT NOT NULL CHECK (source IN ('web', 'import', 'cli', 'discord', 'email')),
    consent_text TEXT NOT NULL DEFAULT '',
    consent_version TEXT NOT NULL DEFAULT '',
    ip TEXT,
    recorded_at TEXT NOT NULL
);

CREATE INDEX consents_by_subscriber ON consents (subscriber_id);

-- Addresses no send may ever reach, whatever list they are on: hard bounces, spam complaints,
-- erased people. Only a keyed hash is kept, so an erased address is not stored in clear.
CREATE TABLE suppressions (
    email_hash TEXT PRIMARY KEY,
    reason TEXT NOT NULL CHECK (reason IN ('bounce', 'complaint', 'erased', 'manual')),
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
) WITHOUT ROWID;

-- A campaign is one rendered issue sent to one list. HTML and text are stored as rendered
-- once, with the per-recipient placeholders left in.
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    edition TEXT NOT NULL,
    issue_number INTEGER NOT NULL,
    list TEXT NOT NULL,
    subject TEXT NOT NULL,
    preheader TEXT NOT NULL DEFAULT '',
    html TEXT NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled')),
    scheduled_at TEXT,                   -- UTC
    provider_batch_id TEXT,              -- SendGrid batch_id, so a scheduled send can be cancelled
    owner TEXT,                          -- the process sending it: host:pid:nonce
    lease_until TEXT,                    -- UTC; renewed while sending, expired when it died
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    updated_at TEXT NOT NULL
);

CREATE INDEX campaigns_due ON campaigns (status, scheduled_at);

-- The frozen audience is cut into batches, each written before and after its provider call:
-- pending → submitting → submitted | failed. A batch left `submitting` is in doubt.
CREATE TABLE send_batches (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'submitting', 'submitted', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (campaign_id, seq)
);

-- One row per recipient of a campaign: pending → submitted → accepted | failed; skipped when
-- the person unsubscribed or was suppressed after the audience was frozen.
CREATE TABLE send_log (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    batch_seq INTEGER NOT NULL,
    subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE SET NULL,
    email TEXT,                          -- as frozen; emptied when the person is erased
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'submitted', 'accepted', 'failed', 'skipped')),
    message_id TEXT,
    error TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (campaign_id, subscriber_id)
);

CREATE INDEX send_log_by_batch ON send_log (campaign_id, batch_seq);
CREATE INDEX send_log_by_subscriber ON send_log (subscriber_id);

-- Provider events (SendGrid Event Webhook), each counted once (`sg_event_id`).
CREATE TABLE delivery_events (
    event_id TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    campaign_id INTEGER REFERENCES campaigns(id) ON DELETE SET NULL,
    send_log_id INTEGER REFERENCES send_log(id) ON DELETE SET NULL,
    subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE SET NULL,
    detail TEXT NOT NULL DEFAULT '',     -- bounce type and reason, clicked URL…
    occurred_at TEXT NOT NULL,
    received_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE INDEX delivery_events_by_campaign ON delivery_events (campaign_id, event);
CREATE INDEX delivery_events_by_subscriber ON delivery_events (subscriber_id);

-- Web sign-ups per IP and hour, for the rate limit (kept only for the current hour).
CREATE TABLE signup_attempts (
    ip TEXT NOT NULL,
    hour TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (ip, hour)
) WITHOUT ROWID;

-- Who a send to a list reaches: its confirmed subscribers, minus every suppressed address.
CREATE VIEW list_audience AS
SELECT sub.list AS list, s.id AS subscriber_id, s.email AS email
FROM subscriptions AS sub
JOIN subscribers AS s ON s.id = sub.subscriber_id
WHERE sub.status = 'confirmed'
  AND NOT EXISTS (SELECT 1 FROM suppressions AS x WHERE x.email_hash = s.email_hash);
