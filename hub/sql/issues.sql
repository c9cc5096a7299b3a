-- Rendered newsletter issues: the archive, and the numbering of each edition.

-- name: save_issue
INSERT INTO issues (edition, number, subject, preheader, issue_date, period_start, period_end,
                    html, text, meta, access_key, rendered_at)
VALUES (:edition, :number, :subject, :preheader, :issue_date, :period_start, :period_end,
        :html, :text, :meta, :access_key, :rendered_at)
ON CONFLICT (edition, number) DO UPDATE SET
    subject = excluded.subject,
    preheader = excluded.preheader,
    issue_date = excluded.issue_date,
    period_start = excluded.period_start,
    period_end = excluded.period_end,
    html = excluded.html,
    text = excluded.text,
    meta = excluded.meta,
    access_key = excluded.access_key,
    rendered_at = excluded.rendered_at;

-- name: last_issue
SELECT edition, number, subject, preheader, issue_date, period_end, rendered_at
FROM issues WHERE edition = :edition ORDER BY number DESC LIMIT 1;

-- name: list_edition_issues
SELECT edition, number, subject, preheader, issue_date, period_end, rendered_at
FROM issues WHERE edition = :edition ORDER BY number DESC;

-- name: get_issue
SELECT edition, number, subject, preheader, issue_date, period_start, period_end, html, text, meta,
       access_key, rendered_at
FROM issues WHERE edition = :edition AND number = :number;
