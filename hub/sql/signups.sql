-- Web sign-ups per IP and hour (the rate limit of the public form), and the last sign-up
-- e-mail to each address (the per-address cooldown).

-- name: signup_attempt_count
INSERT INTO signup_attempts (ip, hour, count) VALUES (:ip, :hour, 1)
ON CONFLICT (ip, hour) DO UPDATE SET count = count + 1
RETURNING count;

-- name: signup_attempts_prune
DELETE FROM signup_attempts WHERE hour < :hour;

-- name: signup_notice_claim
-- The right to mail an address now: a row comes back unless it was mailed after :cutoff.
INSERT INTO signup_notices (email_hash, sent_at) VALUES (:email_hash, :now)
ON CONFLICT (email_hash) DO UPDATE SET sent_at = excluded.sent_at
WHERE signup_notices.sent_at <= :cutoff
RETURNING sent_at;

-- name: signup_notice_release
-- Gives back a claim whose e-mail could not leave, so that sending the form again works.
DELETE FROM signup_notices WHERE email_hash = :email_hash AND sent_at = :sent_at;

-- name: signup_notices_prune
DELETE FROM signup_notices WHERE sent_at <= :cutoff;

-- name: signup_notice_forget
DELETE FROM signup_notices WHERE email_hash = :email_hash;
