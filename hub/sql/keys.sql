-- The fingerprints of the keys the stored data depends on (see hub.keys).

-- name: key_fingerprint_record
-- Recorded the first time only; the stored one comes back either way.
INSERT INTO key_fingerprints (purpose, fingerprint, recorded_at)
VALUES (:purpose, :fingerprint, :now)
ON CONFLICT (purpose) DO UPDATE SET purpose = purpose
RETURNING fingerprint, recorded_at;
