-- Campaigns, their frozen audience (send_log), its batches, and their statistics.

-- name: campaign_insert
INSERT INTO campaigns (edition, issue_number, list, subject, preheader, html, text, status,
                       created_at, updated_at)
VALUES (:edition, :issue_number, :list, :subject, :preheader, :html, :text, 'draft', :now, :now);

-- name: campaign_get
SELECT id, edition, issue_number, list, subject, preheader, status, scheduled_at,
       provider_batch_id, owner, lease_until, created_at, started_at, finished_at, updated_at
FROM campaigns WHERE id = :id;

-- name: campaign_content
SELECT subject, preheader, html, text, edition, provider_batch_id FROM campaigns WHERE id = :id;

-- name: campaign_list
SELECT id, edition, issue_number, list, subject, preheader, status, scheduled_at,
       provider_batch_id, owner, lease_until, created_at, started_at, finished_at, updated_at
FROM campaigns ORDER BY id DESC LIMIT :limit;

-- name: campaign_issue_sent
SELECT id, status FROM campaigns
WHERE edition = :edition AND issue_number = :issue_number
  AND status IN ('sending', 'paused', 'sent')
ORDER BY id LIMIT 1;

-- Pausing or cancelling also frees the campaign: whoever resumes it owns it next (the process
-- that sent it finishes its batches in flight, records them, and claims no more).
-- name: campaign_set_status
UPDATE campaigns SET status = :status, owner = NULL, lease_until = NULL, updated_at = :now
WHERE id = :id;

-- name: campaign_schedule
UPDATE campaigns SET status = 'scheduled', scheduled_at = :scheduled_at, updated_at = :now
WHERE id = :id;

-- name: campaign_due
SELECT id, scheduled_at FROM campaigns
WHERE status = 'scheduled' AND scheduled_at <= :now ORDER BY scheduled_at, id;

-- name: campaign_sending
SELECT id, owner, lease_until FROM campaigns WHERE status = 'sending' ORDER BY id;

-- name: campaign_start
UPDATE campaigns
SET status = 'sending', started_at = :now, provider_batch_id = :provider_batch_id,
    owner = :owner, lease_until = :lease_until, updated_at = :now
WHERE id = :id;

-- name: campaign_claim
UPDATE campaigns SET status = 'sending', owner = :owner, lease_until = :lease_until,
       updated_at = :now
WHERE id = :id;

-- name: campaign_renew_lease
UPDATE campaigns SET lease_until = :lease_until WHERE id = :id AND owner = :owner;

-- name: campaign_release
UPDATE campaigns SET owner = NULL, lease_until = NULL WHERE id = :id AND owner = :owner;

-- name: campaign_finish
UPDATE campaigns SET status = 'sent', finished_at = :now, owner = NULL, lease_until = NULL,
       updated_at = :now
WHERE id = :id AND status = 'sending' AND owner = :owner;

-- The audience, frozen at send start (one row per person: addresses are unique), numbered
-- into batches.
-- name: send_log_freeze
INSERT INTO send_log (campaign_id, batch_seq, subscriber_id, email, status, updated_at)
SELECT :campaign_id, (ROW_NUMBER() OVER (ORDER BY subscriber_id) - 1) / :batch_size,
       subscriber_id, email, 'pending', :now
FROM list_audience WHERE list = :list;

-- name: campaign_audience_size
SELECT COUNT(*) AS n FROM list_audience WHERE list = :list;

-- name: send_batches_create
INSERT INTO send_batches (campaign_id, seq, status, updated_at)
SELECT DISTINCT campaign_id, batch_seq, 'pending', :now FROM send_log
WHERE campaign_id = :campaign_id AND status = 'pending' AND batch_seq >= :first_seq;

-- name: send_batch_next
SELECT id, seq FROM send_batches
WHERE campaign_id = :campaign_id AND status = 'pending' ORDER BY seq LIMIT 1;

-- name: send_batch_set
UPDATE send_batches
SET status = :status, attempts = attempts + :attempt, error = :error, updated_at = :now
WHERE id = :id;

-- Whoever left the list or was suppressed since the audience was frozen is not sent what has
-- not yet left.
-- name: send_log_skip_departed
UPDATE send_log
SET status = 'skipped', error = 'désinscrit ou adresse bloquée depuis le début de l''envoi',
    updated_at = :now
WHERE campaign_id = :campaign_id AND batch_seq = :seq AND status = 'pending'
  AND NOT EXISTS (
      SELECT 1 FROM list_audience AS a
      WHERE a.list = :list AND a.subscriber_id = send_log.subscriber_id
  );

-- name: send_log_submit
UPDATE send_log SET status = 'submitted', updated_at = :now
WHERE campaign_id = :campaign_id AND batch_seq = :seq AND status = 'pending';

-- name: send_log_batch_recipients
SELECT l.id, l.subscriber_id, l.email, s.first_name, s.token_nonce
FROM send_log AS l JOIN subscribers AS s ON s.id = l.subscriber_id
WHERE l.campaign_id = :campaign_id AND l.batch_seq = :seq AND l.status = 'submitted'
ORDER BY l.id;

