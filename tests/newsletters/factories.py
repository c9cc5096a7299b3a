"""The tests' sample issues: they live in `newsletters.samples`, shared with bench/."""

from newsletters.samples import ISSUE_DATE, PARIS, SITE, full_issue, small_issue

__all__ = ["ISSUE_DATE", "PARIS", "SITE", "full_issue", "small_issue"]
