"""Campaigns: an issue sent to a list, exactly once per person."""