-- A batch put back in the queue: nothing of it left.
-- name: send_log_unsubmit
UPDATE send_log SET status = 'pending', updated_at = :now
WHERE campaign_id = :campaign_id AND batch_seq = :seq AND status = 'submitted';

-- name: send_log_result
UPDATE send_log SET status = :status, message_id = :message_id, error = :error, updated_at = :now
WHERE id = :id AND status = 'submitted';

-- A batch the provider took whole under one message id (SendGrid's X-Message-Id).
-- name: send_log_accept_batch
UPDATE send_log SET status = 'accepted', message_id = :message_id, updated_at = :now
WHERE campaign_id = :campaign_id AND batch_seq = :seq AND status = 'submitted';

-- name: send_log_fail_batch
UPDATE send_log SET status = 'failed', error = :error, updated_at = :now
WHERE campaign_id = :campaign_id AND batch_seq = :seq AND status = 'submitted';

-- name: send_progress
SELECT COUNT(*) AS audience,
       COALESCE(SUM(status = 'accepted'), 0) AS accepted,
       COALESCE(SUM(status = 'failed'), 0) AS failed,
       COALESCE(SUM(status = 'skipped'), 0) AS skipped,
       COALESCE(SUM(status = 'pending'), 0) AS pending,
       COALESCE(SUM(status = 'submitted'), 0) AS submitted
FROM send_log WHERE campaign_id = :campaign_id;

-- A batch left `submitting` by a process that died, or whose provider answer was lost (the
-- reason in `error`): the provider may or may not have it.
-- name: send_batches_in_doubt
SELECT b.seq, COUNT(l.id) AS recipients, b.error
FROM send_batches AS b
LEFT JOIN send_log AS l
       ON l.campaign_id = b.campaign_id AND l.batch_seq = b.seq AND l.status = 'submitted'
WHERE b.campaign_id = :campaign_id AND b.status = 'submitting'
GROUP BY b.seq, b.error ORDER BY b.seq;

-- name: send_log_failures
SELECT l.id, l.email, l.error, l.updated_at, l.batch_seq
FROM send_log AS l WHERE l.campaign_id = :campaign_id AND l.status = 'failed' ORDER BY l.id;

-- name: send_batch_max_seq
SELECT COALESCE(MAX(seq), -1) AS seq FROM send_batches WHERE campaign_id = :campaign_id;

-- name: send_log_failed_ids
SELECT id FROM send_log WHERE campaign_id = :campaign_id AND status = 'failed' ORDER BY id;

-- name: send_log_in_doubt_ids
SELECT l.id FROM send_log AS l
JOIN send_batches AS b ON b.campaign_id = l.campaign_id AND b.seq = l.batch_seq
WHERE l.campaign_id = :campaign_id AND b.status = 'submitting' AND l.status = 'submitted'
ORDER BY l.id;

-- Retrying gives the chosen recipients new batches after the last one; their old batches stay
-- as history.
-- name: send_log_requeue
UPDATE send_log SET status = 'pending', error = NULL, batch_seq = :seq, updated_at = :now
WHERE id = :id;

-- name: send_batches_close_in_doubt
UPDATE send_batches SET status = 'failed', error = :error, updated_at = :now
WHERE campaign_id = :campaign_id AND status = 'submitting';

-- name: campaign_stats
SELECT
    (SELECT COUNT(*) FROM send_log WHERE campaign_id = :id) AS audience,
    (SELECT COUNT(*) FROM send_log WHERE campaign_id = :id AND status = 'accepted') AS accepted,
    (SELECT COUNT(*) FROM send_log WHERE campaign_id = :id AND status = 'failed') AS failed,
    (SELECT COUNT(*) FROM send_log WHERE campaign_id = :id AND status = 'skipped') AS skipped,
    (SELECT COUNT(DISTINCT send_log_id) FROM delivery_events
     WHERE campaign_id = :id AND event = 'delivered') AS delivered,
    (SELECT COUNT(DISTINCT send_log_id) FROM delivery_events
     WHERE campaign_id = :id AND event = 'open') AS unique_opens,
    (SELECT COUNT(DISTINCT send_log_id) FROM delivery_events
     WHERE campaign_id = :id AND event = 'click') AS unique_clicks,
    (SELECT COUNT(DISTINCT send_log_id) FROM delivery_events
     WHERE campaign_id = :id AND event = 'bounce' AND detail LIKE 'bounce:%') AS bounces,
    (SELECT COUNT(DISTINCT send_log_id) FROM delivery_events
     WHERE campaign_id = :id AND event = 'spamreport') AS spam_reports,
    (SELECT COUNT(DISTINCT l.subscriber_id) FROM send_log AS l
     JOIN consents AS c ON c.subscriber_id = l.subscriber_id AND c.list = :list
                       AND c.action = 'unsubscribe' AND c.recorded_at >= :started_at
     WHERE l.campaign_id = :id AND l.status = 'accepted') AS unsubscriptions;
