-- The Discord community: links between Discord accounts and people, verification codes, their
-- rate limits, and the bots' status (see migration 0006).

-- name: discord_link_upsert
INSERT INTO discord_links (server, discord_user_id, subscriber_id, roles, linked_at, linked_by)
VALUES (:server, :discord_user_id, :subscriber_id, :roles, :now, :linked_by)
ON CONFLICT (server, discord_user_id) DO UPDATE SET
    subscriber_id = excluded.subscriber_id, roles = excluded.roles,
    linked_at = excluded.linked_at, linked_by = excluded.linked_by;

-- name: discord_link_get
SELECT l.server, l.discord_user_id, l.subscriber_id, l.roles, l.linked_at, l.linked_by,
       s.email
FROM discord_links AS l JOIN subscribers AS s ON s.id = l.subscriber_id
WHERE l.server = :server AND l.discord_user_id = :discord_user_id;

-- name: discord_links_of
SELECT server, discord_user_id, subscriber_id, roles, linked_at, linked_by
FROM discord_links WHERE subscriber_id = :subscriber_id ORDER BY server, discord_user_id;

-- name: discord_link_set_roles
UPDATE discord_links SET roles = :roles
WHERE server = :server AND discord_user_id = :discord_user_id;

-- name: discord_link_delete
DELETE FROM discord_links WHERE server = :server AND discord_user_id = :discord_user_id
RETURNING subscriber_id, roles;

-- name: discord_links_count
SELECT server, COUNT(*) AS links FROM discord_links GROUP BY server;

-- name: discord_code_put
INSERT INTO discord_codes
    (discord_user_id, server, email, subscriber_id, code_hash, expires_at, tries_left)
VALUES (:discord_user_id, :server, :email, :subscriber_id, :code_hash, :expires_at, :tries)
ON CONFLICT (discord_user_id) DO UPDATE SET
    server = excluded.server, email = excluded.email, subscriber_id = excluded.subscriber_id,
    code_hash = excluded.code_hash, expires_at = excluded.expires_at,
    tries_left = excluded.tries_left;

-- name: discord_code_get
SELECT discord_user_id, server, email, subscriber_id, code_hash, expires_at, tries_left
FROM discord_codes WHERE discord_user_id = :discord_user_id;

-- name: discord_code_spend_try
UPDATE discord_codes SET tries_left = tries_left - 1
WHERE discord_user_id = :discord_user_id AND tries_left > 0
RETURNING tries_left;

-- name: discord_code_delete
DELETE FROM discord_codes WHERE discord_user_id = :discord_user_id;

-- name: discord_codes_prune
DELETE FROM discord_codes WHERE expires_at <= :now;

-- name: discord_codes_forget
-- An erased address loses its pending codes, even before a person was stored under it.
DELETE FROM discord_codes WHERE email = :email;

-- name: discord_codes_pending
SELECT server, COUNT(*) AS pending FROM discord_codes
WHERE expires_at > :now AND tries_left > 0 GROUP BY server;

-- name: discord_code_request_count
INSERT INTO discord_code_requests (key, hour, count) VALUES (:key, :hour, 1)
ON CONFLICT (key, hour) DO UPDATE SET count = count + 1
RETURNING count;

-- name: discord_code_requests_prune
DELETE FROM discord_code_requests WHERE hour < :hour;

-- name: discord_bot_get
SELECT server, connected_at, commands_hash, welcome_channel_id, welcome_message_id
FROM discord_bots WHERE server = :server;

-- name: discord_bots_all
SELECT server, connected_at, commands_hash, welcome_channel_id, welcome_message_id
FROM discord_bots ORDER BY server;

-- name: discord_bot_connected
INSERT INTO discord_bots (server, connected_at) VALUES (:server, :now)
ON CONFLICT (server) DO UPDATE SET connected_at = excluded.connected_at;

-- name: discord_bot_commands
INSERT INTO discord_bots (server, commands_hash) VALUES (:server, :commands_hash)
ON CONFLICT (server) DO UPDATE SET commands_hash = excluded.commands_hash;

