-- People, their subscriptions and consents, the suppression list, and what the GDPR asks of
-- them (access, erasure). Lists of values are passed as one JSON array (`json_each`), so a
-- whole chunk of an import is read in one query.

-- name: subscriber_by_id
SELECT id, email, first_name, last_name, organisation, role, member, created_at, updated_at,
       token_nonce
FROM subscribers WHERE id = :id;

-- name: subscriber_by_email
SELECT id, email, first_name, last_name, organisation, role, member, created_at, updated_at,
       token_nonce
FROM subscribers WHERE email = :email;

-- name: subscriber_by_emails
SELECT id, email, first_name, last_name, organisation, role, member, created_at, updated_at,
       token_nonce
FROM subscribers WHERE email IN (SELECT value FROM json_each(:emails));

-- name: subscriber_insert
-- :people is a JSON array of [email, email_hash, first_name, last_name, organisation, role,
-- member] arrays (arrays, not objects: a third faster to read for a 100,000-row import).
INSERT INTO subscribers (email, email_hash, first_name, last_name, organisation, role, member,
                         created_at, updated_at)
SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
       :now, :now
FROM json_each(:people)
RETURNING id, email;

-- name: subscriber_update
-- :people is a JSON array of [id, first_name, last_name, organisation, role, member] arrays.
UPDATE subscribers
SET first_name = p.value ->> 1, last_name = p.value ->> 2, organisation = p.value ->> 3,
    role = p.value ->> 4, member = p.value ->> 5, updated_at = :now
FROM json_each(:people) AS p
WHERE subscribers.id = p.value ->> 0;

-- name: subscriber_set_member
UPDATE subscribers SET member = :member, updated_at = :now WHERE id = :id;

-- name: membership_change_insert
INSERT INTO membership_changes (subscriber_id, member, source, note, recorded_at)
VALUES (:id, :member, :source, :note, :now);

-- name: subscriber_membership_changes
SELECT member, source, note, recorded_at FROM membership_changes
WHERE subscriber_id = :id ORDER BY id;

-- name: subscriber_delete
DELETE FROM subscribers WHERE id = :id;

-- name: subscriber_suppressed_hashes
SELECT email_hash FROM suppressions
WHERE email_hash IN (SELECT value FROM json_each(:hashes));

-- name: subscriber_suppression
SELECT reason, detail, created_at FROM suppressions WHERE email_hash = :email_hash;

-- name: subscriber_suppress
INSERT INTO suppressions (email_hash, reason, detail, created_at)
VALUES (:email_hash, :reason, :detail, :now)
ON CONFLICT (email_hash) DO NOTHING;

-- name: subscription_statuses
SELECT subscriber_id, list, status FROM subscriptions
WHERE subscriber_id IN (SELECT value FROM json_each(:ids));

-- name: subscription_upsert
-- Puts people (:ids, a JSON array) on one list in one status. A subscription that starts again
-- (after an unsubscription) is dated from now; one that only gets confirmed keeps its date.
INSERT INTO subscriptions (subscriber_id, list, status, created_at, confirmed_at, updated_at)
SELECT value, :list, :status, :now, CASE WHEN :status = 'confirmed' THEN :now END, :now
FROM json_each(:ids) WHERE true
ON CONFLICT (subscriber_id, list) DO UPDATE SET
    status = excluded.status,
    created_at = CASE WHEN subscriptions.status = 'pending' THEN subscriptions.created_at
                      ELSE excluded.created_at END,
    confirmed_at = excluded.confirmed_at,
    updated_at = excluded.updated_at;

-- name: subscription_move
-- Moves one list (or every list with '*') of a person from one of the `from` statuses.
UPDATE subscriptions
SET status = :status, updated_at = :now,
    confirmed_at = CASE WHEN :status = 'confirmed' THEN :now ELSE confirmed_at END
WHERE subscriber_id = :id AND (:list = '*' OR list = :list)
  AND status IN (SELECT value FROM json_each(:from))
RETURNING list;

-- name: subscription_confirm
-- Confirms the pending subscriptions of :lists (a JSON array) requested at or before :before
-- (UTC text; NULL: whenever).
UPDATE subscriptions SET status = 'confirmed', confirmed_at = :now, updated_at = :now
WHERE subscriber_id = :id AND status = 'pending'
  AND list IN (SELECT value FROM json_each(:lists))
  AND (:before IS NULL OR created_at <= :before)
RETURNING list;

-- name: subscription_purge_pending
-- Sign-ups never confirmed, long after their link expired: the request is void.
DELETE FROM subscriptions WHERE status = 'pending' AND created_at < :before
RETURNING subscriber_id;

