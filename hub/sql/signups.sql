-- Web sign-ups per IP and hour: the rate limit of the public form.

-- name: signup_attempt_count
INSERT INTO signup_attempts (ip, hour, count) VALUES (:ip, :hour, 1)
ON CONFLICT (ip, hour) DO UPDATE SET count = count + 1
RETURNING count;

-- name: signup_attempts_prune
DELETE FROM signup_attempts WHERE hour < :hour;
