-- Provider events (SendGrid Event Webhook): what each one ties back to, and the events
-- themselves, each recorded once.

-- name: delivery_send_log_target
SELECT l.id AS send_log_id, l.campaign_id, l.subscriber_id, c.list
FROM send_log AS l JOIN campaigns AS c ON c.id = l.campaign_id
WHERE l.id = :send_log_id;

-- name: delivery_campaign_target
SELECT id AS campaign_id, list FROM campaigns WHERE id = :campaign_id;

-- name: delivery_event_insert
-- No row comes back when the event was already recorded: its effects were applied then.
INSERT INTO delivery_events (event_id, event, campaign_id, send_log_id, subscriber_id, detail,
                             occurred_at, received_at)
VALUES (:event_id, :event, :campaign_id, :send_log_id, :subscriber_id, :detail, :occurred_at,
        :received_at)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id;

-- name: delivery_events_known
SELECT event_id FROM delivery_events WHERE event_id IN (SELECT value FROM json_each(:ids));