-- name: subscriber_purge_unattached
-- Of :ids (a JSON array), the people nothing else keeps: no subscription left, no event
-- registration, no membership recorded by staff.
DELETE FROM subscribers
WHERE id IN (SELECT value FROM json_each(:ids))
  AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE subscriber_id = subscribers.id)
  AND NOT EXISTS (SELECT 1 FROM registrations WHERE subscriber_id = subscribers.id)
  AND NOT EXISTS (SELECT 1 FROM membership_changes WHERE subscriber_id = subscribers.id)
RETURNING id;

-- name: subscription_of
SELECT list, status, created_at, confirmed_at, updated_at FROM subscriptions
WHERE subscriber_id = :id ORDER BY list;

-- name: subscription_export
SELECT s.email, s.first_name, s.last_name, s.organisation, s.role, s.member,
       sub.status, sub.created_at AS subscribed_at, sub.confirmed_at
FROM subscriptions AS sub JOIN subscribers AS s ON s.id = sub.subscriber_id
WHERE sub.list = :list AND (:status IS NULL OR sub.status = :status)
ORDER BY s.email;

-- name: subscriber_consent_insert
-- One row for every combination of :ids, :lists and :actions (JSON arrays), all given with the
-- same consent. json_each reads arrays in order, so whichever way the loops are nested, a
-- person's "subscribe" row comes before their "confirm" row.
INSERT INTO consents (subscriber_id, list, action, source, consent_text, consent_version, ip,
                      recorded_at)
SELECT i.value, l.value, a.value, :source, :consent_text, :consent_version, :ip, :now
FROM json_each(:ids) AS i, json_each(:lists) AS l, json_each(:actions) AS a;

-- name: subscriber_consents
SELECT list, action, source, consent_text, consent_version, ip, recorded_at FROM consents
WHERE subscriber_id = :id ORDER BY id;

-- name: subscriber_sends
SELECT l.campaign_id, c.subject, c.edition, c.issue_number, c.list, l.status, l.message_id,
       l.error, l.updated_at
FROM send_log AS l LEFT JOIN campaigns AS c ON c.id = l.campaign_id
WHERE l.subscriber_id = :id ORDER BY l.id;

-- name: subscriber_delivery_events
SELECT event, campaign_id, detail, occurred_at, received_at FROM delivery_events
WHERE subscriber_id = :id ORDER BY occurred_at, event_id;

-- name: subscriber_forget_sends
UPDATE send_log SET email = NULL WHERE subscriber_id = :id OR email = :email;

-- name: subscriber_forget_events
-- The detail of a bounce may quote the address; the events stay only as counts, a bounce with
-- its type ("bounce:" hard, "blocked:" soft), which says nothing of the person.
UPDATE delivery_events
SET detail = CASE WHEN event = 'bounce' THEN substr(detail, 1, instr(detail, ':')) ELSE '' END
WHERE subscriber_id = :id;

-- Texts that may quote an erased address, found by it (lower-cased: :email is stored so) and
-- rewritten one by one without it. Each query returns (key, text) of the rows to rewrite.

-- name: erasure_suppression_details
SELECT email_hash AS key, detail AS text FROM suppressions
WHERE instr(lower(detail), :email) > 0;

-- name: erasure_suppression_detail_set
UPDATE suppressions SET detail = :text WHERE email_hash = :key;

-- name: erasure_send_log_errors
SELECT id AS key, error AS text FROM send_log WHERE instr(lower(error), :email) > 0;

-- name: erasure_send_log_error_set
UPDATE send_log SET error = :text WHERE id = :key;

-- name: erasure_send_batch_errors
SELECT id AS key, error AS text FROM send_batches WHERE instr(lower(error), :email) > 0;

-- name: erasure_send_batch_error_set
UPDATE send_batches SET error = :text WHERE id = :key;

-- name: erasure_event_details
SELECT event_id AS key, detail AS text FROM delivery_events
WHERE instr(lower(detail), :email) > 0;

-- name: erasure_event_detail_set
UPDATE delivery_events SET detail = :text WHERE event_id = :key;

-- name: subscriber_registrations
-- A person's event registrations, answers and consent included (GDPR access).
SELECT e.title AS event, e.slug, e.starts_at, r.status, r.source, r.answers, r.consent_text,
       r.consent_version, r.ip, r.created_at, r.confirmed_at, r.cancelled_at
FROM registrations AS r
JOIN events AS e ON e.id = r.event_id
WHERE r.subscriber_id = :id
ORDER BY e.starts_at, e.id;
