-- Events, registrations and the waiting list.

-- name: event_insert
INSERT INTO events (slug, title, kind, description, starts_at, ends_at, mode, video_url, venue,
                    address, audience, capacity, waitlist, offer_hours, opens_at, closes_at,
                    questions, reminders, status, ics_uid, created_at, updated_at)
VALUES (:slug, :title, :kind, :description, :starts_at, :ends_at, :mode, :video_url, :venue,
        :address, :audience, :capacity, :waitlist, :offer_hours, :opens_at, :closes_at,
        :questions, :reminders, :status, :ics_uid, :now, :now)
RETURNING *;

-- name: event_update
UPDATE events
SET title = :title, description = :description, starts_at = :starts_at, ends_at = :ends_at,
    mode = :mode, video_url = :video_url, venue = :venue, address = :address,
    audience = :audience, capacity = :capacity, waitlist = :waitlist, offer_hours = :offer_hours,
    opens_at = :opens_at, closes_at = :closes_at, questions = :questions, reminders = :reminders,
    ics_sequence = :ics_sequence, updated_at = :now
WHERE id = :id
RETURNING *;

-- name: event_set_status
-- :bump 1 raises the invitation's SEQUENCE (a cancellation changes its STATUS: RFC 5545).
UPDATE events
SET status = :status, ics_sequence = ics_sequence + :bump, updated_at = :now
WHERE id = :id
RETURNING *;

-- name: event_reminders_reset
-- The event moved: its reminders are owed again, at the new time (one in doubt stays).
DELETE FROM event_messages
WHERE kind LIKE 'reminder:%' AND status != 'sending'
  AND registration_id IN (SELECT id FROM registrations WHERE event_id = :event_id);

-- name: event_by_id
SELECT * FROM events WHERE id = :id;

-- name: event_by_slug
SELECT * FROM events WHERE slug = :slug;

-- name: event_slug_taken
SELECT 1 FROM events WHERE slug = :slug;

-- name: event_list
-- :status NULL: every status; :from NULL: past events too (events that ended before it are left
-- out).
SELECT * FROM events
WHERE (:status IS NULL OR status = :status)
  AND (:from IS NULL OR ends_at >= :from)
ORDER BY starts_at, id;

-- name: event_seats_taken
SELECT COUNT(*) AS taken FROM registrations
WHERE event_id = :event_id AND status IN ('confirmed', 'offered');

-- name: event_counts
SELECT status, COUNT(*) AS n FROM registrations WHERE event_id = :event_id GROUP BY status;

-- name: registration_context
-- All a registration decides on, read at once inside its write transaction: the event, its
-- seats taken, the person if known, and their registration if any.
SELECT e.*,
       (SELECT COUNT(*) FROM registrations
        WHERE event_id = e.id AND status IN ('confirmed', 'offered')) AS seats_taken,
       s.id AS person_id, s.role AS person_role, s.member AS person_member,
       r.id AS registration_id, r.status AS registration_status
FROM events AS e
LEFT JOIN subscribers AS s ON s.email = :email
LEFT JOIN registrations AS r ON r.event_id = e.id AND r.subscriber_id = s.id
WHERE e.id = :event_id;

-- name: registration_end_of_line
-- Where a newcomer joins the waiting list: their position and queue number.
SELECT (SELECT COUNT(*) FROM registrations
        WHERE event_id = :event_id AND status = 'waitlisted') + 1 AS position,
       (SELECT COALESCE(MAX(queue_number), 0) + 1 FROM registrations
        WHERE event_id = :event_id AND queue_number IS NOT NULL) AS queue_number;

-- name: registration_of
SELECT * FROM registrations WHERE event_id = :event_id AND subscriber_id = :subscriber_id;

-- name: registration_by_id
SELECT * FROM registrations WHERE id = :id;

-- name: registration_insert
INSERT INTO registrations (event_id, subscriber_id, status, source, answers, consent_text,
                           consent_version, ip, waitlisted_at, queue_number, confirmed_at,
                           created_at, updated_at)
VALUES (:event_id, :subscriber_id, :status, :source, :answers, :consent_text, :consent_version,
        :ip, :waitlisted_at, :queue_number, :confirmed_at, :now, :now)
RETURNING *;

-- name: registration_renew
-- A cancelled registration taken up again: a new place in line, new answers and consent.
UPDATE registrations
SET status = :status, source = :source, answers = :answers, consent_text = :consent_text,
    consent_version = :consent_version, ip = :ip, waitlisted_at = :waitlisted_at,
    queue_number = :queue_number, confirmed_at = :confirmed_at, offer_expires_at = NULL, cancelled_at = NULL,
    updated_at = :now
WHERE id = :id
RETURNING *;

