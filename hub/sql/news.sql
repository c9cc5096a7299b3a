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
