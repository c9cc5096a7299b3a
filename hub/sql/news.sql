-- The federation's news on Discord: the outbox of newsletter issues to announce (migration 0008).

-- name: discord_issue_queue_for_campaign
-- The issue of a campaign that just ended `sent`, for one server (inside the same transaction).
INSERT OR IGNORE INTO discord_issue_posts (server, edition, issue_number, queued_at)
SELECT :server, edition, issue_number, :now FROM campaigns
WHERE id = :campaign_id AND status = 'sent';

-- name: discord_issue_edition_of_campaign
SELECT edition FROM campaigns WHERE id = :campaign_id;

-- name: discord_issue_queue
INSERT OR IGNORE INTO discord_issue_posts (server, edition, issue_number, queued_at)
VALUES (:server, :edition, :number, :now);

-- name: discord_issue_pending
SELECT server, edition, issue_number, queued_at, claimed_at
FROM discord_issue_posts WHERE server = :server AND posted_at IS NULL
ORDER BY queued_at, edition, issue_number;

-- name: discord_issue_claim
UPDATE discord_issue_posts SET claimed_at = :now
WHERE server = :server AND edition = :edition AND issue_number = :number AND posted_at IS NULL;

-- name: discord_issue_posted
UPDATE discord_issue_posts SET channel_id = :channel_id, message_id = :message_id,
       posted_at = :now
WHERE server = :server AND edition = :edition AND issue_number = :number AND posted_at IS NULL;

-- name: discord_issue_posts_of
SELECT server, edition, issue_number, queued_at, posted_at, message_id
FROM discord_issue_posts WHERE edition = :edition AND issue_number = :number ORDER BY server;

-- name: discord_feed_baseline_get
SELECT baseline_at FROM discord_feed_baselines WHERE server = :server;

-- name: discord_feed_baseline_put
INSERT OR IGNORE INTO discord_feed_baselines (server, baseline_at) VALUES (:server, :now);

-- name: discord_feed_baseline_items
INSERT OR IGNORE INTO discord_feed_posts (server, identity, item_id, kind, queued_at, posted_at)
SELECT :server, identity, MIN(id), 'baseline', :now, :now FROM items GROUP BY identity;

-- name: discord_feed_unseen
-- Stored items this server has neither posted, summarised nor taken as its baseline.
SELECT items.*, feeds.name AS feed_name
FROM items JOIN feeds ON feeds.id = items.feed_id
WHERE NOT EXISTS (
    SELECT 1 FROM discord_feed_posts AS p
    WHERE p.server = :server AND p.identity = items.identity
)
ORDER BY COALESCE(published_at, first_seen_at), items.id;

-- name: discord_feed_next_turn
SELECT COALESCE(MAX(turn), 0) + 1 AS turn FROM discord_feed_posts WHERE server = :server;

-- name: discord_feed_queue
INSERT OR IGNORE INTO discord_feed_posts
    (server, identity, item_id, kind, turn, position, queued_at)
VALUES (:server, :identity, :item_id, :kind, :turn, :position, :now);

-- name: discord_feed_pending
SELECT p.identity, p.kind, p.turn, p.position, p.claimed_at, p.item_id,
       i.title, i.link, i.summary_html, i.image_url
FROM discord_feed_posts AS p LEFT JOIN items AS i ON i.id = p.item_id
WHERE p.server = :server AND p.posted_at IS NULL
ORDER BY p.turn, p.kind, p.position;

-- name: discord_feed_claim
UPDATE discord_feed_posts SET claimed_at = :now
WHERE server = :server AND identity = :identity AND posted_at IS NULL;

-- name: discord_feed_posted
UPDATE discord_feed_posts SET message_id = :message_id, posted_at = :now
WHERE server = :server AND identity = :identity AND posted_at IS NULL;

-- name: discord_feed_pulled
SELECT COUNT(*) AS pulled FROM feeds WHERE last_pulled_at IS NOT NULL AND last_status != 'error';

-- name: discord_feed_settle_skipped
UPDATE discord_feed_posts SET posted_at = :now
WHERE server = :server AND kind = 'skipped' AND posted_at IS NULL;

-- name: discord_staff_post_queue
INSERT INTO discord_staff_posts (server, title, body, notify, author, queued_at)
VALUES (:server, :title, :body, :notify, :author, :now);

-- name: discord_staff_post_pending
SELECT id, server, title, body, notify, claimed_at FROM discord_staff_posts
WHERE server = :server AND posted_at IS NULL ORDER BY id;

-- name: discord_staff_post_claim
UPDATE discord_staff_posts SET claimed_at = :now WHERE id = :id AND posted_at IS NULL;

-- name: discord_staff_post_posted
UPDATE discord_staff_posts SET message_id = :message_id, posted_at = :now
WHERE id = :id AND posted_at IS NULL;

-- name: discord_question_recent
-- The questions a member (one Discord account, both servers) opened since :since.
SELECT COUNT(*) AS opened FROM discord_questions
WHERE discord_user_id = :discord_user_id AND created_at > :since;

-- name: discord_question_insert
INSERT INTO discord_questions (server, discord_user_id, subscriber_id, category, created_at)
VALUES (:server, :discord_user_id, :subscriber_id, :category, :now);

-- name: discord_question_thread
UPDATE discord_questions SET thread_id = :thread_id, notice_message_id = :notice_message_id
WHERE id = :id;

-- name: discord_question_withdraw
-- A question whose thread Discord refused to open: nothing of it exists for the member.
DELETE FROM discord_questions WHERE id = :id AND thread_id IS NULL;

-- name: discord_question_get
SELECT * FROM discord_questions WHERE id = :id;

-- name: discord_question_take
UPDATE discord_questions SET status = 'taken', taken_by = :staff, taken_at = :now
WHERE id = :id AND status != 'resolved';

-- name: discord_question_resolve
UPDATE discord_questions SET status = 'resolved', resolved_at = :now,
       taken_by = COALESCE(taken_by, :staff), taken_at = COALESCE(taken_at, :now)
WHERE id = :id AND status != 'resolved';

-- name: discord_question_due_recalls
SELECT * FROM discord_questions
WHERE server = :server AND status = 'open' AND recalled_at IS NULL AND thread_id IS NOT NULL
  AND created_at <= :before
ORDER BY created_at;

-- name: discord_question_recalled
UPDATE discord_questions SET recalled_at = :now WHERE id = :id AND recalled_at IS NULL;

-- name: discord_questions_list
SELECT * FROM discord_questions
WHERE (:open_only = 0 OR status != 'resolved') AND created_at >= :since
ORDER BY created_at;

-- name: discord_questions_of_person
-- What `Privacy.show` reads (and `hub subscribers show` lists): ids, category, status and
-- dates (no text is kept).
SELECT server, category, status, created_at, taken_at, resolved_at
FROM discord_questions WHERE subscriber_id = :id ORDER BY created_at;
