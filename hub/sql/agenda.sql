-- The newsletters' agenda: the events an issue announces.

-- name: agenda_events
-- Published events starting in [:start, :end), soonest first. :public_only = 1 keeps only the
-- events open to everyone (an edition anyone may receive); cancelled and draft events never.
SELECT * FROM events
WHERE status = 'published'
  AND starts_at >= :start AND starts_at < :end
  AND (:public_only = 0 OR audience = 'public')
ORDER BY starts_at, id
LIMIT :limit;