-- name: registration_set_status
UPDATE registrations
SET status = :status,
    confirmed_at = CASE WHEN :status = 'confirmed' THEN :now ELSE confirmed_at END,
    cancelled_at = CASE WHEN :status = 'cancelled' THEN :now ELSE cancelled_at END,
    offer_expires_at = :offer_expires_at,
    updated_at = :now
WHERE id = :id
RETURNING *;

-- name: registration_set_answers
UPDATE registrations SET answers = :answers, updated_at = :now WHERE id = :id RETURNING *;

-- name: registration_position
-- 1 for the next in line.
SELECT COUNT(*) + 1 AS position FROM registrations
WHERE event_id = :event_id AND status = 'waitlisted' AND queue_number < :queue_number;

-- name: registration_line
-- The whole waiting list of an event, in order, with what eligibility looks at on each person's
-- record (it is checked again before a seat is given).
SELECT r.*, s.email AS person_email, s.role AS person_role, s.member AS person_member
FROM registrations AS r
JOIN subscribers AS s ON s.id = r.subscriber_id
WHERE r.event_id = :event_id AND r.status = 'waitlisted'
ORDER BY r.queue_number;

-- name: registrations_current_of
-- A person's registrations not cancelled, to events not over: those eligibility is checked
-- again for when the person's record changes.
SELECT r.id, r.event_id, r.status
FROM registrations AS r
JOIN events AS e ON e.id = r.event_id
WHERE r.subscriber_id = :subscriber_id AND r.status != 'cancelled' AND e.ends_at > :now
ORDER BY e.starts_at, r.id;

-- name: registration_expired_offers
SELECT * FROM registrations
WHERE status = 'offered' AND offer_expires_at <= :now
ORDER BY event_id, offer_expires_at, id;

-- name: registration_next_offer_expiry
SELECT MIN(offer_expires_at) AS at FROM registrations WHERE status = 'offered';

-- name: registrations_of_event
-- Staff's view: every registration with the person and, for the waiting list, the position.
SELECT r.*, s.email, s.first_name, s.last_name, s.organisation, s.role, s.member,
       CASE WHEN r.status = 'waitlisted' THEN
           ROW_NUMBER() OVER (PARTITION BY r.status = 'waitlisted' ORDER BY r.queue_number)
       END AS position
FROM registrations AS r
JOIN subscribers AS s ON s.id = r.subscriber_id
WHERE r.event_id = :event_id
ORDER BY CASE r.status WHEN 'confirmed' THEN 0 WHEN 'offered' THEN 1 WHEN 'waitlisted' THEN 2
         ELSE 3 END, r.queue_number, r.id;

-- name: registrations_of_subscriber
SELECT r.*,
       CASE WHEN r.status = 'waitlisted' THEN (
           SELECT COUNT(*) + 1 FROM registrations AS w
           WHERE w.event_id = r.event_id AND w.status = 'waitlisted'
             AND w.queue_number < r.queue_number)
       END AS position
FROM registrations AS r
JOIN events AS e ON e.id = r.event_id
WHERE r.subscriber_id = :subscriber_id
ORDER BY e.starts_at, e.id;

-- name: registrations_with_status
SELECT id FROM registrations
WHERE event_id = :event_id AND status IN (SELECT value FROM json_each(:statuses))
ORDER BY id;

-- name: event_message_insert
INSERT INTO event_messages (registration_id, kind, created_at) VALUES (:registration_id, :kind, :now);

-- name: event_message_insert_many
INSERT INTO event_messages (registration_id, kind, created_at)
SELECT value, :kind, :now FROM json_each(:registration_ids);

-- name: events_to_purge
SELECT * FROM events WHERE purged_at IS NULL AND ends_at < :before ORDER BY id;

-- name: event_purge
-- The registrations go (their messages with them); the counts stay, anonymous.
UPDATE events SET purged_at = :now, final_counts = :counts, updated_at = :now WHERE id = :id;

-- name: event_purge_registrations
DELETE FROM registrations WHERE event_id = :id RETURNING subscriber_id;

-- name: people_without_anything
-- Of these people, those the hub holds nothing else about (no list, consent or registration):
-- they were stored only for a registration that is now erased.
SELECT s.id FROM subscribers AS s
WHERE s.id IN (SELECT value FROM json_each(:ids))
  AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE subscriber_id = s.id)
  AND NOT EXISTS (SELECT 1 FROM consents WHERE subscriber_id = s.id)
  AND NOT EXISTS (SELECT 1 FROM registrations WHERE subscriber_id = s.id)
  AND NOT EXISTS (SELECT 1 FROM send_log WHERE subscriber_id = s.id);

-- name: registrations_to_withdraw
SELECT id, event_id FROM registrations WHERE subscriber_id = :subscriber_id AND status != 'cancelled';
