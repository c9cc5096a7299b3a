-- The e-mails of events: delivering the queued messages, and queueing the reminders.

-- name: event_message_claim
-- The oldest pending message, taken for sending: from here on it is never sent again.
UPDATE event_messages SET status = 'sending'
WHERE id = (SELECT id FROM event_messages WHERE status = 'pending' ORDER BY id LIMIT 1)
RETURNING *;

-- name: event_message_finish
UPDATE event_messages
SET status = :status, error = :error,
    sent_at = CASE WHEN :status = 'sent' THEN :now ELSE sent_at END
WHERE id = :id AND status = 'sending';

-- name: event_message_in_doubt_note
-- The backend may have taken it (its answer was lost): it stays `sending`, never resent.
UPDATE event_messages SET error = :error WHERE id = :id AND status = 'sending';

-- name: event_message_superseded
-- A later change of the event is still to be announced to the same person: it will carry the
-- event as it is then, so this one would only repeat it.
SELECT 1 FROM event_messages
WHERE registration_id = :registration_id AND kind = :kind AND id > :id AND status = 'pending'
LIMIT 1;

-- name: event_message_last_calendar
-- What the person's calendar holds, as far as the mail sent before this one tells: the last
-- invitation or withdrawal that left (or may have left: `sending`).
SELECT kind FROM event_messages
WHERE registration_id = :registration_id AND id < :id AND status IN ('sent', 'sending')
  AND kind IN ('confirmed', 'promoted', 'cancelled', 'event_cancelled')
ORDER BY id DESC
LIMIT 1;

-- name: event_messages_in_doubt
-- Messages left `sending`: the process stopped mid-send, or the backend's answer was lost.
SELECT m.id, m.kind, m.created_at, m.error, e.title AS event, e.id AS event_id
FROM event_messages AS m
JOIN registrations AS r ON r.id = m.registration_id
JOIN events AS e ON e.id = r.event_id
WHERE m.status = 'sending'
ORDER BY m.id;

-- name: events_reminders_due
-- Published events not started yet that have reminders: the ones whose moment may have come.
SELECT * FROM events
WHERE status = 'published' AND starts_at > :now AND reminders <> '[]'
ORDER BY starts_at, id;

-- name: event_reminder_insert
-- One reminder for each confirmed registration of the event, at most once each (the partial
-- unique index): sent (`pending`), or recorded as `skipped` when there is no point any more.
-- Someone confirmed after the reminder's moment had come gets it skipped: they registered
-- knowing how soon the event was, and a later reminder (or none) is the relevant one.
INSERT INTO event_messages (registration_id, kind, status, error, created_at)
SELECT r.id, :kind,
       CASE WHEN :skip_reason IS NULL AND r.confirmed_at <= :moment THEN 'pending'
            ELSE 'skipped' END,
       CASE WHEN :skip_reason IS NULL AND r.confirmed_at <= :moment THEN NULL
            ELSE COALESCE(:skip_reason, 'inscription confirmée après le moment du rappel') END,
       :now
FROM registrations AS r
WHERE r.event_id = :event_id AND r.status = 'confirmed'
ON CONFLICT DO NOTHING
RETURNING status;

-- name: event_reminder_now
-- A reminder staff send now (`hub events remind`): to every confirmed registration, each time.
INSERT INTO event_messages (registration_id, kind, created_at)
SELECT id, 'reminder', :now FROM registrations
WHERE event_id = :event_id AND status = 'confirmed'
ORDER BY id
RETURNING id;