-- name: discord_bot_welcome
INSERT INTO discord_bots (server, welcome_channel_id, welcome_message_id)
VALUES (:server, :channel_id, :message_id)
ON CONFLICT (server) DO UPDATE SET
    welcome_channel_id = excluded.welcome_channel_id,
    welcome_message_id = excluded.welcome_message_id;

-- name: discord_role_removals_of
SELECT id, discord_user_id, roles FROM discord_role_removals WHERE server = :server
ORDER BY id LIMIT 100;

-- name: discord_role_removal_done
DELETE FROM discord_role_removals WHERE id = :id;

-- name: discord_role_checks_of
SELECT subscriber_id FROM discord_role_checks WHERE server = :server LIMIT 100;

-- name: discord_role_check_done
DELETE FROM discord_role_checks WHERE server = :server AND subscriber_id = :subscriber_id;

-- name: subscriber_discord_links
-- What `Privacy.show` reads about a person's Discord accounts (GDPR art. 15), which
-- `hub subscribers show` lists.
SELECT server, discord_user_id, roles, linked_at, linked_by
FROM discord_links WHERE subscriber_id = :id ORDER BY server, discord_user_id;

-- The agenda in Discord (issue 11 §3) ----------------------------------------------------------

-- name: discord_posts_of_server
SELECT * FROM discord_posts WHERE server = :server;

-- name: discord_post_of
SELECT * FROM discord_posts WHERE server = :server AND event_id = :event_id;

-- name: discord_post_insert
-- About to post (message_id 0) or posted: remembered before Discord is asked, so a bot stopped
-- between the two finds its post in the channel instead of posting it again.
INSERT INTO discord_posts
    (server, event_id, channel_id, message_id, scheduled_event_id, content_hash, seats_shown,
     edited_at)
VALUES (:server, :event_id, :channel_id, :message_id, :scheduled_event_id, :content_hash,
        :seats_shown, :now)
ON CONFLICT (server, event_id) DO UPDATE SET
    channel_id = excluded.channel_id, message_id = excluded.message_id,
    content_hash = excluded.content_hash, seats_shown = excluded.seats_shown,
    edited_at = excluded.edited_at;

-- name: discord_post_edited
UPDATE discord_posts
SET content_hash = :content_hash, seats_shown = :seats_shown, edited_at = :now,
    scheduled_event_id = :scheduled_event_id
WHERE server = :server AND event_id = :event_id;

-- name: discord_post_forget
-- The post is gone from Discord (deleted by hand): posted again at the next poll.
DELETE FROM discord_posts WHERE server = :server AND event_id = :event_id;

-- name: discord_posted_events
-- The events (any status) a server has a post for: a cancelled one is still to be marked.
SELECT e.* FROM events e JOIN discord_posts p ON p.event_id = e.id WHERE p.server = :server;

-- name: discord_dms_pending
SELECT d.id, d.discord_user_id, d.registration_id, d.kind
FROM discord_dms d WHERE d.server = :server AND d.status = 'pending' ORDER BY d.id LIMIT 50;

-- name: discord_dm_done
UPDATE discord_dms SET status = :status WHERE id = :id;

-- name: discord_dms_closed_for
-- The account's DMs were found closed: every DM still owed to it is dropped (e-mail only).
UPDATE discord_dms SET status = 'closed'
WHERE discord_user_id = :discord_user_id AND status = 'pending';

-- name: discord_reminders_stop
INSERT OR IGNORE INTO discord_reminders_off (subscriber_id) VALUES (:subscriber_id);

-- name: discord_links_of_account
-- Every server a Discord account is linked in, newest link first (one account, one person).
SELECT l.server, l.discord_user_id, l.subscriber_id, l.roles, l.linked_at, l.linked_by
FROM discord_links AS l WHERE l.discord_user_id = :discord_user_id
ORDER BY l.linked_at DESC, l.server;

-- name: discord_role_check_put
INSERT OR IGNORE INTO discord_role_checks (server, subscriber_id)
VALUES (:server, :subscriber_id);
